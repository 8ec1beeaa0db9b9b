"""Who a mairie alert or message reaches: residents of the whole commune, of chosen
communities, or whose home lies inside an area drawn on the map; their channels; and
the reach estimate shown before sending ("environ 312 foyers, 240 SMS").

Residents are the active members of the commune's communities. The area test runs
in PostGIS on PostgreSQL and in Shapely on SQLite (same answers).
"""
from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.prepared import prep
from sqlalchemy import func, select
from sqlalchemy.orm import object_session

from vvs_core.web.french import count, number
from vvs_core.models import Community, Membership, User
from vvs_core.notify.kinds import channels_for
from vvs_core.notify.preferences import users_with_push


@dataclass(frozen=True)
class Reached:
    user: User
    channels: tuple[str, ...]


def commune_residents_stmt(commune_id: int, community_ids=None):
    members = (select(Membership.user_id)
               .join(Community, Community.id == Membership.community_id)
               .where(Community.commune_id == commune_id, Membership.status == "active"))
    if community_ids is not None:
        members = members.where(Community.id.in_([int(i) for i in community_ids]))
    return select(User).where(User.id.in_(members), User.status != "closed").order_by(User.id)


def audience_users(dbsession, commune_id: int, target: str, community_ids=(), area=None) -> list[User]:
    if target == "communities":
        return list(dbsession.scalars(commune_residents_stmt(commune_id, community_ids or [-1])))
    if target == "area":
        if area is None:
            return []
        stmt = commune_residents_stmt(commune_id).where(User.home.is_not(None))
        if dbsession.get_bind().dialect.name == "postgresql":
            shape = func.ST_GeomFromWKB(shapely.to_wkb(area), 4326)
            return list(dbsession.scalars(stmt.where(func.ST_Contains(shape, User.__table__.c.home))))
        inside = prep(area)
        return [u for u in dbsession.scalars(stmt) if u.home is not None and inside.contains(u.home)]
    return list(dbsession.scalars(commune_residents_stmt(commune_id)))


def reached(dbsession, kind, usable, commune_id, target, community_ids=(), area=None) -> list[Reached]:
    """Who a mairie alert reaches, on the channels the core's one rule gives them for
    ``kind`` (the declared "mairie_alert": never none when one is possible)."""
    out = []
    for user in audience_users(dbsession, commune_id, target, community_ids, area):
        channels = tuple(channels_for(user, kind, usable))
        if channels:
            out.append(Reached(user, channels))
    return out


def household_count(users) -> int:
    """Homes, not people: residents sharing an address count once."""
    keys = {(u.address_label or "").strip().lower() or f"#{u.id}" for u in users}
    return len(keys)


def estimate(recipients: list[Reached], followers: list[dict] = ()) -> dict:
    """``followers``: people without an account (``commune_alerts.followers_for``), one
    household each (all they gave is a number or an address)."""
    followed = {f["key"] for f in followers}
    homes = household_count([r.user for r in recipients]) + len(followed)
    # A resident's push goes only to a subscribed device (else the outbox drops it or sends an e-mail).
    session = object_session(recipients[0].user) if recipients else None
    pushable = users_with_push(session, [r.user.id for r in recipients if "push" in r.channels]) if session else set()

    def on(channel):
        return (sum(1 for r in recipients if channel in r.channels and (channel != "push" or r.user.id in pushable))
                + sum(1 for f in followers if f["channel"] == channel))

    sms, emails, calls, pushes = on("sms"), on("email"), on("voice"), on("push")
    text = f"environ {count(homes, 'foyer', 'foyers')}, {number(sms)} SMS"
    if emails:
        text += f", {count(emails, 'e-mail', 'e-mails')}"
    if calls:
        text += f", {count(calls, 'appel sur un téléphone fixe', 'appels sur un téléphone fixe')}"
    if pushes:
        text += f", {count(pushes, 'notification', 'notifications')}"
    if followed:
        text += f" (dont {count(len(followed), 'personne abonnée', 'personnes abonnées')} sans compte)"
    return {"homes": homes, "people": len(recipients) + len(followed), "sms": sms, "emails": emails, "calls": calls,
            "pushes": pushes, "followers": len(followed), "text": text}
