"""Alerts from the mairie to residents: validation of the form, sending through the
outbox (one notification row per (alert, user, channel)), updates and all-clear to
the same recipients, and the reach report."""
from __future__ import annotations

import re

import colander
from sqlalchemy import case, func, select

from vvs_core.notify import sms
from vvs_core.geo.areas import MAX_AREA_M2, parse_area, read_audience  # noqa: F401  (read by relays and tests)
from vvs_core.clock import utcnow
from vvs_core.web.french import count, de
from vvs_core.models import Community
from vvs_core.models.notification import Notification
from vvs_core.notify.kinds import address_on, kinds_of
from vvs_core.providers import channels_with_provider
from vvs_core.notify.outbox import enqueue_delivery_after_commit, format_reach, insert_notifications, reach_summaries
from vvs_core.web.links import absolute_url
from vvs_core.web.forms import Schema, StrippedString, read_fields, text_node, typed
from vvs_core.web.timefmt import dates, shown_in

from . import audience
from .models import ALERT_CATEGORIES, TARGETS, MairieAlert

SUBJECT = "mairie_alert"
KIND = "mairie_alert"


TARGET_MISSING = "Choisissez à qui envoyer l'alerte."


class CommuneAlertSchema(Schema):
    """The alert form (written in alert_new.pt), read with ``read_fields``."""
    category = colander.SchemaNode(StrippedString(), missing_msg="Choisissez une catégorie.", validator=colander.OneOf(
        list(ALERT_CATEGORIES), msg_err="Choisissez une catégorie."))
    title = text_node("Titre", max=140, min=1, too_short="Indiquez un titre.",
                      too_long="Le titre doit tenir en {max} caractères.")
    body = text_node("Message", max=2000, required=False, too_long="Le message doit tenir en {max} caractères.")
    exercise = colander.SchemaNode(StrippedString(), missing="")  # "1" when ticked
    target = colander.SchemaNode(StrippedString(), missing_msg=TARGET_MISSING,
                                 validator=colander.OneOf(list(TARGETS), msg_err=TARGET_MISSING))
    communities = colander.SchemaNode(colander.Sequence(), colander.SchemaNode(StrippedString(), missing=""),
                                      missing=[])
    area = colander.SchemaNode(StrippedString(), missing="")


def parse_form(dbsession, commune, params) -> tuple[dict, dict]:
    """(clean data, errors by field) from the posted form; ``data`` keeps what was typed,
    to show it again beside the errors."""
    accepted, errors = read_fields(params, CommuneAlertSchema())
    shown = typed(params, "category", "title", "body", "target")
    data = {**shown, **{k: v for k, v in accepted.items() if k in shown}, "exercise": accepted.get("exercise") == "1",
            "community_ids": [], "area": None, "area_json": accepted.get("area", "")}
    if "target" in errors:
        return data, errors
    own = dbsession.scalars(select(Community.id).where(  # the commune's communities, asked only when chosen
        Community.commune_id == commune.id, Community.archived_at.is_(None))) if data["target"] == "communities" else []
    read_audience(data, errors, accepted.get("communities", []), own)
    return data, errors


def recipients_for(request, commune, data) -> list[audience.Reached]:
    kind = kinds_of(request.registry).get(KIND)
    return audience.reached(request.dbsession, kind, channels_with_provider(request), commune.id, data["target"],
                            data["community_ids"], data["area"])


FOLLOWER_KEY = re.compile(r"^(?=[a-z0-9-]*[a-z])[a-z0-9-]{1,40}$")


def followers_for(request, commune, data) -> list[dict]:
    """The people without an account who follow the commune's town hall and whom the
    alert reaches (``vvs_commune_alert_followers``): ``{"key", "channel", "address"}``
    each, checked, once per (key, channel)."""
    usable = channels_with_provider(request)
    answers = request.registry.vvs_plugins.hook.vvs_commune_alert_followers(
        request=request, commune=commune,
        target={"target": data["target"], "community_ids": list(data.get("community_ids") or []),
                "area": data.get("area"), "channels": list(usable)})
    out, seen = [], set()
    for answer in answers:
        for follower in answer or []:
            key, channel, address = (str(follower.get(k) or "") for k in ("key", "channel", "address"))
            if not FOLLOWER_KEY.match(key) or channel not in usable or not address or (key, channel) in seen:
                continue
            seen.add((key, channel))
            out.append({"key": key, "channel": channel, "address": address})
    return out


def audience_of(request, commune, data) -> tuple[list[audience.Reached], list[dict]]:
    """(residents with their channels, followers without an account) of an alert."""
    return recipients_for(request, commune, data), followers_for(request, commune, data)


EXERCISE_MARK = "EXERCICE"
EXERCISE_NOTICE = "EXERCICE : ceci est un exercice de la mairie, aucune mesure réelle n'est à prendre."
PREFIXES = {"alert": "", "update": "Mise à jour : ", "all_clear": "Fin d'alerte : "}


def public_link(request, commune, alert_id: int) -> str:
    """The absolute link of a commune alert's public page (``alert_public_view``): what the SMS, the
    e-mail and the push carry; an update or the all-clear links to its first alert's page."""
    return absolute_url(request, "mairie_alert_public", insee=commune.insee, alert_id=alert_id)


def next_alert_id(dbsession) -> int:
    """The id the next alert will likely get: the link in an SMS preview is as long as the real one."""
    return (dbsession.scalar(select(func.max(MairieAlert.id))) or 0) + 1


def message_texts(commune, alert: MairieAlert, link: str = "") -> tuple[str, str]:
    """(title, body) of the e-mail and the push notification. An exercise says so
    first in both; a relayed warning names its source; the link of the alert's public page
    ends them (the push opens it)."""
    prefix = PREFIXES[alert.kind]
    mark = f"{EXERCISE_MARK} · " if alert.exercise else ""
    title = f"{mark}Mairie {de(commune.name)} · {alert.category_label} · {prefix}{alert.title}"
    body = alert.title if not alert.body else f"{alert.title}\n\n{alert.body}"
    head = f"{EXERCISE_NOTICE}\n\n" if alert.exercise else ""
    source = f"\n\nSource : {alert.source}." if alert.source else ""
    page = f"\n\nL'alerte et ses suites : {link}" if link else ""
    return title, (f"{head}{prefix}{body}{source}\n\n— Mairie {de(commune.name)}, "
                   f"le {dates.datetime(alert.created_at or utcnow())}{page}")


def sms_text(commune, alert: MairieAlert, max_segments: int, link: str = "") -> str:
    return fitted_sms(commune, alert, max_segments, link).text


def sms_preview(commune, data: dict, max_segments: int, link: str = "") -> dict:
    """The SMS the alert being written would send, for the reach step of the form: the
    same function as the real SMS, and whether the message is cut."""
    from types import SimpleNamespace

    fitted = fitted_sms(commune, SimpleNamespace(kind="alert", title=data["title"], body=data["body"], source="",
                                                 exercise=data["exercise"]), max_segments, link)
    return {"text": fitted.text, "shortened": fitted.shortened, "kept": fitted.body_kept, "total": fitted.body_total,
            "parts": fitted.length.segments}


def fitted_sms(commune, alert: MairieAlert, max_segments: int, link: str = "") -> sms.FittedSMS:
    """The SMS: "EXERCICE" for an exercise, who speaks and the title first, the link of the
    alert's public page and the source of a relayed warning last (they always survive), then
    as much of the message as ``max_segments`` parts hold."""
    prefix = PREFIXES[alert.kind]
    body = re.sub(r"\s+", " ", alert.body or "").strip()
    mark = f"{EXERCISE_MARK} - " if alert.exercise else ""
    head = f"{mark}Mairie {de(commune.name)} - {prefix}{alert.title}" + (" : " if body else "")
    tail = (f" {link}" if link else "") + (f" (source : {alert.source})" if alert.source else "")
    return sms.fit(head, body, tail, max_segments)


def voice_text(commune, alert: MairieAlert) -> str:
    """What a call reads aloud: "EXERCICE" first for an exercise, who speaks, the
    title, the message, the source; one sentence per line (a pause)."""
    prefix = PREFIXES[alert.kind]
    notice = EXERCISE_NOTICE.split(" : ", 1)[1]
    lines = [f"{EXERCISE_MARK}. {notice[:1].upper()}{notice[1:]}"] if alert.exercise else []
    lines.append(f"Message de la mairie {de(commune.name)}.")
    lines.append(f"{prefix}{alert.title.rstrip('.')}.")
    if alert.body:
        lines.append(alert.body)
    if alert.source:
        lines.append(f"Source : {alert.source}.")
    return "\n".join(lines)


# Notices that can wait for the morning: their calls are not placed at night (walk-through: a
# « Travaux / route barrée » alert rang a landline at 03:42).
CALLS_BY_DAY = ("travaux", "greve", "tranquillite")


def call_severity(alert: MairieAlert) -> str:
    """A commune alert and its updates are urgent: they call at night too; an exercise,
    an all-clear or a notice (CALLS_BY_DAY) waits for the morning (``vvs.voice.night``)."""
    return "" if alert.exercise or alert.kind == "all_clear" or alert.category in CALLS_BY_DAY else "severe"


def rows_for(request, alert, commune, pairs) -> list[dict]:
    """``pairs``: (user id or None, who, channel, address); ``who`` is the user id, or
    the key of a follower without an account (``followers_for``)."""
    link = public_link(request, commune, alert.parent_id or alert.id)
    with shown_in(commune.time_zone):  # the commune's hours, whoever sends it
        title, body = message_texts(commune, alert, link)
        short = sms_text(commune, alert, request.registry.settings["vvs.sms.max_segments"], link)
        texts = {"sms": short, "voice": voice_text(commune, alert)}
    return [dict(dedupe_key=f"mairie-alert:{alert.id}:{who}:{channel}", kind=KIND, subject_type=SUBJECT,
                 subject_id=alert.id, recipient_id=user_id, channel=channel, address=address,
                 title=title, body=texts.get(channel, body),
                 **({"severity": call_severity(alert)} if channel == "voice" else {}))
            for user_id, who, channel, address in pairs]


def who_of(dedupe_key: str) -> str:
    """The user id or follower key of a row that ``rows_for`` wrote."""
    parts = dedupe_key.split(":")
    return parts[2] if len(parts) == 4 else ""


def send_alert(request, commune, author, data) -> MairieAlert:
    """``author`` None: relayed automatically (``data["source"]`` names the source)."""
    alert = MairieAlert(commune_id=commune.id, author_id=getattr(author, "id", None), kind="alert",
                        category=data["category"], title=data["title"], body=data["body"], target=data["target"],
                        community_ids=data["community_ids"], area=data["area"], source=data.get("source", ""),
                        exercise=bool(data.get("exercise")))
    request.dbsession.add(alert)
    request.dbsession.flush()
    residents, followers = audience_of(request, commune, data)
    pairs = [(r.user.id, str(r.user.id), channel, address_on(r.user, channel))
             for r in residents for channel in r.channels]
    pairs += [(None, f["key"], f["channel"], f["address"]) for f in followers]
    ids = insert_notifications(request.dbsession, rows_for(request, alert, commune, pairs))
    enqueue_delivery_after_commit(request, ids)
    return alert


def send_follow_up(request, commune, author, parent: MairieAlert, kind: str, body: str,
                   already: set | None = None) -> MairieAlert:
    """An update or the all-clear of ``parent``, to exactly the people it reached (less the
    followers without an account who stopped following since).

    ``already``: (who, channel) pairs (``who``: the user id as text, or a follower's key) told by an earlier follow-up of the same batch
    (the end of a crisis that sent several alerts), skipped here; the pairs told are added."""
    follow = MairieAlert(commune_id=commune.id, author_id=getattr(author, "id", None), parent_id=parent.id,
                         kind=kind, category=parent.category, title=parent.title, body=body, target=parent.target,
                         community_ids=parent.community_ids, area=parent.area, source=parent.source,
                         exercise=parent.exercise)
    request.dbsession.add(follow)
    request.dbsession.flush()
    follow.unsent_cancelled = cancel_unsent(request.dbsession, parent) if kind == "all_clear" else {}
    pairs = follow_up_pairs(request, commune, parent, already)
    ids = insert_notifications(request.dbsession, rows_for(request, follow, commune, pairs))
    enqueue_delivery_after_commit(request, ids)
    return follow


ENDED_UNSENT = "annulé : l'alerte était terminée avant l'envoi"


def cancel_unsent(dbsession, parent: MairieAlert) -> dict[str, int]:
    """At the all-clear, what ``parent`` and its updates have not handed to a provider yet
    (a call held for the morning, the tail of a large fan-out) is cancelled, as the outbox
    cancels what expires: nobody is called at 8 h about a water cut already over. Rows a
    worker has claimed (``sending``) go on. Returns ``{channel: rows cancelled}``."""
    from sqlalchemy import or_, update

    family = select(MairieAlert.id).where(or_(MairieAlert.id == parent.id, MairieAlert.parent_id == parent.id))
    channels = dbsession.scalars(
        update(Notification).where(Notification.subject_type == SUBJECT, Notification.subject_id.in_(family),
                                   Notification.status == "pending")
        .values(status="cancelled", last_error=ENDED_UNSENT).returning(Notification.channel)
        .execution_options(synchronize_session=False)).all()
    return {channel: channels.count(channel) for channel in sorted(set(channels))}


UNSENT_NOUNS = {"voice": ("appel", "appels"), "sms": ("SMS", "SMS"), "email": ("e-mail", "e-mails"),
                "push": ("notification", "notifications")}


def cancelled_sentence(cancelled: dict[str, int]) -> str:
    """What the agent is told of ``cancel_unsent``: « Pas encore partis, donc annulés : 1 appel. »"""
    if not cancelled:
        return ""
    counts = [count(n, *UNSENT_NOUNS.get(channel, (channel, channel))) for channel, n in cancelled.items()]
    gone = "Pas encore parti, donc annulé" if sum(cancelled.values()) == 1 else "Pas encore partis, donc annulés"
    return f" {gone} : {', '.join(counts)}."


def follow_up_pairs(request, commune, parent: MairieAlert, already: set | None = None,
                    ending: bool = False) -> list[tuple]:
    """(user id or None, who, channel, address) a follow-up of ``parent`` goes to (see ``send_follow_up``):
    not on a channel where the alert never went out (cancelled: expired, or ended before it
    was sent; ``ending``: what the end will cancel, still pending, too); the pairs are added to
    ``already`` when given. Sends nothing (the PCS' confirmation counts them)."""
    unsent = ("cancelled", "pending") if ending else ("cancelled",)
    reached = request.dbsession.execute(
        select(Notification.recipient_id, Notification.channel, Notification.address, Notification.dedupe_key)
        .where(Notification.subject_type == SUBJECT, Notification.subject_id == parent.id,
               Notification.status.not_in(unsent))
        .order_by(Notification.recipient_id, Notification.channel, Notification.id)).all()
    still = {(f["key"], f["channel"]): f["address"] for f in followers_for(request, commune, target_of(parent))}
    pairs, seen = [], set(already or ())
    for user_id, channel, address, key in reached:
        who = str(user_id) if user_id is not None else who_of(key)
        if (who, channel) in seen or (user_id is None and (who, channel) not in still):
            continue
        seen.add((who, channel))
        pairs.append((user_id, who, channel, address if user_id is not None else still[(who, channel)]))
    if already is not None:
        already.update((p[1], p[2]) for p in pairs)
    return pairs


def target_of(alert: MairieAlert) -> dict:
    return {"target": alert.target, "community_ids": list(alert.community_ids or []), "area": alert.area}


def reach_report(dbsession, alert: MairieAlert) -> dict:
    return reach_reports(dbsession, [alert])[alert.id]


def reach_reports(dbsession, alerts) -> dict[int, dict]:
    """``reach_report`` of several alerts in two statements: ``{alert id: report}``."""
    ids = [a.id for a in alerts]
    summaries = reach_summaries(dbsession, SUBJECT, ids)
    without_account = case((Notification.recipient_id.is_(None), Notification.address))
    people = dict(dbsession.execute(
        select(Notification.subject_id,
               func.count(Notification.recipient_id.distinct()) + func.count(without_account.distinct()))
        .where(Notification.subject_type == SUBJECT, Notification.subject_id.in_(ids or [-1]))
        .group_by(Notification.subject_id)).all())
    return {i: {"summary": summaries.get(i, {}), "text": format_reach(summaries.get(i, {})), "people": people.get(i, 0)}
            for i in ids}


def alerts_of(dbsession, commune_id: int, limit: int = 50) -> list[MairieAlert]:
    return list(dbsession.scalars(select(MairieAlert).where(MairieAlert.commune_id == commune_id)
                                  .order_by(MairieAlert.created_at.desc(), MairieAlert.id.desc()).limit(limit)))


def exercise_report(dbsession, alert: MairieAlert) -> dict:
    """What an exercise shows afterwards: the reach by channel, the time each channel
    took to deliver (median and slowest, from the alert to the provider's acceptance),
    and the people no channel reached."""
    from statistics import median

    from vvs_core.models import User

    rows = dbsession.execute(
        select(Notification.recipient_id, Notification.channel, Notification.status, Notification.sent_at,
               Notification.delivered_at, Notification.dedupe_key)
        .where(Notification.subject_type == SUBJECT, Notification.subject_id == alert.id)).all()
    channels: dict[str, dict] = {}
    reached, tried = set(), {}
    for user_id, channel, status, sent_at, delivered_at, key in rows:
        recipient_id = user_id if user_id is not None else who_of(key)  # a follower without an account
        entry = channels.setdefault(channel, {"total": 0, "done": 0, "seconds": []})
        entry["total"] += 1
        tried.setdefault(recipient_id, []).append(channel)
        if status in ("sent", "delivered"):
            entry["done"] += 1
            reached.add(recipient_id)
            when = delivered_at or sent_at
            if when is not None and alert.created_at is not None:
                entry["seconds"].append(max(0.0, (when - alert.created_at).total_seconds()))
    lines = []
    for channel in sorted(channels):
        entry = channels[channel]
        seconds = entry["seconds"]
        lines.append({"channel": channel, "label": {"sms": "SMS", "email": "E-mail", "push": "Notification",
                                                    "voice": "Appel"}.get(channel, channel),
                      "total": entry["total"], "done": entry["done"],
                      "median": _duration(median(seconds)) if seconds else "—",
                      "slowest": _duration(max(seconds)) if seconds else "—"})
    missing_ids = sorted(set(tried) - reached, key=str)
    user_ids = [i for i in missing_ids if isinstance(i, int)]
    users = {u.id: u for u in dbsession.scalars(select(User).where(User.id.in_(user_ids or [-1])))}
    missing = [{"name": users[i].full_name if i in users else (f"#{i}" if isinstance(i, int) else without_account_name(i)),
                "channels": ", ".join(sorted(tried[i]))} for i in missing_ids]
    return {"channels": lines, "people": len(tried), "reached": len(reached), "missing": missing}


def without_account_name(key: str) -> str:
    """How the proof and the reports name a follower without an account (no name kept)."""
    return f"abonné sans compte ({key})"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
