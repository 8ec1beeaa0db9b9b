"""What a resident's notification preferences change in the outbox, applied when
rows are written (``outbox.insert_notifications``):

- **quiet hours** (``notification_prefs["quiet_hours"] = {"start": "22:00", "end":
  "07:00"}``, in ``vvs.timezone``): notifications of a kind declared ``quiet``
  (``vvs_core.notify.kinds``) wait for the end of the quiet hours (their
  ``next_attempt_at`` moves there; the sweeper picks them up then). Other kinds never wait.
- **minimum severity per channel** for rows that carry a severity and are not urgent
  (``notification_prefs["min_severity"] = {"sms": "severe", "push": "moderate"}``):
  a row whose ``severity`` is below the channel's minimum is not written. Urgent
  ones ("severe") always go through.
- **push** rows are written only for residents with at least one device subscribed.
- a kind declared ``always_reach`` keeps at least one channel: a recipient whose
  every row of one subject was dropped keeps one (a push to nobody goes by e-mail).
- **no call at night below urgent**: a "voice" row written during ``vvs.voice.night``
  (Paris time) waits for its end unless its severity is urgent ("severe"). A row
  without a severity is not urgent.
"""

from datetime import datetime, time, timedelta, timezone

import sqlalchemy as sa

from ..models import User, registry_of_session
from vvs_core.web.timefmt import zone

SEVERITIES = ("minor", "moderate", "severe")  # CAP Minor / Moderate / Severe
URGENT = "severe"
SEVERITY_LABELS = {"minor": "Toutes les alertes", "moderate": "Gravité moyenne ou élevée",
                   "severe": "Urgences seulement (gravité élevée)"}


def parse_quiet_hours(value) -> tuple[time, time] | None:
    if not isinstance(value, dict):
        return None
    try:
        start, end = time.fromisoformat(str(value.get("start"))), time.fromisoformat(str(value.get("end")))
    except (TypeError, ValueError):
        return None
    return None if start == end else (start, end)


def _prefs(user) -> dict:
    return getattr(user, "notification_prefs", None) or {}


def delivery_window(user, quiet: bool, now: datetime) -> datetime | None:
    """When a notification for ``user`` written at ``now`` (aware) may be sent: None
    for at once, else, for a ``quiet`` kind, the end of the resident's quiet hours (aware, UTC)."""
    if not quiet:
        return None
    quiet = parse_quiet_hours(_prefs(user).get("quiet_hours"))
    if quiet is None:
        return None
    return _end_of(*quiet, now)


def severity_allows(user, channel: str, severity: str | None) -> bool:
    """Whether an alert of ``severity`` goes to ``user`` on ``channel``."""
    if not severity or severity == URGENT or severity not in SEVERITIES:
        return True
    minimum = (_prefs(user).get("min_severity") or {}).get(channel)
    if minimum not in SEVERITIES:
        return True
    return SEVERITIES.index(severity) >= SEVERITIES.index(minimum)


DEFAULT_NIGHT = "21:00-08:00"


def in_quiet_hours(local: datetime, quiet: tuple[time, time] | None) -> bool:
    """Whether the wall-clock hour of ``local`` is inside ``quiet`` (start, end; may span midnight)."""
    if quiet is None:
        return False
    (start, end), t = quiet, local.time().replace(tzinfo=None)
    return start <= t < end if start < end else (t >= start or t < end)


def _end_of(start: time, end: time, now: datetime) -> datetime | None:
    """The end (aware, UTC) of the period start–end (Paris time) ``now`` is in, or None."""
    local = now.astimezone(zone())
    if not in_quiet_hours(local, (start, end)):
        return None
    day = local.date() if local.time().replace(tzinfo=None) < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone()).astimezone(timezone.utc)


def call_window(severity: str | None, now: datetime, night: str = DEFAULT_NIGHT) -> datetime | None:
    """When a call written at ``now`` may be placed: None for at once (daytime, or
    urgent), else the end of the night (aware, UTC)."""
    from ..settings import parse_night

    if severity == URGENT:
        return None
    start, end, _text = parse_night(night)
    return _end_of(start, end, now)


def due_for_everyone(dbsession, channel: str, severity: str, now: datetime) -> datetime | None:
    """When a row on ``channel`` of ``severity`` may go whatever its recipient chose (None: at
    once): no call at night below urgent. Rows a plugin writes in SQL follow it too."""
    if channel != "voice":
        return None
    night = getattr(registry_of_session(dbsession), "settings", {}).get("vvs.voice.night")
    return call_window(severity, now, night or DEFAULT_NIGHT)


def severity_of(row: dict) -> str:
    """The row's severity as stored: one of SEVERITIES, or ""."""
    severity = row.get("severity") or ""
    return severity if severity in SEVERITIES else ""


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(a, b) if a is not None and b is not None else (a or b)


def users_with_push(dbsession, user_ids) -> set[int]:
    """Who has a device, as the application's ``IPushDevices`` says (nobody without one)."""
    from vvs_core.providers.push import push_devices

    ids = sorted({int(i) for i in user_ids if i is not None})
    devices = push_devices(registry_of_session(dbsession)) if ids else None
    return set(devices.users_with_devices(dbsession, ids)) if devices is not None else set()


def _recipients(dbsession, rows) -> dict[int, object]:
    ids = sorted({r["recipient_id"] for r in rows if r.get("recipient_id") is not None})
    return {row.id: row for start in range(0, len(ids), 1000)
            for row in dbsession.execute(sa.select(User.id, User.email, User.notification_prefs)
                                         .where(User.id.in_(ids[start:start + 1000])))}


def apply_recipient_preferences(dbsession, rows: list[dict], now: datetime, kinds) -> list[dict]:
    """The rows to write, after quiet hours, severity minimums and push subscriptions.

    kinds: the declared ``NotificationKinds``. Rows may carry ``severity`` (alerts):
    kept on the row (calls at night, fallbacks), "" when unknown.
    """
    if not rows:
        return rows
    rows = [{**r, "severity": severity_of(r)} for r in rows]
    due = {key: due_for_everyone(dbsession, *key, now) for key in {(r["channel"], r["severity"]) for r in rows}}
    for r in (r for r in rows if due[r["channel"], r["severity"]]):  # this function's own copies
        r["next_attempt_at"] = _later(r.get("next_attempt_at"), due[r["channel"], r["severity"]])
    quiet_kinds = kinds.quiet_keys()
    needs_users = any(r.get("recipient_id") is not None and
                      (r.get("severity") or r.get("channel") == "push" or r.get("kind") in quiet_kinds)
                      for r in rows)
    if not needs_users:
        return rows
    users = _recipients(dbsession, rows)
    pushable = users_with_push(dbsession, [r.get("recipient_id") for r in rows if r.get("channel") == "push"])
    kept, dropped = [], []
    for row in rows:  # rows are this function's own copies (above)
        severity = row["severity"] or None
        user = users.get(row.get("recipient_id"))
        if user is None:
            kept.append(row)
            continue
        if row["channel"] == "push" and user.id not in pushable:
            dropped.append((row, "push"))
            continue
        if not user.notification_prefs:  # no minimum severity, no quiet hours: most residents
            kept.append(row)
            continue
        if not severity_allows(user, row["channel"], severity):
            dropped.append((row, "severity"))
            continue
        window = delivery_window(user, row.get("kind", "") in quiet_kinds, now)
        if window is not None:
            row["next_attempt_at"] = _later(row.get("next_attempt_at"), window)
        kept.append(row)
    return kept + _left_without_channel(kept, dropped, users, kinds)


def _left_without_channel(kept, dropped, users, kinds) -> list[dict]:
    """Kinds declared ``always_reach`` reach everyone on at least one channel: a recipient
    whose every row of one subject was dropped keeps one (a push to no device becomes an e-mail)."""
    reached = {(r.get("recipient_id"), r.get("subject_type"), r.get("subject_id")) for r in kept}
    rescued = []
    for row, reason in dropped:
        key = (row.get("recipient_id"), row.get("subject_type"), row.get("subject_id"))
        if key in reached or not kinds.get(row.get("kind", "")).always_reach:
            continue
        if reason == "push":
            email = users[row["recipient_id"]].email
            if not email:
                continue
            row = {**row, "channel": "email", "address": email}
        rescued.append(row)
        reached.add(key)
    return rescued
