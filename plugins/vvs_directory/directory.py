"""The one serializer of a member as others see them (annuaire, contact card, JSON,
CSV export, the API). A number the member chose to hide is left out, never blanked in a
template: only the member, and a mairie agent of their commune, receive it.
"""

import csv
import io

from sqlalchemy import exists, func, or_, select

from vvs_core.models import Community, Membership, User
from vvs_core.accounts.phones import display_phone
from vvs_core.accounts.principals import commune_agent
from vvs_core.web.pagination import paginate
from vvs_core.web.textsearch import fold, sql_matches


def member_communes(user: User) -> set[str]:
    """INSEE codes of the communes where ``user`` is an active member."""
    return {m.community.commune.insee for m in user.memberships if m.status == "active"}


def may_see_hidden(viewer_principals, user: User, commune_insee: str | None = None) -> bool:
    principals = set(viewer_principals)
    if f"user:{user.id}" in principals:
        return True
    communes = {commune_insee} if commune_insee else member_communes(user)
    return any(commune_agent(insee) in principals for insee in communes)


def directory_entry(viewer_principals, user: User, *, commune_insee: str | None = None,
                    role: str | None = None) -> dict:
    """What ``viewer_principals`` may see of ``user``.

    commune_insee: the commune of the directory being read (else the member's
    communes); role: the member's role in that community, when known.
    """
    privileged = may_see_hidden(viewer_principals, user, commune_insee)
    entry = {
        "id": user.id,
        "name": user.full_name,
        "pseudonym": user.display_pseudonym,
        "street": user.address_label,
        "presentation": user.presentation or "",
        "interests": list(user.interests or []),
        "has_photo": bool(user.has_photo),
        "referent": role == "referent",
    }
    for field, hidden in (("mobile", user.hide_mobile), ("landline", user.hide_landline)):
        number = getattr(user, field)
        if number and (not hidden or privileged):
            entry[field] = display_phone(number)
            if hidden:
                entry[f"{field}_hidden"] = True  # only the privileged ever get this key
    return entry


def revealed_hidden(entry: dict) -> bool:
    return bool(entry.get("mobile_hidden") or entry.get("landline_hidden"))


DIRECTORY_PAGE = 40
CSV_BATCH = 500
QUERY_MAX = 80


def members_statement(community_id: int, query: str = ""):
    """(member, role) of a community's active members, référents first then by name
    (``users.last_name_key``, ``first_name_key``: the names folded, stored by the database);
    ``query`` keeps those whose name, pseudonym or street holds it, as people type it
    (« helene » finds « Hélène »: ``textsearch.sql_matches``, in SQL)."""
    stmt = (select(User, Membership.role).join(Membership, Membership.user_id == User.id)
            .where(Membership.community_id == community_id, Membership.status == "active", User.status != "closed")
            .order_by((Membership.role != "referent"), User.last_name_key, User.first_name_key, User.id))
    found = _found(query)
    return stmt if found is None else stmt.where(found)


_MARKS = "'- "  # what people leave out: « dartagnan », « jeanpierre », « lahaye » (walk, staff 17)


def _squeezed(text):
    """A folded text without apostrophes, hyphens or spaces (in SQL: ``replace``, SQLite and PostgreSQL)."""
    for mark in _MARKS:
        text = func.replace(text, mark, "")
    return text


def _found(query: str):
    """The search's clause: the names through their stored keys (folded already), the
    pseudonym and the street folded by ``sql_matches``. The names are compared without
    apostrophes, hyphens and spaces on both sides, so « dartagnan » finds « d’Artagnan »
    and « jean pierre » « Jean-Pierre » (a wider match than the folded keys': it finds all
    they found)."""
    wanted = fold((query or "").strip()[:QUERY_MAX])
    bare = "".join(c for c in wanted if c not in _MARKS) or wanted
    names = _squeezed(User.first_name_key + User.last_name_key)
    return or_(names.contains(bare, autoescape=True),
               sql_matches(wanted, User.pseudonym, User.address_label)) if wanted else None


def page_statement(community_id: int, query: str = ""):
    """``members_statement`` as (user id, role) read from the community's memberships, each
    member's account looked up by its key (its names' keys, whether it is closed, the search):
    a page of 5,000 members reads 5,000 index entries, never the whole users table, which
    PostgreSQL chose to scan for a join (issue 16)."""
    of_member = lambda column: select(column).where(User.id == Membership.user_id).scalar_subquery()  # noqa: E731
    closed = exists().where(User.id == Membership.user_id, User.status == "closed")
    found = _found(query)  # as a value of each member (in EXISTS, PostgreSQL searched every account)
    return (select(Membership.user_id, Membership.role)
            .where(Membership.community_id == community_id, Membership.status == "active", ~closed,
                   *([] if found is None else [of_member(found)]))
            .order_by((Membership.role != "referent"), of_member(User.last_name_key), of_member(User.first_name_key),
                      Membership.user_id))


def directory_page(request, community: Community, query: str = ""):
    """One page of the directory (``vvs_core.web.pagination.Pagination`` of entries), searched
    and counted in one statement, then that page's members read by id."""
    insee = community.commune.insee
    page = paginate(request, page_statement(community.id, query), DIRECTORY_PAGE)
    users = {user.id: user for user in request.dbsession.scalars(select(User).where(User.id.in_([i for i, _r in page.items])))}
    page.items = [directory_entry(request.principals, users[uid], commune_insee=insee, role=role) for uid, role in page.items]
    return page


def hidden_numbers_of(dbsession, community_id: int) -> list[int]:
    """Ids of the active members whose directory line holds a number they hide."""
    hidden = ((User.hide_mobile.is_(True) & User.mobile.isnot(None) & (User.mobile != ""))
              | (User.hide_landline.is_(True) & User.landline.isnot(None) & (User.landline != "")))
    return list(dbsession.scalars(
        select(User.id).join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community_id, Membership.status == "active", User.status != "closed", hidden)
        .order_by(User.id)))


def directory_csv_lines(session_factory, viewer_principals, community_id: int, commune_insee: str):
    """The directory as CSV lines, streamed: read ``CSV_BATCH`` members at a time
    (``yield_per``) in a session of its own, since the response is sent after the
    request's transaction has ended."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")

    def line(values) -> str:
        out.seek(0)
        out.truncate()
        writer.writerow(values)
        return out.getvalue()

    yield "\ufeff" + line([label for _key, label in CSV_COLUMNS] + ["Référent"])  # BOM: spreadsheets read UTF-8
    session = session_factory()
    try:
        rows = session.execute(members_statement(community_id).execution_options(yield_per=CSV_BATCH))
        for user, role in rows:
            entry = directory_entry(viewer_principals, user, commune_insee=commune_insee, role=role)
            yield line([entry.get(key, "") for key, _label in CSV_COLUMNS] + ["oui" if entry["referent"] else ""])
    finally:
        session.close()


CSV_COLUMNS = (("name", "Nom"), ("pseudonym", "Pseudonyme"), ("street", "Adresse"),
               ("mobile", "Portable"), ("landline", "Fixe"))
