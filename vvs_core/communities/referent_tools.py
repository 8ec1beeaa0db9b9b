"""« Rôle et outils du référent »: the référent's role, the requests waiting, and the
tools of the community (plugins add theirs through ``vvs_community_links``)."""

from pyramid.view import view_config
from sqlalchemy import select

from vvs_core.models import Membership
from vvs_core.accounts.security import community_factory
from vvs_core.communities.journey_menu import pending_requests
from vvs_core.communities.modes import effective_validation_mode
from vvs_core.communities.views import community_links


def includeme(config):
    config.add_route("referent_tools", "/communaute/{community_id}/referent", factory=community_factory)
    config.scan(".referent_tools")


@view_config(route_name="referent_tools", renderer="vvs_core:communities/templates/referent_tools.pt",
             permission="community.manage")
def referent_tools_view(request):
    community = request.context.community
    return {
        "title": "Rôle et outils du référent", "community": community,
        "pending": request.dbsession.scalar(select(pending_requests(Membership.community_id == community.id))), "decides": effective_validation_mode(request, community) == "referent",
        "queue_url": request.route_path("community_requests", community_id=community.id), "links": community_links(request, [community], "referent")[community.id],
        "platform_email": request.registry.settings["vvs.platform_email"],
        "extra_css": [request.layout.static("css/resident.css")],
    }
