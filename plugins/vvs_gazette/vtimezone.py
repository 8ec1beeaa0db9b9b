"""The ``VTIMEZONE`` of an iCalendar feed (RFC 5545), read from the zone database: each
change of offset around the events, for the zone the feed's hours are written in."""
from __future__ import annotations

import datetime as _dt

from babel import dates as _babel

from vvs_core.clock import aware
from vvs_core.web.timefmt import LOCALE, zone


def vtimezone(first, last) -> list[str]:
    """The ``VTIMEZONE`` of the zone shown (the commune's, else ``vvs.timezone``) for events
    between ``first`` and ``last``: each change of offset of that period (a year around it)."""
    tz = zone()
    start = aware(first).astimezone(_dt.timezone.utc) - _dt.timedelta(days=366)
    end = aware(last).astimezone(_dt.timezone.utc) + _dt.timedelta(days=366)
    start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    before = start.astimezone(tz)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tz.key}"]
    lines += _observance(before.dst() or _dt.timedelta(0), start, before.utcoffset(), before.utcoffset(),
                         before.tzname())
    for instant, old, new in _transitions(start, end, tz):
        after = instant.astimezone(tz)
        lines += _observance(after.dst() or _dt.timedelta(0), instant, old, new, after.tzname())
    lines.append("END:VTIMEZONE")
    return lines


def _offset(delta: _dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _observance(dst, instant, old, new, name) -> list[str]:
    kind = "DAYLIGHT" if dst else "STANDARD"
    wall = instant + old  # DTSTART is the local time before the change, digits only
    stamp = _babel.format_datetime(wall, "yyyyMMdd'T'HHmmss", locale=LOCALE)
    return [f"BEGIN:{kind}", f"DTSTART:{stamp}",
            f"TZOFFSETFROM:{_offset(old)}", f"TZOFFSETTO:{_offset(new)}", f"TZNAME:{name}", f"END:{kind}"]


def _transitions(start, end, tz):
    """(instant UTC, old offset, new offset) of each change of ``tz`` in [start, end)."""
    day, minute = _dt.timedelta(days=1), _dt.timedelta(minutes=1)
    out, t = [], start
    previous = t.astimezone(tz).utcoffset()
    while t < end:
        following = t + day
        offset = following.astimezone(tz).utcoffset()
        if offset != previous:
            low, high = 0, 24 * 60  # minutes after t: offset(low) is old, offset(high) is new
            while high - low > 1:
                middle = (low + high) // 2
                if (t + middle * minute).astimezone(tz).utcoffset() == previous:
                    low = middle
                else:
                    high = middle
            out.append((t + high * minute, previous, offset))
            previous = offset
        t = following
    return out
