"""How the mairie follows a residents' alert: reçue → prise en compte → patrouille
envoyée → close, each change with an optional short reply that reaches the author
(e-mail, push, and the alert's page through ``vvs_alert_panels``) and, when the agent
chooses, the alert's community. The first acknowledgement is kept: the time to
acknowledge goes into the monthly report.

Two agents at once: the follow-up row is locked while a change is checked and applied,
and a form that saw another status than the current one is refused with a message."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from vvs_core.clock import aware, utcnow
from vvs_core.web.french import de
from vvs_core.web.links import absolute_url
from vvs_core.models import User, row_id
from vvs_core.notify.outbox import notify_user
from vvs_core.web.timefmt import dates

from . import messages
from .models import FOLLOW_UP_STATUSES, AlertAcknowledgement, AlertReply

REPLY_MAX = 500
CHOOSABLE = ("prise_en_compte", "patrouille", "close")


class FollowUpRefused(Exception):
    """The change does not apply or its input is wrong (French message); nothing changed."""


def clean_input(status, text, to_community) -> tuple[str, str, bool]:
    status = str(status or "")
    if status not in CHOOSABLE:
        raise FollowUpRefused("Choisissez un statut : prise en compte, patrouille envoyée ou close.")
    text = str(text or "").strip()
    if len(text) > REPLY_MAX:
        raise FollowUpRefused(f"Réponse trop longue : {REPLY_MAX} caractères au plus ({len(text)} reçus). "
                              "Rien n'a été envoyé.")
    to_community = str(to_community or "") in ("1", "on", "true")
    if to_community and not text:
        raise FollowUpRefused("Écrivez la réponse à envoyer à la communauté.")
    return status, text, to_community


def follow_ups(dbsession, commune_id: int, alert_ids) -> dict[int, AlertAcknowledgement]:
    ids = [i for i in map(row_id, alert_ids) if i is not None]
    if not ids:
        return {}
    rows = dbsession.scalars(select(AlertAcknowledgement).where(
        AlertAcknowledgement.commune_id == commune_id, AlertAcknowledgement.alert_id.in_(ids)))
    return {row.alert_id: row for row in rows}


def replies_of(dbsession, commune_id: int, alert_id: int) -> list[AlertReply]:
    return list(dbsession.scalars(select(AlertReply).where(
        AlertReply.commune_id == commune_id, AlertReply.alert_id == alert_id).order_by(AlertReply.id)))


def _locked(dbsession, commune_id, alert_id):
    return dbsession.scalar(select(AlertAcknowledgement).where(
        AlertAcknowledgement.commune_id == commune_id, AlertAcknowledgement.alert_id == alert_id)
        .with_for_update().execution_options(populate_existing=True))


def latest_reply_id(dbsession, commune_id: int, alert_id: int) -> int:
    """The id of the latest status change or reply of the alert (0 when none): what the
    follow-up form says it saw."""
    from sqlalchemy import func

    return dbsession.scalar(select(func.max(AlertReply.id)).where(
        AlertReply.commune_id == commune_id, AlertReply.alert_id == alert_id)) or 0


def change_status(request, commune, agent_user, alert: dict, status, text="", to_community=False,
                  seen: str | None = None, seen_reply: str | None = None) -> AlertReply:
    """Apply a status (and reply) to the residents' alert ``alert`` (an activity item).
    ``seen``: the status the agent's page showed ("recue" when none); ``seen_reply``: the
    id of the latest reply it showed ("0" when none). Either differing from what is
    stored now (another agent acted meanwhile) refuses the change."""
    status, text, to_community = clean_input(status, text, to_community)
    db = request.dbsession
    alert_id = int(alert["id"])
    now = utcnow()
    row = _locked(db, commune.id, alert_id)
    current = row.status if row is not None else "recue"
    if seen is not None and seen in FOLLOW_UP_STATUSES and seen != current:
        # Who changed it last, and when: the latest reply (the row keeps who acknowledged first).
        last = db.get(AlertReply, latest_reply_id(db, commune.id, alert_id)) if row is not None else None
        if last is None:  # a form claiming a status never set
            raise FollowUpRefused(f"Le statut de cette alerte est « {FOLLOW_UP_STATUSES[current]} ». "
                                  "Rien n'a été changé : relisez avant de répondre.")
        who = db.get(User, last.agent_user_id) if last.agent_user_id else None
        raise FollowUpRefused(
            f"Un autre agent vient de changer le statut de cette alerte : « {FOLLOW_UP_STATUSES[current]} »"
            f"{' (' + who.full_name + ')' if who else ''}, à {dates.time(last.created_at)}. "
            "Rien n'a été changé : relisez avant de répondre.")
    if (seen_reply := row_id(seen_reply)) is not None and row is not None:
        latest = latest_reply_id(db, commune.id, alert_id)
        if latest != seen_reply:
            reply = db.get(AlertReply, latest)
            who = db.get(User, reply.agent_user_id) if reply is not None and reply.agent_user_id else None
            raise FollowUpRefused(
                f"Un autre agent vient de répondre à cette alerte{' (' + who.full_name + ')' if who else ''}"
                f"{', à ' + dates.time(reply.created_at) if reply is not None else ''}. "
                "Rien n'a été changé : relisez sa réponse avant d'envoyer la vôtre.")
    if current == status and not text:
        raise FollowUpRefused(f"Cette alerte est déjà « {FOLLOW_UP_STATUSES[status]} ».")
    if row is None:
        try:
            with db.begin_nested():
                row = AlertAcknowledgement(alert_id=alert_id, commune_id=commune.id, agent_user_id=agent_user.id,
                                           at=now, status=status, updated_at=now,
                                           alert_created_at=aware(alert.get("created_at")))
                db.add(row)
                db.flush()
        except IntegrityError:
            # Another agent acknowledged it in the same instant: theirs stands.
            raise FollowUpRefused("Un autre agent vient de prendre en compte cette alerte. Rien n'a été changé : "
                                  "relisez avant de répondre.") from None
    else:
        row.status, row.updated_at = status, now
    reply = AlertReply(alert_id=alert_id, commune_id=commune.id, agent_user_id=agent_user.id, status=status,
                       text=text, to_community=to_community, created_at=now)
    db.add(reply)
    db.flush()
    _tell_author(request, commune, alert, reply)
    if to_community and alert.get("community_id"):
        messages.send_message(request, commune, agent_user, [alert["community_id"]],
                              f"suite à l'alerte « {quoted(alert)} »",
                              f"{text}\n\nStatut : {reply.status_label}.")
    return reply


def quoted(alert: dict) -> str:
    """A residents' alert's title between « » in a sentence: without its own full stop (the
    sentence has one: « …police prévenue ». , not « …police prévenue. ».)."""
    return (alert.get("title") or "").strip().removesuffix(".").rstrip()


def _tell_author(request, commune, alert, reply) -> None:
    author = request.dbsession.get(User, alert.get("author_id")) if alert.get("author_id") else None
    if author is None:
        return
    title = {"prise_en_compte": f"Votre alerte a été prise en compte par la mairie {de(commune.name)}",
             "patrouille": f"Mairie {de(commune.name)} : patrouille envoyée pour votre alerte",
             "close": f"Mairie {de(commune.name)} : votre alerte est close"}.get(
        reply.status, f"Mairie {de(commune.name)} : {reply.status_label}")
    body = (f"Bonjour,\n\nLa mairie {de(commune.name)} suit votre alerte « {quoted(alert)} ». "
            f"Statut : {reply.status_label}.")
    if reply.text:
        body += f"\n\nSa réponse : {reply.text}"
    if alert.get("url"):
        body += f"\n\nVotre alerte : {absolute_url(request, alert['url'])}"
    body += "\n\nEn cas d'urgence ou de flagrant délit, appelez le 17."
    notify_user(request, author, kind="mairie_ack", title=title, body=body, channels=("email", "push"),
                subject=("mairie_ack", int(alert["id"])), dedupe_key=f"mairie-reply:{reply.id}")


# --- The monthly report -------------------------------------------------------------

def acknowledgement_figures(dbsession, commune_id: int, items) -> dict:
    """Of the residents' alerts ``items`` (activity items): how many the mairie
    acknowledged, and the median time it took (minutes)."""
    rows = follow_ups(dbsession, commune_id, [i["id"] for i in items])
    delays = sorted(max(0.0, (aware(rows[int(i["id"])].at) - aware(i["created_at"])).total_seconds() / 60)
                    for i in items if int(i["id"]) in rows)
    total = len(items)
    median = None
    if delays:
        middle = len(delays) // 2
        median = delays[middle] if len(delays) % 2 else (delays[middle - 1] + delays[middle]) / 2
    return {"total": total, "acknowledged": len(delays),
            "rate": round(100 * len(delays) / total) if total else None, "median_minutes": median}


def format_minutes(minutes) -> str:
    return "—" if minutes is None else dates.duration(minutes * 60)
