"""Waves of escalation: T minutes after the launch, the people who have not answered
are named to whom the commune chose (the référent of each one's community, then the
CCAS, then the maire and the police municipale…), by SMS and e-mail.

Run by the periodic actor ``escalate_rollcalls`` (every ``vvs.rollcall.escalation_interval``
seconds) with the clock of ``vvs_core.clock``: a test moves the clock and calls
``escalate_due``. Two schedulers never send a wave twice: each roll-call is taken with
``FOR UPDATE SKIP LOCKED`` and ``waves_done`` moves in the same transaction; the outbox
rows are keyed by (roll-call, wave, recipient).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from vvs_core.notify import sms
from vvs_core.clock import utcnow
from vvs_core.web.french import count
from vvs_core.web.links import absolute_url
from vvs_core.communities.members import referents_of
from vvs_core.models import Commune, User
from vvs_core.notify.outbox import notify_user

from .models import DUTIES, RollCall, RollCallPerson, to_duties
from .service import (ESCALATION_KIND, EXERCISE_MARK, QUESTION, SUBJECT, log, person_line, registered_line, staff_ids,
                      tell_ccas_of_registered)


def escalate_due(request, now=None) -> int:
    """Send every wave whose time has come; returns how many waves were sent."""
    db = request.dbsession
    now = now or utcnow()
    stmt = select(RollCall).where(RollCall.status == "open").order_by(RollCall.id)
    if db.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    sent = 0
    for rollcall in db.scalars(stmt):
        while rollcall.waves_done < len(rollcall.waves or []):
            wave = rollcall.waves[rollcall.waves_done]
            if now < rollcall.created_at + timedelta(minutes=int(wave["minutes"])):
                break
            send_wave(request, rollcall, rollcall.waves_done, wave)
            rollcall.waves_done += 1
            sent += 1
    db.flush()
    return sent


def send_wave(request, rollcall: RollCall, index: int, wave: dict) -> None:
    db = request.dbsession
    commune = db.get(Commune, rollcall.commune_id)
    waiting = list(db.execute(
        select(RollCallPerson, User).join(User, User.id == RollCallPerson.user_id)
        .where(RollCallPerson.rollcall_id == rollcall.id, RollCallPerson.answer.is_(None))
        .order_by(User.last_name_key, User.first_name_key, User.id)).all())
    head = f"Relance {index + 1} (après {wave['minutes']} min)"
    if not waiting:
        log(db, rollcall, "wave", f"{head} : tout le monde a répondu, personne à relancer.")
        return
    for person, _user in waiting:
        person.escalations += 1
    link = absolute_url(request, "rollcall_live", insee=commune.insee, rollcall_id=rollcall.id)
    lines = []
    for duty in wave.get("to", []):
        if duty == "referent":
            lines.append(_to_referents(request, rollcall, index, waiting, link))
        else:
            lines.append(_to_staff(request, rollcall, commune, index, duty, waiting, link))
    if index == 0:  # the register's people still silent (and those without an account), to the CCAS again
        told = tell_ccas_of_registered(request, commune, [u.id for p, u in waiting if p.priority],
                                       f"{head} de l'appel « {QUESTION} » lancé le {_when(rollcall)} : "
                                       "personnes inscrites au registre toujours sans réponse.")
        if told:
            lines.append(registered_line(told))
    log(db, rollcall, "wave", f"{head} : {count(len(waiting), 'personne sans réponse', 'personnes sans réponse')}. "
        + " ".join(lines))


def _message(rollcall, index, people_lines, link, staff) -> tuple[str, str, str]:
    mark = f"{EXERCISE_MARK} - " if rollcall.exercise else ""
    n = len(people_lines)
    title = f"{mark}Appel « {QUESTION} » : {count(n, 'personne', 'personnes')} sans réponse"
    body = (f"{mark}Appel « {QUESTION} » lancé le {_when(rollcall)} : "
            f"{count(n, 'personne n’a', 'personnes n’ont')} pas répondu"
            f"{'' if staff else ' dans votre communauté'}. Pouvez-vous prendre de leurs nouvelles ?\n\n"
            + "\n".join(f"- {line}" for line in people_lines)
            + (f"\n\nSuivre l'appel : {link}" if staff else "\n\nSi vous les joignez, dites-leur de répondre "
               "au SMS (OUI ou AIDE) ou prévenez la mairie.") + "\nEn cas de danger immédiat, appelez le 112.")
    short = sms.fit(f"{mark}Sans réponse à l'appel de sécurité ({n}) : ", "; ".join(people_lines),
                    f" {link}" if staff else " Détails par e-mail.", 3).text
    return title, body, short


def _when(rollcall) -> str:
    from vvs_core.web.timefmt import dates

    return dates.datetime(rollcall.created_at)


def _send(request, user, rollcall, index, duty, title, body, short):
    key = f"rollcall-wave:{rollcall.id}:{index}:{duty}:{user.id}"
    notify_user(request, user, ESCALATION_KIND, title, body, channels=("email",), subject=(SUBJECT, rollcall.id),
                dedupe_key=key + ":long")
    notify_user(request, user, ESCALATION_KIND, title, short, channels=("sms",), subject=(SUBJECT, rollcall.id),
                dedupe_key=key + ":short")


def _to_referents(request, rollcall, index, waiting, link) -> str:
    by_community: dict[int, list] = {}
    for person, user in waiting:
        by_community.setdefault(person.community_id, []).append(user)
    told, untold = [], 0
    for community_id, users in by_community.items():
        referents = [r for r in referents_of(request.dbsession, community_id or -1) if r.id not in {u.id for u in users}]
        if not referents:
            untold += len(users)
            continue
        title, body, short = _message(rollcall, index, [person_line(u, staff=False) for u in users], link, False)
        for referent in referents:
            _send(request, referent, rollcall, index, "referent", title, body, short)
            told.append(f"{referent.full_name} ({count(len(users), 'personne', 'personnes')})")
    text = "Référents prévenus : " + (", ".join(told) if told else "aucun") + "."
    if untold:
        text += f" {count(untold, 'personne', 'personnes')} sans référent joignable."
    return text


def _to_staff(request, rollcall, commune, index, duty, waiting, link) -> str:
    label = DUTIES.get(duty, duty)
    ids = staff_ids(request, commune, duty)
    users = list(request.dbsession.scalars(select(User).where(User.id.in_(ids or [-1]), User.status != "closed")))
    if not users:
        return f"{label} : personne à prévenir (aucun compte pour ce rôle)."
    title, body, short = _message(rollcall, index, [person_line(u) for _p, u in waiting], link, True)
    for user in users:
        _send(request, user, rollcall, index, duty, title, body, short)
    return f"Relance envoyée {to_duties([duty])} : {', '.join(u.full_name for u in users)}."
