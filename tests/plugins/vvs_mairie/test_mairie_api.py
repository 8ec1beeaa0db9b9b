"""The mairie in the JSON API: /api/v1/communes/{insee}/alerts, /activity and
/acknowledgement, with the pages' permission (agents of that commune, second factor
passed; a token created after it), the pages' data, pagination, hostile parameters, and
their place in the OpenAPI document."""
import uuid
from datetime import timedelta

import pytest
from shapely.geometry import Point
from sqlalchemy import select

from vvs_api.tokens import issue_api_token
from vvs_core.clock import utcnow
from vvs_mairie.models import SecondFactorToken
from vvs_mairie.testing import agent_login, agent_token, mairie  # noqa: F401

BASE = "/api/v1/communes/77449"


def _alert(dbsession, setup, minutes_ago=10, severity="moderate", status="published", category="cambriolage",
           text="Cambriolage en cours rue de l’Église « vite » 🚨"):
    from vvs_alerts.models import Alert

    created = utcnow() - timedelta(minutes=minutes_ago)
    alert = Alert(community_id=setup.community.id, commune_id=setup.commune.id, author_id=setup.residents[0].id,
                  category=category, text=text, severity=severity, created_at=created,
                  published_at=created if status != "held" else None, expires_at=created + timedelta(hours=24),
                  status=status, idempotency_key=uuid.uuid4().hex, source="web", place=Point(2.7865, 48.8455))
    dbsession.add(alert)
    dbsession.flush()
    return alert


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_agent_reads_alerts_with_their_follow_up(testapp, dbsession, mairie, agent_token):
    old = _alert(dbsession, mairie, minutes_ago=60 * 24 * 3, severity="high")
    new = _alert(dbsession, mairie, minutes_ago=5)
    held = _alert(dbsession, mairie, minutes_ago=2, status="held")
    token = agent_token(testapp, mairie)
    # The agent acknowledges one through the page's way (a fresh session).
    from vvs_mairie.models import AlertAcknowledgement

    dbsession.add(AlertAcknowledgement(alert_id=old.id, commune_id=mairie.commune.id,
                                       agent_user_id=mairie.agent_user.id, status="patrouille",
                                       at=old.created_at + timedelta(minutes=12), alert_created_at=old.created_at))
    dbsession.flush()
    answer = testapp.get(BASE + "/alerts", headers=_bearer(token), status=200)
    assert answer.headers["Cache-Control"] == "private, no-store"
    items = answer.json["items"]
    assert [i["id"] for i in items] == [held.id, new.id, old.id]
    by_id = {i["id"]: i for i in items}
    assert by_id[old.id]["follow_up"] == {"status": "patrouille", "status_label": "patrouille envoyée",
                                          "acknowledged_at": by_id[old.id]["follow_up"]["acknowledged_at"],
                                          "delay_minutes": 12.0}
    assert by_id[new.id]["follow_up"]["status"] == "recue" and by_id[new.id]["follow_up"]["delay_minutes"] is None
    assert by_id[held.id]["state"] == "held" and by_id[held.id]["state_label"]
    assert by_id[new.id]["lon"] == pytest.approx(2.7865) and by_id[new.id]["community_id"] == mairie.community.id
    assert by_id[new.id]["follow_url"].endswith(f"/mairie/77449/signalements/{new.id}")
    assert "author_id" not in by_id[new.id]  # residents are read on the alert's page, not here
    # filters
    assert [i["id"] for i in testapp.get(BASE + "/alerts?days=1", headers=_bearer(token)).json["items"]] == [held.id, new.id]
    assert [i["id"] for i in testapp.get(BASE + "/alerts?status=patrouille", headers=_bearer(token)).json["items"]] == [old.id]
    assert [i["id"] for i in testapp.get(BASE + "/alerts?status=recue&days=1",
                                         headers=_bearer(token)).json["items"]] == [held.id, new.id]
    severity = by_id[old.id]["severity"]
    assert [i["id"] for i in testapp.get(BASE + "/alerts", {"severity": severity},
                                         headers=_bearer(token)).json["items"]] == [old.id]
    assert testapp.get(BASE + f"/alerts?community_id={mairie.community.id}", headers=_bearer(token)).json["items"]


def test_alerts_are_paginated(testapp, dbsession, mairie, agent_token):
    ids = [_alert(dbsession, mairie, minutes_ago=n + 1).id for n in range(5)]
    token = agent_token(testapp, mairie)
    first = testapp.get(BASE + "/alerts?per_page=2", headers=_bearer(token)).json
    assert [i["id"] for i in first["items"]] == ids[:2] and first["next"]
    assert first["next"].endswith(BASE + "/alerts?page=2&per_page=2")
    second = testapp.get(BASE + "/alerts?page=2&per_page=2", headers=_bearer(token)).json
    assert [i["id"] for i in second["items"]] == ids[2:4]
    last = testapp.get(BASE + "/alerts?page=3&per_page=2", headers=_bearer(token)).json
    assert [i["id"] for i in last["items"]] == ids[4:] and last["next"] is None
    assert testapp.get(BASE + "/alerts?page=99", headers=_bearer(token)).json["items"] == []


def test_activity_since_an_instant(testapp, dbsession, mairie, agent_token):
    old = _alert(dbsession, mairie, minutes_ago=60 * 30)
    new = _alert(dbsession, mairie, minutes_ago=3)
    token = agent_token(testapp, mairie)
    assert [i["id"] for i in testapp.get(BASE + "/activity", headers=_bearer(token)).json["items"]] == [new.id]
    since = (utcnow() - timedelta(days=2)).isoformat()
    items = testapp.get(BASE + "/activity", {"since": since}, headers=_bearer(token)).json["items"]
    assert [i["id"] for i in items] == [new.id, old.id] and items[0]["kind"] == "alert"
    assert "follow_up" not in items[0]


def test_acknowledgement_rate_and_median_delay(testapp, dbsession, mairie, agent_token):
    from vvs_mairie.models import AlertAcknowledgement
    from vvs_mairie.reports import parse_month
    from vvs_core.web.timefmt import dates

    alerts = [_alert(dbsession, mairie, minutes_ago=m) for m in (40, 30, 20)]
    for alert, delay in zip(alerts[:2], (4, 10)):
        dbsession.add(AlertAcknowledgement(alert_id=alert.id, commune_id=mairie.commune.id,
                                           agent_user_id=mairie.agent_user.id, at=alert.created_at + timedelta(minutes=delay),
                                           alert_created_at=alert.created_at))
    dbsession.flush()
    token = agent_token(testapp, mairie)
    month = dates.month_key(utcnow())
    figures = testapp.get(BASE + "/acknowledgement", headers=_bearer(token)).json
    assert figures["month"] == month and figures["alerts"] == 3 and figures["acknowledged"] == 2
    assert figures["rate"] == 67 and figures["median_minutes"] == 7.0 and figures["median"]
    # the page's report says the same
    page_report = testapp.get(f"/mairie/77449/rapport/{month}", status=302)  # no session any more
    assert "/connexion" in page_report.location
    assert testapp.get(BASE + "/acknowledgement?month=2024-01", headers=_bearer(token)).json == {
        "month": "2024-01", "label": "janvier 2024", "alerts": 0, "acknowledged": 0, "rate": None,
        "median_minutes": None, "median": "—"}
    refused = testapp.get(BASE + "/acknowledgement?month=2099-12", headers=_bearer(token), status=404).json
    assert refused["error"]["code"] == "month_not_started"
    assert parse_month(month)


@pytest.mark.parametrize("query", [
    "days=0", "days=91", "days=abc", "days=-5", "days=%D9%A3", "days=" + "9" * 30, "community_id=999999",
    "community_id=abc", "community_id=" + "1" * 30, "status=ouverte", "severity=" + "x" * 81,
    "since=hier", "since=2026-01-01T00:00:00", "since=2001-01-01T00:00:00%2B00:00", "since=" + "2" * 50,
    "page=0", "per_page=1000", "severity=%00"])
def test_hostile_parameters_get_a_french_400(testapp, mairie, agent_token, query):
    token = agent_token(testapp, mairie)
    path = "/activity" if query.startswith("since") else "/alerts"
    answer = testapp.get(f"{BASE}{path}?{query}", headers=_bearer(token), status=400).json
    # a NUL character is refused by the core before the endpoint reads it
    expected = "invalid_encoding" if "%00" in query else "invalid_parameter"
    assert answer["error"]["code"] == expected and answer["error"]["message"]


@pytest.mark.parametrize("month", ["2026-13", "abcd-ef", "2026-5", "١٢٣٤-٠١", "9" * 30, "1999-12"])
def test_hostile_months(testapp, mairie, agent_token, month):
    token = agent_token(testapp, mairie)
    answer = testapp.get(BASE + "/acknowledgement", {"month": month}, headers=_bearer(token), status=400).json
    assert answer["error"]["code"] == "invalid_parameter"


@pytest.mark.parametrize("insee", ["9" * 30, "abcde", "7744", "77 449", "00000", "%00", "2A004"])
def test_hostile_or_unknown_insee_is_a_404(testapp, mairie, agent_token, insee):
    token = agent_token(testapp, mairie)
    status, code = (400, "invalid_encoding") if insee == "%00" else (404, "not_found")  # NUL: refused by the core
    for path in ("alerts", "activity", "acknowledgement"):
        answer = testapp.get(f"/api/v1/communes/{insee}/{path}", headers=_bearer(token), status=status).json
        assert answer["error"]["code"] == code


def test_a_token_made_before_the_second_factor_opens_nothing(testapp, dbsession, mairie):
    from vvs_mairie.testing import token_from_page

    testapp.login(mairie.agent_user)  # password only: the second factor not passed
    token = token_from_page(testapp)
    assert dbsession.scalars(select(SecondFactorToken)).all() == []
    assert testapp.get(BASE + "/alerts", headers=_bearer(token), status=403).json["error"]["code"] == "forbidden"
    direct = issue_api_token(dbsession, mairie.agent_user, "script")[1]  # not through a session at all
    testapp.get(BASE + "/alerts", headers=_bearer(direct), status=403)


def test_reset_second_factor_or_removal_closes_the_tokens(testapp, dbsession, mairie, agent_token, make_user):
    token = agent_token(testapp, mairie)
    testapp.get(BASE + "/alerts", headers=_bearer(token), status=200)
    admin = make_user(is_admin=True)
    testapp.login(admin)
    page = testapp.get("/admin/communes/77449")
    form = page.forms[f"mairie-second_factor-{mairie.agent.id}"]
    form["reason"] = "Téléphone perdu par l’agent, à sa demande"
    form.submit("submit", status=303)
    testapp.reset()
    testapp.get(BASE + "/alerts", headers=_bearer(token), status=403)
    assert dbsession.scalars(select(SecondFactorToken)).all() == []


def test_the_openapi_document_describes_the_mairie_endpoints(testapp):
    doc = testapp.get("/api/v1/openapi.json").json
    for path in ("alerts", "activity", "acknowledgement"):
        operation = doc["paths"][f"/api/v1/communes/{{insee}}/{path}"]["get"]
        assert operation["tags"] == ["mairie"]
        insee = next(p for p in operation["parameters"] if p["name"] == "insee")
        assert insee["schema"]["type"] == "string" and insee["schema"]["maxLength"] == 5
    alerts = doc["paths"]["/api/v1/communes/{insee}/alerts"]["get"]
    assert {p["name"] for p in alerts["parameters"]} >= {"page", "per_page", "days", "status", "community_id"}
    assert "MairieAcknowledgement" in doc["components"]["schemas"]
