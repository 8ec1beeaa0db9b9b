"""Who may do what with an alert: the contexts of the alert routes.

An alert is read by the active members of its community once it is out (published
or expired), by its author, the community's référents, the moderators and the
mairie agents of its commune at any time (held and withdrawn included). Once
withdrawn, its members and the people it reached open its link (``alert.open``) on a
page that says so, without its content.
"""
from __future__ import annotations

from pyramid.authorization import ALL_PERMISSIONS, Allow
from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from vvs_core.models import Community, row_id
from vvs_core.accounts.principals import commune_agent

from .models import Alert, AlertUpdate


class AlertContext:
    """Permissions: ``alert.open`` (its link: the alert, or the notice that it was
    withdrawn), ``alert.view``, ``alert.report``, ``alert.reach`` (see how far it went),
    ``alert.follow_up`` (update, all-clear), ``alert.moderate``."""

    def __init__(self, request, alert: Alert):
        self.request = request
        self.alert = alert

    @property
    def community(self):
        """The alert's community (what other plugins' checks read of the page's context)."""
        return self.alert.community

    @property
    def __acl__(self):
        a = self.alert
        cid = a.community_id
        insee = a.community.commune.insee
        out = a.status in ("published", "expired")
        live = a.status == "published"
        acl = [(Allow, "role:admin", ALL_PERMISSIONS)]
        if out:
            acl.append((Allow, f"community:{cid}:member", ("alert.view", "alert.report")))
        referent = ["alert.view", "alert.reach", "alert.moderate"] + (["alert.report"] if out else [])
        if live:
            referent.append("alert.follow_up")
        acl.append((Allow, f"community:{cid}:referent", tuple(referent)))
        moderator = ["alert.view", "alert.reach", "alert.moderate"] + (["alert.follow_up"] if live else [])
        acl.append((Allow, "role:moderator", tuple(moderator)))
        if a.author_id is not None:
            author = ["alert.view", "alert.reach"] + (["alert.follow_up"] if live else [])
            acl.append((Allow, f"user:{a.author_id}", tuple(author)))
        acl.append((Allow, commune_agent(insee), ("alert.view", "alert.reach")))
        acl = [(allow, who, (*perms, "alert.open") if isinstance(perms, tuple) and "alert.view" in perms else perms)
               for allow, who, perms in acl]
        if a.status == "withdrawn":
            acl += [(Allow, who, "alert.open") for who in [f"community:{cid}:member", *self.reached()]]
        return acl

    def reached(self) -> list[str]:
        """The people the alert's messages went to (twinned communities, the mairie…)."""
        from vvs_core.models.notification import Notification

        ids = self.request.dbsession.scalars(select(Notification.recipient_id).distinct().where(
            Notification.subject_type == "alert", Notification.subject_id == self.alert.id,
            Notification.recipient_id.is_not(None)))
        return [f"user:{i}" for i in ids]


def alert_factory(request):
    if (alert_id := row_id(request.matchdict.get("alert_id"))) is None:
        raise HTTPNotFound()
    # The alert with what every alert page reads of it (its community and commune, its
    # author, its updates and their authors): two statements, not one per relation.
    alert = request.dbsession.scalars(
        select(Alert).where(Alert.id == alert_id)
        .options(joinedload(Alert.community).joinedload(Community.commune), joinedload(Alert.author),
                 selectinload(Alert.updates).joinedload(AlertUpdate.author))).first()
    if alert is None:
        raise HTTPNotFound()
    return AlertContext(request, alert)


class ModerationQueueContext:
    """The moderation queue: moderators see every alert, référents those of their
    communities (the queue itself filters)."""

    __acl__ = [
        (Allow, "role:admin", ALL_PERMISSIONS),
        (Allow, "role:moderator", "alerts.moderate"),
        (Allow, "role:referent", "alerts.moderate"),
    ]

    def __init__(self, request):
        self.request = request


class SanctionsContext:
    """The sanctions in force and a member's moderation history: moderators only
    (a référent moderates alerts of their community, not people across the commune)."""

    __acl__ = [
        (Allow, "role:admin", ALL_PERMISSIONS),
        (Allow, "role:moderator", "alerts.sanctions"),
    ]

    def __init__(self, request):
        self.request = request


class CommunePolicyContext:
    """A commune's moderation settings: its mairie agents (second factor passed),
    moderators and administrators."""

    def __init__(self, request, commune):
        self.request = request
        self.commune = commune

    @property
    def __acl__(self):
        return [(Allow, "role:admin", ALL_PERMISSIONS), (Allow, "role:moderator", "alerts.policy"),
                (Allow, f"commune:{self.commune.insee}:agent", "alerts.policy")]


def commune_policy_factory(request):
    from vvs_core.accounts.security import commune_from_matchdict

    commune = commune_from_matchdict(request)
    return CommunePolicyContext(request, commune)
