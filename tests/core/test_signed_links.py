"""Signed links (``vvs_core.web.links.signed`` / ``unsigned``): the one way a link sent to
someone without a session carries its credential (roll-call answers, stop links,
calendar feeds). Hostile tokens are refused, never an error."""
import base64
import hashlib
import hmac
from datetime import timedelta

import pytest

from vvs_core.testing import TEST_SECRET
from vvs_core.web.links import signed, unsigned

SETTINGS = {"vvs.secret": TEST_SECRET}


def test_a_token_opens_for_its_purpose_only():
    token = signed(SETTINGS, "rollcall-answer", 12)
    assert token.startswith("12-") and len(token) == 3 + 22
    assert all(c.isascii() and (c.isalnum() or c in "-_") for c in token)  # URL-safe, no « = »
    assert unsigned(SETTINGS, "rollcall-answer", token) == 12
    assert unsigned(SETTINGS, "mairie-messages-stop", token) is None         # another purpose's token
    assert unsigned(SETTINGS, "mairie-messages-stop", signed(SETTINGS, "rollcall-answer", 12)) is None
    assert signed(SETTINGS, "mairie-messages-stop", 12) != token
    assert unsigned({"vvs.secret": "another site's secret, 32 characters"}, "rollcall-answer", token) is None


def test_what_a_token_stands_for_without_carrying_it_goes_in_the_purpose():
    token = signed(SETTINGS, "gazette-ical:3", 7)  # member 7 of community 3's feed
    assert unsigned(SETTINGS, "gazette-ical:3", token) == 7
    assert unsigned(SETTINGS, "gazette-ical:4", token) is None
    assert unsigned(SETTINGS, "gazette-ical:33", token) is None
    assert unsigned(SETTINGS, "gazette-ical", token) is None


@pytest.mark.parametrize("bad", [
    "13-{mac}",                        # another id, the same signature
    "12-{flipped}",                    # one character of the signature changed
    "12-{short}",                      # truncated
    "12-{mac}x",                       # one character more
    "12", "12-", "-{mac}", "", None, 12, ["12-{mac}"],
    "١٢-{mac}",                        # Arabic-Indic digits
    "12-{mac}é", "Zoé-{mac}", "12-{mac}🌠", "12\x00-{mac}",
    "12-" + "A" * 5000,                # very long
    "9" * 4000 + "-{mac}",
    "12~-{mac}", "12~abc-{mac}", "12~99999999999-{mac}",  # an expiry added by hand
    "012-{mac}", "12.0-{mac}", "+12-{mac}",
    "<script>alert(1)</script>", "12-{mac}\n", " 12-{mac}",
])
def test_hostile_tokens_are_refused_never_an_error(bad):
    mac = signed(SETTINGS, "rollcall-answer", 12)[3:]
    if isinstance(bad, str):
        bad = bad.format(mac=mac, flipped=("B" if mac[5] != "B" else "C").join((mac[:5], mac[6:])), short=mac[:-1])
    assert unsigned(SETTINGS, "rollcall-answer", bad) is None


def test_an_expiring_token_dies_on_time(clock):
    now = clock.set_local(2026, 3, 29, 1, 30)  # Paris, the night the clocks go forward
    token = signed(SETTINGS, "essai", 31, expires=now + timedelta(hours=2))
    assert "~" in token and unsigned(SETTINGS, "essai", token) == 31
    clock.set(now + timedelta(hours=1, minutes=59))
    assert unsigned(SETTINGS, "essai", token) == 31
    clock.set(now + timedelta(hours=2))
    assert unsigned(SETTINGS, "essai", token) is None
    later = token.replace(token.split("~")[1].split("-")[0], str(int((now + timedelta(days=9)).timestamp())))
    assert unsigned(SETTINGS, "essai", later) is None  # the expiry is signed


def test_a_link_carries_a_row_id():
    assert signed(SETTINGS, "essai", "12") == signed(SETTINGS, "essai", 12)
    for value in ("Zoé", "a-b", "", None):
        with pytest.raises((ValueError, TypeError)):
            signed(SETTINGS, "essai", value)
    assert unsigned(SETTINGS, "essai", signed(SETTINGS, "essai", 1234567890)) is None  # beyond INTEGER


def test_links_sent_before_the_helper_still_open_through_legacy():
    """A plugin names the message its own HMAC of vvs.secret signed: those links, already
    in inboxes and SMS, keep working (22 base64, 32 or 40 hex characters)."""
    digest = hmac.new(TEST_SECRET.encode(), b"old-purpose:12", hashlib.sha256).digest()
    legacy = lambda value: f"old-purpose:{value}"  # noqa: E731
    for mac in (base64.urlsafe_b64encode(digest).decode()[:22], digest.hex()[:32], digest.hex()[:40]):
        assert unsigned(SETTINGS, "new-purpose", f"12-{mac}", legacy=legacy) == 12
        assert unsigned(SETTINGS, "new-purpose", f"12-{mac}") is None        # not without legacy
        assert unsigned(SETTINGS, "new-purpose", f"13-{mac}", legacy=legacy) is None
        assert unsigned(SETTINGS, "new-purpose", f"12-{mac[:-1]}", legacy=legacy) is None
    assert unsigned(SETTINGS, "new-purpose", f"12-{digest.hex()}", legacy=legacy) is None  # only the forms sent
    assert unsigned(SETTINGS, "new-purpose", f"12-{digest.hex()[:40]}", legacy=lambda value: None) is None
