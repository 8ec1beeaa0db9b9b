"""Profile and settings: what a resident changes about themself, and the GDPR
tools (download my data, close my account)."""
import io
import json
import re
import zipfile

from PIL import Image
from sqlalchemy import select

from vvs_core.models import CommunityEvent, Membership, Notification, Token, User
from vvs_core.plugins import hookimpl
from vvs_core.testing import DEMO_PASSWORD


def check(form, name, values):
    """Tick the checkboxes called ``name`` whose value is in ``values`` (untick the others)."""
    for field in form.fields.get(name, []):
        field.checked = field._value in values


def test_mon_compte_hides_the_mobile_and_keeps_it_for_sms(testapp, make_user, dbsession):
    user = make_user(mobile="+33612345678")
    testapp.login(user)
    form = testapp.get("/parametres/compte").forms["compte"]
    page = testapp.get("/parametres/compte")
    assert "vous recevrez tout de même les alertes par SMS" in page.text
    assert "seule information partagée avec les utilisateurs du site, non membres" in page.text
    form["hide_mobile"] = True
    form["landline"] = "01 23 45 67 89"
    res = form.submit("submit").follow()
    assert "masqué pour vos voisins" in res.text
    dbsession.refresh(user)
    assert user.hide_mobile and user.mobile == "+33612345678" and user.landline == "+33123456789"


def test_mon_compte_bad_phone_is_refused_next_to_its_field(testapp, make_user, dbsession):
    user = make_user(mobile="+33612345678")
    testapp.login(user)
    form = testapp.get("/parametres/compte").forms["compte"]
    form["mobile"] = "01 23 45 67 89"
    form["last_name"] = "Changé"
    res = form.submit("submit", status=400)
    assert "pas un numéro de portable" in res.text
    form = res.forms["compte"]
    form["mobile"], form["landline"] = "", ""
    res = form.submit("submit", status=400)
    assert "au moins un numéro" in res.text
    dbsession.refresh(user)
    assert user.last_name == "Testeur" and user.mobile == "+33612345678"


def test_the_pseudonym_follows_the_sign_up_rule_in_mon_compte(testapp, make_user, dbsession):
    """Sign-up asked 2 to 40 characters, « Mon compte » took 1 to 80: people of other
    communities saw a one-letter or 80-letter name. One rule now, told in French."""
    user = make_user(mobile="+33612345678")
    testapp.login(user)
    before = user.pseudonym
    for typed, told in (("é", "2 caractères au moins."), ("Hélène « la voisine » du Bourg 🌻 " * 2, "40 caractères au plus."),
                        ("Zoé\x07", "caractères de contrôle invisibles")):
        form = testapp.get("/parametres/compte").forms["compte"]
        form["pseudonym"] = typed
        assert told in form.submit("submit", status=400).text
        dbsession.refresh(user)
        assert user.pseudonym == before
    form = testapp.get("/parametres/compte").forms["compte"]
    form["pseudonym"] = "  Hélène du Bourg 🌻  "
    form.submit("submit", status=303)
    dbsession.refresh(user)
    assert user.pseudonym == "Hélène du Bourg 🌻"


def test_password_change_needs_the_current_one_and_ends_other_sessions(testapp, app, make_user, dbsession):
    from vvs_core.testing import VVSTestApp

    user = make_user()
    other = VVSTestApp(app)
    other.login(user)
    testapp.login(user)
    form = testapp.get("/parametres/mot-de-passe").forms["motdepasse"]
    form["current"] = "pas le bon"
    form["password"] = form["password-confirm"] = "une autre phrase assez longue"
    res = form.submit("submit", status=400)
    assert "Mot de passe actuel incorrect." in res.text
    form = res.forms["motdepasse"]
    form["current"] = DEMO_PASSWORD
    form["password"] = form["password-confirm"] = "court"
    assert "au moins 12 caractères" in form.submit("submit", status=400).text
    form["password"] = form["password-confirm"] = "une autre phrase assez longue"
    res = form.submit("submit", status=303).follow()
    assert "mot de passe est modifié" in res.text
    assert testapp.get("/parametres").status_int == 200      # this session goes on
    assert other.get("/parametres", status=302)                # the other one ended
    dbsession.refresh(user)
    assert user.session_epoch == 1


def test_password_and_email_forms_show_every_error_in_one_pass(testapp, make_user, dbsession):
    taken = make_user(email="prise@example.test")
    user = make_user()
    testapp.login(user)
    form = testapp.get("/parametres/mot-de-passe").forms["motdepasse"]
    form["current"] = "pas le bon"
    form["password"] = form["password-confirm"] = "court"
    res = form.submit("submit", status=400)
    assert "Mot de passe actuel incorrect." in res.text and "au moins 12 caractères" in res.text
    form = testapp.get("/parametres/adresse-email").forms["email"]
    form["current"] = "pas le bon"
    form["email"] = taken.email
    res = form.submit("submit", status=400)
    assert "Mot de passe actuel incorrect." in res.text and "déjà utilisée par un autre compte" in res.text


def test_account_form_shows_every_error_in_one_pass(testapp, make_user):
    user = make_user()
    testapp.login(user)
    form = testapp.get("/parametres/compte").forms["compte"]
    form["mobile"], form["landline"], form["last_name"] = "", "", "x" * 81
    res = form.submit("submit", status=400)
    assert "Indiquez au moins un numéro de téléphone" in res.text and "80" in res.text


def test_email_change_is_confirmed_by_a_link_sent_to_the_new_address(testapp, make_user, dbsession):
    taken = make_user(email="prise@example.test")
    user = make_user(email="ancienne@example.test")
    testapp.login(user)
    form = testapp.get("/parametres/adresse-email").forms["email"]
    form["email"], form["current"] = "PRISE@example.test", DEMO_PASSWORD
    assert "déjà utilisée" in form.submit("submit", status=400).text
    form["email"] = "nouvelle@example.test"
    form.submit("submit", status=303)
    dbsession.refresh(user)
    assert user.email == "ancienne@example.test"  # not before the link is opened
    note = dbsession.execute(select(Notification).where(Notification.address == "nouvelle@example.test")).scalar_one()
    link = re.search(r"http://localhost(/parametres/adresse-email/confirmer/\S+)", note.body).group(1)
    res = testapp.get(link)
    assert "nouvelle@example.test" in res.text
    dbsession.refresh(user)
    assert user.email == "nouvelle@example.test"
    assert testapp.get(link, status=400)  # single use
    del taken


def test_notification_preferences_keep_one_channel_for_alerts(testapp, make_user, dbsession):
    user = make_user()
    testapp.login(user)
    page = testapp.get("/parametres/notifications")
    form = page.forms["notifications"]
    for field in form.fields["checkbox"]:
        field.checked = False
    res = form.submit("submit", status=400)
    assert "Gardez au moins un moyen d'être prévenu : alertes de vos voisins." in res.text
    dbsession.refresh(user)
    assert user.notification_prefs in ({}, None)
    # Tick only e-mail everywhere: the alert group keeps e-mail, gazette e-mail.
    form = res.forms["notifications"]
    check(form, "checkbox", {"email"})
    form.submit("submit", status=303)
    dbsession.refresh(user)
    assert user.notification_prefs["alert"] == ["email"]
    assert user.notification_prefs["gazette"] == ["email"]
    assert set(user.notification_prefs) >= {"alert", "gazette", "message", "account"}


def test_newsletter_consent(testapp, make_user, dbsession):
    user = make_user()
    testapp.login(user)
    form = testapp.get("/parametres/newsletter").forms["newsletter"]
    form["newsletter"] = True
    form.submit("submit", status=303)
    dbsession.refresh(user)
    assert user.newsletter is True


def jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (1600, 1200), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "Appareil"           # Make
    exif[0x8825] = {1: "N", 2: (48.0, 50.0, 43.0)}  # GPSInfo: latitude of a home
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_profile_photo_is_resized_without_exif_and_shown_only_to_neighbours(
        testapp, app, make_user, make_community, dbsession):
    from vvs_core.testing import VVSTestApp

    user, neighbour, stranger = make_user(), make_user(), make_user()
    make_community(members=[user, neighbour])
    testapp.login(user)
    page = testapp.get("/profil")
    form = page.forms[1]  # the photo form (the layout's logout form is first)
    assert form.action.endswith("/profil/photo")
    res = testapp.post("/profil/photo", {"csrf_token": form["csrf_token"].value},
                       upload_files=[("photo", "photo.jpg", jpeg_with_gps())], status=303)
    dbsession.refresh(user)
    stored = Image.open(io.BytesIO(user.photo))
    assert max(stored.size) <= 512 and not stored.getexif()
    bad = testapp.post("/profil/photo", {"csrf_token": form["csrf_token"].value},
                       upload_files=[("photo", "notes.txt", b"pas une image")], status=400)
    assert "pas une image JPEG, PNG ou WebP" in bad.text
    as_neighbour = VVSTestApp(app)
    as_neighbour.login(neighbour)
    assert as_neighbour.get(f"/photo/{user.id}").content_type == "image/jpeg"
    as_stranger = VVSTestApp(app)
    as_stranger.login(stranger)
    as_stranger.get(f"/photo/{user.id}", status=404)
    del res


def test_profile_presentation_interests_and_housing(testapp, make_user, dbsession):
    user = make_user()
    testapp.login(user)
    page = testapp.get("/profil")
    assert "Jardinage" in page.text and "Randonnée" in page.text and "ne sont pas visibles par vos voisins" in page.text
    assert page.text.count('autofocus="autofocus"') == 1  # two forms, one cursor (the profile's)
    form = page.forms["profil"]
    form["presentation"] = "Au quartier depuis 1998."
    check(form, "checkbox", {"Jardinage", "Randonnée"})
    form.submit("submit", status=303)
    housing = testapp.get("/profil").forms["habitation"]
    housing["owner"] = "oui"
    housing["dwelling"] = "appartement"
    housing.submit("submit", status=303)
    dbsession.refresh(user)
    assert user.presentation == "Au quartier depuis 1998."
    assert user.interests == ["Randonnée", "Jardinage"]
    assert user.housing == {"owner": "oui", "dwelling": "appartement"}


def test_a_tampered_interest_is_answered_choisissez_dans_la_liste(testapp, make_user, dbsession):
    """Walk (residents) 5: a value the page did not offer said « Un ou plusieurs choix invalides »."""
    user = make_user(first_name="Zoé")
    testapp.login(user)
    form = testapp.get("/profil").forms["profil"]
    form["presentation"] = "Jardinière « bio » 🌱"
    box = form.fields["checkbox"][0]
    box.checked, box._value = True, "<script>"  # a box the page did not offer
    page = form.submit("submit", status=400)
    assert "Choisissez dans la liste." in page.text and "choix invalides" not in page.text
    dbsession.refresh(user)
    assert user.presentation != "Jardinière « bio » 🌱"


def test_download_my_data_is_a_zip_with_donnees_json(testapp, make_user, make_community):
    user = make_user(first_name="Odile", presentation="Bonjour")
    make_community(name="Les Lilas", members=[user])
    testapp.login(user)
    res = testapp.get("/parametres/mes-donnees.zip")
    assert res.content_type == "application/zip"
    data = json.loads(zipfile.ZipFile(io.BytesIO(res.body)).read("donnees.json"))
    assert data["compte"]["prenom"] == "Odile"
    assert data["adhesions"][0]["communaute"] == "Les Lilas"


def test_my_data_holds_my_profile_photo_as_a_file(testapp, make_user, dbsession):
    """The profile photo is a file of the archive, which donnees.json names."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "PNG")
    user = make_user(first_name="Noémie")
    user.photo = out.getvalue()
    dbsession.flush()
    dbsession.expire(user)
    testapp.login(user)
    archive = zipfile.ZipFile(io.BytesIO(testapp.get("/parametres/mes-donnees.zip").body))
    assert json.loads(archive.read("donnees.json"))["compte"]["photo"] == "compte/photo.png"
    assert archive.read("compte/photo.png") == out.getvalue()


def test_closing_the_account_erases_personal_data_and_keeps_history(testapp, make_user, make_community, dbsession):
    user = make_user(first_name="Lucie", last_name="Martin", presentation="Coucou", housing={"owner": "oui"},
                     address_label="3 rue des Lilas", landline="+33123456789")
    community = make_community(members=[user])
    testapp.login(user)
    form = testapp.get("/parametres/fermeture").forms["fermeture"]
    form["current"] = "mauvais"
    assert "le compte n'est pas fermé" in form.submit("submit", status=400).text
    dbsession.refresh(user)
    assert user.status == "active"
    form["current"] = DEMO_PASSWORD
    form.submit("submit", status=303)
    dbsession.expire_all()
    user = dbsession.get(User, user.id)
    assert user.status == "closed" and user.full_name == "ancien membre"
    assert (user.email, user.first_name, user.last_name, user.mobile, user.landline) == (None, "", "", None, None)
    assert user.home is None and user.photo is None and user.presentation == "" and user.housing == {}
    membership = dbsession.execute(select(Membership).where(Membership.user_id == user.id)).scalar_one()
    assert membership.status == "left"
    event = dbsession.execute(select(CommunityEvent).where(CommunityEvent.community_id == community.id,
                                                           CommunityEvent.kind == "member_left")).scalar_one()
    assert event.subject_user_id == user.id
    assert dbsession.execute(select(Token).where(Token.user_id == user.id)).first() is None
    assert testapp.get("/parametres", status=302)  # signed out


class Recorder:
    def __init__(self):
        self.calls = []

    @hookimpl
    def vvs_account_closing(self, request, user):
        self.calls.append(("closing", user.id, user.first_name))

    @hookimpl
    def vvs_erase_user_data(self, request, user):
        self.calls.append(("erase", user.id, user.first_name))

    @hookimpl
    def vvs_export_user_data(self, request, user):
        self.calls.append(("export", user.id))
        return {"mon_plugin": {"notes": ["une note"]}}


def registered(app_registry):
    recorder = Recorder()
    app_registry.vvs_plugins.register(recorder, name="test-recorder")
    return recorder


def close_via_web(testapp, user):
    testapp.login(user)
    form = testapp.get("/parametres/fermeture").forms["fermeture"]
    form["current"] = DEMO_PASSWORD
    form.submit("submit", status=303)


def test_vvs_account_closing(testapp, app_registry, make_user):
    recorder = registered(app_registry)
    try:
        user = make_user(first_name="Hélène")
        close_via_web(testapp, user)
        # Called first, while the data still exists.
        assert recorder.calls[0] == ("closing", user.id, "Hélène")
    finally:
        app_registry.vvs_plugins.unregister(name="test-recorder")


def test_vvs_erase_user_data(testapp, app_registry, make_user):
    recorder = registered(app_registry)
    try:
        user = make_user(first_name="Hélène")
        close_via_web(testapp, user)
        assert ("erase", user.id, "Hélène") in recorder.calls
        assert recorder.calls.index(("erase", user.id, "Hélène")) == 1
    finally:
        app_registry.vvs_plugins.unregister(name="test-recorder")


def test_vvs_export_user_data(testapp, app_registry, make_user):
    recorder = registered(app_registry)
    try:
        user = make_user()
        testapp.login(user)
        res = testapp.get("/parametres/mes-donnees.zip")
        data = json.loads(zipfile.ZipFile(io.BytesIO(res.body)).read("donnees.json"))
        assert data["mon_plugin"] == {"notes": ["une note"]}
        assert ("export", user.id) in recorder.calls
    finally:
        app_registry.vvs_plugins.unregister(name="test-recorder")


def test_my_data_reads_in_paris_time_and_french_words(testapp, make_user, make_community, dbsession):
    """Walk-through: the archive gave UTC times and codes (member, active, alert, sms)."""
    from datetime import datetime, timezone

    from vvs_core.notify.outbox import insert_notifications

    user = make_user(first_name="Élise", notification_prefs={"alert": ["sms", "email"]})
    user.created_at = datetime(2026, 7, 14, 10, 0, tzinfo=timezone.utc)
    make_community(name="L’Église", members=[user])
    insert_notifications(dbsession, [dict(dedupe_key=f"fr:{user.id}", kind="alert", subject_type="essai", subject_id=1,
                                          recipient_id=user.id, channel="sms", address="+33612345678", title="Crue",
                                          body="L’eau monte", severity="")])
    dbsession.flush()
    testapp.login(user)
    data = json.loads(zipfile.ZipFile(io.BytesIO(testapp.get("/parametres/mes-donnees.zip").body)).read("donnees.json"))
    core = data
    assert core["compte"]["cree_le"] == "2026-07-14T12:00:00+02:00"
    assert core["compte"]["preferences_notifications"] == [{"type": "Alertes de vos voisins", "canaux": ["SMS", "E-mail"]}]
    assert (core["adhesions"][0]["role"], core["adhesions"][0]["statut"]) == ("membre", "actif")
    assert core["adhesions"][0]["demande_le"].endswith(("+01:00", "+02:00"))
    [note] = core["notifications"]
    assert (note["type"], note["canal"], note["statut"]) == ("Alertes de vos voisins", "SMS", "en attente")
    assert all(not e["type"].islower() or " " in e["type"] for e in core["historique"])
    assert "+00:00" not in json.dumps(core)


def test_every_key_of_my_data_is_one_stable_snake_case_french_word(testapp, app_registry, make_user, make_community,
                                                                   dbsession):
    """The archive mixed internal names (« vvs_core »), French labels (« Jetons d'accès à l'API »,
    « Vérifications d'adresse ») and snake_case (« invitations_envoyees »): every section and field
    name, whatever a plugin returns, is now written by one rule (``export_key``): French words in
    snake_case without accents — readable, and stable for a program. Labels stay in the values."""
    from vvs_core.accounts.personal_data import export_key
    from vvs_core.plugins import hookimpl

    class Labelled:
        @hookimpl
        def vvs_export_user_data(self, request, user):
            return {"Jetons d’accès à l’API": [{"Créé le": "hier", "Dernière utilisation": None}],
                    "Œuvres « préférées »": {"Étape": "1"}}

    app_registry.vvs_plugins.register(Labelled(), name="test-labelled")
    try:
        user = make_user(first_name="Élise", notification_prefs={"alert": ["sms"]})
        make_community(name="L’Église", members=[user])
        testapp.login(user)
        data = json.loads(zipfile.ZipFile(io.BytesIO(testapp.get("/parametres/mes-donnees.zip").body)).read("donnees.json"))
    finally:
        app_registry.vvs_plugins.unregister(name="test-labelled")
    assert data["jetons_d_acces_a_l_api"] == [{"cree_le": "hier", "derniere_utilisation": None}]
    assert data["oeuvres_preferees"] == {"etape": "1"}
    assert {"compte", "adhesions", "notifications", "historique"} <= set(data) and "vvs_core" not in data

    def keys(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                yield key
                yield from keys(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from keys(inner)
    wrong = [k for k in keys(data) if not re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", k)]
    assert not wrong, wrong
    assert export_key("Vérifications d'adresse") == "verifications_d_adresse" and export_key("gazette") == "gazette"


def test_a_required_field_left_empty_says_so_in_a_sentence(testapp, make_user):
    """Colander's own French said « Requis » under every empty field (password, e-mail, name…):
    the core's catalogue says it in a sentence, and colander's other French stays."""
    testapp.login(make_user())
    page = testapp.get("/parametres/mot-de-passe").forms["motdepasse"].submit("submit", status=400)
    errors = [e.get_text(strip=True) for e in page.html.select(".invalid-feedback")]
    assert errors and set(errors) == {"Ce champ est obligatoire."}, errors
    form = next(f for f in testapp.get("/parametres/compte").forms.values() if "first_name" in f.fields)
    form["first_name"] = "Jean" * 30
    errors = [e.get_text(strip=True) for e in form.submit("submit", expect_errors=True).html.select(".invalid-feedback")]
    assert "80 caractères au plus." in errors, errors
    for name in ("Bernard<script>", "Noé2", "🙂"):
        form["first_name"] = name
        page = form.submit("submit", status=400)
        assert "Un nom s'écrit avec des lettres" in page.text
    form["first_name"] = "E\u0301lodie d’Arcy-Lefèvre"  # « É » as a phone may send it: E + accent
    form.submit("submit", status=303)
    assert testapp.get("/parametres/compte").forms["compte"]["first_name"].value == "Élodie d’Arcy-Lefèvre"



def test_two_different_short_passwords_say_both_rules_at_once(testapp, make_user, dbsession):
    """Two different passwords too short: the length rule and the mismatch in one pass, the
    length first (the mismatch alone sent the person back to fix it, then to hear of the
    length): on the reset page, in « Mes paramètres » and at sign-up's account step."""
    from vvs_core.accounts.security import issue_token

    user = make_user()
    token = issue_token(dbsession, user, "password_reset", hours=1)
    dbsession.flush()
    form = testapp.get(f"/mot-de-passe/nouveau/{token}").forms["deform"]
    form["password"], form["password-confirm"] = "court", "courte"
    res = form.submit("submit", status=400)
    text = " ".join(e.get_text(" ", strip=True) for e in res.html.select(".invalid-feedback"))
    assert "au moins 12 caractères" in text and "ne correspond" in text, text
    assert text == ("Le mot de passe doit comporter au moins 12 caractères. "
                    "Les deux mots de passe ne correspondent pas."), text  # the sign-up's words, full stops
    form = res.forms["deform"]
    form["password"], form["password-confirm"] = "une phrase assez longue", "une phrase assez longue !"
    text = " ".join(e.get_text(" ", strip=True) for e in form.submit("submit", status=400).html.select(".invalid-feedback"))
    assert "ne correspond" in text and "caractères" not in text, text
    testapp.login(user)
    form = testapp.get("/parametres/mot-de-passe").forms["motdepasse"]
    form["current"] = DEMO_PASSWORD
    form["password"], form["password-confirm"] = "court", "courte"
    res = form.submit("submit", status=400)
    text = " ".join(e.get_text(" ", strip=True) for e in res.html.select(".invalid-feedback"))
    assert "au moins 12 caractères" in text and "ne correspond" in text, text
