"""The register's rules: who registers whom, the eight days to object, the review, the
log of readings, and what the CCAS is sent during a roll-call or a crisis."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from vvs_core.web.french import count, de
from vvs_core.clock import utcnow
from vvs_core.models import Commune, Community, Membership, User
from vvs_core.notify.outbox import enqueue_delivery_after_commit, insert_notifications
from vvs_core.providers import channels_with_provider

from .models import OBJECTION_DAYS, SITUATIONS, VulnerableEntry, VulnerableReading
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
    channels = channels_with_provider(request)
    rows = [dict(dedupe_key=f"vulnerable:{entry.id}:inform:{channel}", kind=KIND, subject_type="vulnerable_entry",
                 subject_id=entry.id, recipient_id=None, channel=channel, address=address, title=title, body=body)
            for channel, address in (("sms", data.get("phone", "")), ("email", data.get("email", "")))
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
    return sorted([o for o in out if o[2] in states], key=lambda o: (o[1].get("name") or "").casefold())


def situation_labels(data: dict) -> str:
    return ", ".join(SITUATIONS[k] for k in data.get("situations", []) if k in SITUATIONS)


def registered_among(request, commune, user_ids) -> list[tuple[VulnerableEntry, dict]]:
    """The active entries of ``commune`` whose person has one of these accounts."""
    ids = {int(i) for i in user_ids}
    if not ids:
        return []
    return [(e, d) for e, d, _s in entries_of(request, commune.id) if e.user_id in ids]


def tell_ccas(request, commune, user_ids, ccas_user_ids, reason: str) -> list[int]:
    """Send the CCAS agents, at once, the registered people among ``user_ids`` (name,
    address, phone, needs); log it as a reading. Returns the registered user ids."""
    found = registered_among(request, commune, user_ids)
    if not found:
        return []
    lines = [f"- {d.get('name', '')} · {d.get('address', '')} · {d.get('phone', '') or 'pas de téléphone'}"
             + (f" · {d['needs']}" if d.get("needs") else "") for _e, d in found]
    title = f"Personnes vulnérables à joindre en priorité ({len(found)})"
    body = f"{reason}\n\nPersonnes inscrites au registre {de(commune.name)} :\n" + "\n".join(lines)
    agents = request.dbsession.scalars(select(User).where(User.id.in_({int(i) for i in ccas_user_ids} or {-1}))).all()
    stamp = int(utcnow().timestamp() * 1_000_000)
    rows = [dict(dedupe_key=f"vulnerable:ccas:{commune.id}:{stamp}:{agent.id}:{channel}", kind=KIND,
                 subject_type="vulnerable_list", subject_id=commune.id, recipient_id=agent.id, channel=channel,
                 address=address, title=title, body=body)
            for agent in agents for channel, address in (("email", agent.email), ("sms", agent.mobile or ""))
            if address and channel in channels_with_provider(request)]
    enqueue_delivery_after_commit(request, insert_notifications(request.dbsession, rows))
    log_reading(request, commune.id, "liste envoyée au CCAS",
                detail=f"{reason} — {count(len(found), 'personne', 'personnes')}, liste envoyée à {count(len(agents), 'agent', 'agents')} du CCAS", reader=None)
    return [e.user_id for e, _d in found]
