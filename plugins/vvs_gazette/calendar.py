"""The events of a community's gazette as an iCalendar feed, behind a private link.

The link carries the member's id signed with the community (``vvs_core.web.links.signed``):
a calendar application cannot log in, and a link that leaks only shows the events of
a community that member still belongs to.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from vvs_core.clock import aware, utcnow
from vvs_core.models import Membership
from vvs_core.web.links import signed, unsigned
from vvs_core.web.timefmt import dates

from .models import GazettePost
from .vtimezone import vtimezone


def feed_token(source, community_id: int, user_id: int) -> str:
    """The link's ``t``: the member, signed for this community's feed."""
    return signed(source, f"gazette-ical:{community_id}", int(user_id))


def check_feed_access(request, community_id: int, raw_user_id, token) -> bool:
    """Links made before December 2026 carry ``u`` (the member) and ``t`` (this plugin's
    own HMAC): still accepted."""
    token = f"{raw_user_id}-{token}" if raw_user_id else token
    user_id = unsigned(request, f"gazette-ical:{community_id}", token,
                       legacy=lambda user_id: f"gazette-ical:{community_id}:{user_id}")
    return user_id is not None and request.dbsession.execute(sa.select(Membership.id).where(
        Membership.user_id == user_id, Membership.community_id == community_id,
        Membership.status == "active")).first() is not None


def upcoming_events(dbsession, community_id: int, now: datetime | None = None) -> list[GazettePost]:
    now = now or utcnow()
    return list(dbsession.scalars(
        sa.select(GazettePost).where(
            GazettePost.community_id == community_id, GazettePost.category == "evenement",
            GazettePost.hidden.is_(False), GazettePost.event_at.is_not(None),
            GazettePost.event_at >= now - timedelta(days=30))
        .order_by(GazettePost.event_at).limit(500)))


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """RFC 5545: lines of at most 75 octets, continued with a leading space."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, start = [], 0
    while start < len(data):
        end = min(start + (75 if not parts else 74), len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # never cut a UTF-8 sequence
            end -= 1
        parts.append(data[start:end].decode())
        start = end
    return "\r\n ".join(parts)


def render_ical(events: list[GazettePost], calendar_name: str, host: str, url_for) -> str:
    """Events in the commune's time zone (``DTSTART;TZID=Europe/Paris:20260714T233000``)
    with its ``VTIMEZONE``: a calendar shows 23:30 for an event typed « 23:30 »."""
    tzid = dates.zone.key
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//vvs//gazette//FR", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{_escape(calendar_name)}", f"X-WR-TIMEZONE:{tzid}"]
    if events:
        lines += vtimezone(min(aware(p.event_at) for p in events), max(aware(p.event_at) for p in events))
    for post in events:
        start = aware(post.event_at)
        lines += [
            "BEGIN:VEVENT",
            f"UID:gazette-{post.id}@{host}",
            f"DTSTAMP:{dates.ical_utc(post.updated_at or post.created_at)}",
            f"DTSTART;TZID={tzid}:{dates.ical_local(start)}",
            f"DTEND;TZID={tzid}:{dates.ical_local(start + timedelta(hours=2))}",
            f"SUMMARY:{_escape(post.title)}",
            f"DESCRIPTION:{_escape(post.text)}",
            f"URL:{url_for(post)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
