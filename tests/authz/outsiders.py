"""The people who must not reach a commune's tools, made and signed in the one way for
every authorization test (``from outsiders import outsider, sign_in_as``)."""
from __future__ import annotations

from vvs_core.models import Membership


def outsider(who: str, dbsession, make_user, mairie):
    """A new "resident", "pending" member or "referent" of the mairie's community, or a
    "moderator" or an "admin" of the platform."""
    user = make_user(is_moderator=who == "moderator", is_admin=who == "admin")
    if who in ("resident", "pending", "referent"):
        dbsession.add(Membership(user_id=user.id, community_id=mairie.community.id,
                                 status="pending" if who == "pending" else "active",
                                 role="referent" if who == "referent" else "member"))
        dbsession.flush()
    return user


def sign_in_as(testapp, who: str, dbsession, make_user, mairie) -> None:
    """Sign ``testapp`` in as ``who``: "anonymous" (nobody), "agent-without-second-factor"
    (the mairie's agent, no code given), or an ``outsider``."""
    if who == "agent-without-second-factor":
        testapp.login(mairie.agent_user)
    elif who != "anonymous":
        testapp.login(outsider(who, dbsession, make_user, mairie))


OTHER_CENTRE = (2.7990, 48.8453)  # ~1 km east of Serris' centre: a community that does not overlap


def role_world(dbsession, make_user, make_community, *also_members: str):
    """(users by role, community) of a role matrix: "non_member", "pending" (a request to
    the community), "other_member" and "other_referent" (of « Ailleurs », next to it),
    "member", the ``also_members`` names (members too), "referent", "moderator" and
    "admin" (of the platform)."""
    names = ("non_member", "pending", "other_member", "other_referent", "member", *also_members, "referent")
    u = {name: make_user() for name in names}
    u["moderator"] = make_user(is_moderator=True)
    u["admin"] = make_user(is_admin=True)
    community = make_community(members=[u["member"], *(u[name] for name in also_members)], referents=[u["referent"]])
    make_community(name="Ailleurs", centre=OTHER_CENTRE, members=[u["other_member"]], referents=[u["other_referent"]])
    dbsession.add(Membership(user_id=u["pending"].id, community_id=community.id, status="pending"))
    return u, community


def published_alert(community, author, text: str, category: str = "cambriolage", severity: str = "moderate",
                    hours: int = 24):
    """An alert of ``author`` in ``community``, published now for ``hours`` (not added)."""
    from datetime import timedelta
    import uuid

    from vvs_alerts.models import Alert
    from vvs_core.clock import utcnow

    now = utcnow()
    return Alert(community_id=community.id, commune_id=community.commune_id, author_id=author.id,
                 category=category, text=text, severity=severity,
                 created_at=now, published_at=now, expires_at=now + timedelta(hours=hours), status="published",
                 idempotency_key=uuid.uuid4().hex, source="web")
