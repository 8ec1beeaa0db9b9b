"""Who may call each /api/v1 route (with a personal token; anonymous without one), the
token and device settings pages, and the web app's public files."""
import pytest

from vvs_api.tokens import issue_api_token
from vvs_push.models import PushSubscription

from outsiders import published_alert, role_world

ROLES = ("anonymous", "non_member", "pending", "other_member", "other_referent", "member", "referent",
         "moderator", "admin")


@pytest.fixture
def world(dbsession, make_user, make_community, app):
    from vvs_core.clock import utcnow
    from vvs_gazette.models import GazettePost
    from vvs_messaging.models import Conversation, Participant

    u, community = role_world(dbsession, make_user, make_community)
    now = utcnow()
    alert = published_alert(community, u["member"], "Cambriolage rue de Lagny cet après-midi.")
    post = GazettePost(community_id=community.id, author_id=u["member"].id, category="annonce", title="Vélo",
                       text="Vends vélo", created_at=now)
    conversation = Conversation(subject="Bonjour", created_by_id=u["member"].id, created_at=now, last_message_at=now)
    conversation.participants = [Participant(user_id=u["member"].id), Participant(user_id=u["referent"].id)]
    dbsession.add_all([alert, post, conversation])
    dbsession.flush()
    device = PushSubscription(user_id=u["member"].id, endpoint="https://push.example.test/x", endpoint_hash="c" * 64,
                              p256dh="k", auth="a")
    dbsession.add(device)
    dbsession.flush()
    tokens = {name: issue_api_token(dbsession, user, "authz")[1] for name, user in u.items()}
    ids = {"c": community.id, "a": alert.id, "p": post.id, "v": conversation.id, "d": device.id,
           "t": issue_api_token(dbsession, u["member"], "autre")[0].id}
    return u, tokens, ids


A, F, OK, NEW, NF, GONE = 401, 403, 200, 201, 404, 204
# (method, path, body, expected per role in ROLES order)
API_MATRIX = [
    ("GET", "/api/v1/openapi.json", None, (OK, OK, OK, OK, OK, OK, OK, OK, OK)),                    # api_openapi
    ("GET", "/api/v1/me", None, (A, OK, OK, OK, OK, OK, OK, OK, OK)),                                # api_me
    ("GET", "/api/v1/me/community", None, (A, F, F, OK, OK, OK, OK, F, NF)),                         # api_my_community
    ("GET", "/api/v1/me/notifications", None, (A, OK, OK, OK, OK, OK, OK, OK, OK)),                  # api_my_notifications
    ("GET", "/api/v1/me/push-subscriptions", None, (A, OK, OK, OK, OK, OK, OK, OK, OK)),             # api_push_subscriptions
    ("DELETE", "/api/v1/me/push-subscriptions/{d}", None, (A, NF, NF, NF, NF, GONE, NF, NF, NF)),   # api_push_subscription
    ("GET", "/api/v1/communities/{c}/directory", None, (A, F, F, F, F, OK, OK, F, OK)),             # api_directory
    ("GET", "/api/v1/alerts", None, (A, F, F, OK, OK, OK, OK, F, OK)),                               # api_alerts
    ("GET", "/api/v1/alerts/{a}", None, (A, F, F, F, F, OK, OK, OK, OK)),                            # api_alert
    ("POST", "/api/v1/alerts/{a}/updates", {"text": "Toujours là-bas."}, (A, F, F, F, F, NEW, NEW, NEW, NEW)),  # api_alert_updates
    ("GET", "/api/v1/communities/{c}/gazette", None, (A, F, F, F, F, OK, OK, OK, OK)),              # api_gazette
    ("GET", "/api/v1/communities/{c}/gazette/{p}", None, (A, F, F, F, F, OK, OK, OK, OK)),          # api_gazette_post
    ("POST", "/api/v1/communities/{c}/gazette/{p}/replies", {"text": "Merci"},
     (A, F, F, F, F, NEW, NEW, F, NEW)),                                                             # api_gazette_replies
    ("GET", "/api/v1/conversations", None, (A, F, F, OK, OK, OK, OK, F, OK)),                        # api_conversations
    ("GET", "/api/v1/conversations/{v}", None, (A, NF, NF, NF, NF, OK, OK, NF, NF)),                 # api_conversation
    ("POST", "/api/v1/conversations/{v}/messages", {"text": "Re"}, (A, NF, NF, NF, NF, NEW, NEW, NF, NF)),  # api_conversation_messages
    # Last: the author ends the alert, after which it is over for everyone (api_alert_all_clear).
    ("POST", "/api/v1/alerts/{a}/all-clear", {}, (A, F, F, F, F, NEW, 409, 409, 409)),
]


def test_api_matrix(testapp, world):
    users, tokens, ids = world
    for method, template, body, expected in API_MATRIX:
        path = template.format(**ids)
        for role, status in zip(ROLES, expected):
            headers = {} if role == "anonymous" else {"Authorization": f"Bearer {tokens[role]}"}
            if body is not None:
                answer = testapp.post_json(path, body, headers=headers, status="*")
            else:
                answer = testapp.request(path, method=method, headers=headers, status="*")
            assert answer.status_int == status, (method, path, role, answer.status, answer.text[:300])
            if status >= 400:
                assert answer.json["error"]["code"] and answer.json["error"]["message"]


PAGE_MATRIX = [
    # (method, path, anonymous, member, someone else's object for member)
    ("GET", "/parametres/jetons", 302, 200),                          # settings_api_tokens
    ("GET", "/parametres/appareils", 302, 200),                       # settings_devices
    ("GET", "/manifest.webmanifest", 200, 200),                       # pwa_manifest
    ("GET", "/sw.js", 200, 200),                                      # pwa_service_worker
    ("GET", "/hors-ligne", 200, 200),                                 # pwa_offline
]


def test_settings_and_web_app_pages(testapp, world):
    users, _tokens, ids = world
    for method, path, anonymous, member in PAGE_MATRIX:
        assert testapp.request(path, method=method, status="*").status_int == anonymous, path
    # Someone else's token or device cannot be revoked or removed (settings_api_token_revoke, settings_device_remove).
    testapp.login(users["referent"])
    testapp.post_csrf(f"/parametres/jetons/{ids['t']}/revoquer", status=404)
    testapp.post_csrf(f"/parametres/appareils/{ids['d']}/retirer", status=404)
    testapp.reset()
    testapp.post("/parametres/jetons/1/revoquer", status=403)
    testapp.post("/parametres/appareils/1/retirer", status=403)
    # settings_device_add: the devices page's script, signed in with the CSRF header only.
    testapp.post_json("/parametres/appareils/abonner", {"endpoint": "x"}, status=403)
    testapp.login(users["member"])
    testapp.post_json("/parametres/appareils/abonner", {"endpoint": "x"}, status=400)  # no CSRF header
    assert testapp.post_json("/parametres/appareils/abonner", {"endpoint": "https://push.example.test/x", "keys": {}},
                             headers={"X-CSRF-Token": testapp.csrf()}, status=400).json["error"]["code"] == "invalid_json"
    testapp.reset()
    testapp.login(users["member"])
    for method, path, _anonymous, member in PAGE_MATRIX:
        assert testapp.request(path, method=method, status="*").status_int == member, path
    testapp.post_csrf(f"/parametres/jetons/{ids['t']}/revoquer", status=303)
    testapp.post_csrf(f"/parametres/appareils/{ids['d']}/retirer", status=303)


WITHDRAWN_ROLES = ("anonymous", "non_member", "pending", "other_member", "other_referent", "member", "neighbour",
                   "reached", "referent", "moderator", "admin")
# A withdrawn alert answers the same in the API as on its page, role by role: its content for those who
# may still read it (author "member", référent, moderator, admin), 410 for those it reached who no longer
# may (its members, the people its messages went to), 403 for the others (who never saw it: no leak).
WITHDRAWN_PAGE = (302, 403, 403, 403, 403, 200, 410, 410, 200, 200, 200)
WITHDRAWN_API = (A, F, F, F, F, OK, 410, 410, OK, OK, OK)
# Follow-ups: the alert is gone for everyone who may open it; the others are refused as before.
WITHDRAWN_FOLLOW_UP = (A, F, F, F, F, 410, 410, 410, 410, 410, 410)


def test_a_withdrawn_alert_answers_in_the_api_what_its_page_answers(testapp, dbsession, make_user, make_community):
    from vvs_core.models.notification import Notification

    u, community = role_world(dbsession, make_user, make_community, "neighbour")
    u["reached"] = make_user(first_name="Maëlle", last_name="Lefèvre")  # a twinned commune's resident, say
    alert = published_alert(community, u["member"], "Individu « louche » rue de l’Église 🚨 à 23 h 30, ç’a été vu.")
    alert.status = "withdrawn"
    dbsession.add(alert)
    dbsession.flush()
    dbsession.add(Notification(dedupe_key=f"alert:{alert.id}:reached", kind="alert", subject_type="alert",
                               subject_id=alert.id, recipient_id=u["reached"].id, channel="email",
                               address="maelle@exemple.fr"))
    dbsession.flush()
    tokens = {name: issue_api_token(dbsession, user, "authz")[1] for name, user in u.items()}
    api, page = f"/api/v1/alerts/{alert.id}", f"/alertes/{alert.id}"
    for role, page_status, api_status, follow_status in zip(WITHDRAWN_ROLES, WITHDRAWN_PAGE, WITHDRAWN_API,
                                                             WITHDRAWN_FOLLOW_UP):
        testapp.reset()
        if role != "anonymous":
            testapp.login(u[role])
        assert testapp.get(page, status="*").status_int == page_status, ("page", role)
        headers = {} if role == "anonymous" else {"Authorization": f"Bearer {tokens[role]}"}
        answer = testapp.get(api, headers=headers, status="*")
        assert answer.status_int == api_status, ("api", role, answer.text[:300])
        if api_status == 410:
            assert answer.json == {"error": {"code": "alert_withdrawn",
                                             "message": "Cette alerte a été retirée par la modération."}}
        if api_status == OK:
            assert answer.json["status"] == "withdrawn" and "louche" in answer.json["text"]
        else:
            assert "louche" not in answer.text
        for path, body in ((api + "/updates", {"text": "Toujours là-bas, près de l’école."}), (api + "/all-clear", {})):
            answer = testapp.post_json(path, body, headers=headers, status="*")
            assert answer.status_int == follow_status, (path, role, answer.text[:300])
            assert answer.json["error"]["code"] and "louche" not in answer.text
    dbsession.refresh(alert)
    assert alert.status == "withdrawn" and alert.updates == [] and alert.all_clear_at is None
