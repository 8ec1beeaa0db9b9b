"""The core's hand-written forms — the sign-up's marker, new community and référent steps,
and the validation queue's decision — read through ``vvs_core.web.forms`` (issue 14):
hostile input (empty, 20,000 characters, 30 digits, negative numbers, a file for a field,
control characters, emoji) answers in French, changes nothing and is never a 500."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from vvs_core.models import Community, Membership
from vvs_core.testing import SERRIS

from test_signup_flow import csrf_post, sign_up_to_step5, start

LONG = "é" * 20000
DIGITS = "9" * 30


@pytest.fixture(autouse=True)
def fresh_rate_limits(app_registry):
    app_registry["vvs.ratelimit_store"] = None  # a new in-memory store for this test


@pytest.mark.parametrize("lon, lat", [("", ""), (LONG, LONG), (DIGITS, DIGITS), ("-1", "-1"), ("🏠", "« 48 »"),
                                      ("2,78", ""), ("nan", "inf")])
def test_hostile_markers_move_nothing(testapp, commune, lon, lat):
    start(testapp)
    page = csrf_post(testapp, "/inscription/position", {"lon": lon, "lat": lat}, status=400)
    assert "marqueur" in page.text or "commune" in page.text or "position" in page.text
    testapp.get("/inscription/confirmation", status=303)  # nothing placed: back to the map


def test_a_file_for_the_marker_is_no_marker(testapp, commune):
    start(testapp)
    token = testapp.get("/inscription").text.split('name="csrf_token" value="')[1].split('"')[0]
    page = testapp.post("/inscription/position", {"csrf_token": token, "lat": str(SERRIS[1])},
                        upload_files=[("lon", "lon.txt", str(SERRIS[0]).encode())], status=400)
    assert "Placez le marqueur" in page.text or "position" in page.text


def test_hostile_new_communities_create_nothing(testapp, commune, dbsession):
    sign_up_to_step5(testapp)
    for name in ("", LONG, "\x00\x1b", "  "):
        testapp.post_csrf("/inscription/creer", {"name": name}, status=400)
    testapp.post("/inscription/creer", {"csrf_token": testapp.csrf()}, upload_files=[("name", "n.txt", b"Lilas")],
                 status=400)
    assert dbsession.scalar(select(func.count(Community.id))) == 0
    testapp.post_csrf("/inscription/creer", {"name": "  Allée des « Lilas » 🌸  "}, status=303)
    for answer in ("", LONG, "OUI 👍"):
        assert "Répondez" in testapp.post_csrf("/inscription/referent", {"referent": answer}, status=400).text
    assert dbsession.scalar(select(func.count(Community.id))) == 0
    testapp.post_csrf("/inscription/referent", {"referent": " oui "}, status=303)
    assert dbsession.scalar(select(Community.name)) == "Allée des « Lilas » 🌸"


def test_hostile_decisions_decide_nothing(testapp, dbsession, make_user, make_community):
    referent, resident = make_user(), make_user()
    community = make_community("Le Bourg", referents=[referent])
    dbsession.add(Membership(user_id=resident.id, community_id=community.id, status="pending"))
    dbsession.flush()
    pending = dbsession.scalar(select(Membership).where(Membership.user_id == resident.id))
    testapp.login(referent)
    url = f"/communaute/{community.id}/demandes/{pending.id}"
    for form, messages in [
        ({}, ["Choisissez « Accepter » ou « Refuser »."]),
        ({"decision": LONG, "reason": LONG}, ["Choisissez « Accepter » ou « Refuser ».",
                                              "Le motif est trop long (1000 caractères au plus)."]),
        ({"decision": "refuse", "reason": DIGITS + "\x1b"}, ["caractères de contrôle invisibles"]),
        ({"decision": "refuse", "reason": DIGITS + "\x00"}, ["caractères de contrôle invisibles"]),
        ({"decision": "refuse", "reason": " "}, ["Indiquez le motif du refus"]),
    ]:
        page = testapp.post_csrf(url, form, status=400)
        assert all(message in page.text for message in messages), form
    page = testapp.post(url, {"csrf_token": testapp.csrf(), "decision": "refuse"},
                        upload_files=[("reason", "motif.txt", b"Adresse hors du quartier")], status=400)
    assert "Indiquez le motif du refus" in page.text
    dbsession.expire_all()
    assert dbsession.get(Membership, pending.id).status == "pending"
    testapp.post_csrf(url, {"decision": "refuse", "reason": "Adresse hors du « Bourg » ’ 🏘"}, status=303)
    dbsession.expire_all()
    assert dbsession.get(Membership, pending.id).decision_reason == "Adresse hors du « Bourg » ’ 🏘"
