"""The one place that reads the wall clock, so tests can move it.

Every reading of "now" in vvs goes through :func:`utcnow` (an aware UTC datetime) or
:func:`timestamp` (seconds since the epoch, for the places that count in seconds:
rate-limit windows, session ages, TOTP steps, file ages). Tests move the clock with
the ``clock`` fixture of :mod:`vvs_core.testing` (``clock.set_paris(2026, 7, 14, 23, 30)``,
``clock.advance(minutes=5)``); a test ``tests/core/test_time.py`` greps the code for
any other reading. ``time.monotonic()`` measures durations (deadlines, the task
scheduler's ticks), not the date, and is left alone.

Datetimes are stored aware, in UTC (see :class:`vvs_core.models.types.UTCDateTime`),
and shown in the instance's time zone through :mod:`vvs_core.web.timefmt` only.
"""

from datetime import datetime, timezone

_fixed: datetime | None = None  # set by tests only, through vvs_core.testing.MovableClock


def utcnow() -> datetime:
    if _fixed is not None:
        return _fixed
    return datetime.now(timezone.utc)


def timestamp() -> float:
    """Seconds since the epoch, from the same clock as :func:`utcnow`."""
    return utcnow().timestamp()


def set_fixed(value: datetime | None) -> None:
    """Stop the clock at ``value`` (aware), or let it run again with ``None``. Tests only."""
    global _fixed
    if value is not None and value.tzinfo is None:
        raise ValueError("the clock takes aware datetimes")
    _fixed = value.astimezone(timezone.utc) if value is not None else None


def aware(value: datetime | None) -> datetime | None:
    """A naive datetime is UTC (older rows, values from outside): make it aware."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value
