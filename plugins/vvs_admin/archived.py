"""An archived community is read-only (walk of the staff, item 4): its page and its
history still open, marked « archivée »; every other page of it (the routes whose context
is the community: edit, boundary, merge, validation mode, référents, invitations, référent
tools…) and every form sent to it is refused with a French message, whoever asks, the
platform team included. Pages of another context (an old alert) are left as they are."""
from __future__ import annotations

from pyramid.events import ContextFound, subscriber
from pyramid.view import exception_view_config

from vvs_core.accounts.security import CommunityContext
from vvs_core.web.errorpages import render_error_page

READABLE = frozenset({"community", "community_history"})
ARCHIVE = "admin_community_archive"  # says itself, to a second administrator, that it is done


class CommunityArchived(Exception):
    def __init__(self, community):
        super().__init__(community.name)
        self.community = community


def includeme(config):
    config.scan(".archived")


@subscriber(ContextFound)
def refuse_changes_to_archived(event):
    request = event.request
    if not isinstance(request.context, CommunityContext):  # an alert's page, say, stays as it is
        return
    community = request.context.community
    if community.archived_at is None or request.user is None:
        return
    route = getattr(request.matched_route, "name", None)
    if route != ARCHIVE and (route not in READABLE or request.method not in ("GET", "HEAD")):
        raise CommunityArchived(community)


@exception_view_config(CommunityArchived)
def archived_view(exc, request):
    from vvs_core.web.timefmt import dates

    community = exc.community
    return render_error_page(
        request, 403, "Communauté archivée",
        f"La communauté « {community.name} » est archivée depuis le {dates.date(community.archived_at)} : "
        "elle ne peut plus être modifiée, et personne ne peut plus y être invité ni la rejoindre. "
        "Son historique reste consultable.")
