"""What the platform team does to communes and communities from the browser (issue 13.1):
create a commune (INSEE code, name, postcodes, town-hall position, contact), edit its
settings, choose a community's validation mode, appoint and remove référents. Every
change is given a reason and recorded in the audit trail, like the accounts' actions
(``vvs_admin.accounts``)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from shapely.geometry import Point
from sqlalchemy import func, select, update
from sqlalchemy.orm import defer

from vvs_admin.accounts import AdminActionRefused, ChangedMeanwhile
from vvs_core.communities.events import record_event
from vvs_core.models import Commune, Community, Membership, User
from vvs_core.communities.modes import mode_of, validation_modes
from vvs_core.web.french import de
from vvs_core.web.textsearch import folded

# INSEE code of a commune: five digits, or 2A/2B and three digits in Corsica.
INSEE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
POSTCODE = re.compile(r"^\d{5}$")


def insee_problem(dbsession, insee: str, commune_id: int | None = None) -> str | None:
    if not INSEE.match(insee or ""):
        return "Le code INSEE compte cinq caractères : cinq chiffres, ou 2A / 2B suivis de trois chiffres en Corse."
    taken = dbsession.scalar(select(Commune.id).where(Commune.insee == insee))
    if taken is not None and taken != commune_id:
        return "Une commune porte déjà ce code INSEE."
    return None


# A commune's name is plain text, as the official geographic code writes it (« L’Haÿ-les-Roses »,
# « Saint-Denis (La Réunion) »): letters, digits, spaces, hyphens, apostrophes, parentheses.
# It is shown on public pages (/communes/suivre, sign-up): no markup, no control character.
COMMUNE_NAME_PUNCTUATION = " -'’()"


def commune_name_problem(name: str) -> str | None:
    bad = next((c for c in name if not (c.isalnum() or c in COMMUNE_NAME_PUNCTUATION)), None)
    if bad is None:
        return None
    shown = f"« {bad} »" if bad.isprintable() and not bad.isspace() else "un caractère invisible"
    return (f"Le nom de la commune ne peut pas contenir {shown} : lettres (accents compris), chiffres, espaces, "
            "traits d’union, apostrophes et parenthèses seulement, comme dans « L’Haÿ-les-Roses ».")


def parse_postcodes(text: str) -> tuple[list[str], str | None]:
    codes = [c for c in re.split(r"[\s,;]+", text or "") if c]
    if not codes:
        return [], "Indiquez au moins un code postal."
    if len(codes) > 20:
        return [], "Vingt codes postaux au plus."
    bad = [c for c in codes if not POSTCODE.match(c)]
    if bad:
        return [], f"« {bad[0][:20]} » n'est pas un code postal (cinq chiffres)."
    return list(dict.fromkeys(codes)), None


def parse_coordinate(text: str, low: float, high: float) -> float | None:
    """A decimal degree typed with a point or a French comma, within [low, high]."""
    raw = (text or "").strip().replace(",", ".").replace("\u00a0", "")
    if not re.fullmatch(r"-?\d{1,3}(?:\.\d{1,10})?", raw):
        return None
    value = float(raw)
    return value if low <= value <= high else None


def create_commune(request, data: dict, reason: str) -> Commune:
    db = request.dbsession
    problem = insee_problem(db, data["insee"])
    if problem:
        raise AdminActionRefused(problem)
    commune = Commune(insee=data["insee"], name=data["name"], postcodes=data["postcodes"],
                      centre=Point(data["lon"], data["lat"]), contact_name=data["contact_name"],
                      contact_email=data["contact_email"], contact_phone=data["contact_phone"],
                      time_zone=data["time_zone"])
    db.add(commune)
    db.flush()
    record_event(db, "admin_commune_created", actor=request.user, public=False,
                 data={"reason": reason, "commune": commune.name, "insee": commune.insee,
                       "fuseau": commune.time_zone or "celui du serveur"})
    db.flush()
    return commune


def edit_commune(request, commune: Commune, data: dict, reason: str) -> None:
    db = request.dbsession
    changed = {k: v for k, v in data.items() if getattr(commune, k) != v}
    if not changed:
        raise AdminActionRefused("Rien n'a changé.")
    for key, value in changed.items():
        setattr(commune, key, value)
    record_event(db, "admin_commune_edited", actor=request.user, public=False,
                 data={"reason": reason, "commune": commune.name, "champs": sorted(changed)})
    db.flush()


def mode_names(request) -> dict[str, str]:
    """The declared validation modes' names (« Référent »), by key."""
    return {key: mode.name for key, mode in validation_modes(request.registry).items()}


def mode_name(request, key: str) -> str:
    """A stored mode's name; one no enabled plugin declares is the platform team's, as for the core."""
    return mode_of(request.registry, key).name


def change_validation_mode(request, community: Community, mode: str, seen: str, reason: str) -> None:
    names = mode_names(request)
    if mode not in names:
        raise AdminActionRefused("Choisissez un mode de la liste.")
    if mode == community.validation_mode:
        raise AdminActionRefused("La communauté a déjà ce mode de validation.")
    result = request.dbsession.execute(
        update(Community).where(Community.id == community.id, Community.validation_mode == seen)
        .values(validation_mode=mode).execution_options(synchronize_session=False))
    before = community.validation_mode
    request.dbsession.refresh(community)
    if result.rowcount != 1:
        raise ChangedMeanwhile("Un autre membre de l'équipe a changé ce mode entre-temps : voici l'état actuel.")
    record_event(request.dbsession, "admin_validation_mode_changed", community=community, actor=request.user,
                 public=False, data={"reason": reason, "avant": mode_name(request, before),
                                     "apres": names[mode]})
    request.dbsession.flush()


def set_referent(request, community: Community, user_id: int, appoint: bool, reason: str) -> User:
    """The platform team appoints or removes a référent (``vvs_core.communities.membership.set_referent``)."""
    from vvs_core.communities.membership import MembershipError, set_referent as change_referent

    try:
        return change_referent(request, community, user_id, appoint, request.user, reason, by="platform")
    except MembershipError as exc:
        raise AdminActionRefused(str(exc)) from None


def communes_overview():
    """(commune, its number of communities) by name, as a select to paginate; the
    boundaries stay in the database."""
    communities = (select(func.count(Community.id)).where(Community.commune_id == Commune.id, Community.archived_at.is_(None))
                   .correlate(Commune).scalar_subquery())
    return (select(Commune, communities.label("communities")).options(defer(Commune.boundary))
            .order_by(folded(Commune.name), Commune.id))


MEMBER_CHOICES = 25  # members listed in a community's référents form; above, a member is named by e-mail


@dataclass
class CommunityPeople:
    """What a commune's page shows of one community's people: its référents, how many
    active members it has (référents included), and its other members when they are few
    enough to be listed (at most ``MEMBER_CHOICES``; none listed above that)."""
    referents: list = field(default_factory=list)
    count: int = 0
    listed: list = field(default_factory=list)


def communities_people_summary(dbsession, community_ids: list[int]) -> dict[int, CommunityPeople]:
    """``CommunityPeople`` of several communities in three statements whatever their size:
    the member counts (``GROUP BY``), the référents, and the members of the small ones. A
    commune's page does not load the 100,000 members of a commune-wide community."""
    out = {cid: CommunityPeople() for cid in community_ids}
    if not community_ids:
        return out
    active = (Membership.community_id.in_(community_ids), Membership.status == "active", User.status != "closed")
    counts = dbsession.execute(select(Membership.community_id, func.count()).join(User, User.id == Membership.user_id)
                               .where(*active).group_by(Membership.community_id))
    for cid, count in counts:
        out[cid].count = count
    for user, cid in dbsession.execute(select(User, Membership.community_id).join(Membership, Membership.user_id == User.id)
                                       .where(*active, Membership.role == "referent")
                                       .order_by(User.last_name_key, User.first_name_key, User.id)).all():
        out[cid].referents.append(user)
    small = [cid for cid, people in out.items() if people.count - len(people.referents) <= MEMBER_CHOICES]
    if small:
        for user, cid in dbsession.execute(
                select(User, Membership.community_id).join(Membership, Membership.user_id == User.id)
                .where(*active[1:], Membership.community_id.in_(small), Membership.role != "referent")
                .order_by(User.last_name_key, User.first_name_key, User.id)).all():
            out[cid].listed.append(user)
    return out


def member_by_email(dbsession, community: Community, email: str) -> int:
    """The id of the account at ``email`` (any case), for naming it référent of ``community``
    (the membership itself is checked when the role changes); refused when no account has it."""
    user_id = dbsession.scalar(select(User.id).where(func.lower(User.email) == email.strip().lower()))
    if user_id is None:
        raise AdminActionRefused(f"Aucun compte n'a l'adresse « {email.strip()} » : vérifiez-la, ou nommez un membre "
                                 f"{de(community.name)}.")
    return user_id


# --- Merging two communities ------------------------------------------------------

SNAP_DEGREES = 1e-7
STATUS_RANK = {"active": 3, "pending": 2, "rejected": 1, "left": 0}


def merge_choices(dbsession, community: Community) -> list[tuple[str, str]]:
    """The communities of the same commune ``community`` may be merged into."""
    rows = dbsession.execute(select(Community.id, Community.name)
                             .where(Community.commune_id == community.commune_id, Community.id != community.id,
                                    Community.archived_at.is_(None))
                             .order_by(folded(Community.name))).all()
    return [(str(cid), name) for cid, name in rows]


def merged_boundary(source: Community, target: Community):
    """The union of both boundaries, or a French reason why it is not one territory."""
    from shapely.geometry import Polygon

    from vvs_core import geo

    union = source.boundary.union(target.boundary)
    if not isinstance(union, Polygon):  # edges a rounding apart: close gaps of about a centimetre
        union = union.buffer(SNAP_DEGREES, join_style=2).buffer(-SNAP_DEGREES, join_style=2)
    if not isinstance(union, Polygon) or geo.validate_polygon(union):
        return None, (f"« {source.name} » et « {target.name} » ne se touchent pas : réunies, elles ne formeraient "
                      "pas un seul territoire. Modifiez d'abord leurs délimitations pour qu'elles partagent une limite.")
    return Polygon(union.exterior), None


def merge_preview(request, source: Community, target: Community) -> dict:
    """What the merge would do, for the confirmation page (nothing is changed)."""
    from vvs_core import geo
    from vvs_core.communities.members import member_count

    union, problem = merged_boundary(source, target)
    settings = request.registry.settings
    if union is not None:
        size = geo.check_boundary_size(union, float(settings["vvs.community.min_area_m2"]),
                                       float(settings["vvs.community.max_area_m2"]))
        if not size.ok:
            problem = size.message
    return {"source": source, "target": target, "problem": problem,
            "source_members": member_count(request.dbsession, source.id),
            "target_members": member_count(request.dbsession, target.id),
            "area_m2": geo.area_m2(union) if union is not None else None}


def merge_communities(request, source_id: int, target_id: int, reason: str) -> Community:
    """Move everything of ``source`` into ``target`` (members, movements, and through
    ``vvs_communities_merging`` every plugin's rows), give ``target`` the union of
    both boundaries, delete ``source``. Both rows are locked first: a second administrator
    merging the same community waits, then finds it gone and is told so."""
    from vvs_core import geo
    from vvs_core.clock import utcnow
    from vvs_core.models import CommunityEvent

    db = request.dbsession
    if source_id == target_id:
        raise AdminActionRefused("Choisissez une autre communauté que celle-ci.")
    rows = {c.id: c for c in db.scalars(select(Community).where(Community.id.in_(sorted((source_id, target_id))))
                                        .order_by(Community.id).with_for_update())}
    source, target = rows.get(source_id), rows.get(target_id)
    if source is None:
        raise ChangedMeanwhile("Cette communauté n'existe plus : un autre membre de l'équipe l'a sans doute déjà "
                               "fusionnée.")
    if target is None:
        raise ChangedMeanwhile("La communauté choisie n'existe plus : un autre membre de l'équipe l'a sans doute "
                               "fusionnée entre-temps.")
    db.refresh(source)
    db.refresh(target)
    if source.commune_id != target.commune_id:
        raise AdminActionRefused("Seules deux communautés d'une même commune peuvent être fusionnées.")
    if source.archived_at is not None or target.archived_at is not None:
        raise AdminActionRefused("Une communauté archivée ne peut pas être fusionnée.")
    preview = merge_preview(request, source, target)
    if preview["problem"]:
        raise AdminActionRefused(preview["problem"])
    union, _problem = merged_boundary(source, target)
    moved = _merge_memberships(db, source, target)
    db.execute(update(CommunityEvent).where(CommunityEvent.community_id == source.id)
               .values(community_id=target.id).execution_options(synchronize_session=False))
    request.registry.vvs_plugins.hook.vvs_communities_merging(request=request, source=source, target=target)
    old = target.boundary
    target.boundary, target.boundary_changed_at = union, utcnow()
    record_event(db, "admin_communities_merged", community=target, actor=request.user, public=False,
                 data={"reason": reason, "absorbee": source.name, "membres_deplaces": moved,
                       "avant": f"{source.name} + {target.name}", "apres": target.name,
                       "surface_m2": round(geo.area_m2(union))})
    db.flush()
    db.delete(source)
    db.flush()
    request.registry.vvs_plugins.hook.vvs_boundary_changed(request=request, community=target, old_boundary=old)
    return target


def _merge_memberships(db, source: Community, target: Community) -> int:
    """Each member of ``source`` becomes a member of ``target``; someone in both keeps the
    stronger of the two (validated over pending, référent over member). Returns how many moved."""
    theirs = {m.user_id: m for m in db.scalars(select(Membership).where(Membership.community_id == target.id))}
    moved = 0
    for membership in db.scalars(select(Membership).where(Membership.community_id == source.id)).all():
        kept = theirs.get(membership.user_id)
        if kept is None:
            membership.community_id = target.id
            moved += 1
            continue
        if STATUS_RANK.get(membership.status, 0) > STATUS_RANK.get(kept.status, 0):
            kept.status, kept.decided_at, kept.decided_by_id = (membership.status, membership.decided_at,
                                                                membership.decided_by_id)
        if membership.role == "referent" and membership.status == "active":
            kept.role = "referent"
        db.delete(membership)
        moved += 1
    db.flush()
    return moved


# --- Archiving a community ----------------------------------------------------------

ARCHIVE_REASON = "Communauté archivée par l'équipe de la plateforme."


def archive_preview(dbsession, community: Community) -> dict:
    """What archiving would do, for the confirmation page (nothing is changed)."""
    counts = dict(dbsession.execute(select(Membership.status, func.count(Membership.id))
                                    .where(Membership.community_id == community.id,
                                           Membership.status.in_(("active", "pending")))
                                    .group_by(Membership.status)).all())
    return {"members": counts.get("active", 0), "pending": counts.get("pending", 0)}


def archive_community(request, community_id: int, reason: str) -> Community:
    """Take ``community`` off the map (no new resident falls in it; its territory is free for
    another), let its members and pending requests go (« a quitté la communauté », with the
    reason that it was archived), keep its history. The row is locked first: a second
    administrator finds it archived and is told so."""
    from vvs_core.clock import utcnow

    db = request.dbsession
    community = db.scalar(select(Community).where(Community.id == community_id).with_for_update())
    if community is None:
        raise ChangedMeanwhile("Cette communauté n'existe plus : un autre membre de l'équipe l'a sans doute "
                               "fusionnée entre-temps.")
    db.refresh(community)
    if community.archived_at is not None:
        raise ChangedMeanwhile("Un autre membre de l'équipe a déjà archivé cette communauté.")
    preview = archive_preview(db, community)
    freed = db.execute(select(User, Membership.id, Membership.status).join(Membership, Membership.user_id == User.id)
                       .where(Membership.community_id == community.id,
                              Membership.status.in_(("active", "pending")))).all()
    now = utcnow()
    db.execute(update(Membership).where(Membership.community_id == community.id,
                                        Membership.status.in_(("active", "pending")))
               .values(status="left", decided_at=now, decided_by_id=request.user.id,
                       decision_reason=f"{ARCHIVE_REASON} Motif : {reason}")
               .execution_options(synchronize_session=False))
    community.archived_at, community.boundary_changed_at = now, now  # the geo cache forgets it
    record_event(db, "admin_community_archived", community=community, actor=request.user, public=False,
                 data={"reason": reason, "communaute": community.name, "membres": preview["members"],
                       "demandes": preview["pending"]})
    db.flush()
    for user, membership_id, status in freed:
        tell_freed_member(request, community, user, membership_id, status, reason)
    return community


def tell_freed_member(request, community: Community, user: User, membership_id: int, status: str,
                      reason: str) -> None:
    """The archive said to a member (or a resident whose request waited) by e-mail, with the
    administrator's reason and where to choose another community: without it they would
    stop receiving alerts without knowing (walk of the staff, item 4)."""
    from vvs_core.notify.outbox import notify_user
    from vvs_core.web.links import absolute_url

    site = request.registry.settings["vvs.site_name"]
    what = ("Vous n'en êtes plus membre : vous ne recevez plus ses alertes." if status == "active"
            else "Votre demande d'adhésion à cette communauté est donc close.")
    body = (f"Bonjour {user.first_name},\n\nLa communauté « {community.name} » a été archivée par l'équipe de "
            f"la plateforme. {what}\nMotif : {reason}\n\n"
            "Pour continuer à recevoir les alertes de vos voisins, choisissez une autre communauté : "
            f"{absolute_url(request, 'signup_community')}\n\n"
            f"Pour toute question, écrivez à {request.registry.settings['vvs.platform_email']}.\n\n{site}")
    notify_user(request, user, kind="membership", title=f"La communauté « {community.name} » est archivée",
                body=body, channels=("email",), subject=("membership", membership_id),
                dedupe_key=f"membership_archived:{membership_id}")


# --- Withdrawing a commune created by mistake --------------------------------------

def commune_ties(request, commune: Commune) -> list[str]:
    """What keeps ``commune`` from being withdrawn, in French: its communities (archived
    ones too: their history names it), what the plugins still hold for it
    (``vvs_admin_commune_ties``), and any other row that names it."""
    from vvs_core.web.french import count

    db = request.dbsession
    ties = []
    n = db.scalar(select(func.count(Community.id)).where(Community.commune_id == commune.id))
    if n:
        ties.append(count(n, "communauté", "communautés") + " (archivées comprises)")
    for answer in request.registry.vvs_plugins.hook.vvs_admin_commune_ties(request=request, commune=commune):
        ties.extend(answer or [])
    return ties


def other_rows_naming(db, commune: Commune) -> list[str]:
    """The tables that still name ``commune`` (none when its plugins dropped their settings)."""
    names = []
    for table in Commune.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == Commune.__tablename__ and table.name != Community.__tablename__ and \
                    db.scalar(select(func.count()).select_from(table).where(fk.parent == commune.id)):
                names.append(table.name)
    return names


def withdraw_commune(request, insee: str, reason: str) -> str:
    """Delete a commune nothing holds (no community, agent, follower…), after the plugins
    dropped their settings for it (``vvs_admin_commune_withdrawing``); the journal keeps
    its code, its name and the reason. The row is locked first: of two administrators,
    the second is told it is gone. Returns its name."""
    db = request.dbsession
    commune = db.scalar(select(Commune).where(Commune.insee == insee).with_for_update())
    if commune is None:
        raise ChangedMeanwhile("Cette commune n'existe plus : un autre membre de l'équipe l'a sans doute retirée.")
    ties = commune_ties(request, commune)
    if ties:
        raise AdminActionRefused(f"La commune {commune.name} ne peut pas être retirée : elle a encore "
                                 f"{', '.join(ties)}.")
    with db.begin_nested():  # a refusal leaves the plugins' settings as they were
        request.registry.vvs_plugins.hook.vvs_admin_commune_withdrawing(request=request, commune=commune)
        db.flush()
        if left := other_rows_naming(db, commune):
            raise AdminActionRefused(f"La commune {commune.name} ne peut pas être retirée : des données la "
                                     f"nomment encore ({', '.join(left)}). Rien n'a été changé.")
    name = commune.name
    record_event(db, "admin_commune_withdrawn", actor=request.user, public=False,
                 data={"reason": reason, "commune": name, "insee": commune.insee})
    db.delete(commune)
    db.flush()
    return name
