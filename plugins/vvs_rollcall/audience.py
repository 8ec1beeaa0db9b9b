"""Whom a roll-call asks: the active members of the commune's communities (all, the
chosen ones, or those whose home lies inside the drawn area), each with the community
they belong to (whose référent a wave of escalation tells). The area test runs in
PostGIS on PostgreSQL and in Shapely on SQLite (same answers)."""
from __future__ import annotations

import shapely
from shapely.prepared import prep
from sqlalchemy import func, select

from vvs_core.models import Community, Membership, User


def people(dbsession, commune_id: int, target: str, community_ids=(), area=None) -> list[tuple[User, int]]:
    """(user, community id) of every person asked, one each (the first community by id)."""
    stmt = (select(User, Membership.community_id).join(Membership, Membership.user_id == User.id)
            .join(Community, Community.id == Membership.community_id)
            .where(Community.commune_id == commune_id, Membership.status == "active", User.status != "closed")
            .order_by(User.id, Membership.community_id))
    if target == "communities":
        stmt = stmt.where(Community.id.in_([int(i) for i in community_ids] or [-1]))
    rows = dbsession.execute(stmt).all()
    if target == "area":
        rows = _inside(dbsession, rows, area)
    seen, out = set(), []
    for user, community_id in rows:
        if user.id not in seen:
            seen.add(user.id)
            out.append((user, community_id))
    return out


def _inside(dbsession, rows, area):
    if area is None:
        return []
    with_home = [(u, c) for u, c in rows if u.home is not None]
    if dbsession.get_bind().dialect.name == "postgresql":
        ids = {u.id for u, _c in with_home}
        shape = func.ST_GeomFromWKB(shapely.to_wkb(area), 4326)
        inside = set(dbsession.scalars(select(User.id).where(User.id.in_(ids or [-1]),
                                                             func.ST_Contains(shape, User.__table__.c.home))))
        return [(u, c) for u, c in with_home if u.id in inside]
    prepared = prep(area)
    return [(u, c) for u, c in with_home if prepared.contains(u.home)]
