"""The register's rules: who registers whom, the eight days to object, the review, the
log of readings, and what the CCAS is sent during a roll-call or a crisis."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from vvs_core.accounts.phones import display_phone, normalise_phone
from vvs_core.web.french import count, de, sort_key
from vvs_core.clock import utcnow
from vvs_core.models import Commune, Community, Membership, User
from vvs_core.notify.outbox import enqueue_delivery_after_commit, insert_notifications
from vvs_core.providers import channels_with_provider

from .models import OBJECTION_DAYS, SITUATIONS, VulnerableEntry, VulnerablePriorityList, VulnerableReading
from .sealing import seal, unseal

KIND = "vulnerable_register"


def stamp_now() -> str:
    """When consent was given, as kept in the sealed entry (UTC, ISO 8601): a record,
    never shown as such (pages show dates through vvs_core.web.timefmt)."""
    return utcnow().isoformat()


def home_commune(dbsession, user) -> Commune | None:
    """The commune of the resident's (first) active membership."""
    return dbsession.scalar(select(Commune).join(Community, Community.commune_id == Commune.id)
                            .join(Membership, Membership.community_id == Community.id)
                            .where(Membership.user_id == user.id, Membership.status == "active")
                            .order_by(Membership.id).limit(1))


def review_delta(settings) -> timedelta:
    return timedelta(days=int(settings["vvs.vulnerable.review_days"]))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register(request, commune, author, origin: str, data: dict) -> tuple[VulnerableEntry, str | None]:
    """A new entry; for a third party's request, the person is told (SMS, e-mail) with the
    link to object, and the entry is active only ``OBJECTION_DAYS`` later. Returns the
    entry and the objection link's token (None unless third party)."""
    now = utcnow()
    token = secrets.token_urlsafe(24) if origin == "third_party" else None
    entry = VulnerableEntry(
        commune_id=commune.id, user_id=author.id if origin == "self" else None, created_by_id=author.id,
        origin=origin, status="active", sealed=seal(request.registry.settings, data), created_at=now,
        active_from=now + timedelta(days=OBJECTION_DAYS) if token else now,
        objection_token_hash=token_hash(token) if token else None,
        next_review_at=now + review_delta(request.registry.settings))
    request.dbsession.add(entry)
    request.dbsession.flush()
    if token:
        entry.informed_at = now if inform_person(request, commune, entry, data, token) else None
    return entry, token


def inform_person(request, commune, entry, data: dict, token: str) -> bool:
    """The person registered by a third party is told on every address given, with the
    link to object; False when none was given (the CCAS then writes to them)."""
    from vvs_core.web.links import absolute_url
    from vvs_core.web.timefmt import dates

    link = absolute_url(request, "vulnerable_object", token=token)
    until = dates.date(entry.active_from)
    title = f"Registre des personnes vulnérables {de(commune.name)}"
    body = (f"Bonjour {data.get('name', '')}, {data.get('requester', {}).get('name', 'un proche')} a demandé par écrit "
            f"votre inscription au registre des personnes vulnérables de la commune (plan canicule, grand froid, "
            f"crises) : le CCAS vous contactera en cas d'alerte. Vous pouvez vous y opposer jusqu'au {until} : {link}")
    phone = data.get("phone", "")
    # A landline cannot read an SMS: it is called, and told how to object without a link.
    by_phone = "voice" if phone and normalise_phone(phone, "mobile")[1] else "sms"
    where = f"en appelant la mairie au {display_phone(commune.contact_phone)}" if commune.contact_phone else \
        "en appelant ou en écrivant à la mairie"
    spoken = body.replace(f" : {link}", f", {where}.")
    channels = channels_with_provider(request)
    rows = [dict(dedupe_key=f"vulnerable:{entry.id}:inform:{channel}", kind=KIND, subject_type="vulnerable_entry",
                 subject_id=entry.id, recipient_id=None, channel=channel, address=address, title=title,
                 body=spoken if channel == "voice" else body)
            for channel, address in ((by_phone, phone), ("email", data.get("email", "")))
            if address and channel in channels]
    ids = insert_notifications(request.dbsession, rows)
    enqueue_delivery_after_commit(request, ids)
    return bool(rows)


def entry_by_token(dbsession, token: str) -> VulnerableEntry | None:
    if not token or len(token) > 100:
        return None
    return dbsession.scalar(select(VulnerableEntry).where(VulnerableEntry.objection_token_hash == token_hash(token)))


def close(entry: VulnerableEntry, status: str) -> None:
    """Objected, withdrawn or removed: the sealed data is erased at once."""
    entry.status, entry.closed_at, entry.sealed = status, utcnow(), ""


def log_reading(request, commune_id: int, action: str, entry_id: int | None = None, detail: str = "",
                reader=None) -> None:
    reader = reader if reader is not None else request.user
    request.dbsession.add(VulnerableReading(
        commune_id=commune_id, reader_id=getattr(reader, "id", None), at=utcnow(), action=action, entry_id=entry_id,
        reader_name=reader.full_name if reader is not None else "le système", detail=detail))


def entries_of(request, commune_id: int, states=("active",)) -> list[tuple[VulnerableEntry, dict, str]]:
    """(entry, its unsealed data, its state) of the commune, in these states, by name."""
    now = utcnow()
    rows = request.dbsession.scalars(select(VulnerableEntry).where(VulnerableEntry.commune_id == commune_id)
                                     .order_by(VulnerableEntry.id))
    out = [(e, unseal(request.registry.settings, e.sealed), e.state(now)) for e in rows]
    return sorted([o for o in out if o[2] in states], key=lambda o: sort_key(o[1].get("name")))


def situation_labels(data: dict) -> str:
    return ", ".join(SITUATIONS[k] for k in data.get("situations", []) if k in SITUATIONS)


def to_reach_first(request, commune, user_ids) -> list[tuple[VulnerableEntry, dict]]:
    """The active entries of ``commune`` to reach first: those whose account is among
    ``user_ids`` (all of them when None), and always those without an account."""
    ids = None if user_ids is None else {int(i) for i in user_ids}
    return [(e, d) for e, d, _s in entries_of(request, commune.id)
            if ids is None or e.user_id is None or e.user_id in ids]


def ccas_agents(request, commune) -> list[User]:
    """The commune's CCAS agents, from the plugin that knows them (``vvs_vulnerable_ccas_agents``)."""
    ids = {int(i) for answer in request.registry.vvs_plugins.hook.vvs_vulnerable_ccas_agents(
        request=request, commune=commune) for i in answer or []}
    return list(request.dbsession.scalars(select(User).where(User.id.in_(ids or {-1}), User.status != "closed")
                                          .order_by(User.id)))


def tell_ccas(request, commune, user_ids, reason: str) -> dict | None:
    """Keep the list of the registered people to reach first and send its link (never the
    names) to the commune's CCAS agents, through the outbox; log it in the journal."""
    from vvs_core.notify import sms
    from vvs_core.web.links import absolute_url

    found = to_reach_first(request, commune, user_ids)
    if not found:
        return None
    db = request.dbsession
    listed = VulnerablePriorityList(commune_id=commune.id, created_at=utcnow(), reason=reason[:1000],
                                    entry_ids=[e.id for e, _d in found])
    db.add(listed)
    db.flush()
    link = absolute_url(request, "vulnerable_priority", insee=commune.insee, list_id=listed.id)
    people = count(len(found), "personne inscrite", "personnes inscrites")
    title = f"Registre {de(commune.name)} : {people} à joindre en priorité"
    body = (f"{reason}\n\n{people} au registre des personnes vulnérables {de(commune.name)} "
            f"{'n’a' if len(found) == 1 else 'n’ont'} pas répondu ou ne peuvent pas être jointes par l'application. "
            f"Leur nom, leur adresse, leur téléphone et leurs besoins sont sur la page du CCAS (confidentielle, "
            f"chaque lecture est inscrite au journal du registre) :\n{link}")
    short = sms.fit(f"Registre {de(commune.name)} : {people} à joindre en priorité. ", "",
                    f"Liste (CCAS) : {link}", request.registry.settings["vvs.sms.max_segments"]).text
    agents = ccas_agents(request, commune)
    usable = channels_with_provider(request)
    rows = [dict(dedupe_key=f"vulnerable:priority:{listed.id}:{agent.id}:{channel}", kind=KIND,
                 subject_type="vulnerable_list", subject_id=listed.id, recipient_id=agent.id, channel=channel,
                 address=address, title=title, body=text)
            for agent in agents for channel, address, text in (("email", agent.email, body),
                                                              ("sms", agent.mobile or "", short))
            if address and channel in usable]
    enqueue_delivery_after_commit(request, insert_notifications(db, rows))
    told = (f"liste n° {listed.id} envoyée à {count(len(agents), 'agent', 'agents')} du CCAS "
            f"({', '.join(a.full_name for a in agents)})" if agents else
            f"liste n° {listed.id} : aucun agent du CCAS à prévenir")
    log_reading(request, commune.id, "liste prioritaire envoyée au CCAS",
                detail=f"{reason} — {count(len(found), 'personne', 'personnes')}, {told}", reader=None)
    asked = set() if user_ids is None else {int(i) for i in user_ids}
    return {"user_ids": [e.user_id for e, _d in found if e.user_id in asked], "people": len(found),
            "agents": len(agents)}
