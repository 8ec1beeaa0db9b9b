"""vvs_mairie: second factor, reach, commune alerts, acknowledgements, reports, hooks."""
from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from types import SimpleNamespace

import pyotp
from shapely.geometry import box
from sqlalchemy import func, select

from vvs_core.clock import utcnow
from vvs_core.web.batch import PageReads, read_later
from vvs_core.models.notification import Notification
from vvs_mairie.models import MairieAgent, MairieCommunication
from vvs_mairie.testing import agent_login, enrol_agent, fake_activity, mairie  # noqa: F401


def test_totp_enrolment_then_login_with_a_real_code(testapp, dbsession, mairie, make_user, clock):
    # The application's clock stands still: "the enrolment's code again" must be the same
    # 30 s step as the enrolment (with a running clock, a step boundary between the two
    # made it a new, valid code). Codes come from that clock, as a phone set to it would show.
    now = clock.set(utcnow())
    user = make_user()
    dbsession.add(MairieAgent(user_id=user.id, commune_id=mairie.commune.id, role="police"))
    dbsession.flush()
    testapp.login(user)
    assert testapp.get("/mairie").location.endswith("/mairie/2fa/activer")
    assert testapp.get("/mairie/77449", status=403)
    page = testapp.get("/mairie/2fa/activer")
    assert "<svg" in page.text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    wrong = testapp.post_csrf("/mairie/2fa/activer", {"code": "000000"}, status=400)
    assert "Code incorrect" in wrong.text
    done = testapp.post_csrf("/mairie/2fa/activer", {"code": pyotp.TOTP(secret).at(now)})
    assert len(re.findall(r"<code>[0-9a-f]{5}-[0-9a-f]{5}</code>", done.text)) == 10
    testapp.get("/mairie/77449", status=200)
    # A new session needs the second factor again.
    testapp.reset()
    testapp.login(user)
    testapp.get("/mairie/77449", status=403)
    assert testapp.get("/mairie").location.endswith("/mairie/2fa")
    testapp.post_csrf("/mairie/2fa", {"code": "123456"}, status=400)
    # The enrolment's code was used once: it opens no second session.
    reused = testapp.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(secret).at(now)}, status=400)
    assert "Code incorrect ou expiré" in reused.text
    testapp.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(secret).at(now + timedelta(seconds=30))}, status=303)
    testapp.get("/mairie/77449", status=200)


def test_a_totp_code_is_accepted_once_and_only_near_its_time(dbsession, mairie):
    from vvs_mairie.twofactor import accept_totp

    secret, agent, now = mairie.secret, mairie.agent, 1_800_000_000
    totp = pyotp.TOTP(secret)
    assert not accept_totp(dbsession, agent, secret, totp.at(now - 90), now=now)  # too old
    assert accept_totp(dbsession, agent, secret, totp.at(now), now=now)
    assert not accept_totp(dbsession, agent, secret, totp.at(now), now=now + 5)  # the same code again
    assert not accept_totp(dbsession, agent, secret, totp.at(now - 30), now=now + 5)  # an earlier one
    assert accept_totp(dbsession, agent, secret, totp.at(now + 30), now=now + 5)  # the next one
    assert not accept_totp(dbsession, agent, secret, "12 34", now=now)


def test_totp_secret_is_sealed_at_rest(dbsession, app_registry, mairie):
    from vvs_mairie.twofactor import unseal

    sealed = mairie.agent.totp_secret
    assert sealed.startswith("gAAAAA")  # a Fernet token (vvs_core.encryption)
    assert mairie.secret not in sealed
    assert unseal(app_registry.settings, sealed) == mairie.secret
    assert unseal({**app_registry.settings, "vvs.secret": "autre-" + "z" * 40}, sealed) is None  # the dev key
    assert mairie.secret not in repr(mairie.agent)


def test_recovery_code_is_single_use(testapp, dbsession, make_user, mairie):
    from vvs_mairie import twofactor

    user = make_user()
    agent, _secret = enrol_agent(dbsession, testapp.app.registry.settings, user, mairie.commune)
    codes = twofactor.new_recovery_codes(dbsession, agent)
    assert len(codes) == 10
    testapp.login(user)
    testapp.post_csrf("/mairie/2fa", {"recovery": codes[0]}, status=303)
    testapp.get("/mairie/77449", status=200)
    testapp.reset()
    testapp.login(user)
    again = testapp.post_csrf("/mairie/2fa", {"recovery": codes[0]}, status=400)
    assert "déjà utilisé" in again.text
    testapp.get("/mairie/77449", status=403)


def test_two_factor_attempts_are_rate_limited(testapp, dbsession, make_user, mairie):
    testapp.login(mairie.agent_user)
    for _ in range(5):
        testapp.post_csrf("/mairie/2fa", {"code": "000000"}, status=400)
    blocked = testapp.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(mairie.secret).now()}, status=429)
    assert 1 <= int(blocked.headers["Retry-After"]) <= 300
    assert "Trop de tentatives" in blocked.text


def test_a_right_second_factor_clears_the_wrong_ones(testapp, dbsession, make_user, mairie):
    """Only wrong codes count (issue 12.5): four typos, the right code, four typos in a
    new session, and the agent is still let in."""
    testapp.login(mairie.agent_user)
    for _ in range(4):
        testapp.post_csrf("/mairie/2fa", {"code": "000000"}, status=400)
    testapp.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(mairie.secret).now()}, status=303)
    testapp.reset()
    testapp.login(mairie.agent_user)
    for _ in range(4):
        testapp.post_csrf("/mairie/2fa", {"code": "999999"}, status=400)
    testapp.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(mairie.secret).at(time.time() + 30)}, status=303)


def _area_around(users):
    xs = [u.home.x for u in users]
    ys = [u.home.y for u in users]
    return box(min(xs) - 0.0001, min(ys) - 0.0001, max(xs) + 0.0001, max(ys) + 0.0001)


def test_reach_estimate_counts_homes_in_the_area(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    mairie.residents[2].mobile = None
    area = _area_around(mairie.residents[1:])
    dbsession.flush()
    page = testapp.post_csrf("/mairie/77449/alertes/nouvelle", {
        "category": "travaux", "title": "Route barrée rue de Lagny", "body": "", "target": "area",
        "area": json.dumps(area.__geo_interface__)})
    assert "environ 2 foyers, 1 SMS" in page.text
    assert dbsession.scalar(select(func.count()).select_from(Notification)) == 0


def test_alert_form_errors_are_next_to_their_fields(testapp, mairie, agent_login):
    agent_login(testapp, mairie)
    page = testapp.post_csrf("/mairie/77449/alertes/nouvelle", {"category": "x", "title": "", "target": "area",
                                                                "area": "{not json"}, status=400)
    assert "Choisissez une catégorie." in page.text
    assert "Indiquez un titre." in page.text
    assert "illisible" in page.text


def test_commune_alert_creates_one_row_per_user_and_channel(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    form = {"category": "meteo", "title": "Orages violents cette nuit", "body": "Rentrez vos objets.",
            "target": "communities", "communities": str(mairie.community.id), "confirm": "1"}
    response = testapp.post_csrf("/mairie/77449/alertes/nouvelle", form, status=303)
    rows = dbsession.execute(select(Notification.recipient_id, Notification.channel, Notification.dedupe_key)
                             .where(Notification.subject_type == "mairie_alert")).all()
    pairs = {(r[0], r[1]) for r in rows}
    assert len(rows) == len(pairs) == 2 * len(mairie.residents)  # SMS and e-mail each
    assert {r[0] for r in rows} == {u.id for u in mairie.residents}
    assert all(re.fullmatch(r"mairie-alert:\d+:\d+:(sms|email)", r[2]) for r in rows)
    report = testapp.get(response.location)
    assert "6 en attente" not in report.text or "3 destinataires" in report.text
    assert "3 destinataires" in report.text
    from vvs_core.testing import run_tasks

    run_tasks()  # sent before the end (what the end finds unsent it cancels: test_all_clear.py)
    testapp.post_csrf(response.location, {"kind": "all_clear", "body": "Fin de l'épisode orageux."}, status=303)
    follow = dbsession.execute(select(Notification.recipient_id, Notification.channel)
                               .where(Notification.subject_type == "mairie_alert", Notification.subject_id != None)  # noqa: E711
                               ).all()
    assert len(follow) == 2 * len(rows)
    ended = testapp.get(response.location)
    assert "Alerte terminée" in ended.text


def test_pris_en_compte_notifies_the_author(testapp, dbsession, mairie, agent_login, fake_activity):
    author = mairie.residents[0]
    fake_activity.items.append(dict(kind="alert", id=41, title="Camionnette en repérage", category="Suspect",
                                    community_id=mairie.community.id, created_at=utcnow().isoformat(),
                                    lon=2.7861, lat=48.8453, url=None, author_id=author.id))
    agent_login(testapp, mairie)
    testapp.post_csrf("/mairie/77449/signalements/41/pris-en-compte", status=303)
    testapp.post_csrf("/mairie/77449/signalements/41/pris-en-compte", status=303)
    rows = dbsession.scalars(select(Notification).where(Notification.kind == "mairie_ack")).all()
    assert [r.recipient_id for r in rows] == [author.id]
    assert "prise en compte" in rows[0].title
    testapp.post_csrf("/mairie/77449/signalements/999/pris-en-compte", status=404)


def test_vvs_commune_activity(testapp, mairie, agent_login, fake_activity):
    agent_login(testapp, mairie)
    assert testapp.get("/mairie/77449/activite.json").json["items"] == []
    fake_activity.items.append(dict(kind="alert", id=7, title="Tentative de cambriolage", category="Cambriolage",
                                    community_id=mairie.community.id, created_at=utcnow(), lon=2.78, lat=48.84,
                                    url="/alertes/7", author_id=mairie.residents[0].id))
    items = testapp.get("/mairie/77449/activite.json").json["items"]
    assert [i["title"] for i in items] == ["Tentative de cambriolage"]
    assert items[0]["ack_url"] == "/mairie/77449/signalements/7/pris-en-compte"
    assert "Tentative de cambriolage" in testapp.get("/mairie/77449").text


def test_report_html_pdf_and_csv(testapp, mairie, agent_login, fake_activity):
    fake_activity.items.append(dict(kind="alert", id=3, title="Démarcheur", category="Démarchage", community_id=None,
                                    created_at=utcnow(), lon=None, lat=None, url=None, author_id=None))
    agent_login(testapp, mairie)
    month = f"{utcnow():%Y-%m}"
    html = testapp.get(f"/mairie/77449/rapport/{month}")
    assert "Démarchage : 1" in html.text
    pdf = testapp.get(f"/mairie/77449/rapport/{month}.pdf")
    assert pdf.body.startswith(b"%PDF")
    csv = testapp.get(f"/mairie/77449/rapport/{month}.csv")
    assert "alertes des habitants;Démarchage;;1;" in csv.body.decode("utf-8-sig")
    testapp.get("/mairie/77449/rapport/2026-13", status=404)


def test_vvs_dashboard_widgets(app_registry, app_request, dbsession, mairie, make_user):
    from vvs_core.web.batch import resolve_panels
    from vvs_core.models import Membership

    newcomer = make_user(first_name="Lucas", last_name="Chevalier")
    dbsession.add(Membership(user_id=newcomer.id, community_id=mairie.community.id, status="pending"))
    dbsession.flush()
    request = app_request  # a real request: other plugins' widgets (vvs_warnings) render templates with links
    panels = [p for answer in app_registry.vvs_plugins.hook.vvs_dashboard_widgets(request=request, commune=mairie.commune)
              for p in answer or []]
    # A widget may give its list as SQL (read + render): the dashboard resolves it as the core does.
    mine = [p for p in resolve_panels(request, panels) if p.title.startswith("Demandes d'adhésion")]
    html = str(mine[0].html)
    assert "Lucas Chevalier" in html and "1 demande en attente" in html
    # No one signed in on this request decides there: the request is shown, unlinked (the
    # link, for the agent who decides: test_the_dashboard_links_only_the_requests_the_agent_decides).
    assert "/demandes" not in html


def test_vvs_validation_mode_imposed(app_registry, dbsession, mairie):
    hook = app_registry.vvs_plugins.hook.vvs_validation_mode_imposed
    request = SimpleNamespace(dbsession=dbsession, registry=app_registry, environ={})
    assert hook(request=request, community=mairie.community) is None
    mairie.mairie.impose_validation = True
    assert hook(request=request, community=mairie.community) == "mairie"


def test_vvs_alert_recipients(app_registry, dbsession, mairie):
    request = SimpleNamespace(dbsession=dbsession, registry=app_registry, environ={})
    alert = SimpleNamespace(id=1, kind="alert", community_id=mairie.community.id, commune_insee=None)
    found = [r for answer in app_registry.vvs_plugins.hook.vvs_alert_recipients(request=request, alert=alert)
             for r in answer or [] if r.reason == "mairie"]
    assert [(r.user_id, r.channels) for r in found] == [(mairie.agent_user.id, ("email",))]
    mairie.mairie.subscribed = False
    assert not [r for answer in app_registry.vvs_plugins.hook.vvs_alert_recipients(request=request, alert=alert)
                for r in answer or [] if r.reason == "mairie"]


def test_vvs_gazette_items_and_communications(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    testapp.post_csrf("/mairie/77449/communications", {"title": "Travaux", "text": "", "action": "publish"}, status=400)
    testapp.post_csrf("/mairie/77449/communications", {"title": "Brocante", "text": "Dimanche sur la place.",
                                                       "action": "publish"}, status=303)
    request = SimpleNamespace(dbsession=dbsession, registry=testapp.wsgi.registry, environ={}, page_reads=PageReads(dbsession))
    answers = testapp.wsgi.registry.vvs_plugins.hook.vvs_gazette_items(request=request, community=mairie.community)
    items = [i for i in read_later(request, answers)() if i.get("source") == "mairie"]
    assert items[0]["title"] == "Brocante" and items[0]["author"] == "Mairie de Serris"
    assert dbsession.scalar(select(func.count()).select_from(MairieCommunication)) == 1
    testapp.post_csrf("/mairie/77449/communications", {"title": "Réunion", "text": "Mardi 19 h.", "action": "message",
                                                       "communities": str(mairie.community.id)}, status=303)
    assert dbsession.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "mairie_message")) == 3


def test_vvs_principals_only_after_second_factor(app_registry, dbsession, mairie):
    from vvs_mairie.twofactor import SESSION_FLAG

    request = SimpleNamespace(dbsession=dbsession, registry=app_registry, session={}, __dict__={}, environ={})
    hook = app_registry.vvs_plugins.hook.vvs_principals
    flat = lambda: {p for answer in hook(request=request, user=mairie.agent_user) for p in answer or []}  # noqa: E731
    assert not {p for p in flat() if "commune:" in p}
    request.session[SESSION_FLAG] = mairie.agent_user.id
    assert {"commune:77449:agent", "commune:77449:agent", "mairie:agent"} <= flat()


def test_vvs_messageable_users(app_registry, dbsession, mairie):
    from vvs_mairie.twofactor import SESSION_FLAG

    request = SimpleNamespace(dbsession=dbsession, registry=app_registry, session={SESSION_FLAG: mairie.agent_user.id}, environ={})
    pairs = {p for answer in app_registry.vvs_plugins.hook.vvs_messageable_users(request=request, user=mairie.agent_user)
             for p in answer or []}
    assert {(u.id, "name") for u in mairie.residents} <= pairs


def test_vvs_demo_data(app_registry, dbsession, commune, make_user):
    user = make_user(email="agent@serris.demo")
    app_registry.vvs_plugins.hook.vvs_demo_data(dbsession=dbsession, commune=commune)
    app_registry.vvs_plugins.hook.vvs_demo_data(dbsession=dbsession, commune=commune)
    agents = dbsession.scalars(select(MairieAgent).where(MairieAgent.user_id == user.id)).all()
    assert len(agents) == 1 and agents[0].totp_confirmed_at is None


def test_admin_marks_commune_and_invites_an_agent(testapp, dbsession, commune, make_user):
    """Through the one journaled way (the commune's page, « Mairie » block): a reason each time."""
    from vvs_core.models import CommunityEvent

    admin = make_user(is_admin=True)
    testapp.login(admin)
    reason = "Délibération du conseil municipal du 2 mars « Mairie vigilante »"
    invite = {"email": "nouvel.agent@example.test", "role": "police", "reason": reason}
    refused = testapp.post_csrf("/mairie/admin/77449/agents", invite, status=400)  # not subscribed yet
    assert "Marquez d'abord la commune" in refused.text
    testapp.post_csrf("/mairie/admin/77449/abonnement", {"subscribed": "true", "reason": "", "etat": "0:0"}, status=400)
    testapp.post_csrf("/mairie/admin/77449/abonnement", {"subscribed": "true", "reason": reason, "etat": "0:0"},
                      status=303)
    testapp.post_csrf("/mairie/admin/77449/agents", {**invite, "reason": ""}, status=400)
    testapp.post_csrf("/mairie/admin/77449/agents", invite, status=303)
    kinds = [e.kind for e in dbsession.scalars(select(CommunityEvent).order_by(CommunityEvent.id))]
    assert kinds[-2:] == ["mairie_admin_subscription", "mairie_admin_agent_invited"]
    row = dbsession.scalar(select(Notification).where(Notification.address == "nouvel.agent@example.test"))
    link = re.search(r"/mairie/invitation/(\S+)", row.body).group(0)
    testapp.reset()
    token = re.search(r'name="csrf_token" value="([^"]+)"', testapp.get(link).text).group(1)
    short = testapp.post(link, {"password": "court", "password_confirm": "court", "csrf_token": token}, status=400)
    assert "au moins" in short.text
    done = testapp.post(link, {"password": "une phrase de passe solide", "password_confirm": "une phrase de passe solide",
                               "csrf_token": token}, status=303)
    assert done.location.endswith("/mairie/2fa/activer")
    assert "<svg" in testapp.get("/mairie/2fa/activer").text
    # the link once used: no accept button, a sentence that says why
    testapp.reset()
    used = testapp.get(link, status=410)
    assert "Accepter l'invitation" not in used.text and "n'est plus valable" in used.text


def test_an_invitation_to_an_existing_account_needs_its_password_or_its_owner(testapp, dbsession, commune, make_user):
    """The link travels by e-mail: alone, it must not bind someone's account to the mairie nor let its
    holder enrol the account's second factor (and then read what a CCAS agent reads)."""
    admin = make_user(is_admin=True)
    resident = make_user(email="monique.lefevre@example.test", password="le jardin de Monique est fleuri")
    testapp.login(admin)
    reason = "Délibération du conseil municipal du 2 mars « Mairie vigilante »"
    testapp.post_csrf("/mairie/admin/77449/abonnement", {"subscribed": "true", "reason": reason, "etat": "0:0"},
                      status=303)
    testapp.post_csrf("/mairie/admin/77449/agents", {"email": resident.email, "role": "ccas", "reason": reason},
                      status=303)
    row = dbsession.scalar(select(Notification).where(Notification.address == resident.email))
    assert "en tant qu'agent du CCAS" in row.body and "confirmer avec le mot de passe de votre compte" in row.body
    link = re.search(r"/mairie/invitation/(\S+)", row.body).group(0)
    testapp.reset()
    page = testapp.get(link)
    assert "Mot de passe de votre compte" in page.text and "Choisissez un mot de passe" not in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    for wrong in ("", "pas le bon mot de passe", "x" * 5000):
        refused = testapp.post(link, {"current_password": wrong, "csrf_token": token}, status=400)
        assert "Mot de passe incorrect" in refused.text
    assert testapp.get("/mairie/2fa/activer", status="*").status_int in (302, 303, 403, 404)
    done = testapp.post(link, {"current_password": "le jardin de Monique est fleuri", "csrf_token": token}, status=303)
    assert done.location.endswith("/mairie/2fa/activer")
    # Signed in as the invited account, its owner accepts without typing the password again.
    owner = make_user(email="gerard.picard@example.test")
    testapp.reset()
    testapp.login(admin)
    testapp.post_csrf("/mairie/admin/77449/agents", {"email": owner.email, "role": "agent", "reason": reason},
                      status=303)
    row = dbsession.scalar(select(Notification).where(Notification.address == owner.email))
    link = re.search(r"/mairie/invitation/(\S+)", row.body).group(0)
    testapp.reset()
    testapp.login(owner)
    page = testapp.get(link)
    assert "Mot de passe de votre compte" not in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert testapp.post(link, {"csrf_token": token}, status=303).location.endswith("/mairie/2fa/activer")


def test_the_old_mairie_admin_page_leads_to_the_journaled_one(testapp, dbsession, commune, make_user):
    """/mairie/admin/{insee} had its own reasonless form (subscription, contact, invitation):
    it now leads to the commune's page, and a POST there changes nothing."""
    from vvs_core.models import CommunityEvent, User
    from vvs_mairie.agents import mairie_of

    testapp.login(make_user(is_admin=True))
    moved = testapp.get("/mairie/admin/77449", status=301)
    assert moved.location.endswith("/admin/communes/77449#mairie")
    testapp.get("/mairie/admin/99999", status=404)
    testapp.get("/mairie/admin/" + "9" * 30, status=404)
    for form in ({"action": "commune", "subscribed": "1", "contact_email": "mairie@serris.test"},
                 {"action": "invite", "email": "sans.motif@example.test", "role": "police"}):
        testapp.post_csrf("/mairie/admin/77449", form, status=404)
    mairie = mairie_of(dbsession, commune.id)
    assert mairie is None or not mairie.subscribed
    assert dbsession.scalar(select(User).where(User.email == "sans.motif@example.test")) is None
    assert dbsession.scalars(select(CommunityEvent)).all() == []
    listing = testapp.get("/mairie/admin")
    assert 'href="/admin/communes/77449#mairie"' in listing.text


def test_convince_my_mairie(testapp, dbsession, commune, make_user, make_community):
    resident = make_user()
    make_community("Le Bourg", members=[resident])
    testapp.login(resident)
    # the contact the platform team keeps on the commune's page
    commune.contact_name, commune.contact_email = "Mme Œnone Bérézina, adjointe", "securite@serris.test"
    commune.contact_phone = "+33199004415"
    dbsession.flush()
    page = testapp.get("/convaincre-ma-mairie")
    assert "Un modèle d'e-mail" in page.text and "mailto:" in page.text
    assert testapp.get("/convaincre-ma-mairie/presentation.pdf").body.startswith(b"%PDF")
    assert "Mme Œnone Bérézina, adjointe" in page.text and "mailto:securite%40serris.test?subject=" in page.text
    assert "01 99 00 44 15" in page.text


def test_a_cookie_copied_after_the_second_factor_dies_at_logout(testapp, app, mairie):
    """Issue 15.1: the agent's second-factor state lives in a session the server ends."""
    from vvs_core.testing import VVSTestApp

    testapp.login(mairie.agent_user)
    testapp.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(mairie.secret).now()}, status=303)
    testapp.get("/mairie/77449", status=200)
    copy = testapp.cookies["vvs_session"]
    testapp.post_csrf("/deconnexion", status=303)
    thief = VVSTestApp(app)
    thief.set_cookie("vvs_session", copy)
    res = thief.get("/mairie/77449", status=302)
    assert "/connexion" in res.headers["Location"]


def test_the_agents_are_told_of_a_membership_request_they_decide(app_request, dbsession, mairie, make_user):
    """In the "mairie" validation mode the commune's agents hear of each request
    (``vvs_membership_requested``); in the référent mode they do not."""
    from vvs_core.communities.membership import join_or_request

    request = app_request
    mairie.community.validation_mode = "referent"
    neighbour = make_user(first_name="Émile", last_name="Lœuvre")
    join_or_request(request, neighbour, mairie.community)
    assert dbsession.scalars(select(Notification).where(
        Notification.recipient_id == mairie.agent_user.id, Notification.kind == "membership_request")).all() == []
    mairie.community.validation_mode = "mairie"
    other = make_user(first_name="Zoé", last_name="Da Silva")
    membership = join_or_request(request, other, mairie.community)
    rows = dbsession.scalars(select(Notification).where(
        Notification.recipient_id == mairie.agent_user.id, Notification.kind == "membership_request",
        Notification.subject_id == membership.id)).all()
    assert [r.channel for r in rows] == ["email"]
    assert "Zoé Da Silva demande à rejoindre la communauté « Le Bourg »" in rows[0].body
    assert f"/communaute/{mairie.community.id}/demandes" in rows[0].body


def test_the_contact_migration_reads_phones_as_the_core_stores_them():
    import importlib.util
    from pathlib import Path

    import vvs_mairie

    path = Path(vvs_mairie.__file__).parent / "migrations" / "versions" / "0006_vvs_mairie_contact_is_the_communes.py"
    spec = importlib.util.spec_from_file_location("mairie_contact_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.e164("01 60 43 27 15") == "+33160432715"
    assert module.e164("01.60.43.27.15") == "+33160432715"
    assert module.e164("+33 1 60 43 27 15") == "+33160432715"
    assert module.e164("standard de la mairie") == "" and module.e164("") == "" and module.e164("0" * 30) == ""


def test_the_residents_alerts_feed_is_read_a_page_at_a_time(testapp, mairie, agent_login, fake_activity):
    """Issue 16.3: 35 residents' alerts in the period, 20 a page, newest first, « Plus
    anciennes » then « Plus récentes »; only the first page is live (the poller adds new
    alerts at its top)."""
    from datetime import timedelta

    now = utcnow()
    for n in range(35):
        fake_activity.items.append(dict(kind="alert", id=100 + n, title=f"Démarcheur n° {n:02d} « rue de l’Église »",
                                        category="Démarchage", community_id=mairie.community.id,
                                        created_at=now - timedelta(minutes=n), lon=None, lat=None, url=None,
                                        author_id=None))
    agent_login(testapp, mairie)
    first = testapp.get("/mairie/77449")
    assert "Page 1 sur 2" in first.text and 'aria-label="Pages des alertes des habitants"' in first.text
    assert "n° 00" in first.text and "n° 19" in first.text and "n° 20" not in first.text
    assert 'data-url="/mairie/77449/activite.json"' in first.text
    feed_pager = first.html.find("nav", attrs={"aria-label": "Pages des alertes des habitants"})
    assert [a.get_text() for a in feed_pager.find_all("a")] == ["Plus anciennes"]
    second = testapp.get(feed_pager.find("a")["href"] + "&periode=7")
    assert "n° 20" in second.text and "n° 34" in second.text and "n° 19" not in second.text
    assert 'data-url=""' in second.text  # a later page does not poll
    feed_pager = second.html.find("nav", attrs={"aria-label": "Pages des alertes des habitants"})
    assert [a.get_text() for a in feed_pager.find_all("a")] == ["Plus récentes"]
    assert "periode=7" in second.text.split('rel="prev"')[0].rsplit("href=", 1)[1]  # the filter is kept


def test_the_platform_list_of_mairies_is_paged(testapp, dbsession, commune, make_user):
    from paged_communes import second_page_of_communes

    second = second_page_of_communes(testapp, dbsession, make_user, "/mairie/admin")
    assert "Zédé-sur-Mer 49" in second.text and "Page 2 sur 2" in second.text


def test_the_reach_step_shows_the_sms_and_warns_when_it_is_cut(testapp, dbsession, mairie, agent_login):
    """F-mairie-sms-cut: the agent sees, before « Envoyer l'alerte », the SMS as it will
    leave, and a warning when the message does not fit in it."""
    agent_login(testapp, mairie)
    long = ("Météo-France place la Seine-et-Marne en vigilance orange « vents violents » ce soir à partir de 20 h. "
            "Rentrez le mobilier de jardin, évitez le parc du Château et n’hésitez pas à appeler la mairie au "
            "01 60 43 00 00 si vous avez besoin d’aide. Les personnes âgées isolées peuvent être appelées par nos "
            "agents 🙏.")
    form = {"category": "meteo", "title": "Vigilance orange « vents violents » 🌬️", "body": long, "target": "commune"}
    page = testapp.post_csrf("/mairie/77449/alertes/nouvelle", form)
    warning = page.html.find(class_="flash-error", role="alert")
    assert warning is not None and "Le SMS sera coupé" in warning.get_text()
    sms = page.html.find(class_="sms-preview").get_text()
    assert sms.startswith("Mairie de Serris - Vigilance orange \"vents violents\"") and sms.endswith("... http://localhost/avis/77449/1")
    short = testapp.post_csrf("/mairie/77449/alertes/nouvelle", {**form, "body": "Rentrez le mobilier de jardin."})
    assert "Le SMS sera coupé" not in short.text
    assert "SMS qui sera envoyé (1 message) :" in short.text and "SMS envoyé" not in short.text  # nothing sent yet
    assert short.html.find(class_="sms-preview").get_text().endswith("Rentrez le mobilier de jardin. http://localhost/avis/77449/1")
    assert dbsession.scalar(select(func.count()).select_from(Notification)) == 0  # nothing sent by a preview


def test_the_dashboard_links_only_the_requests_the_agent_decides(testapp, dbsession, mairie, agent_login, make_user,
                                                                 make_community):
    """Serris's agent clicked « Le Bourg » under « Demandes d'adhésion en attente », and the
    « 1 » of its row: 403, its référent decides there. The request is still shown, unlinked;
    where the mairie decides, the link opens the queue."""
    from vvs_core.models import Membership

    mairie.community.validation_mode = "referent"
    parc = make_community("Quartier du Parc", centre=(2.80, 48.85), referents=[make_user()], validation_mode="mairie")
    for community, first_name in ((mairie.community, "Lucas"), (parc, "Zoé")):
        dbsession.add(Membership(user_id=make_user(first_name=first_name).id, community_id=community.id,
                                 status="pending"))
    dbsession.flush()
    agent_login(testapp, mairie)
    page = testapp.get("/mairie/77449")
    assert "Lucas" in page.text and "Zoé" in page.text
    queues = {a["href"] for a in page.html.select("main a[href$='/demandes']")}
    assert queues == {f"/communaute/{parc.id}/demandes"}, queues
    for href in queues:
        assert "Zoé" in testapp.get(href).text


def test_the_dashboard_s_statements_do_not_grow_with_the_requests_and_communities(
        testapp, dbsession, mairie, agent_login, make_user, make_community):
    """Issue 16: the pending requests' widget checked the agent's permission and read the
    community once per request (N+1). The dashboard with one request in one community, then
    with 25 more in 6 more communities (some decided by their référent, some by the mairie):
    the same number of statements; the widget lists the 20 oldest and says the rest are counted."""
    from sqlalchemy import event

    from vvs_core.models import Membership

    def statements():
        seen = []

        def before(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                seen.append(statement)

        testapp.get("/mairie/77449")  # what is read again once after a write (the user's row, cached)
        engine = dbsession.get_bind()
        event.listen(engine, "before_cursor_execute", before)
        try:
            page = testapp.get("/mairie/77449")
        finally:
            event.remove(engine, "before_cursor_execute", before)
        return page, seen

    mairie.community.validation_mode = "mairie"
    dbsession.add(Membership(user_id=make_user(first_name="Lucas").id, community_id=mairie.community.id, status="pending"))
    dbsession.flush()
    agent_login(testapp, mairie)
    few_page, few = statements()
    assert "1 demande en attente" in few_page.text
    for n in range(6):
        community = make_community(f"Quartier n° {n} « l’Église »", centre=(2.78 + n / 100, 48.86),
                                   referents=[make_user()], validation_mode="mairie" if n % 2 else "referent")
        for k in range(4 + n // 5):
            dbsession.add(Membership(user_id=make_user(first_name=f"Zoé{n}-{k}").id, community_id=community.id,
                                     status="pending"))
    dbsession.flush()
    many_page, many = statements()
    assert len(many) == len(few), "\n\n".join(many)
    widget = many_page.html.find("h2", string="Demandes d'adhésion en attente").find_next("div")
    assert "26 demandes en attente" in widget.get_text() and len(widget.select("li")) == 20
    assert "Les 20 plus anciennes" in widget.get_text()
    linked = {a.get_text() for a in widget.select("a")}
    assert linked and all("Quartier n° 1" in t or "Quartier n° 3" in t or "Quartier n° 5" in t or t == mairie.community.name
                          for t in linked), linked
