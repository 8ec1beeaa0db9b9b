"""The public channel of the mairie (vvs_followers) and the proofs' public key: every
role, anonymous visitors included, reaches the same public pages and gets the same
answers (nothing tells one role, or one follower, from another); none of them reaches
a mairie page through them."""
from __future__ import annotations

import re

import pytest

from vvs_mairie.testing import agent_login, mairie  # noqa: F401

ROUTES = [("GET", "/communes/suivre"), ("GET", "/communes/{insee}/suivre"), ("POST", "/communes/{insee}/suivre"),
          ("GET", "/communes/{insee}/suivre/code"), ("POST", "/communes/{insee}/suivre/code"),
          ("GET", "/communes/{insee}/suivre/verifiez-vos-e-mails"), ("POST", "/communes/{insee}/suivre/notifications"),
          ("GET", "/suivre/confirmer/1.abcdefghijklmnopqrstuvwxyz"),
          ("POST", "/suivre/confirmer/1.abcdefghijklmnopqrstuvwxyz"),
          ("GET", "/suivre/desabonnement/1-" + "0" * 32), ("POST", "/suivre/desabonnement/1-" + "0" * 32),
          ("GET", "/communes/{insee}/cle-publique.pem")]


def _codes(testapp, insee):
    page = testapp.get("/communes/77449/suivre")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    out = {}
    for method, route in ROUTES:
        url = route.format(insee=insee)
        if method == "GET":
            out[url] = testapp.get(url, expect_errors=True).status_int
        else:  # an empty form: refused (400) or nothing to do (200, 303)
            out["POST " + url] = testapp.post(url, {"csrf_token": token.group(1) if token else ""},
                                              expect_errors=True).status_int
    return out


EXPECTED = {"/communes/suivre": 200, "/communes/77449/suivre": 200, "POST /communes/77449/suivre": 400,
            "/communes/77449/suivre/code": 303,             # no request in progress: back to the form
            "POST /communes/77449/suivre/code": 303,
            "/communes/77449/suivre/verifiez-vos-e-mails": 200,
            "POST /communes/77449/suivre/notifications": 404,   # no push provider with a key in tests
            "/suivre/confirmer/1.abcdefghijklmnopqrstuvwxyz": 200,
            "POST /suivre/confirmer/1.abcdefghijklmnopqrstuvwxyz": 400,
            f"/suivre/desabonnement/1-{'0' * 32}": 200, f"POST /suivre/desabonnement/1-{'0' * 32}": 200,
            "/communes/77449/cle-publique.pem": 200}


@pytest.mark.parametrize("who", ["anonymous", "resident", "moderator", "admin", "agent"])
def test_every_role_gets_the_same_public_answers(testapp, mairie, agent_login, make_user, who):
    if who == "agent":
        agent_login(testapp, mairie)
    elif who != "anonymous":
        testapp.login(make_user(is_moderator=who == "moderator", is_admin=who == "admin"))
    assert _codes(testapp, "77449") == EXPECTED
    for method, route in ROUTES:
        if "{insee}" in route and method == "GET":
            testapp.get(route.format(insee="99999"), status=404)


def test_a_post_without_csrf_token_is_refused_except_the_one_click_stop(testapp, mairie):
    testapp.get("/communes/77449/suivre")
    assert testapp.post("/communes/77449/suivre", {"contact": "0639981234"}, expect_errors=True).status_int == 400
    assert testapp.post("/suivre/confirmer/1.abcdefghijklmnopqrstuvwxyz", {}, expect_errors=True).status_int == 400
    assert testapp.post_json("/communes/77449/suivre/notifications", {"endpoint": "https://push.example.test/a"},
                             expect_errors=True).status_int == 400
    assert testapp.post(f"/suivre/desabonnement/1-{'0' * 32}", {"List-Unsubscribe": "One-Click"}).status_int == 200
