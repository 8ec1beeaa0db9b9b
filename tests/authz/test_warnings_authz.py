"""Who reaches the official warnings' pages: the commune's agents with their second
factor, nobody else (residents, staff, the agents of another commune)."""
from __future__ import annotations

import pyotp
import pytest

from mairie_world import chessy_with_mairie
from outsiders import sign_in_as
from vvs_mairie.testing import agent_login, enrol_agent, mairie  # noqa: F401
from vvs_warnings.models import OfficialWarning, WarningRelay

ROUTES = [("GET", "/avertissements/{insee}/reglages"), ("POST", "/avertissements/{insee}/reglages"),
          ("GET", "/avertissements/{insee}/{relay}"), ("POST", "/avertissements/{insee}/{relay}/envoyer"),
          ("POST", "/avertissements/{insee}/{relay}/ecarter")]


@pytest.fixture
def relay(dbsession, mairie):
    warning = OfficialWarning(key="vigilance@meteo.fr,authz", feed_url="http://127.0.0.1/x", source_name="Météo-France",
                              event="Orages", severity="Severe", departements=["77"])
    dbsession.add(warning)
    dbsession.flush()
    row = WarningRelay(warning_id=warning.id, commune_id=mairie.commune.id, state="draft",
                       title="Vigilance orange : Orages", body="Orages forts.", whole_commune=True, alert_url="")
    dbsession.add(row)
    dbsession.flush()
    return row


def _codes(testapp, insee, relay_id):
    out = {}
    for method, route in ROUTES:
        url = route.format(insee=insee, relay=relay_id)
        if method == "GET":
            out[url] = testapp.get(url, expect_errors=True).status_int
        else:  # an empty form: refused (400) or nothing to do (303), never sent
            out["POST " + url] = testapp.post_csrf(url, {}, expect_errors=True).status_int
    return out


def test_agent_reaches_the_warnings_of_own_commune(testapp, mairie, agent_login, relay):
    agent_login(testapp, mairie)
    codes = _codes(testapp, "77449", relay.id)
    assert codes["/avertissements/77449/reglages"] == 200 and codes[f"/avertissements/77449/{relay.id}"] == 200
    assert all(code in (200, 303, 400) for code in codes.values()), codes
    testapp.get("/avertissements/99999/reglages", status=404)
    testapp.get("/avertissements/77449/9999999", status=404)


def test_agent_of_another_commune_reaches_nothing(testapp, app_registry, dbsession, make_user, mairie, relay):
    chessy = chessy_with_mairie(dbsession)
    other = make_user()
    _agent, secret = enrol_agent(dbsession, app_registry.settings, other, chessy)
    testapp.login(other)
    testapp.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(secret).now()}, status=303)
    assert set(_codes(testapp, "77449", relay.id).values()) == {403}
    # Its own commune's settings, yes; the Serris relay through Chessy's address, no.
    testapp.get("/avertissements/77111/reglages", status=200)
    testapp.get(f"/avertissements/77111/{relay.id}", status=404)


@pytest.mark.parametrize("who", ["anonymous", "agent-without-second-factor", "resident", "referent", "moderator", "admin"])
def test_nobody_else_reaches_the_warnings(testapp, dbsession, make_user, mairie, relay, who):
    sign_in_as(testapp, who, dbsession, make_user, mairie)
    codes = set(_codes(testapp, "77449", relay.id).values())
    assert codes <= {403, 302, 303} and 200 not in codes, codes
    assert dbsession.get(WarningRelay, relay.id).state == "draft"
