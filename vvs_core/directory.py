"""The one serializer of a member as others see them (annuaire, contact card, JSON,
CSV export). A number the member chose to hide is left out, never blanked in a
template: only the member, and a mairie agent of their commune, receive it.
"""
from __future__ import annotations

import csv
import io

from sqlalchemy import select

from .models import Commune, Community, Membership, User
from .phones import display_phone
from .principals import commune_agent
from .textsearch import matches


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


def community_members(dbsession, community: Community, query: str = "") -> list[tuple[User, Membership]]:
    """Active members, référents first then by name; ``query`` matches names and street."""
    stmt = (
        select(User, Membership).join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community.id, Membership.status == "active", User.status != "closed")
    )
    stmt = stmt.order_by((Membership.role != "referent"), User.last_name, User.first_name, User.id)
    rows = list(dbsession.execute(stmt).all())
    query = (query or "").strip()[:80]
    if query:  # a community is a few hundred homes at most: filtered here, as people type (textsearch)
        rows = [(user, m) for user, m in rows if matches(query, user.first_name, user.last_name, user.pseudonym,
                                                         user.address_label, f"{user.first_name} {user.last_name}")]
    return rows


def directory(viewer_principals, dbsession, community: Community, query: str = "") -> list[dict]:
    insee = dbsession.get(Commune, community.commune_id).insee
    return [directory_entry(viewer_principals, user, commune_insee=insee, role=membership.role)
            for user, membership in community_members(dbsession, community, query)]


CSV_COLUMNS = (("name", "Nom"), ("pseudonym", "Pseudonyme"), ("street", "Adresse"),
               ("mobile", "Portable"), ("landline", "Fixe"))


def directory_csv(entries: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([label for _key, label in CSV_COLUMNS] + ["Référent"])
    for entry in entries:
        writer.writerow([entry.get(key, "") for key, _label in CSV_COLUMNS] + ["oui" if entry["referent"] else ""])
    return out.getvalue()
