"""Who belongs to a community: the one place that counts members, lists a community's
référents and a resident's communities. Every page, plugin and API reads them here, so
two pages never disagree.

A member is an active membership whose account is open (a closed account counts for
nobody). Pending requests are not members.
"""

from collections.abc import Iterable

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from vvs_core.models import Community, Membership, User


def _ids(community_ids: int | Iterable[int]) -> list[int]:
    return [int(community_ids)] if isinstance(community_ids, int) else [int(i) for i in community_ids]


def member_count(dbsession, community_id: int, exclude_user_id: int | None = None) -> int:
    """How many members ``community_id`` has (but ``exclude_user_id``, e.g. an alert's author)."""
    return member_counts(dbsession, [community_id], exclude_user_id).get(community_id, 0)


def member_counts(dbsession, community_ids: Iterable[int], exclude_user_id: int | None = None) -> dict[int, int]:
    """Community id → member count, in one query (listings, dashboards)."""
    counts = dict.fromkeys(_ids(community_ids), 0)
    counts.update(dbsession.execute(select(Community.id, member_count_sql(Community.id, exclude_user_id))
                                    .where(Community.id.in_(list(counts) or [-1]))).all())
    return counts


def member_count_sql(community_id, exclude_user_id: int | None = None):
    """``member_count`` as a scalar SQL expression, to read with a larger statement
    (``community_id`` may be a column, e.g. ``Community.id`` for a list of communities):
    the active memberships (counted in the index) less those of closed accounts (found
    from ``ix_users_closed``), so that no member's account is read (issue 16)."""
    member, account = aliased(Membership), aliased(User)
    active = select(func.count()).select_from(member).where(member.community_id == community_id, member.status == "active")
    active = active if exclude_user_id is None else active.where(member.user_id != exclude_user_id)
    closed = active.join(account, account.id == member.user_id).where(account.status == "closed")
    return active.scalar_subquery() - closed.scalar_subquery()


def referents_and_count(dbsession, community_id: int) -> tuple[list[User], int]:
    """``referents_of`` and ``member_count`` of one community, in one statement (from the
    community's row, so that a community without référent answers)."""
    referent = and_(Membership.community_id == Community.id, Membership.status == "active",
                    Membership.role == "referent")
    rows = dbsession.execute(
        select(User, member_count_sql(Community.id)).select_from(Community)
        .outerjoin(Membership, referent)
        .outerjoin(User, and_(User.id == Membership.user_id, User.status != "closed"))
        .where(Community.id == community_id)
        .order_by(User.last_name_key, User.first_name_key, User.id)).all()
    return [user for user, _n in rows if user is not None], (rows[0][1] if rows else 0)


def referents_of(dbsession, community_ids: int | Iterable[int]) -> list[User]:
    """The référents (open accounts) of one community or several, by name, each once."""
    ids = select(Membership.user_id).where(Membership.community_id.in_(_ids(community_ids) or [-1]),
                                           Membership.status == "active", Membership.role == "referent")
    return list(dbsession.scalars(select(User).where(User.id.in_(ids), User.status != "closed")
                                  .order_by(User.last_name_key, User.first_name_key, User.id)))


def referent_counts(dbsession, community_ids: Iterable[int]) -> dict[int, int]:
    """Community id → how many référents (open accounts) it has, in one query (queues)."""
    counts = dict.fromkeys(_ids(community_ids), 0)
    counts.update({cid: n for cid, n in dbsession.execute(
        select(Membership.community_id, func.count(Membership.id)).join(User, User.id == Membership.user_id)
        .where(Membership.community_id.in_(_ids(community_ids) or [-1]), Membership.status == "active",
               Membership.role == "referent", User.status != "closed")
        .group_by(Membership.community_id))})
    return counts


def community_ids_sql(user_id: int):
    """The ids of the communities ``user_id`` is a member of, as a subquery to put in a
    larger statement (no statement of its own)."""
    return select(Membership.community_id).where(Membership.user_id == user_id, Membership.status == "active")


def community_ids_of(dbsession, user_id: int) -> list[int]:
    """The communities ``user_id`` is a member of (a page's own request reads the same
    through ``vvs_core.accounts.security.member_community_ids(request)``, cached)."""
    return sorted(dbsession.scalars(community_ids_sql(user_id)))
