"""The JSON API (/api/v1) through WebTest, on SQLite and PostGIS: authentication by
session and by personal token, CSRF, errors (stable code, French message),
pagination, the directory's privacy, rate limits, and each resource."""
import re

import pytest
from sqlalchemy import select

from vvs_api.toolkit import openapi_path
from vvs_api.tokens import issue_api_token
from vvs_api.models import ApiToken
from vvs_core.models import Notification
from vvs_core.testing import run_tasks



def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def hood(dbsession, make_user, make_community, app):
    member = make_user(first_name="Marie", last_name="Durand")
    neighbour = make_user(first_name="Paul", last_name="Martin", mobile="+33612345678", hide_mobile=True)
    referent = make_user(first_name="Rose", last_name="Leroy")
    community = make_community(members=[member, neighbour], referents=[referent])
    _row, token = issue_api_token(dbsession, member, "tests")
    return {"member": member, "neighbour": neighbour, "referent": referent, "community": community, "token": token}


def test_every_api_route_is_in_the_openapi_document(testapp, app_registry):
    document = testapp.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.0")
    documented = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    declared = set()
    for intr in app_registry.introspector.get_category("views"):
        view = intr["introspectable"]
        route = app_registry.introspector.get("routes", view["route_name"]) if view["route_name"] else None
        if route is None or not route["pattern"].startswith("/api/v1/"):
            continue
        path = openapi_path(route["pattern"])
        methods = view["request_methods"]
        methods = [methods] if isinstance(methods, str) else methods
        assert methods, f"API view on {path} must name its method"
        declared.update((path, m) for m in methods)
    assert declared and declared <= documented, declared - documented
    for path, ops in document["paths"].items():
        for op in ops.values():
            assert "default" in op["responses"], path  # the JSON error format is documented everywhere


def test_token_session_and_revoked_token(testapp, dbsession, hood):
    me = testapp.get("/api/v1/me", headers=bearer(hood["token"])).json
    assert me["id"] == hood["member"].id and me["memberships"][0]["community_id"] == hood["community"].id
    assert "vvs_session" not in testapp.cookies  # a token request opens no session
    testapp.login(hood["member"])
    assert testapp.get("/api/v1/me").json["id"] == hood["member"].id
    row = dbsession.scalar(select(ApiToken).where(ApiToken.user_id == hood["member"].id))
    assert row.last_used_at is not None
    testapp.post_csrf(f"/parametres/jetons/{row.id}/revoquer", status=303)
    answer = testapp.get("/api/v1/me", headers=bearer(hood["token"]), status=401)
    assert answer.content_type == "application/json"
    assert answer.json["error"] == {"code": "invalid_token", "message": "Jeton d'accès invalide ou révoqué."}
    testapp.reset()
    anonymous = testapp.get("/api/v1/alerts", status=401).json["error"]
    assert anonymous["code"] == "authentication_required" and "connectez-vous" in anonymous["message"]


def test_session_writes_need_the_csrf_header_tokens_do_not(testapp, hood):
    body = {"category": "demarchage", "text": "Un faux agent des eaux sonne aux portes rue des Lilas."}
    testapp.login(hood["member"])
    refused = testapp.post_json("/api/v1/alerts", body, status=403).json["error"]
    assert refused["code"] == "csrf_failed" and "X-CSRF-Token" in refused["message"]
    made = testapp.post_json("/api/v1/alerts", body, headers={"X-CSRF-Token": testapp.csrf()}, status=201).json
    assert made["category"] == "demarchage" and made["status"] == "published"
    testapp.reset()
    body["text"] += " Encore lui."
    assert testapp.post_json("/api/v1/alerts", body, headers=bearer(hood["token"]), status=201).json["active"]


def test_errors_have_stable_codes_and_french_messages(testapp, hood):
    headers = bearer(hood["token"])
    bad = testapp.post_json("/api/v1/alerts", {"category": "ovni", "text": "court"}, headers=headers,
                            status=422).json["error"]
    assert bad["code"] == "validation_failed"
    assert bad["fields"]["category"].startswith("Valeur non reconnue")
    assert bad["fields"]["text"] == "Texte trop court : 10 caractères au moins."
    broken = testapp.post("/api/v1/alerts", "{pas du json", headers={**headers, "Content-Type": "application/json"},
                          status=400).json["error"]
    assert broken == {"code": "invalid_json", "message": "Le corps de la requête n'est pas du JSON valide."}
    assert testapp.get("/api/v1/alerts/999999", headers=headers, status=404).json["error"]["code"] == "not_found"
    nul = testapp.get("/api/v1/me/notifications?channel=%00", headers=headers, status=400).json["error"]
    assert nul["code"] == "invalid_encoding" and "caractère nul" in nul["message"]  # the core refuses it first


def test_directory_pagination_and_privacy(testapp, dbsession, make_user, hood):
    from vvs_core.models import Membership

    for n in range(3):
        extra = make_user(first_name=f"Voisin{n}")
        dbsession.add(Membership(user_id=extra.id, community_id=hood["community"].id, status="active"))
    dbsession.flush()
    url = f"/api/v1/communities/{hood['community'].id}/directory"
    headers = bearer(hood["token"])
    first = testapp.get(url + "?per_page=2", headers=headers)
    assert len(first.json["items"]) == 2 and first.json["page"] == 1
    assert first.json["next"].endswith("page=2&per_page=2")
    assert first.headers["Link"] == f'<{first.json["next"]}>; rel="next"'
    pages = [first.json["items"]]
    next_url = first.json["next"]
    while next_url:
        answer = testapp.get(next_url, headers=headers).json
        pages.append(answer["items"])
        next_url = answer["next"]
    everyone = [e for page in pages for e in page]
    assert len(everyone) == 6 and len({e["id"] for e in everyone}) == 6
    paul = next(e for e in everyone if e["id"] == hood["neighbour"].id)
    assert "mobile" not in paul and "mobile_hidden" not in paul  # hidden from the neighbour, as on the page
    zero = testapp.get(url + "?page=0", headers=headers, status=400).json["error"]
    assert zero["code"] == "invalid_parameter" and "entre 1 et" in zero["message"]
    for odd in ("%C2%B2", "%D9%A1"):  # « ² », Arabic one: digits to Python, not numbers here
        for name in ("page", "per_page"):
            assert testapp.get(f"{url}?{name}={odd}", headers=headers, status=400).json["error"]["code"] == "invalid_parameter"
    _row, own_token = issue_api_token(dbsession, hood["neighbour"], "moi")
    himself = testapp.get(url + "?per_page=100", headers=bearer(own_token)).json["items"]
    assert next(e for e in himself if e["id"] == hood["neighbour"].id)["mobile_hidden"] is True
    other = testapp.get("/api/v1/communities/999999/directory", headers=headers, status=404).json
    assert other["error"]["code"] == "not_found"


def test_rate_limit_answers_429_json(testapp, app_registry, hood):
    from app_changes import changed

    with changed(app_registry, settings={"vvs.ratelimit.api": "3/60"}):
        for _ in range(3):
            testapp.get("/api/v1/me", headers=bearer(hood["token"]))
        limited = testapp.get("/api/v1/me", headers=bearer(hood["token"]), status=429)
    assert limited.headers["Retry-After"] == "60"
    assert limited.json["error"]["code"] == "rate_limited"
    assert limited.json["error"]["message"].startswith("Trop de requêtes")


def test_alert_lifecycle_reaches_the_neighbours(testapp, dbsession, hood):
    headers = bearer(hood["token"])
    alert = testapp.post_json("/api/v1/alerts", {
        "category": "reperage", "severity": "severe", "idempotency_key": "cle-de-test-1",
        "text": "Une camionnette blanche sans plaque fait le tour du quartier."}, headers=headers, status=201).json
    again = testapp.post_json("/api/v1/alerts", {
        "category": "reperage", "idempotency_key": "cle-de-test-1",
        "text": "Une camionnette blanche sans plaque fait le tour du quartier."}, headers=headers, status=201).json
    assert again["id"] == alert["id"]
    listed = testapp.get("/api/v1/alerts?active=true", headers=headers).json
    assert [a["id"] for a in listed["items"]] == [alert["id"]]
    updated = testapp.post_json(f"/api/v1/alerts/{alert['id']}/updates", {"text": "Elle est repartie vers Lagny."},
                                headers=headers, status=201).json
    assert updated["updates"][0]["kind"] == "update"
    over = testapp.post_json(f"/api/v1/alerts/{alert['id']}/all-clear", {}, headers=headers, status=201).json
    assert over["active"] is False and over["all_clear_at"]
    late = testapp.post_json(f"/api/v1/alerts/{alert['id']}/updates", {"text": "Encore une chose à dire."},
                             headers=headers, status=409).json["error"]
    assert late["code"] == "alert_over"
    run_tasks()
    _row, token = issue_api_token(dbsession, hood["neighbour"], "voisin")
    received = testapp.get("/api/v1/me/notifications?channel=email", headers=bearer(token)).json["items"]
    assert received and all(n["channel"] == "email" for n in received)
    assert any("camionnette" in n["body"] for n in received)
    # The referent may read it; someone of another community gets 403 JSON.
    _row, ref_token = issue_api_token(dbsession, hood["referent"], "ref")
    assert testapp.get(f"/api/v1/alerts/{alert['id']}", headers=bearer(ref_token)).json["id"] == alert["id"]


def test_gazette_and_conversations(testapp, dbsession, hood):
    headers = bearer(hood["token"])
    base = f"/api/v1/communities/{hood['community'].id}/gazette"
    post = testapp.post_json(base, {"category": "pret_don", "title": "Prête une échelle",
                                    "text": "Échelle de 3 m à prêter ce week-end."}, headers=headers, status=201).json
    event = testapp.post_json(base, {"category": "evenement", "title": "Fête des voisins", "text": "Apéritif"},
                              headers=headers, status=422).json["error"]
    assert event["fields"] == {"event_at": "Obligatoire pour un événement."}
    replied = testapp.post_json(f"{base}/{post['id']}/replies", {"text": "Je veux bien, merci !"}, headers=headers,
                                status=201).json
    assert replied["reply_count"] == 1 and replied["replies"][0]["text"] == "Je veux bien, merci !"
    assert testapp.get(base, {"q": "échelle"}, headers=headers).json["items"][0]["id"] == post["id"]
    started = testapp.post_json("/api/v1/conversations", {"recipients": [hood["neighbour"].id], "subject": "Échelle",
                                                          "text": "Bonjour Paul"}, headers=headers, status=201).json
    assert started["participants"][0]["label"] == "Paul M."
    testapp.post_json(f"/api/v1/conversations/{started['id']}/messages", {"text": "Vous êtes là ?"}, headers=headers,
                      status=201)
    _row, token = issue_api_token(dbsession, hood["neighbour"], "voisin")
    inbox = testapp.get("/api/v1/conversations", headers=bearer(token)).json["items"]
    assert inbox[0]["unread"] == 2 and inbox[0]["with"] == "Marie D."
    read = testapp.get(f"/api/v1/conversations/{started['id']}", headers=bearer(token)).json
    assert [m["text"] for m in read["messages"]] == ["Bonjour Paul", "Vous êtes là ?"]
    assert testapp.get("/api/v1/conversations", headers=bearer(token)).json["items"][0]["unread"] == 0
    stranger = testapp.post_json("/api/v1/conversations", {"recipients": [999999], "text": "Coucou"},
                                 headers=headers, status=403).json["error"]
    assert stranger["code"] == "recipient_not_allowed"
    community = testapp.get("/api/v1/me/community", headers=headers).json
    assert community["id"] == hood["community"].id and community["boundary"]["type"] == "Polygon"


def test_token_settings_page_shows_the_token_once(testapp, dbsession, hood):
    testapp.login(hood["member"])
    page = testapp.get("/parametres/jetons")
    form = page.forms["jeton"]
    form["name"] = ""
    assert "Donnez un nom au jeton." in form.submit("submit", status=400).text
    form = testapp.get("/parametres/jetons").forms["jeton"]
    form["name"] = "Application du téléphone"
    created = form.submit("submit")
    token = re.search(r'value="(vvs_[A-Za-z0-9_-]+)"', created.text).group(1)
    assert testapp.get("/api/v1/me", headers=bearer(token)).json["id"] == hood["member"].id
    assert token not in testapp.get("/parametres/jetons").text
    row = dbsession.scalar(select(ApiToken).where(ApiToken.name == "Application du téléphone"))
    assert row.token_hash != token and len(row.token_hash) == 64
    # On a phone the table stacks each token's cells under their names (walk-through:
    # the five columns cut words in the middle at 360 px); a browser test looks at it.
    table = re.search(r'<table class="stacked">.*?</table>', testapp.get("/parametres/jetons").text, re.S).group(0)
    cells = re.findall(r"<td\b[^>]*>", table)
    assert cells and all("data-label=" in cell for cell in cells)


def test_notifications_of_the_member_are_listed(testapp, dbsession, hood):
    from vvs_core.notify.outbox import insert_notifications

    insert_notifications(dbsession, [dict(dedupe_key=f"t:{hood['member'].id}:{n}", kind="account", channel="email",
                                          address="x@example.test", recipient_id=hood["member"].id,
                                          title=f"Titre {n}", body="Corps") for n in range(3)])
    answer = testapp.get("/api/v1/me/notifications?per_page=2", headers=bearer(hood["token"])).json
    assert [n["title"] for n in answer["items"]] == ["Titre 2", "Titre 1"] and answer["next"]
    assert dbsession.scalar(select(Notification).where(Notification.title == "Titre 0")).status == "pending"


def test_calls_to_the_landline_are_listed_under_voice(testapp, dbsession, hood):
    from vvs_core.notify.outbox import insert_notifications

    member = hood["member"]
    insert_notifications(dbsession, [dict(dedupe_key=f"appel:{member.id}", kind="alert", channel="voice",
                                          address="+33199000501", recipient_id=member.id, title="Alerte",
                                          body="Crue : montez à l’étage.", severity="severe")])
    answer = testapp.get("/api/v1/me/notifications?channel=voice", headers=bearer(hood["token"])).json
    assert [(n["channel"], n["body"]) for n in answer["items"]] == [("voice", "Crue : montez à l’étage.")]
    refused = testapp.get("/api/v1/me/notifications?channel=fax", headers=bearer(hood["token"]), status=400).json
    assert "voice" in str(refused)


def test_a_wrong_type_is_told_in_correct_french(testapp, hood):
    """« une liste est attendu » read like a typo: the participle agrees with the type named."""
    fields = testapp.post_json("/api/v1/conversations", {"recipients": "Paul", "subject": 5, "text": "Bonjour"},
                               headers=bearer(hood["token"]), status=422).json["error"]["fields"]
    assert fields == {"recipients": "Type invalide : une liste est attendue.",
                      "subject": "Type invalide : un texte est attendu."}


def test_my_data_names_my_api_tokens(testapp, dbsession, hood):
    """« Mes données » lists the resident's tokens: name, beginning, dates, never the hash."""
    import io
    import json
    import zipfile

    from vvs_api.tokens import revoke_every_token

    issue_api_token(dbsession, hood["member"], "Domotique « maison » de l’Église 🏠")
    issue_api_token(dbsession, hood["neighbour"], "Pas le mien")
    testapp.login(hood["member"])
    archive = zipfile.ZipFile(io.BytesIO(testapp.get("/parametres/mes-donnees.zip").body))
    tokens = json.loads(archive.read("donnees.json"))["jetons_d_acces_a_l_api"]  # « Jetons d'accès à l'API » by export_key
    assert [t["nom"] for t in tokens] == ["tests", "Domotique « maison » de l’Église 🏠"]
    assert all(t["debut"].startswith("vvs_") and t["revoque_le"] is None for t in tokens)
    assert tokens[0]["cree_le"].endswith(("+01:00", "+02:00"))  # Paris time
    hashes = set(dbsession.scalars(select(ApiToken.token_hash)))
    assert not any(h in archive.read("donnees.json").decode() for h in hashes)
    revoke_every_token(dbsession, hood["member"])
    again = zipfile.ZipFile(io.BytesIO(testapp.get("/parametres/mes-donnees.zip").body))
    assert all(t["revoque_le"] for t in json.loads(again.read("donnees.json"))["jetons_d_acces_a_l_api"])
