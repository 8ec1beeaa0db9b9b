"""One notion of local time: the clock tests move, the one display helper, UTC storage.

The pages, e-mails and feeds at 23:30 Paris time are in ``tests/local_time/test_local_time.py``.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from vvs_core import clock
from vvs_core.web import timefmt
from vvs_core.web.timefmt import dates

ROOT = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo("Europe/Paris")
SOURCES = [ROOT / "vvs_core", *sorted((ROOT / "plugins").glob("vvs_*"))]


def _python_files():
    for base in SOURCES:
        for path in base.rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def _templates():
    for base in SOURCES:
        yield from base.rglob("*.pt")


def _view_modules():
    for path in _python_files():
        if path.name.startswith("views") or path.name.endswith("_views.py") or "views" in path.parent.name:
            yield path


def _offending(paths, pattern):
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if re.search(pattern, line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


# --- Nothing formats or reads the time on its own -----------------------------------

def test_templates_show_dates_only_through_the_helper():
    """A template calls ``dates.…`` (vvs_core.web.timefmt); strftime, isoformat or a
    hand-made « local » conversion shows UTC on one page and Paris time on the next."""
    assert not _offending(_templates(), r"strftime\(|isoformat\(|astimezone\(|\blocal\(|local_time\(")


def test_no_strftime_nor_date_format_spec_outside_the_helper():
    """Every date a person reads is written by vvs_core/web/timefmt.py (French, vvs.timezone):
    no ``strftime`` and no ``f"{when:%d/%m}"`` anywhere else in the core or the plugins."""
    others = [p for p in _python_files() if p.name != "timefmt.py"]
    assert not _offending(others, r"strftime\(|\{[^{}]*:%[a-zA-Z]")


def test_views_send_no_isoformat_and_no_zone_of_their_own():
    """Views hand machine dates out through ``dates.iso`` / ``dates.utc_iso`` and never
    pick a time zone themselves."""
    assert not _offending(_view_modules(), r"\.isoformat\(|ZoneInfo\(|Europe/Paris|toLocale")


def test_javascript_does_not_format_dates_in_the_browser_zone():
    """The browser's zone is not the commune's: scripts show the server's string."""
    scripts = [p for base in SOURCES for p in base.rglob("*.js")]
    assert not _offending(scripts, r"toLocale(String|DateString|TimeString)\(|getHours\(|getDate\(")


def test_every_reading_of_the_wall_clock_goes_through_the_clock():
    """``vvs_core.clock`` promises tests can move time: no other reading of the wall clock."""
    others = [p for p in _python_files() if p.name != "clock.py"]
    pattern = r"time\.time\(\)|datetime\.now\(|datetime\.utcnow\(|date\.today\(|datetime\.today\("
    assert not _offending(others, pattern)


def test_only_the_helper_names_a_time_zone():
    others = [p for p in _python_files() if p.name not in ("timefmt.py", "settings.py")]
    assert not _offending(others, r"ZoneInfo\(\"|[\"']Europe/Paris[\"']")


def test_every_datetime_column_is_stored_in_utc():
    from vvs_core.models import Base, UTCDateTime

    plain = [f"{table.name}.{column.name}" for table in Base.metadata.tables.values() for column in table.columns
             if isinstance(column.type, sa.DateTime) and not isinstance(column.type, UTCDateTime)]
    assert not plain


# --- The clock -------------------------------------------------------------------------

def test_the_clock_fixture_stops_and_moves_every_reading(clock):
    from vvs_core.web.ratelimit import MemoryStore

    stopped = clock.set_local(2026, 7, 14, 23, 30)
    assert stopped == datetime(2026, 7, 14, 21, 30, tzinfo=timezone.utc)
    assert clock.now() == stopped and timefmt.utcnow() == stopped
    assert clock.advance(minutes=5) == stopped + timedelta(minutes=5)
    assert dates.relative(stopped) == "il y a 5 minutes"
    store = MemoryStore()
    assert store.incr("k", 60) == 1 and store.incr("k", 60) == 2
    clock.advance(seconds=61)  # a rate-limit window is over when the clock says so
    assert store.incr("k", 60) == 1
    with pytest.raises(ValueError):
        clock.set(datetime(2026, 7, 14, 23, 30))  # naive: refused


def test_the_clock_runs_again_after_the_test():
    assert abs((clock.utcnow() - datetime.now(timezone.utc)).total_seconds()) < 60


def test_totp_codes_follow_the_moved_clock(clock):
    import pyotp

    from vvs_mairie.twofactor import matching_step

    secret = pyotp.random_base32()
    clock.set_local(2026, 12, 31, 23, 30)
    code = pyotp.TOTP(secret).at(clock.now())
    assert matching_step(secret, code) is not None
    clock.advance(minutes=10)
    assert matching_step(secret, code) is None


# --- The display helper ---------------------------------------------------------------

SUMMER = datetime(2026, 7, 14, 21, 30, tzinfo=timezone.utc)     # 23:30 CEST (UTC+2)
WINTER = datetime(2026, 12, 31, 22, 30, tzinfo=timezone.utc)    # 23:30 CET (UTC+1), still 31 Dec


@pytest.mark.parametrize("moment, day, offset, long", [
    (SUMMER, "14/07/2026", "+02:00", "mardi 14 juillet 2026"),
    (WINTER, "31/12/2026", "+01:00", "jeudi 31 décembre 2026"),
])
def test_2330_paris_reads_2330_in_every_format(moment, day, offset, long):
    assert dates.datetime(moment) == f"{day} à 23:30"
    assert dates.date(moment) == day
    assert dates.day_time(moment) == f"{day[:5]} 23:30"
    assert dates.time(moment) == "23:30"
    assert dates.long_date(moment) == long
    assert dates.iso(moment) == f"{day[6:]}-{day[3:5]}-{day[:2]}T23:30:00{offset}"
    assert dates.input_value(moment) == f"{day[6:]}-{day[3:5]}-{day[:2]}T23:30"
    assert dates.ical_local(moment) == f"{day[6:]}{day[3:5]}{day[:2]}T233000"
    assert dates.parse_local(dates.input_value(moment)) == moment
    naive_utc = moment.replace(tzinfo=None)  # what SQLite used to give back
    assert dates.datetime(naive_utc) == f"{day} à 23:30"


def test_dates_without_a_time_and_hours_without_a_date_are_shown_as_they_are():
    assert dates.date(date(2026, 7, 14)) == "14/07/2026"
    assert dates.time(time(22, 0)) == "22:00"
    assert dates.full_date(date(2026, 3, 1)) == "1er mars 2026"
    assert dates.full_date(date(2026, 3, 11)) == "11 mars 2026"
    assert dates.month(SUMMER) == "juillet 2026" and dates.month_key(WINTER) == "2026-12"
    assert dates.datetime(None) == "" and dates.datetime(None, "—") == "—"


def test_the_local_day_is_the_communes(clock):
    clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc))  # 00:30 on 1 January in Paris
    assert dates.today() == date(2027, 1, 1)
    clock.set(WINTER)
    assert dates.today() == date(2026, 12, 31)


def test_the_time_zone_is_a_setting():
    from vvs_core.settings import core_registry

    setting = core_registry().declared["vvs.timezone"]
    assert setting.default == "Europe/Paris"
    assert setting.parse("America/Cayenne") == "America/Cayenne"
    with pytest.raises(ValueError):
        setting.parse("Paris/Texas")
    before = dates.zone.key
    try:
        timefmt.set_zone("America/Cayenne")  # a commune of French Guiana: UTC-3, no summer time
        assert dates.datetime(SUMMER) == "14/07/2026 à 18:30" and dates.iso(SUMMER).endswith("-03:00")
    finally:
        timefmt.set_zone(before)


def test_renderer_global_is_the_helper():
    from vvs_core.web import add_renderer_globals

    event = {"request": None}
    add_renderer_globals(event)
    assert event["dates"] is dates  # every template (BeforeRender), even without a request


# --- Storage ---------------------------------------------------------------------------

def test_datetimes_are_stored_in_utc_and_read_back_aware(dbsession, make_user):
    """19:00 in Paris typed into a form is 17:00 UTC on both SQLite and PostgreSQL; it
    compares correctly and comes back aware (SQLite used to keep the digits « 19:00 »)."""
    from vvs_core.models import User

    user = make_user()
    paris_1900 = datetime(2026, 7, 14, 19, 0, tzinfo=PARIS)
    user.closed_at = paris_1900
    dbsession.flush()
    dbsession.expire_all()
    back = dbsession.get(User, user.id).closed_at
    assert back.tzinfo is not None and back == paris_1900
    assert back.utcoffset() == timedelta(0) and back.hour == 17
    assert dates.time(back) == "19:00"
    found = dbsession.scalar(sa.select(sa.func.count()).select_from(User).where(
        User.id == user.id, User.closed_at > datetime(2026, 7, 14, 18, 30, tzinfo=PARIS),
        User.closed_at < datetime(2026, 7, 14, 17, 30, tzinfo=timezone.utc)))
    assert found == 1


@pytest.mark.parametrize("typed", ["2026-07-14T23:30", "2026-07-14 23:30", "14/07/2026 23:30", "14/07/2026 à 23h30",
                                   " 14/07/2026 23h30 ", "2026-07-14T23:30:00+02:00", "2026-07-14T21:30Z"])
def test_an_hour_typed_in_french_or_iso_is_paris_time(typed):
    """Where the browser has no date-time picker, people type « 14/07/2026 à 23h30 »."""
    assert dates.parse_local(typed) == SUMMER


@pytest.mark.parametrize("typed", ["", "abc", "2026-07-14", "2026-07-14T25:99", "32/13/2026 23:30",
                                   "14/07/2026 23:30 et des poussières", "２０２６-07-14T23:30", "\x00" * 20,
                                   "14/07/2026", "9" * 5000])
def test_what_is_not_a_date_and_an_hour_is_refused(typed):
    with pytest.raises(ValueError):
        dates.parse_local(typed)


def test_the_hour_in_the_spring_gap_and_the_autumn_repeat_is_kept_readable():
    """02:30 does not exist on 29 March 2026 in Paris, and happens twice on 25 October:
    both are accepted and shown back as an hour that exists."""
    spring = dates.parse_local("29/03/2026 02:30")
    assert dates.datetime(spring) in ("29/03/2026 à 01:30", "29/03/2026 à 03:30")
    autumn = dates.parse_local("25/10/2026 02:30")
    assert dates.datetime(autumn) == "25/10/2026 à 02:30"
