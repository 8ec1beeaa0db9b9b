"""Column types shared by the core and the plugins."""

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """An aware datetime, stored in UTC, read back aware (UTC) on every backend.

    PostgreSQL's ``timestamptz`` keeps the instant, but SQLite stores the wall-clock
    digits of whatever offset it is given and returns them naive: 19:00 Paris time
    became "19:00" read back as 19:00 UTC (shown 21:00). Converting to UTC on the way
    in and marking UTC on the way out makes both backends agree, in comparisons too.
    A naive value is taken as UTC, as :func:`vvs_core.clock.aware` does.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime takes datetimes, not {type(value).__name__}")
        value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
