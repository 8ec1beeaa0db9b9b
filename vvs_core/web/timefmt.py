"""Dates and hours as people read them: the one display helper.

Datetimes are stored aware, in UTC. Everything a person reads (pages, e-mails, SMS,
PDF and CSV exports, feeds, CAP, iCalendar) shows them in the instance's time zone,
``vvs.timezone`` (default ``Europe/Paris``), through :data:`dates`, in French (Babel,
locale ``fr_FR``). Templates call it as the renderer global ``dates``::

    ${dates.datetime(alert.created_at)}   → 14/07/2026 à 23:30
    ${dates.date(post.created_at)}        → 14/07/2026
    ${dates.day_time(item.created_at)}    → 14/07 23:30
    ${dates.time(m.created_at)}           → 23:30
    ${dates.long_date(event_at)}          → mardi 14 juillet 2026
    ${dates.relative(m.created_at)}       → il y a 5 minutes
    ${dates.iso(alert.created_at)}        → 2026-07-14T23:30:00+02:00 (machines: CAP, Atom, data-*)

A naive datetime is taken as UTC; a ``date`` is shown as it is (no time zone); ``None``
gives an empty string (or ``default``). Nothing else formats dates for display: a test
(``tests/core/test_time.py``) refuses ``strftime`` and ``isoformat`` in templates and views.
"""

import datetime as _dt
import re
from contextlib import contextmanager
from contextvars import ContextVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, dates as _babel

from vvs_core.clock import aware, utcnow

LOCALE = Locale.parse("fr_FR")  # parsed once: a name is parsed again at each call (2/3 of its cost)
DEFAULT_ZONE = "Europe/Paris"

_zone = ZoneInfo(DEFAULT_ZONE)
# The zone of what is being built, when it belongs to one commune (``communes.time_zone``):
# a name, or a function that finds it (a page asks its commune only if it shows an hour).
_shown: ContextVar = ContextVar("vvs_zone", default=None)


def parse_zone(value) -> str:
    """Setting parser for ``vvs.timezone``: an IANA name that this machine knows."""
    name = str(value).strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as Europe/Paris)") from None
    return name


def set_zone(name: str) -> None:
    """Called once at start-up (app, worker, commands) with ``vvs.timezone``."""
    global _zone
    _zone = ZoneInfo(name)


def zone() -> ZoneInfo:
    """The commune's zone while :func:`shown_in` holds one, else ``vvs.timezone``."""
    name = _shown.get()
    if callable(name):
        _shown.set(name := name())
    return ZoneInfo(name) if name else _zone


@contextmanager
def shown_in(name):
    """Hours shown in ``name`` (a commune's ``time_zone``; ``None``: the instance's) meanwhile."""
    token = _shown.set(name)
    try:
        yield
    finally:
        _shown.reset(token)


class Dates:
    """What templates and code call to show a date or an hour (see the module's doc)."""

    @property
    def zone(self) -> ZoneInfo:
        return zone()

    def local(self, value):
        """The aware datetime in the instance's time zone (``None`` stays ``None``)."""
        if value is None:
            return None
        if not isinstance(value, _dt.datetime):
            raise TypeError(f"a datetime, not {type(value).__name__}")
        return aware(value).astimezone(zone())

    def _fmt(self, value, pattern: str, default: str) -> str:
        if value is None or value == "":
            return default
        if isinstance(value, _dt.datetime):
            return _babel.format_datetime(self.local(value), pattern, locale=LOCALE)
        if isinstance(value, _dt.date):
            return _babel.format_date(value, pattern, locale=LOCALE)
        if isinstance(value, _dt.time):  # a wall-clock hour (quiet hours): no zone to apply
            return _babel.format_time(value, pattern, locale=LOCALE)
        raise TypeError(f"a date or datetime, not {type(value).__name__}")

    def date(self, value, default: str = "") -> str:
        return self._fmt(value, "dd/MM/yyyy", default)

    def datetime(self, value, default: str = "") -> str:
        return self._fmt(value, "dd/MM/yyyy 'à' HH:mm", default)

    def datetime_seconds(self, value, default: str = "") -> str:
        """For audit trails: 14/07/2026 23:30:05."""
        return self._fmt(value, "dd/MM/yyyy HH:mm:ss", default)

    def day_time(self, value, default: str = "") -> str:
        return self._fmt(value, "dd/MM HH:mm", default)

    def day_month(self, value, default: str = "") -> str:
        return self._fmt(value, "dd/MM", default)

    def time(self, value, default: str = "") -> str:
        return self._fmt(value, "HH:mm", default)

    def hour(self, value, default: str = "") -> str:
        return self._fmt(value, "H 'h' mm", default)  # « 8 h 00 » (sentences: « appel prévu à 8 h 00 »)

    def long_date(self, value, default: str = "") -> str:
        return self._fmt(value, "EEEE d MMMM yyyy", default)

    def full_date(self, value, default: str = "") -> str:
        """« 1er mars 2026 », « 14 juillet 2026 » (statements, letters)."""
        text = self._fmt(value, "d MMMM yyyy", default)
        return "1er" + text[1:] if text.startswith("1 ") else text

    def month(self, value, default: str = "") -> str:
        """« juillet 2026 » (report titles)."""
        return self._fmt(value, "LLLL yyyy", default)

    def relative(self, value, now=None, default: str = "") -> str:
        """« il y a 5 minutes », « dans 2 heures »."""
        if value is None:
            return default
        delta = aware(value) - (now or utcnow())
        return _babel.format_timedelta(delta, add_direction=True, locale=LOCALE)

    def duration(self, value, default: str = "") -> str:
        """« 25 minutes », « 3 heures », « 2 jours » (a waiting time, a delay): seconds or a timedelta."""
        if value is None:
            return default
        seconds = value.total_seconds() if isinstance(value, _dt.timedelta) else float(value)
        return _babel.format_timedelta(max(0.0, seconds), threshold=1, locale=LOCALE)

    def iso(self, value, default: str = "") -> str:
        """ISO 8601 with the local offset, for machines (CAP, Atom, data attributes)."""
        if value is None:
            return default
        return self.local(value).isoformat(timespec="seconds")

    def utc_iso(self, value, default: str = "") -> str:
        """ISO 8601 in UTC (JSON APIs, cursors sent back to the server)."""
        if value is None:
            return default
        return aware(value).astimezone(_dt.timezone.utc).isoformat()

    def month_key(self, value) -> str:
        """« 2026-07 »: the local month a moment belongs to (reports, links)."""
        return self._fmt(value, "yyyy-MM", "")

    def input_value(self, value, default: str = "") -> str:
        """The value of an HTML ``datetime-local`` field: « 2026-07-14T23:30 », local time."""
        return self._fmt(value, "yyyy-MM-dd'T'HH:mm", default)

    def parse_local(self, text: str) -> _dt.datetime:
        """A date and hour typed or sent by someone, as an aware UTC datetime. ISO
        (``datetime-local`` fields: « 2026-07-14T19:00 ») or French, as people type it where
        the browser offers a plain text field (« 14/07/2026 19:00 », « 14/07/2026 à 19h »).
        With an offset it is that instant; without one it is that hour in ``vvs.timezone``.
        Raises ValueError."""
        text = str(text).strip()
        french = _FRENCH.fullmatch(text)
        if french:
            day, month, year, hour, minute = (int(g or 0) for g in french.groups())
            value = _dt.datetime(year, month, day, hour, minute)
        elif text.isascii() and len(text) >= 16:  # a date and an hour, not a date alone
            value = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        else:
            raise ValueError(text)
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone())
        return value.astimezone(_dt.timezone.utc)

    def today(self) -> _dt.date:
        """Today's date where the commune is (not in UTC)."""
        return self.local(utcnow()).date()

    # --- iCalendar (RFC 5545) ----------------------------------------------------

    def ical_utc(self, value) -> str:
        """« 20260714T213000Z » (DTSTAMP, always UTC)."""
        return _babel.format_datetime(aware(value).astimezone(_dt.timezone.utc), "yyyyMMdd'T'HHmmss'Z'", locale=LOCALE)

    def ical_local(self, value) -> str:
        """« 20260714T233000 », to follow ``DTSTART;TZID=Europe/Paris:``."""
        return self._fmt(value, "yyyyMMdd'T'HHmmss", "")


dates = Dates()

_FRENCH = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\s*(?:à|a|,)?\s*(\d{1,2})\s*[:hH]\s*(\d{2})?\s*", re.ASCII)

