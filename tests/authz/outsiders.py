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
