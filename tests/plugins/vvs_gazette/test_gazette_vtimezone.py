"""The gazette's iCalendar feed carries the ``VTIMEZONE`` of the zone its hours are in."""
from datetime import datetime, timezone

from vvs_core.web.timefmt import shown_in
from vvs_gazette.vtimezone import vtimezone

SUMMER = datetime(2026, 7, 14, 21, 30, tzinfo=timezone.utc)     # 23:30 CEST (UTC+2)
WINTER = datetime(2026, 12, 31, 22, 30, tzinfo=timezone.utc)    # 23:30 CET (UTC+1), still 31 Dec


def test_vtimezone_lists_the_changes_of_offset():
    lines = vtimezone(SUMMER, WINTER)
    text = "\n".join(lines)
    assert lines[0] == "BEGIN:VTIMEZONE" and lines[1] == "TZID:Europe/Paris" and lines[-1] == "END:VTIMEZONE"
    assert "BEGIN:STANDARD\nDTSTART:20261025T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nTZNAME:CET" in text
    assert "BEGIN:DAYLIGHT\nDTSTART:20260329T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nTZNAME:CEST" in text


def test_a_zone_without_summer_time_has_one_observance():
    with shown_in("Indian/Reunion"):
        lines = vtimezone(SUMMER, WINTER)
    assert lines[1] == "TZID:Indian/Reunion" and lines.count("BEGIN:STANDARD") == 1 and "TZOFFSETTO:+0400" in lines
