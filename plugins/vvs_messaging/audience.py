"""Who a user may write to, and how each person is shown to them.

Members of the user's own communities are shown by name ("Prénom N."); anyone the
``vvs_messageable_users`` hook adds is shown as the hook says, "pseudonym" meaning
the pseudonym only (twinned communities: never a real name, phone or address), with
the title the hook may give ("Mairie de Serris — Agnès M.": a town hall's agent).
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from vvs_core.models import Membership, User
from vvs_core.web.french import sort_key

NAME, PSEUDONYM = "name", "pseudonym"


class Titled(str):
    """How a person is shown ("name" or "pseudonym", equal to it) with the title under
    which they write, given by ``vvs_messageable_users`` (``(user_id, how, title)``)."""

    def __new__(cls, how: str, title: str):
        shown = super().__new__(cls, how)
        shown.writes_as = title  # not ``title``: every str has a method of that name
        return shown


def title_of(how) -> str:
    return how.writes_as if isinstance(how, Titled) else ""


def _shown(answer_pair) -> tuple[int, str]:
    """(user id, how shown) from a ``vvs_messageable_users`` pair or triple."""
    user_id, how, *rest = answer_pair
    how = NAME if how == NAME else PSEUDONYM
    title = " ".join(str(rest[0] or "").split())[:120] if rest else ""
    return int(user_id), Titled(how, title) if title else how


def _merge(out: dict, user_id: int, how: str) -> None:
    """By name wins over a pseudonym; a title, once given, stays."""
    known = out.get(user_id)
    if known is None or (known != NAME and how == NAME) or (known == how and title_of(how) and not title_of(known)):
        out[user_id] = how


def community_neighbour_ids(dbsession, user_id: int, among=None) -> set[int]:
    """Active members of ``user_id``'s communities (only those of ``among``, when given)."""
    mine = aliased(Membership)
    theirs = aliased(Membership)
    stmt = (sa.select(theirs.user_id).join(mine, mine.community_id == theirs.community_id)
            .where(mine.user_id == user_id, mine.status == "active", theirs.status == "active",
                   theirs.user_id != user_id))
    if among is not None:
        stmt = stmt.where(theirs.user_id.in_(sorted(among)))
    return set(dbsession.scalars(stmt))


def reachable(request, user) -> dict[int, str]:
    """``{user_id: "name" | "pseudonym"}`` of everyone ``user`` may write to."""
    cache = request.__dict__.setdefault("_vvs_messaging_reachable", {})
    if user.id in cache:
        return cache[user.id]
    out: dict[int, str] = {}
    for answer in request.registry.vvs_plugins.hook.vvs_messageable_users(request=request, user=user):
        for pair in answer or []:
            _merge(out, *_shown(pair))
    for user_id in community_neighbour_ids(request.dbsession, user.id):
        _merge(out, user_id, NAME)
    out.pop(user.id, None)
    active = set(request.dbsession.scalars(
        sa.select(User.id).where(User.id.in_(list(out)), User.status == "active"))) if out else set()
    cache[user.id] = {k: v for k, v in out.items() if k in active}
    return cache[user.id]


def shown_as(request, user, ids) -> dict[int, str]:
    """``reachable(request, user)`` restricted to ``ids`` (the people of a conversation, of
    an inbox page): asks the database about them only, not about every neighbour.
    ``ids`` may be ``User`` rows already loaded: their status is then not asked again."""
    people = [p for p in ids if isinstance(p, User)]
    ids = {p.id if isinstance(p, User) else int(p) for p in ids} - {user.id}
    cache = request.__dict__.get("_vvs_messaging_reachable", {})
    if user.id in cache:
        return {k: v for k, v in cache[user.id].items() if k in ids}
    if not ids:
        return {}
    out: dict[int, str] = {}
    for answer in request.registry.vvs_plugins.hook.vvs_messageable_users(request=request, user=user):
        for pair in answer or []:
            user_id, how = _shown(pair)
            if user_id in ids:
                _merge(out, user_id, how)
    for user_id in community_neighbour_ids(request.dbsession, user.id, among=ids):
        _merge(out, user_id, NAME)
    known = {p.id: p.status for p in people}
    unknown = [i for i in out if i not in known]
    active = {i for i, status in known.items() if status == "active"}
    if unknown:
        active |= set(request.dbsession.scalars(sa.select(User.id).where(User.id.in_(unknown), User.status == "active")))
    return {k: v for k, v in out.items() if k in active}


def label_for(person: User, how: str | None) -> str:
    """How ``person`` appears: 'Prénom N.' to neighbours, the pseudonym to anyone else,
    after the title they write under when there is one ('Mairie de Serris — Agnès M.')."""
    if person is None or person.status == "closed":
        return "ancien membre"
    if how == NAME and person.first_name:
        label = f"{person.first_name} {person.last_name[:1]}.".strip() if person.last_name else person.first_name
    else:
        label = person.display_pseudonym
    title = title_of(how)
    return f"{title} — {label}" if title else label


def choices(request, user) -> list[tuple[str, str]]:
    """(id, label) of the people ``user`` may write to, sorted by label."""
    people = reachable(request, user)
    if not people:
        return []
    users = request.dbsession.scalars(sa.select(User).where(User.id.in_(list(people))))
    out = [(str(u.id), label_for(u, people[u.id]) + (" (communauté jumelée)" if people[u.id] == PSEUDONYM else ""))
           for u in users]
    return sorted(out, key=lambda c: sort_key(c[1]))
