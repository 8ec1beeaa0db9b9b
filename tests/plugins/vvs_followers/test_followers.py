"""Following a town hall without an account: the double opt-in by SMS and by e-mail,
hostile input, no enumeration, the commune alert reaching followers (whole commune and
zone), STOP by SMS, the one-click link, follow-ups only to those still following, and
the proof of warning naming them."""
from __future__ import annotations

import re

import pytest
from shapely.geometry import Point
from sqlalchemy import func, select

from vvs_core.geo import square_around
from vvs_core.hooktypes import InboundSMS
from vvs_core.models.notification import Notification
from vvs_followers.models import Follower
from vvs_mairie.models import MairieAlert
from vvs_mairie.testing import agent_login, mairie  # noqa: F401

FOLLOW = "/communes/77449/suivre"
MOBILE = "+33639981234"


def post(testapp, url, params=None, **kw):
    """A POST with the CSRF token of the follow page (anonymous visitors' pages carry it)."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', testapp.get(FOLLOW).text).group(1)
    return testapp.post(url, {"csrf_token": token, **(params or {})}, **kw)


def _last(dbsession, kind, address) -> Notification:
    return dbsession.scalars(select(Notification).where(Notification.kind == kind, Notification.address == address)
                             .order_by(Notification.id.desc())).first()


def _code(dbsession, address=MOBILE) -> str:
    return re.search(r"\b(\d{6})\b", _last(dbsession, "follower_confirm", address).body).group(1)


def follow_by_sms(testapp, dbsession, number="06 39 98 12 34", address=""):
    assert post(testapp, FOLLOW, {"contact": number, "address": address}, status=303).location.endswith(
        "/communes/77449/suivre/code")
    page = post(testapp, "/communes/77449/suivre/code", {"code": _code(dbsession)}, status=200)
    assert "C'est confirmé" in page.text
    return dbsession.scalars(select(Follower).where(Follower.address == MOBILE)).one()


def _send_alert(testapp, **form):
    data = {"category": "meteo", "title": "Crue de la Marne : montez à l'étage", "body": "Évitez les caves.",
            "target": "commune", "confirm": "1", **form}
    return testapp.post_csrf("/mairie/77449/alertes/nouvelle", data, status=303).location


def test_the_follow_page_is_public_french_and_says_what_is_kept(testapp, commune):
    page = testapp.get(FOLLOW)
    assert "Recevoir les alertes de la mairie de Serris" in page.text and "Ce que nous gardons" in page.text
    assert "Suivre ma mairie" in page.text   # the menu entry of anonymous visitors
    listing = testapp.get("/communes/suivre", {"q": "serr"})
    assert "/communes/77449/suivre" in listing.text
    assert "Aucune commune" in testapp.get("/communes/suivre", {"q": "%_\\'\"<script>"}).text
    assert "/communes/77449/suivre" in testapp.get("/communes/suivre", {"q": "77700"}).text
    testapp.get("/communes/99999/suivre", status=404)
    testapp.get("/communes/abc/suivre", status=404)


def test_the_commune_is_found_as_people_type_it(testapp, dbsession, commune):
    """Accents, hyphens and « st » aside, by postcode or INSEE code; homonyms told apart by
    their department (the same search as the administration's, vvs_core.accounts.registration)."""
    from shapely.geometry import Point

    from vvs_core.models import Commune

    for insee, name, postcode in (("42218", "Saint-Étienne", "42000"), ("93066", "Saint-Denis", "93200"),
                                  ("97411", "Saint-Denis", "97400")):
        dbsession.add(Commune(insee=insee, name=name, postcodes=[postcode], centre=Point(2, 47)))
    dbsession.flush()
    for typed in ("st etienne", "SAINT ETIENNE", "saint-étienne", "42000", "42218"):
        assert "/communes/42218/suivre" in testapp.get("/communes/suivre", {"q": typed}).text, typed
    homonyms = testapp.get("/communes/suivre", {"q": "saint denis"}).text
    assert "(93 — 93200)" in homonyms and "(974 — 97400)" in homonyms


def test_follow_by_sms_with_the_code(testapp, dbsession, commune):
    follower = follow_by_sms(testapp, dbsession)
    assert (follower.channel, follower.status, follower.home, follower.secret_digest) == ("sms", "active", None, None)
    assert follower.commune_id == commune.id
    sent = _last(dbsession, "follower_confirm", MOBILE)
    assert sent.channel == "sms" and "Mairie de Serris : votre code de confirmation est" in sent.body


@pytest.mark.parametrize("typed, message", [
    ("", "Indiquez votre numéro de téléphone ou votre adresse e-mail."),
    ("pas un numéro", "Numéro de téléphone invalide."),
    ("lea@", "Adresse e-mail invalide"),
    ("lea@orange", "Adresse e-mail incomplète : il manque la fin, par exemple « @orange.fr »."),
    ("Léa Martin@orange.fr", "Une adresse e-mail ne contient ni accent ni espace."),
    ("léa.«martin»@exemple.fr", "Adresse e-mail invalide"),
    ("a\x00b@exemple.fr", "Adresse e-mail invalide"),
    ("0" * 300, "trop long"),
    ("01 64 00 00 00", "téléphone fixe"),         # landline without a voice channel
    ("🚨📱", "Numéro de téléphone invalide."),
])
def test_bad_input_changes_nothing(testapp, dbsession, commune, typed, message):
    page = post(testapp, FOLLOW, {"contact": typed}, status=400)
    assert message in page.text
    assert dbsession.scalar(select(func.count()).select_from(Follower)) == 0


def test_a_wrong_code_counts_and_ends_the_request(testapp, dbsession, commune):
    post(testapp, FOLLOW, {"contact": MOBILE}, status=303)
    good = _code(dbsession)
    wrong = "000000" if good != "000000" else "111111"
    assert "Code incorrect : encore 4 essais." in post(testapp, "/communes/77449/suivre/code",
                                                                     {"code": wrong}, status=400).text
    assert "Le code a 6 chiffres" in post(testapp, "/communes/77449/suivre/code",
                                                        {"code": "12<b>"}, status=400).text
    assert "Le code a 6 chiffres" in post(testapp, "/communes/77449/suivre/code", {"code": "١٢٣٤٥٦"}, status=400).text
    for _ in range(4):
        post(testapp, "/communes/77449/suivre/code", {"code": wrong}, status=400)
    assert "essayé trop de fois" in post(testapp, "/communes/77449/suivre/code", {"code": good}, status=400).text
    assert dbsession.scalars(select(Follower)).one().status == "pending"


def test_no_enumeration_an_active_number_gets_a_reminder_not_a_code(testapp, dbsession, commune):
    follow_by_sms(testapp, dbsession)
    again = post(testapp, FOLLOW, {"contact": MOBILE}, status=303)
    assert again.location.endswith("/suivre/code")            # same answer as a new number
    assert "reçoit déjà ses alertes" in _last(dbsession, "follower_confirm", MOBILE).body
    assert dbsession.scalars(select(Follower)).one().status == "active"


def test_rate_limits_per_client_and_per_destination(testapp, dbsession, commune):
    for _ in range(3):
        post(testapp, FOLLOW, {"contact": MOBILE}, status=303)
    page = post(testapp, FOLLOW, {"contact": MOBILE}, status=429)
    assert "plusieurs messages de confirmation" in page.text and page.headers["Retry-After"]
    assert dbsession.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "follower_confirm")) == 3
    for n in range(6):
        post(testapp, FOLLOW, {"contact": f"lea{n}@exemple.fr"}, status=303)
    assert "Trop de demandes" in post(testapp, FOLLOW, {"contact": "zoe@exemple.fr"}, status=429).text


def test_follow_by_email_link_and_one_click_unsubscribe(testapp, dbsession, commune, mairie, agent_login):
    assert post(testapp, FOLLOW, {"contact": "  Léa.Martin@Exemple.fr ".replace("é", "e")},
                             status=303).location.endswith("/verifiez-vos-e-mails")
    mail = _last(dbsession, "follower_confirm", "lea.martin@exemple.fr")
    link = re.search(r"http://localhost(/suivre/confirmer/\S+)", mail.body).group(1)
    assert "Je confirme" in testapp.get(link).text                       # a GET confirms nothing
    assert dbsession.scalars(select(Follower)).one().status == "pending"
    assert "C'est confirmé" in post(testapp, link, {}).text
    assert "Lien expiré" in post(testapp, "/suivre/confirmer/999.abcdefghijklmnopqrstuvwx", {}, status=400).text
    agent_login(testapp, mairie)
    _send_alert(testapp)
    row = dbsession.scalars(select(Notification).where(Notification.kind == "mairie_alert",
                                                       Notification.recipient_id.is_(None))).one()
    follower = dbsession.scalars(select(Follower)).one()
    assert (row.channel, row.address) == ("email", "lea.martin@exemple.fr")
    assert row.dedupe_key.endswith(f":abonne-{follower.id}:email")
    rendered = testapp.app.registry.vvs_plugins.hook.vvs_render_notification(
        request=_request(testapp, dbsession), notification=row, channel="email")
    unsubscribe = re.search(r"<(http://localhost(/suivre/desabonnement/[^>]+))>",
                            rendered["headers"]["List-Unsubscribe"])
    assert rendered["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.group(1) in rendered["text"]
    path = unsubscribe.group(2)
    assert "Ne plus recevoir les alertes" in testapp.get(path).text and dbsession.get(Follower, follower.id)
    # The mail client's one-click POST (RFC 8058): no session, no CSRF token.
    testapp.reset()
    done = testapp.post(path, {"List-Unsubscribe": "One-Click"})
    assert "Vous ne recevrez plus les alertes" in done.text
    assert dbsession.scalar(select(func.count()).select_from(Follower)) == 0
    assert "Vous ne recevrez plus" in testapp.post(path, {}).text           # again: the same answer
    assert "Vous ne recevrez plus" in testapp.post("/suivre/desabonnement/1-" + "0" * 32, {}).text
    assert "Vous ne recevrez plus" in testapp.post("/suivre/desabonnement/%D9%A1-" + "0" * 32, {}).text


def test_a_stop_link_sent_before_the_signed_links_helper_still_stops(testapp, dbsession, commune):
    """The e-mails already sent carry the followers' own HMAC of id, channel and address
    (before vvs_core.web.links.signed): their one-click POST still deletes that follower;
    another purpose's token for the same id, or the old one changed, deletes nobody and
    counts as a wrong link (the limit of 30 an hour, as before)."""
    import hashlib
    import hmac

    from vvs_core.web.links import signed

    registry = testapp.app.registry
    lea, zoe = (Follower(commune_id=commune.id, channel="email", address=a, status="active")
                for a in ("léa.martin@exemple.fr", "zoe.ndiaye@orange.fr"))
    dbsession.add_all([lea, zoe])
    dbsession.commit()
    message = f"vvs-abonne|desabonnement|{lea.id}|email|léa.martin@exemple.fr"
    old = f"{lea.id}-{hmac.new(registry.settings['vvs.secret'].encode(), message.encode(), hashlib.sha256).hexdigest()[:32]}"
    wrong = [signed(registry, "mairie-messages-stop", zoe.id), signed(registry, "rollcall-answer", zoe.id),
             f"{zoe.id}{old[len(str(lea.id)):]}", old[:-1], old + "%C3%A9", old + "0" * 4000]
    for n in range(5):
        for token in wrong:
            testapp.post(f"/suivre/desabonnement/{token}", {"List-Unsubscribe": "One-Click"},
                         extra_environ={"REMOTE_ADDR": "198.51.100.7"})
    assert dbsession.scalar(select(func.count()).select_from(Follower)) == 2
    testapp.post(f"/suivre/desabonnement/{old}", {"List-Unsubscribe": "One-Click"},
                 extra_environ={"REMOTE_ADDR": "198.51.100.7"}, status=429)  # 30 wrong links: an hour off
    assert "Vous ne recevrez plus les alertes" in testapp.post(f"/suivre/desabonnement/{old}", {}).text
    dbsession.expire_all()
    assert dbsession.scalars(select(Follower.address)).all() == ["zoe.ndiaye@orange.fr"]


def test_one_click_stops_from_one_mail_provider_all_hold(testapp, dbsession, commune):
    """Gmail or Orange send the RFC 8058 one-click POSTs of all their users from a few servers: the
    35th follower's stop from one address holds as the first did (from the 31st they were refused,
    429, and kept receiving the alerts they had stopped). Wrong links are still limited: past 30
    from one address, that address is refused for an hour."""
    from vvs_followers.following import unsubscribe_token

    secret = testapp.app.registry.settings
    followers = [Follower(commune_id=commune.id, channel="email", address=f"zoe.ndiaye{n}@orange.fr", status="active")
                 for n in range(36)]
    dbsession.add_all(followers)
    dbsession.commit()
    tokens = [unsubscribe_token(secret, f) for f in followers]
    for token in tokens[:35]:
        done = testapp.post(f"/suivre/desabonnement/{token}", {"List-Unsubscribe": "One-Click"},
                            extra_environ={"REMOTE_ADDR": "209.85.220.41"})
        assert "Vous ne recevrez plus les alertes" in done.text
    assert dbsession.scalar(select(func.count()).select_from(Follower)) == 1
    for n in range(30):
        testapp.post(f"/suivre/desabonnement/{n + 1}-{'0' * 32}", {"List-Unsubscribe": "One-Click"},
                     extra_environ={"REMOTE_ADDR": "203.0.113.9"})
    testapp.post(f"/suivre/desabonnement/{tokens[35]}", {"List-Unsubscribe": "One-Click"},
                 extra_environ={"REMOTE_ADDR": "203.0.113.9"}, status=429)
    assert dbsession.scalar(select(func.count()).select_from(Follower)) == 1


def _request(testapp, dbsession):
    from pyramid.scripting import prepare

    request = prepare(registry=testapp.app.registry)["request"]
    request.dbsession = dbsession
    return request


def test_sms_follower_receives_the_commune_alert_and_stops_with_stop(testapp, dbsession, commune, mairie,
                                                                      agent_login):
    follower = follow_by_sms(testapp, dbsession)
    agent_login(testapp, mairie)
    estimate = testapp.post_csrf("/mairie/77449/alertes/nouvelle", {
        "category": "meteo", "title": "Crue", "target": "commune"}).text
    assert "dont 1 personne abonnée sans compte" in estimate
    page = _send_alert(testapp, exercise="1")
    row = dbsession.scalars(select(Notification).where(Notification.recipient_id.is_(None),
                                                       Notification.kind == "mairie_alert")).one()
    assert (row.channel, row.address) == ("sms", MOBILE) and row.body.startswith("EXERCICE - Mairie de Serris")
    rendered = testapp.app.registry.vvs_plugins.hook.vvs_render_notification(
        request=_request(testapp, dbsession), notification=row, channel="sms")
    assert rendered["text"].endswith("STOP : répondez STOP.")
    alert = dbsession.scalars(select(MairieAlert)).one()
    testapp.post_csrf(page, {"kind": "update", "body": "L'eau monte encore."}, status=303)
    update = dbsession.scalars(select(MairieAlert).where(MairieAlert.parent_id == alert.id)).one()
    assert dbsession.scalars(select(Notification.address).where(
        Notification.subject_id == update.id, Notification.recipient_id.is_(None))).all() == [MOBILE]
    report = testapp.get(page).text                      # the exercise report names the follower
    assert f"abonné sans compte (abonne-{follower.id})" in report     # not reached yet: listed
    csv_text = testapp.get(f"{page}/preuve.csv").text
    assert f"abonné sans compte (abonne-{follower.id});SMS;+3363998**34" in csv_text
    hook = testapp.app.registry.vvs_plugins.hook.vvs_inbound_sms
    reply = hook(request=_request(testapp, dbsession),
                 message=InboundSMS(sender=MOBILE, text=" Stop ", provider="console", provider_id="in-1"))
    assert reply.startswith("C'est noté : vous ne recevrez plus les alertes de la mairie de Serris par SMS")
    assert dbsession.scalar(select(func.count()).select_from(Follower)) == 0
    # A STOP from a number that follows nothing, and is nobody's, is answered by nobody.
    other = hook(request=_request(testapp, dbsession),
                 message=InboundSMS(sender="+33639980000", text="STOP", provider="console", provider_id="in-2"))
    assert other is None
    # The all-clear goes to whoever the alert reached, less who stopped since (the alert's
    # messages went out by then: an end cancels what is unsent).
    from sqlalchemy import update as sql_update

    dbsession.execute(sql_update(Notification).where(Notification.kind == "mairie_alert",
                                                     Notification.status == "pending").values(status="sent"))
    testapp.post_csrf(page, {"kind": "all_clear", "body": "Fin de la crue."}, status=303)
    end = dbsession.scalars(select(MairieAlert).where(MairieAlert.kind == "all_clear")).one()
    assert dbsession.scalars(select(Notification).where(Notification.subject_id == end.id)).all()  # residents
    assert not dbsession.scalars(select(Notification).where(
        Notification.subject_id == end.id, Notification.recipient_id.is_(None))).all()


def test_the_code_can_be_answered_by_sms(testapp, dbsession, commune):
    post(testapp, FOLLOW, {"contact": MOBILE}, status=303)
    hook = testapp.app.registry.vvs_plugins.hook.vvs_inbound_sms
    reply = hook(request=_request(testapp, dbsession),
                 message=InboundSMS(sender=MOBILE, text=_code(dbsession), provider="console", provider_id="c-1"))
    assert reply.startswith("C'est confirmé : vous recevrez les alertes de la mairie de Serris par SMS.")
    assert dbsession.scalars(select(Follower)).one().status == "active"


def test_vvs_commune_alert_followers(app_request, dbsession, commune, mairie):
    """Followers on a zone get only the alerts of their zone; who gave no address, the whole commune's."""
    from vvs_followers.following import reached

    inside = Follower(commune_id=commune.id, channel="sms", address="+33639980011", status="active",
                      home=Point(2.7861, 48.8453))
    far = Follower(commune_id=commune.id, channel="email", address="far@exemple.fr", status="active",
                   home=Point(2.80, 48.86))
    nowhere = Follower(commune_id=commune.id, channel="sms", address="+33639980012", status="active")
    pending = Follower(commune_id=commune.id, channel="sms", address="+33639980013", status="pending")
    dbsession.add_all([inside, far, nowhere, pending])
    dbsession.flush()
    both = ["sms", "email"]
    hook = app_request.registry.vvs_plugins.hook.vvs_commune_alert_followers

    def keys(target):
        answers = hook(request=app_request, commune=commune, target={**target, "channels": both})
        return sorted(f["key"] for answer in answers for f in answer)

    assert keys({"target": "commune"}) == sorted([inside.key, far.key, nowhere.key])
    assert keys({"target": "area", "area": square_around((2.7861, 48.8453), 200)}) == [inside.key]
    assert keys({"target": "communities", "community_ids": [mairie.community.id]}) == [inside.key]
    assert keys({"target": "communities", "community_ids": [99999]}) == []
    assert [f["key"] for f in reached(dbsession, commune, {"target": "commune", "channels": ["email"]})] == [far.key]


class FindsNothing:
    """A geocoder that searches addresses (as BAN does) and finds none of these."""
    name = "essai"

    def search(self, query, *, limit=5, citycode=None, near=None):
        return []

    def reverse(self, lon, lat):
        return None


@pytest.fixture
def address_geocoder(app, change):
    change(app.registry, providers={"geocoder": FindsNothing()})


def test_an_address_outside_the_commune_is_refused(testapp, dbsession, commune, address_geocoder):
    page = post(testapp, FOLLOW, {"contact": MOBILE, "address": "1 rue Imaginaire"}, status=400)
    assert "Nous ne trouvons pas cette adresse à Serris : corrigez-la" in page.text  # was « introuvable de Serris »
    assert dbsession.scalar(select(func.count()).select_from(Follower)) == 0


def test_with_the_default_geocoder_the_follower_chooses_a_neighbourhood(testapp, dbsession, commune, mairie):
    """Walk-through: the built-in "manual" geocoder finds no address, so every address
    was refused. The form lists the commune's neighbourhoods instead; the follower is
    reached by the alerts aimed at theirs."""
    from vvs_followers.following import reached

    page = testapp.get(FOLLOW)
    form = page.forms["suivre"]
    assert "address" not in form.fields and "Votre quartier (facultatif)" in page.text
    assert (str(mairie.community.id), mairie.community.name) in [(v, t) for v, _, t in form["quartier"].options]
    assert "Choisissez un quartier de la liste." in post(testapp, FOLLOW, {"contact": MOBILE, "quartier": "999999"},
                                                          status=400).text
    follower = follow_by_sms(testapp, dbsession, address="")  # no choice: the whole commune
    assert follower.home is None
    post(testapp, FOLLOW, {"contact": "lea@exemple.fr", "quartier": str(mairie.community.id)}, status=303)
    lea = dbsession.scalars(select(Follower).where(Follower.address == "lea@exemple.fr")).one()
    assert lea.home is not None and mairie.community.boundary.contains(lea.home)
    lea.status = "active"
    dbsession.flush()
    aimed = {"target": "communities", "community_ids": [mairie.community.id], "channels": ["email", "sms"]}
    assert [f["address"] for f in reached(dbsession, commune, aimed)] == ["lea@exemple.fr"]


def test_typos_do_not_lock_the_visitor_out(testapp, dbsession, commune):
    """Walk-through: every refused form counted toward the 10 requests an hour, so a few
    typos locked the visitor out. Refusals have their own, larger allowance."""
    for n in range(12):
        post(testapp, FOLLOW, {"contact": f"lea{n}@"}, status=400)
    follow_by_sms(testapp, dbsession)


def test_a_landline_follows_by_voice_call_when_calls_are_offered(testapp, dbsession, commune, mairie, agent_login,
                                                                 voice):
    assert "ou un téléphone fixe (alertes par appel vocal)" in testapp.get(FOLLOW).text
    assert post(testapp, FOLLOW, {"contact": "01 99 00 02 01"}, status=303).location.endswith("/suivre/code")
    call = _last(dbsession, "follower_confirm", "+33199000201")
    assert call.channel == "voice" and "votre code de confirmation est" in call.body
    code = re.search(r"est ((?:\d ){5}\d)\.", call.body).group(1).replace(" ", "")   # read digit by digit
    assert "qui énonce un code de 6 chiffres" in testapp.get("/communes/77449/suivre/code").text
    assert "par appel vocal" in post(testapp, "/communes/77449/suivre/code", {"code": code}).text
    follower = dbsession.scalars(select(Follower)).one()
    assert (follower.channel, follower.status) == ("voice", "active")
    agent_login(testapp, mairie)
    estimate = testapp.post_csrf("/mairie/77449/alertes/nouvelle", {
        "category": "meteo", "title": "Crue", "target": "commune"}).text
    assert "1 appel sur un téléphone fixe" in estimate
    _send_alert(testapp)
    row = dbsession.scalars(select(Notification).where(Notification.recipient_id.is_(None),
                                                       Notification.kind == "mairie_alert")).one()
    assert (row.channel, row.address, row.dedupe_key.endswith(f"{follower.key}:voice")) == (
        "voice", "+33199000201", True)


def test_the_code_call_reads_the_code_twice_and_asks_for_no_key(testapp, dbsession, commune, voice, tmp_path):
    """The person writes the code down: digit by digit, twice; nothing to press (the code
    is typed on the site), so no « appuyez sur la touche 1 »."""
    from vvs_core.testing import run_tasks

    post(testapp, FOLLOW, {"contact": "01 99 00 02 02"}, status=303)
    run_tasks()
    call = _last(dbsession, "follower_confirm", "+33199000202")
    code = re.search(r"est ((?:\d ){5}\d)\. Je répète : \1\.", call.body).group(1)
    [script] = [p.read_text(encoding="utf-8") for p in (tmp_path / "appels").glob("*.txt")]
    said = script.split("\n\n", 1)[1]
    assert said.count(code) == 2 and "Je répète" in said
    assert "appuyez" not in script.lower() and "touche" not in script.lower()
    assert said.strip() == ("Mairie de Serris : votre code de confirmation est " + code + ". Je répète : " + code
                            + ". Il expire dans 30 minutes. Si vous n'avez rien demandé, ignorez ce message.")


def test_the_dashboard_tells_the_agent_how_many_follow_and_the_link(testapp, dbsession, commune, mairie, agent_login):
    dbsession.add_all([Follower(commune_id=commune.id, channel="sms", address="+33639980021", status="active"),
                       Follower(commune_id=commune.id, channel="email", address="a@exemple.fr", status="active"),
                       Follower(commune_id=commune.id, channel="sms", address="+33639980022", status="pending")])
    dbsession.flush()
    agent_login(testapp, mairie)
    page = testapp.get("/mairie/77449").text
    assert "2 personnes suivent les alertes de la mairie sans compte" in page
    assert "http://localhost/communes/77449/suivre" in page


def test_the_mairie_news_reaches_the_followers_who_chose_it(testapp, dbsession, commune, mairie, agent_login):
    """News is a choice at opt-in: alerts only (the default) or alerts and news; the
    news goes by SMS (with STOP) and e-mail (with the one-click link), never by a call."""
    post(testapp, FOLLOW, {"contact": MOBILE, "news": "true"}, status=303)
    post(testapp, "/communes/77449/suivre/code", {"code": _code(dbsession)}, status=200)
    post(testapp, FOLLOW, {"contact": "alertes.seules@exemple.fr"}, status=303)
    post(testapp, FOLLOW, {"contact": "nouvelles@exemple.fr", "news": "true"}, status=303)
    for address in ("alertes.seules@exemple.fr", "nouvelles@exemple.fr"):
        link = re.search(r"http://localhost(/suivre/confirmer/\S+)", _last(dbsession, "follower_confirm", address).body)
        post(testapp, link.group(1), {})
    chosen = dict(dbsession.execute(select(Follower.address, Follower.news)).all())
    assert chosen == {MOBILE: True, "alertes.seules@exemple.fr": False, "nouvelles@exemple.fr": True}
    agent_login(testapp, mairie)
    testapp.post_csrf("/mairie/77449/communications", {
        "title": "Brocante 🎉 du 14 juillet", "text": "Dimanche sur la place « de l'Église », de 8 h à 18 h.",
        "action": "publish"}, status=303)
    rows = {r.address: r for r in dbsession.scalars(select(Notification).where(Notification.kind == "follower_news"))}
    assert sorted(rows) == [MOBILE, "nouvelles@exemple.fr"]
    text = rows[MOBILE].body
    assert text == 'Mairie de Serris - Brocante du 14 juillet : Dimanche sur la place "de l\'Église", de 8 h à 18 h.'
    request = _request(testapp, dbsession)
    hook = testapp.app.registry.vvs_plugins.hook.vvs_render_notification
    assert hook(request=request, notification=rows[MOBILE], channel="sms")["text"].endswith("STOP : répondez STOP.")
    mail = hook(request=request, notification=rows["nouvelles@exemple.fr"], channel="email")
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Dimanche sur la place « de l'Église »" in mail["text"] and "/suivre/desabonnement/" in mail["text"]
    assert rows[MOBILE].title == "Mairie de Serris : Brocante 🎉 du 14 juillet"


def test_a_landline_never_gets_the_news(testapp, dbsession, commune, voice):
    post(testapp, FOLLOW, {"contact": "01 99 00 02 03", "news": "true"}, status=303)
    assert dbsession.scalars(select(Follower)).one().news is False


def test_the_development_code_call_script_offers_no_key_to_press(testapp, dbsession, commune, app, tmp_path, change):
    """The folder provider's curl lines play the person: for a code call (no key asked),
    listening to the end, not « touches=1 »; an alert call still offers the key."""
    from vvs_core.interfaces import OutgoingCall
    from vvs_dev_providers.providers import FolderVoiceCaller
    from vvs_core.testing import run_tasks

    url = "http://localhost:6543/fournisseurs/folder/jeton/appel"
    caller = FolderVoiceCaller(str(tmp_path / "appels"), speak=False, callback_url=url)
    change(app.registry, providers={"voice": caller})
    post(testapp, FOLLOW, {"contact": "01 99 00 02 04"}, status=303)
    run_tasks()
    [script] = [p.read_text(encoding="utf-8") for p in (tmp_path / "appels").glob("*.txt")]
    assert "touches=" not in script and re.search(r"curl -d ref=[0-9a-f]{32} -d etat=ecoute " + url, script)
    caller.send_batch([OutgoingCall(to="+33199000205", text="Crue de la Marne.", key="alerte-1",
                                    prompt="Appuyez sur 1 pour confirmer.")])
    alert = next(p for p in (tmp_path / "appels").glob("alerte-1*.txt")).read_text(encoding="utf-8")
    assert "-d etat=touche -d touches=1 " + url in alert
