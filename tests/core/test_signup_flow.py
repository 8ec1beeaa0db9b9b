"""Sign-up through the real app: every step, every bad input with its French message
and nothing created, the three community cases, the e-mail confirmation link."""
import re

import pytest
from sqlalchemy import func, select
from shapely.geometry import Point

from vvs_core.models import Commune, Community, Membership, Token, User
from vvs_core.plugins import hookimpl
from vvs_core.testing import SERRIS, mail_text, read_mails, run_tasks

GOOD_PASSWORD = "trois chats sur le toit"
NEW_EMAIL = "nouveau.voisin@example.test"


@pytest.fixture(autouse=True)
def fresh_rate_limits(app_registry):
    app_registry["vvs.ratelimit_store"] = None  # a new in-memory store for this test


def east_of(point, metres):
    from shapely.geometry import Point

    from vvs_core import geo

    p = geo.to_l93(geo.as_point(point))
    moved = geo.from_l93(Point(p.x + metres, p.y))
    return (moved.x, moved.y)


def users(dbsession) -> int:
    return dbsession.scalar(select(func.count(User.id)))


def start(testapp, address="12 rue de Lagny", email=NEW_EMAIL, status=303):
    form = testapp.get("/inscription").forms["signup-address"]
    form["address"] = address
    form["email"] = email
    return form.submit("submit", status=status)


def csrf_post(testapp, url, params=None, status=303, page="/inscription"):
    """POST with the CSRF token found on ``page`` (anonymous pages have no logout form)."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', testapp.get(page).text).group(1)
    return testapp.post(url, {**(params or {}), "csrf_token": token}, status=status)


def place(testapp, lon, lat, status=303):
    return csrf_post(testapp, "/inscription/position", {"lon": str(lon), "lat": str(lat)}, status=status)


def confirm(testapp):
    return csrf_post(testapp, "/inscription/confirmation")


def account_form(testapp, **overrides):
    form = testapp.get("/inscription/compte").forms["signup-account"]
    values = dict(first_name="Benjamin", last_name="Malin", password=GOOD_PASSWORD, mobile="06 12 34 56 78",
                  landline="", pseudonym="Benji", charter=True)
    values.update(overrides)
    confirm = values.pop("password_confirm", values["password"])
    for name, value in values.items():
        form[name] = value
    form["password-confirm"] = confirm
    return form


def sign_up_to_step5(testapp, home=SERRIS, email=NEW_EMAIL):
    start(testapp, email=email)
    place(testapp, *home)
    confirm(testapp)
    res = account_form(testapp).submit("submit", status=303)
    assert res.headers["Location"].endswith("/inscription/communaute")
    return res.follow()


def test_step1_opens_the_map_on_the_commune_with_the_manual_geocoder(testapp, commune):
    res = start(testapp).follow()
    assert "Nous n'avons pas trouvé « 12 rue de Lagny »" in res.text
    assert f'data-lon="{SERRIS[0]}"' in res.text and f'data-lat="{SERRIS[1]}"' in res.text
    assert "Valider la position de mon domicile" in res.text


@pytest.mark.parametrize("address, email, message", [
    ("", NEW_EMAIL, "Ce champ est obligatoire."),
    ("12", NEW_EMAIL, "Indiquez votre adresse (numéro et rue)."),
    ("12 rue de Lagny", "pas-une-adresse", "Adresse e-mail invalide."),
    ("12 rue de Lagny", "", "Ce champ est obligatoire."),
    ("12 rue de Lagny\x00\x1b[2J", NEW_EMAIL, "caractères de contrôle invisibles"),  # text_node's rule, as every text field
    ("12 rue de « l’Église » " + "é" * 200, NEW_EMAIL, "L'adresse est trop longue."),
])
def test_step1_bad_input(testapp, commune, dbsession, address, email, message):
    res = start(testapp, address=address, email=email, status=400)
    assert message in res.text
    assert testapp.get("/inscription/position", status=303).headers["Location"].endswith("/inscription")
    assert testapp.get("/inscription/compte", status=303).headers["Location"].endswith("/inscription")


def test_step1_answers_the_same_for_a_known_and_an_unknown_email(app, testapp, commune, make_user, app_registry):
    """No account discovery (issue 15.3): the page goes on for both; the owner of the
    existing account is told by e-mail, in French, with the login and reset links."""
    from vvs_core.testing import VVSTestApp

    owner = make_user(email="deja@example.test", first_name="Hélène")
    known = start(testapp, email="Deja@example.test")
    unknown = start(VVSTestApp(app), email="personne.inconnue@example.test")
    assert known.status_int == unknown.status_int == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    def page(res, email):  # each browser has its own CSRF token; the rest must be the same
        return re.sub(r'name="csrf_token" value="[^"]+"', "", res.follow().text.replace(email, "X"))

    assert page(known, "Deja@example.test") == page(unknown, "personne.inconnue@example.test")
    run_tasks()
    mails = [m for m in read_mails(app_registry.settings["vvs.email.folder"]) if m["To"] == owner.email]
    assert mails, "the owner was not told"
    text = mail_text(mails[-1])
    assert "Vous avez déjà un compte" in text and "/connexion" in text and "/mot-de-passe" in text
    assert not [m for m in read_mails(app_registry.settings["vvs.email.folder"])
                if m["To"] == "personne.inconnue@example.test"]


def test_the_account_step_tells_a_taken_email_only_within_the_sign_up_limit(testapp, commune, make_user, dbsession):
    make_user(email="deja@example.test")
    start(testapp, email="deja@example.test")
    place(testapp, *SERRIS)
    confirm(testapp)
    before = users(dbsession)
    res = account_form(testapp, email="deja@example.test").submit("submit", status=400)
    assert "Un compte existe déjà avec cette adresse e-mail" in res.text
    assert users(dbsession) == before
    for _ in range(4):
        account_form(testapp, email="deja@example.test").submit("submit", status=400)
    limited = account_form(testapp, email="deja@example.test").submit("submit", status=429)
    assert limited.headers["Retry-After"]


def test_step1_asks_the_commune_when_there_are_several(testapp, commune, dbsession):
    from shapely.geometry import Point

    other = Commune(insee="77111", name="Chessy", postcodes=["77700"], centre=Point(2.7630, 48.8700))
    dbsession.add(other)
    dbsession.flush()
    page = testapp.get("/inscription")
    assert "signup-address" not in page.forms  # the commune first (test_signup_commune_search.py)
    form = page.click(r"Chessy \(77\) — 77700").forms["signup-address"]
    form["address"] = "3 rue du Moulin"
    form["email"] = NEW_EMAIL
    form["commune"].force_value("")
    assert "Choisissez votre commune dans la recherche" in form.submit("submit", status=400).text
    form["commune"].force_value(str(other.id))
    res = form.submit("submit", status=303).follow()
    assert 'data-lon="2.763"' in res.text


@pytest.mark.parametrize("lon, lat, message", [
    ("abc", "48.8", "Position invalide"),
    (-3.0, 40.0, "Cette position est hors de France"),
    (2.35, 48.85, "Cette position est trop loin de Serris"),
])
def test_step2_refuses_a_point_outside_the_commune(testapp, commune, lon, lat, message):
    start(testapp)
    res = place(testapp, lon, lat, status=400)
    assert message in res.text
    # Still at step 2: nothing was placed, so there is nothing to confirm (the commune's
    # centre, where the map opened, is not the resident's home).
    assert testapp.get("/inscription/confirmation", status=303).headers["Location"].endswith("/inscription/position")


def test_step2_the_marker_starts_outside_every_community(testapp, commune):
    """Address not found: the map opens on the commune (inside Le Bourg, in the demo)
    but no marker is placed, and "Valider" without placing one is refused."""
    page = start(testapp).follow()
    assert 'data-placed="0"' in page.text
    assert 'id="lon" name="lon" value=""' in page.text and 'id="lat" name="lat" value=""' in page.text
    res = place(testapp, "", "", status=400)
    assert "Placez le marqueur sur votre domicile" in res.text
    assert testapp.get("/inscription/confirmation", status=303).headers["Location"].endswith("/inscription/position")
    assert testapp.get("/inscription/compte", status=303).headers["Location"].endswith("/inscription")
    # Typed the French way (decimal comma), the position is taken.
    res = place(testapp, f"{SERRIS[0]}".replace(".", ","), f"{SERRIS[1]}".replace(".", ","))
    assert res.headers["Location"].endswith("/inscription/confirmation")


def test_step3_asks_to_check_a_marker_left_where_the_address_was_found(testapp, commune, monkeypatch):
    from vvs_core.accounts.registration import Located
    from vvs_core.accounts import signup

    monkeypatch.setattr(signup, "locate_address",
                        lambda request, address, commune: Located(SERRIS[0], SERRIS[1], True, "12 Rue de Lagny 77700 Serris"))
    page = start(testapp).follow()
    assert 'data-placed="1"' in page.text  # found: the marker starts on the address
    place(testapp, *SERRIS)  # "Valider" without moving it
    confirm = testapp.get("/inscription/confirmation")
    assert "Vous n'avez pas déplacé le marqueur" in confirm.text
    csrf_post(testapp, "/inscription/position", {"lon": str(SERRIS[0] + 0.0004), "lat": str(SERRIS[1]), "moved": "1"})
    assert "Vous n'avez pas déplacé le marqueur" not in testapp.get("/inscription/confirmation").text


def test_steps_cannot_be_skipped(testapp, commune):
    assert testapp.get("/inscription/position", status=303).headers["Location"].endswith("/inscription")
    assert testapp.get("/inscription/confirmation", status=303).headers["Location"].endswith("/inscription")
    start(testapp)
    place(testapp, *SERRIS)
    # The position is not confirmed yet: the account form sends back.
    assert testapp.get("/inscription/compte", status=303).headers["Location"].endswith("/inscription")


@pytest.mark.parametrize("overrides, message", [
    ({"password": "court"}, "au moins 12 caractères"),
    ({"password": "motdepasse123"}, "trop courant"),
    ({"password_confirm": "autre chose encore"}, "Les deux mots de passe ne correspondent pas."),
    ({"mobile": "12"}, "Numéro de téléphone invalide."),
    ({"mobile": "01 23 45 67 89"}, "n'est pas un numéro de portable"),
    ({"mobile": "", "landline": "06 12 34 56 78"}, "Ce numéro est un portable"),
    ({"mobile": "", "landline": ""}, "Indiquez au moins un numéro de téléphone"),
    ({"charter": False}, "Acceptez la charte de bonne conduite"),
    ({"pseudonym": ""}, "Ce champ est obligatoire."),
    ({"pseudonym": "B"}, "2 caractères au moins."),
    ({"pseudonym": "Benji 🦊 « le renard » " + "é" * 30}, "40 caractères au plus."),
    ({"pseudonym": "Ben\u0085ji"}, "caractères de contrôle invisibles"),
    ({"landline": "01 " * 20}, "30 caractères au plus."),
    ({"first_name": ""}, "Ce champ est obligatoire."),
    ({"first_name": 'Bernard<img src=x onerror="alert(1)">'}, "Un nom s'écrit avec des lettres"),  # it goes out by SMS
    ({"last_name": "Dupont 😀"}, "ni chiffres, ni symboles"),
])
def test_step4_bad_input(testapp, commune, dbsession, overrides, message):
    start(testapp)
    place(testapp, *SERRIS)
    confirm(testapp)
    before = users(dbsession)
    res = account_form(testapp, **overrides).submit("submit", status=400)
    assert message in res.text
    assert users(dbsession) == before


def test_step4_shows_every_error_in_one_pass(testapp, commune, dbsession):
    start(testapp)
    place(testapp, *SERRIS)
    confirm(testapp)
    form = account_form(testapp, password="motdepasse123", mobile="12", charter=False, pseudonym="")
    res = form.submit("submit", status=400)
    for message in ("trop courant", "Numéro de téléphone invalide.", "Acceptez la charte de bonne conduite",
                    "Ce champ est obligatoire."):
        assert message in res.text, message
    # the demo numbers of the README are accepted
    form = res.forms["signup-account"]
    form["password"] = form["password-confirm"] = GOOD_PASSWORD
    form["mobile"], form["charter"], form["pseudonym"] = "06 39 98 12 34", True, "Benji"
    form.submit("submit", status=303)
    assert dbsession.scalar(select(User.mobile).where(User.email == NEW_EMAIL)) == "+33639981234"


def test_step4_shows_the_charter(testapp, commune):
    start(testapp)
    place(testapp, *SERRIS)
    confirm(testapp)
    page = testapp.get("/inscription/compte")
    assert "Je veille, je ne surveille pas." in page.text


def test_case1_home_inside_a_community_joins_it(testapp, commune, make_community, make_user, dbsession, app_registry):
    ref = make_user()
    community = make_community("Le Bourg", members=[make_user()], referents=[ref])
    res = sign_up_to_step5(testapp)
    assert "Les <strong>2</strong> voisins vigilants et solidaires de la communauté" in res.text
    assert "« Le Bourg »" in res.text
    user = dbsession.scalar(select(User).where(User.email == NEW_EMAIL))
    assert (user.first_name, user.mobile, user.pseudonym) == ("Benjamin", "+33612345678", "Benji")
    assert user.email_confirmed_at is None and user.home.distance(community.boundary.centroid) < 0.001
    membership = dbsession.scalar(select(Membership).where(Membership.user_id == user.id))
    assert (membership.community_id, membership.status) == (community.id, "pending")
    # The confirmation link, by e-mail.
    run_tasks()
    mails = [m for m in read_mails(app_registry.settings["vvs.email.folder"]) if m["To"] == NEW_EMAIL]
    from vvs_core.testing import mail_text

    link = re.search(r"http://localhost(/inscription/confirmer/\S+)", mail_text(mails[-1])).group(1)
    assert testapp.get(link, status=303).headers["Location"].endswith("/activation")
    dbsession.expire_all()
    assert dbsession.get(User, user.id).email_confirmed_at is not None
    testapp.get(link, status=303)  # opened again: one clear message, no error (walk-through)
    again = testapp.get("/activation").text
    assert "Votre adresse e-mail est déjà confirmée : ce lien a déjà servi." in again and "flash-error" not in again
    testapp.post("/deconnexion", {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', again).group(1)})
    assert "a déjà servi ou n'est plus valable" in testapp.get(link, status=303).follow().text


def test_case2_near_communities_are_listed_and_joined(testapp, commune, make_community, dbsession):
    community = make_community("Rue Émile Cloud", centre=east_of(SERRIS, 500), side_m=300)
    res = sign_up_to_step5(testapp)
    assert "zones rouges" in res.text and "Rue Émile Cloud" in res.text and "Rejoindre" in res.text
    data = testapp.get("/inscription/communautes.json").json
    assert [f["properties"]["name"] for f in data["features"]] == ["Rue Émile Cloud"]
    assert data["features"][0]["geometry"]["type"] == "Polygon"
    res = testapp.post_csrf("/inscription/rejoindre", {"community_id": str(community.id)}, status=303)
    assert res.headers["Location"].endswith("/activation")
    page = res.follow()
    assert "Votre demande d'adhésion à la communauté « Rue Émile Cloud » est envoyée" in page.text
    assert "Où en est ma demande ?" in page.text and "Rue Émile Cloud" in page.text
    # A second request elsewhere is refused with a message.
    other = make_community("Ailleurs", centre=(2.80, 48.85), side_m=200)
    res = testapp.post_csrf("/inscription/rejoindre", {"community_id": str(other.id)}, status=303).follow()
    assert "Vous faites déjà partie de la communauté « Rue Émile Cloud »" in res.text


def test_case3_create_a_community_and_be_its_referent(testapp, commune, dbsession):
    res = sign_up_to_step5(testapp)
    assert "Créez la communauté de votre quartier" in res.text
    bad = testapp.post_csrf("/inscription/creer", {"name": "ab"}, status=400)
    assert "3 caractères au moins" in bad.text
    assert dbsession.scalar(select(func.count(Community.id))) == 0
    res = testapp.post_csrf("/inscription/creer", {"name": "Allée des Lilas"}, status=303).follow()
    assert "Souhaitez-vous être le référent" in res.text
    assert "Répondez" in testapp.post_csrf("/inscription/referent", {"referent": "peut-être"}, status=400).text
    res = testapp.post_csrf("/inscription/referent", {"referent": "oui"}, status=303).follow()
    assert "La communauté « Allée des Lilas » est créée" in res.text
    assert "L'équipe de la plateforme vérifie votre adresse et la nouvelle communauté" in res.text
    community = dbsession.scalar(select(Community).where(Community.name == "Allée des Lilas"))
    user = dbsession.scalar(select(User).where(User.email == NEW_EMAIL))
    assert community.validation_mode == "platform" and community.boundary.contains(user.home)
    membership = dbsession.scalar(select(Membership).where(Membership.user_id == user.id))
    assert (membership.role, membership.status) == ("referent", "pending")


def test_rate_limit_per_address(testapp, commune, dbsession, app_registry):
    from vvs_core.web.ratelimit import MemoryStore

    store = app_registry["vvs.ratelimit_store"] = MemoryStore()
    start(testapp)
    place(testapp, *SERRIS)
    confirm(testapp)
    for _ in range(5):
        store.incr("signup:127.0.0.1", 3600)
    before = users(dbsession)
    res = account_form(testapp).submit("submit", status=429)
    assert "Trop d'inscriptions depuis cette adresse" in res.text
    assert res.headers["Retry-After"]
    assert users(dbsession) == before


def test_bad_confirmation_token(testapp, dbsession):
    before = dbsession.scalar(select(func.count(Token.id)))
    res = testapp.get("/inscription/confirmer/inconnu", status=303)
    assert res.headers["Location"].endswith("/connexion")
    assert "n'est plus valable" in res.follow().text
    assert dbsession.scalar(select(func.count(Token.id))) == before


def test_vvs_user_registered(testapp, commune, app_registry, dbsession):
    seen = []

    class Spy:
        @hookimpl
        def vvs_user_registered(self, request, user):
            seen.append((user.email, user.id is not None, request.dbsession is not None))

    spy = Spy()
    app_registry.vvs_plugins.register(spy)
    try:
        sign_up_to_step5(testapp)
    finally:
        app_registry.vvs_plugins.unregister(spy)
    assert seen == [(NEW_EMAIL, True, True)]


def test_the_account_form_names_every_box_and_focuses_the_first_field_or_the_first_error(testapp, commune):
    """Walk-through: the confirmation of the password had no label, and the cursor
    started in the password box (deform skipped the name fields)."""
    start(testapp)
    place(testapp, *SERRIS)
    confirm(testapp)
    page = testapp.get("/inscription/compte")
    focused = re.findall(r'<input[^>]*\bautofocus\b[^>]*>', page.text)
    assert len(focused) == 1 and 'autocomplete="given-name"' in focused[0]
    confirm_id = re.search(r'<input[^>]*name="password-confirm"[^>]*id="([^"]+)"', page.text).group(1)
    assert re.search(rf'<label for="{confirm_id}"[^>]*>Confirmez le mot de passe</label>', page.text)
    res = account_form(testapp, last_name="", password_confirm="autre chose").submit("submit", status=400)
    focused = re.findall(r'<input[^>]*\bautofocus\b[^>]*>', res.text)
    assert len(focused) == 1 and 'autocomplete="family-name"' in focused[0]


def test_the_chooser_does_not_call_the_home_s_own_community_limitrophe(testapp, commune, make_community, make_user,
                                                                      dbsession):
    """Walk of the staff, item 18: Le Bourg was labelled « limitrophe » although the home is inside it."""
    from vvs_core.models import Membership

    resident = make_user(first_name="Zoé", home=Point(*SERRIS))
    inside = make_community(name="Le Bourg d’Ésbly")
    dbsession.add(Membership(user_id=resident.id, community_id=inside.id, status="rejected", decision_reason="Doublon"))
    dbsession.flush()
    testapp.login(resident)
    page = testapp.get("/inscription/communaute")
    row = " ".join(page.html.select_one("ul.community-list li").get_text().split())
    assert row.startswith("Le Bourg d’Ésbly · 0 membre · votre domicile s’y trouve")
    assert "limitrophe" not in row
