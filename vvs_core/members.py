"""Who belongs to a community: the one place that counts members, lists a community's
référents and a resident's communities. Every page, plugin and API reads them here, so
two pages never disagree.

A member is an active membership whose account is open (a closed account counts for
nobody). Pending requests are not members.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from .models import Membership, User


def _ids(community_ids: int | Iterable[int]) -> list[int]:
    return [int(community_ids)] if isinstance(community_ids, int) else [int(i) for i in community_ids]


def _members(community_ids, exclude_user_id=None):
    stmt = (select(Membership.community_id, func.count(Membership.id))
            .join(User, User.id == Membership.user_id)
            .where(Membership.community_id.in_(_ids(community_ids) or [-1]), Membership.status == "active",
                   User.status != "closed"))
    if exclude_user_id is not None:
        stmt = stmt.where(Membership.user_id != exclude_user_id)
    return stmt.group_by(Membership.community_id)


def member_count(dbsession, community_id: int, exclude_user_id: int | None = None) -> int:
    """How many members ``community_id`` has (but ``exclude_user_id``, e.g. an alert's author)."""
    return member_counts(dbsession, [community_id], exclude_user_id).get(community_id, 0)


def member_counts(dbsession, community_ids: Iterable[int], exclude_user_id: int | None = None) -> dict[int, int]:
    """Community id → member count, in one query (listings, dashboards)."""
    counts = dict.fromkeys(_ids(community_ids), 0)
    counts.update({cid: n for cid, n in dbsession.execute(_members(community_ids, exclude_user_id))})
    return counts


def referents_of(dbsession, community_ids: int | Iterable[int]) -> list[User]:
    """The référents (open accounts) of one community or several, by name, each once."""
    ids = select(Membership.user_id).where(Membership.community_id.in_(_ids(community_ids) or [-1]),
                                           Membership.status == "active", Membership.role == "referent")
    return list(dbsession.scalars(select(User).where(User.id.in_(ids), User.status != "closed")
                                  .order_by(User.last_name, User.first_name, User.id)))


def referent_count(dbsession, community_id: int) -> int:
    return len(referents_of(dbsession, community_id))


def community_ids_of(dbsession, user_id: int) -> list[int]:
    """The communities ``user_id`` is a member of (a page's own request reads the same
    through ``vvs_core.security.member_community_ids(request)``, cached)."""
    return sorted(dbsession.scalars(select(Membership.community_id).where(
        Membership.user_id == user_id, Membership.status == "active")))
