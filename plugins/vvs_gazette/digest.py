"""The weekly digest e-mail of the gazette.

A periodic actor runs every hour; for each member whose ``notification_prefs["gazette"]``
contains "digest", the digest of an ISO week is due from the configured weekday and
hour, in the member's local time: the time zone of the commune of their community
(a resident of La Réunion gets it at 8:00 in Saint-Denis, not in Paris). When that moment
falls in the member's quiet hours it moves to 8:00, or to the end of the quiet hours if
they last past 8:00; nothing is sent while the member is in quiet hours. The outbox dedupe key ``gazette-digest:<user>:<year>-W<week>``
makes every later run (and a redelivered message) a no-op for that week.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from vvs_core.models import Commune, Community, Membership, Notification, User
from vvs_core.notify.outbox import notify_user
from vvs_core.notify.preferences import in_quiet_hours, parse_quiet_hours
from vvs_core.web.links import absolute_url
from vvs_core.web.timefmt import dates, shown_in, zone

from .models import CATEGORIES
from .posts import recent_posts

MORNING = time(8, 0)


def week_key(local: datetime) -> str:
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def due_time(local_now: datetime, weekday: int, hour: int, quiet) -> datetime:
    """When this week's digest is due for a member with ``quiet`` hours (local time)."""
    monday = (local_now - timedelta(days=local_now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    due = monday + timedelta(days=weekday, hours=hour)
    if in_quiet_hours(due, quiet):
        morning = due.replace(hour=MORNING.hour, minute=0)
        if morning < due:
            morning += timedelta(days=1)
        due = morning
        if in_quiet_hours(due, quiet):
            end = quiet[1]
            due = due.replace(hour=end.hour, minute=end.minute)
    return due


def digest_subscribers(dbsession) -> list[tuple[User, str | None]]:
    """Active users with an active membership, each with the time zone of their community's
    commune (``None``: the instance's); the JSON preference is read in Python
    (its SQL spelling differs between SQLite and PostgreSQL)."""
    zones = dict(dbsession.execute(
        sa.select(Membership.user_id, sa.func.min(Commune.time_zone))
        .join(Community, Community.id == Membership.community_id).join(Commune, Commune.id == Community.commune_id)
        .where(Membership.status == "active").group_by(Membership.user_id)).all())
    users = dbsession.scalars(
        sa.select(User).where(User.status == "active", User.email.is_not(None), User.id.in_(list(zones))))
    return [(u, zones[u.id]) for u in users if "digest" in ((u.notification_prefs or {}).get("gazette") or [])]


def digest_key(user_id: int, week: str) -> str:
    return f"gazette-digest:{user_id}:{week}"


def send_weekly_digests(request, now: datetime) -> int:
    """Queue the digests that are due, each in its member's local time; returns how many were queued."""
    settings = request.registry.settings
    subscribers = digest_subscribers(request.dbsession)
    weeks = {}
    for _user, time_zone in subscribers:
        with shown_in(time_zone):
            weeks[time_zone] = week_key(now.astimezone(zone()))
    done = set(request.dbsession.scalars(sa.select(Notification.dedupe_key).where(Notification.dedupe_key.in_(
        [digest_key(u.id, weeks[time_zone]) + ":email" for u, time_zone in subscribers]))))
    sent = 0
    for user, time_zone in subscribers:
        if digest_key(user.id, weeks[time_zone]) + ":email" in done:
            continue
        with shown_in(time_zone):  # the member's hours, and the dates the e-mail shows
            local_now = now.astimezone(zone())
            quiet = parse_quiet_hours((user.notification_prefs or {}).get("quiet_hours"))
            due = due_time(local_now, settings["vvs.gazette.digest_weekday"], settings["vvs.gazette.digest_hour"], quiet)
            if local_now >= due and not in_quiet_hours(local_now, quiet):
                sent += queue_digest(request, user, now, weeks[time_zone])
    return sent


def queue_digest(request, user: User, now: datetime, week: str) -> bool:
    community_ids = list(request.dbsession.scalars(sa.select(Membership.community_id).where(
        Membership.user_id == user.id, Membership.status == "active")))
    posts = recent_posts(request.dbsession, community_ids, now - timedelta(days=7))
    if not posts:
        return False
    lines = [f"Bonjour,\n\nVoici les nouvelles de la Gazette de la semaine ({len(posts)}) :\n"]
    for post in posts:
        url = absolute_url(request, "gazette_post", community_id=post.community_id, post_id=post.id)
        when = f" — le {dates.datetime(post.event_at)}" if post.event_at else ""
        lines.append(f"• [{CATEGORIES.get(post.category, post.category)}] {post.title}{when}\n  {url}")
    lines.append("\nPour ne plus recevoir ce résumé, modifiez vos préférences dans « Mes paramètres ».")
    ids = notify_user(request, user, kind="gazette_digest", title="La Gazette : le résumé de la semaine",
                      body="\n".join(lines), channels=("email",), subject=("gazette_digest", None),
                      dedupe_key=digest_key(user.id, week))
    return bool(ids)
