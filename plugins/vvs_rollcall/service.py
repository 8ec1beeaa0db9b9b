"""The roll-call itself: the commune's settings, launching (one outbox row per person
and channel), recording an answer (from any channel, the same way), telling the mairie
at once of an AIDE, closing with a summary, and the log of everything.

Every writer locks the row it changes (``FOR UPDATE`` on PostgreSQL), so that two agents
closing at once, or an SMS and a tap on the link arriving together, give one result
and one log line each.
"""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from vvs_core.notify import sms
from vvs_core.clock import utcnow
from vvs_core.web.french import count, de, elided
from vvs_core.web.links import absolute_url
from vvs_core.models import Commune, Community, User
from vvs_core.notify.kinds import address_on, channels_for, kinds_of
from vvs_core.notify.outbox import enqueue_delivery_after_commit, insert_notifications, notify_user
from vvs_core.accounts.phones import display_phone
from vvs_core.providers import channels_with_provider
from vvs_core.web.timefmt import dates

from . import audience
from .models import ANSWERS, DEFAULT_WAVES, VIA, RollCall, RollCallLog, RollCallPerson, RollCallSettings
from .tokens import answer_token

KIND = "rollcall"            # the question to residents
HELP_KIND = "rollcall_help"  # an AIDE, to the mairie at once
ESCALATION_KIND = "rollcall_escalation"
SUBJECT = "rollcall"
QUESTION = "Êtes-vous en sécurité ?"
EXERCISE_MARK = "EXERCICE"
MESSAGE_MAX = 500
DANGER = "En cas de danger immédiat, appelez le 112."
CLOSED = "Cet appel est clos : votre réponse n'a pas été enregistrée."  # the pages add DANGER once, an SMS too


class AnswerRefused(Exception):
    """The roll-call is closed: the French sentence says so."""


# --- Settings of a commune ------------------------------------------------------------

def settings_of(dbsession, commune_id: int, create: bool = False) -> RollCallSettings:
    row = dbsession.scalar(select(RollCallSettings).where(RollCallSettings.commune_id == commune_id))
    if row is None:
        row = RollCallSettings(commune_id=commune_id, waves=[dict(w) for w in DEFAULT_WAVES],
                               referents_may_launch=False)
        if create:
            dbsession.add(row)
            dbsession.flush()
    return row


# --- The log --------------------------------------------------------------------------

def log(dbsession, rollcall: RollCall, action: str, text: str, actor=None) -> RollCallLog:
    entry = RollCallLog(rollcall_id=rollcall.id, at=utcnow(), actor_id=getattr(actor, "id", actor),
                        action=action, text=text)
    dbsession.add(entry)
    return entry


def log_of(dbsession, rollcall_id: int) -> list[tuple[RollCallLog, User | None]]:
    return list(dbsession.execute(
        select(RollCallLog, User).outerjoin(User, User.id == RollCallLog.actor_id)
        .where(RollCallLog.rollcall_id == rollcall_id).order_by(RollCallLog.at, RollCallLog.id)).all())


def _locked(dbsession, model, row_id):
    stmt = select(model).where(model.id == row_id)
    if dbsession.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return dbsession.execute(stmt.execution_options(populate_existing=True)).scalar_one_or_none()


# --- Launching ------------------------------------------------------------------------

def speaker(dbsession, rollcall: RollCall, commune: Commune) -> str:
    """Who asks: the mairie, or the référent of a community."""
    if rollcall.launched_as == "referent" and rollcall.community_ids:
        community = dbsession.get(Community, rollcall.community_ids[0])
        if community is not None:
            return f"Le référent de la communauté « {community.name} »"
    return f"La mairie {de(commune.name)}"


def launch(request, commune: Commune, author: User, data: dict, launched_as: str = "mairie") -> RollCall:
    """Create the roll-call and queue the question to every person; ``data``: target,
    community_ids, area, message, exercise (from ``forms.parse_launch``)."""
    db = request.dbsession
    rollcall = RollCall(commune_id=commune.id, author_id=author.id, launched_as=launched_as, target=data["target"],
                        community_ids=list(data["community_ids"]), area=data["area"], message=data["message"],
                        exercise=bool(data["exercise"]), waves=[dict(w) for w in settings_of(db, commune.id).waves],
                        waves_done=0, status="open", created_at=utcnow())
    db.add(rollcall)
    db.flush()
    asked = audience.people(db, commune.id, data["target"], data["community_ids"], data["area"])
    told = tell_ccas_of_registered(
        request, commune, [user.id for user, _c in asked],
        f"{'Exercice : ' if rollcall.exercise else ''}appel « {QUESTION} » lancé le "
        f"{dates.datetime(rollcall.created_at)} par {author.full_name}.")
    first = told["user_ids"] if told else set()
    people = [RollCallPerson(rollcall_id=rollcall.id, user_id=user.id, community_id=community_id, escalations=0,
                             note="", priority=user.id in first) for user, community_id in asked]
    db.add_all(people)
    db.flush()
    users = {user.id: user for user, _c in asked}
    rows = question_rows(request, commune, rollcall, [(p, users[p.user_id]) for p in people])
    ids = insert_notifications(db, rows)
    enqueue_delivery_after_commit(request, ids)
    where = {"commune": "toute la commune", "communities": "des communautés choisies",
             "area": "une zone dessinée"}[data["target"]]
    log(db, rollcall, "launched",
        f"{'Exercice : ' if rollcall.exercise else ''}appel lancé ({where}) : "
        f"{count(len(people), 'personne interrogée', 'personnes interrogées')}, "
        f"{count(len(rows), 'message', 'messages')} en file d'envoi"
        f"{', dont ' + count(len(first), 'personne prioritaire', 'personnes prioritaires') if first else ''}."
        f"{' ' + registered_line(told) if told else ''}", author)
    return rollcall


def question_rows(request, commune, rollcall, pairs) -> list[dict]:
    """One outbox row per (person, channel), keyed so that a retry sends nothing twice."""
    kind = kinds_of(request.registry).get(KIND)
    usable = channels_with_provider(request)
    who = speaker(request.dbsession, rollcall, commune)
    mark = f"{EXERCISE_MARK} - " if rollcall.exercise else ""
    max_segments = request.registry.settings["vvs.sms.max_segments"]
    number = display_phone(request.registry.settings.get("vvs.rollcall.sms_number") or "")
    spoken = "\n".join(([f"{EXERCISE_MARK}. Ceci est un exercice."] if rollcall.exercise else [])
                       + [f"{who} vous demande : {QUESTION}"] + ([rollcall.message] if rollcall.message else []))
    out = []
    for person, user in pairs:
        link = absolute_url(request, "rollcall_answer", token=answer_token(request, person.id))
        title = f"{mark}{QUESTION} — {who}"
        body = (f"{'EXERCICE : ceci est un exercice.' + chr(10) + chr(10) if rollcall.exercise else ''}"
                f"{who} vous demande : {QUESTION}\n\n"
                f"{rollcall.message + chr(10) + chr(10) if rollcall.message else ''}"
                f"Répondez en un geste : {link}\n{by_sms(user, number)}\n{DANGER}")
        short = sms.fit(f"{mark}{who} : {QUESTION} ", sentence(rollcall.message),
                        f" Répondez OUI ou AIDE à ce SMS, ou : {link}", max_segments).text
        texts = {"sms": short, "voice": spoken}
        for channel in channels_for(user, kind, usable):
            out.append(dict(dedupe_key=f"rollcall:{rollcall.id}:{user.id}:{channel}", kind=KIND,
                            subject_type=SUBJECT, subject_id=rollcall.id, recipient_id=user.id, channel=channel,
                            address=address_on(user, channel), title=title, body=texts.get(channel, body),
                            # a roll-call calls at night too (an exercise waits for the morning)
                            **({"severity": "" if rollcall.exercise else "severe"} if channel == "voice" else {})))
    return out


def sentence(text: str) -> str:
    """``text`` on one line, ended by a full stop unless it has its own (the SMS goes on with « Répondez »)."""
    text = re.sub(r"\s+", " ", text or "").strip()
    return text + "." if text and text[-1] not in ".!?…" else text


def by_sms(user: User, number: str) -> str:
    """The e-mail's way to answer by SMS: to the service's number (``vvs.rollcall.sms_number``), from the
    mobile of the account (the only one the answer is matched with); without that number, to the SMS received."""
    if not user.mobile:
        return ""
    where = f"au {number}" if number else "en réponse au SMS reçu"
    return (f"ou par SMS {where}, depuis votre portable {display_phone(user.mobile)} : OUI si vous êtes en "
            f"sécurité, AIDE si vous avez besoin d'aide.\n")


# --- Answers --------------------------------------------------------------------------

KEYWORDS = {"OUI": "safe", "AIDE": "help"}


def keyword_of(text: str) -> tuple[str | None, str]:
    """("safe" | "help" | None, the rest of the text) from an SMS: its first word, any
    case, accents and punctuation (« Oui ! », "aide, je suis bloqué")."""
    text = " ".join(str(text or "").split())[:1000]
    first, _, rest = text.partition(" ")
    plain = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode().upper()
    plain = re.sub(r"[^A-Z]", "", plain)
    return KEYWORDS.get(plain), rest.strip(" ,.;:!-")


def record_answer(request, person_id: int, answer: str, via: str, note: str = "", actor=None) -> RollCallPerson:
    """Record ``answer`` ("safe" or "help") of a person, whatever the channel (``via``:
    a key of ``models.VIA``); an AIDE goes to the mairie at once. A repeated identical
    answer changes nothing; a changed one is recorded and logged. Raises
    ``AnswerRefused`` when the roll-call is closed."""
    if answer not in ANSWERS or via not in VIA:
        raise ValueError(f"answer {answer!r} via {via!r}")
    db = request.dbsession
    person = _locked(db, RollCallPerson, person_id)
    rollcall = db.get(RollCall, person.rollcall_id)
    if not rollcall.is_open:
        raise AnswerRefused(CLOSED)
    note = note.strip()[:MESSAGE_MAX]
    if person.answer == answer and (not note or note == person.note):
        return person
    before = person.answer
    person.answer, person.answered_at, person.answered_via = answer, utcnow(), via
    if note:
        person.note = note
    user = db.get(User, person.user_id)
    changed = f" (avant : {ANSWERS[before].lower()})" if before and before != answer else ""
    log(db, rollcall, "answer",
        f"{user.full_name} : {ANSWERS[answer].lower()} par {VIA[via]}{changed}"
        f"{' — « ' + note + ' »' if note else ''}.", actor if actor is not None else user)
    if answer == "help" and before != "help":
        tell_mairie_of_help(request, rollcall, person, user)
    return person


def tell_ccas_of_registered(request, commune: Commune, user_ids: list[int], reason: str) -> dict | None:
    """Registered people first: the register of vulnerable residents (vvs_vulnerable's hook
    ``vvs_vulnerable_tell_ccas``, when that plugin is on) sends the commune's CCAS, at once,
    the link of its list of the registered people among ``user_ids`` (and those it holds
    without an account), and logs it. Returns its answer (``user_ids``: the registered
    accounts, ``people``, ``agents``), or None without the register or nobody in it."""
    hook = getattr(request.registry.vvs_plugins.hook, "vvs_vulnerable_tell_ccas", None)
    if hook is None:
        return None
    answer = hook(request=request, commune=commune, user_ids=list(user_ids), reason=reason)
    if not answer:
        return None
    return {**answer, "user_ids": {int(i) for i in answer.get("user_ids") or []} & set(user_ids)}


def registered_line(answer: dict | None) -> str:
    """The roll-call's log line for what the register did."""
    if not answer:
        return ""
    people = count(answer["people"], "personne inscrite", "personnes inscrites")
    if not answer["agents"]:
        return f"Registre : {people} à joindre en priorité, mais aucun agent du CCAS à prévenir."
    return f"Registre : liste de {people} à joindre en priorité envoyée au CCAS " \
           f"({count(answer['agents'], 'agent', 'agents')})."


def staff_ids(request, commune: Commune, duty: str) -> list[int]:
    found = []
    for answer in request.registry.vvs_plugins.hook.vvs_rollcall_staff(request=request, commune=commune, duty=duty):
        for user_id in answer or []:
            if int(user_id) not in found:
                found.append(int(user_id))
    return found


def person_line(user: User, staff: bool = True) -> str:
    """« Nom, adresse, tél. » as the mairie reads it (a neighbour's hidden phone is left out)."""
    parts = [user.full_name, user.address_label or "adresse inconnue"]
    if user.mobile and (staff or not user.hide_mobile):
        parts.append(f"tél. {display_phone(user.mobile)}")
    elif user.landline and (staff or not user.hide_landline):
        parts.append(f"tél. {display_phone(user.landline)}")
    else:
        parts.append("pas de téléphone connu" if staff else "téléphone masqué")
    return ", ".join(parts)


def tell_mairie_of_help(request, rollcall: RollCall, person: RollCallPerson, user: User) -> None:
    """The mairie's staff (and the author of the roll-call) get the person's name,
    address and phone at once, by SMS and e-mail."""
    db = request.dbsession
    commune = db.get(Commune, rollcall.commune_id)
    ids = staff_ids(request, commune, "mairie")
    if rollcall.author_id and rollcall.author_id not in ids:
        ids.append(rollcall.author_id)
    link = absolute_url(request, "rollcall_live", insee=commune.insee, rollcall_id=rollcall.id)
    line = person_line(user)
    mark = f"{EXERCISE_MARK} - " if rollcall.exercise else ""
    note = f" « {person.note} »" if person.note else ""
    told = []
    for staff in db.scalars(select(User).where(User.id.in_(ids or [-1]), User.status != "closed")):
        notify_user(request, staff, HELP_KIND, f"{mark}AIDE demandée : {user.full_name}",
                    f"{mark}Appel « {QUESTION} » : {user.full_name} a répondu AIDE.{note}\n\n{line}\n\n"
                    f"Suivre l'appel : {link}",
                    subject=(SUBJECT, rollcall.id), dedupe_key=f"rollcall-help:{person.id}:{staff.id}")
        told.append(staff.full_name)
    log(db, rollcall, "help_sent",
        f"AIDE {elided('de', user.full_name)} transmise à " + (", ".join(told) if told else "personne : aucun agent joignable"),
        None)


def open_people_of(dbsession, user_id: int) -> list[tuple[RollCallPerson, RollCall]]:
    """The open roll-calls asking ``user_id``, newest first."""
    return list(dbsession.execute(
        select(RollCallPerson, RollCall).join(RollCall, RollCall.id == RollCallPerson.rollcall_id)
        .where(RollCallPerson.user_id == user_id, RollCall.status == "open")
        .order_by(RollCall.created_at.desc(), RollCall.id.desc())).all())


# --- Closing --------------------------------------------------------------------------

def close(request, rollcall_id: int, actor: User) -> bool:
    """Close the roll-call and write its summary; False when it was already closed."""
    from .summary import build_summary

    db = request.dbsession
    rollcall = _locked(db, RollCall, rollcall_id)
    if not rollcall.is_open:
        return False
    rollcall.status, rollcall.closed_at, rollcall.closed_by_id = "closed", utcnow(), actor.id
    log(db, rollcall, "closed", "Appel clos.", actor)
    db.flush()
    rollcall.summary = build_summary(db, rollcall)
    return True
