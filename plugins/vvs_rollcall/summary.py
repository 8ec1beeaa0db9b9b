"""What a roll-call shows: each person with their answer and whether a message reached
them (the live page, its JSON, the summary written at closing and its CSV).

"Could not be reached": every message sent to the person failed or was cancelled (no
channel worked). "Waiting": not answered yet, a message reached them or is on its way.
"""
from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from vvs_core.models import Community, User
from vvs_core.models.notification import Notification
from vvs_core.accounts.phones import display_phone
from vvs_core.web.timefmt import dates
from vvs_core.web.french import sort_key

from .models import ANSWERS, VIA, RollCall, RollCallPerson
from .service import SUBJECT

STATES = {"help": "Besoin d'aide", "unreachable": "Injoignable", "waiting": "Sans réponse", "safe": "En sécurité"}
ORDER = {"help": 0, "unreachable": 1, "waiting": 2, "safe": 3}
DONE = ("sent", "delivered")
FAILED = ("failed", "cancelled")


def delivery_by_person(dbsession, rollcall_id: int) -> dict[int, str]:
    """{user id: "reached" | "unreachable" | "pending"} from the outbox rows of the question."""
    rows = dbsession.execute(
        select(Notification.recipient_id, Notification.status, func.count())
        .where(Notification.subject_type == SUBJECT, Notification.subject_id == rollcall_id,
               Notification.kind == "rollcall")
        .group_by(Notification.recipient_id, Notification.status)).all()
    seen: dict[int, set] = {}
    for user_id, status, _n in rows:
        seen.setdefault(user_id, set()).add(status)
    out = {}
    for user_id, statuses in seen.items():
        if statuses & set(DONE):
            out[user_id] = "reached"
        elif statuses <= set(FAILED):
            out[user_id] = "unreachable"
        else:
            out[user_id] = "pending"
    return out


def people_state(dbsession, rollcall: RollCall) -> list[dict]:
    """Every person asked, most urgent first (help, unreachable, waiting, safe; within each,
    the people of the register of vulnerable residents first)."""
    delivery = delivery_by_person(dbsession, rollcall.id)
    rows = dbsession.execute(
        select(RollCallPerson, User, Community.name)
        .join(User, User.id == RollCallPerson.user_id)
        .outerjoin(Community, Community.id == RollCallPerson.community_id)
        .where(RollCallPerson.rollcall_id == rollcall.id)).all()
    out = []
    for person, user, community in rows:
        reach = delivery.get(user.id, "unreachable")  # no channel at all: nobody could write to them
        state = person.answer or ("unreachable" if reach == "unreachable" else "waiting")
        phone = user.mobile or user.landline
        out.append({
            "id": person.id, "name": user.full_name, "address": user.address_label or "",
            "phone": display_phone(phone) if phone else "", "community": community or "",
            "state": state, "state_label": STATES[state], "answer": person.answer,
            "answer_label": ANSWERS.get(person.answer or "", "—"),
            "via": VIA.get(person.answered_via or "", ""), "note": person.note or "",
            "answered_at": dates.time(person.answered_at) if person.answered_at else "",
            "answered_at_full": dates.datetime(person.answered_at) if person.answered_at else "",
            "delivery": reach, "escalations": person.escalations, "priority": bool(person.priority),
            "lon": round(user.home.x, 6) if user.home is not None else None,
            "lat": round(user.home.y, 6) if user.home is not None else None,
        })
    out.sort(key=lambda p: (ORDER[p["state"]], not p["priority"], sort_key(p["name"])))
    return out


def counts(people: list[dict]) -> dict:
    total = len(people)
    by = {key: sum(1 for p in people if p["state"] == key) for key in STATES}
    answered = by["safe"] + by["help"]
    return {"total": total, **by, "answered": answered,
            "percent": round(100 * answered / total) if total else 0}


def build_summary(dbsession, rollcall: RollCall) -> dict:
    """The record kept when the roll-call closes: the people as they were, the counts, the times."""
    people = people_state(dbsession, rollcall)
    return {"counts": counts(people), "people": people,
            "opened": rollcall.created_at.isoformat(), "closed": rollcall.closed_at.isoformat()}


CSV_COLUMNS = [("name", "Nom"), ("address", "Adresse"), ("phone", "Téléphone"), ("community", "Communauté"),
               ("state_label", "Situation"), ("via", "Réponse par"), ("answered_at_full", "Heure de la réponse"),
               ("note", "Message"), ("escalations", "Relances"), ("priority_label", "Prioritaire")]


def _cell(value) -> str:
    text = str(value if value is not None else "")
    # A cell starting like a formula is read as one by spreadsheets: quote it (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def summary_csv(people: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([label for _key, label in CSV_COLUMNS])
    for person in people:
        row = {**person, "priority_label": "oui" if person.get("priority") else ""}
        writer.writerow([_cell(row.get(key, "")) for key, _label in CSV_COLUMNS])
    return "\ufeff" + out.getvalue()  # the BOM: Excel then reads the accents right
