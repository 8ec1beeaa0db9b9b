"""Communes and communities administered in the browser (issue 13.1): create a commune
with a validated INSEE code, edit its settings and contact, change a community's
validation mode, appoint and remove référents; bad input changes nothing (13.5)."""
import pytest
from sqlalchemy import func, select

from vvs_core.models import Commune, CommunityEvent, Membership

REASON = "Convention signée avec la mairie le 14/07 — « voisins solidaires »"
GOOD = {"insee": "2A004", "name": "Ajaccio", "postcodes": "20000 20090", "lat": "41,9192", "lon": "8,7386",
        "contact_name": "Mme Œnone Bérézina, adjointe à la sécurité", "contact_email": "securite@ajaccio.example",
        "contact_phone": "04 95 51 52 53", "reason": REASON}


@pytest.fixture
def admin(make_user):
    return make_user(first_name="Marc", last_name="Delaunay", is_admin=True)


def create(testapp, **fields):
    return testapp.post_csrf("/admin/communes", {**GOOD, **fields}, expect_errors=True)


def test_create_a_commune(testapp, admin, dbsession):
    testapp.login(admin)
    listing = testapp.get("/admin/communes")
    assert "Ajouter une commune" in listing.text
    assert "Fuseau horaire du serveur : <strong>Europe/Paris</strong>" in listing.text
    options = dict((value, label) for value, _selected, label in listing.forms["commune"]["time_zone"].options)
    assert options[""] == "Celui du serveur (Europe/Paris)" and options["Indian/Reunion"] == "La Réunion (UTC+4)"
    res = create(testapp)
    assert res.status_int == 303, res.text[:3000]
    commune = dbsession.scalar(select(Commune).where(Commune.insee == "2A004"))
    assert commune.name == "Ajaccio" and commune.postcodes == ["20000", "20090"]
    assert commune.contact_phone == "+33495515253" and commune.contact_email == "securite@ajaccio.example"
    assert abs(commune.centre.x - 8.7386) < 1e-6 and abs(commune.centre.y - 41.9192) < 1e-6
    assert commune.time_zone is None  # the server's
    page = res.follow()
    assert "Ajaccio" in page.text and "04 95 51 52 53" in page.text
    event = dbsession.scalar(select(CommunityEvent).where(CommunityEvent.kind == "admin_commune_created"))
    assert event.actor_id == admin.id and event.data["reason"] == REASON and not event.public
    assert "Commune créée" in testapp.get("/admin/journal").text


@pytest.mark.parametrize("fields, message", [
    ({"insee": "7744"}, "Le code INSEE compte cinq caractères"),
    ({"insee": "2C004"}, "Le code INSEE compte cinq caractères"),
    ({"insee": "77449<script>"}, "Le code INSEE compte cinq caractères"),
    ({"insee": ""}, "Indiquez le code INSEE"),
    ({"name": "x" * 121}, "120 caractères au plus (121 saisis)"),
    ({"name": "   "}, "Indiquez : nom de la commune"),
    ({"postcodes": "7770"}, "n'est pas un code postal"),
    ({"postcodes": ""}, "Indiquez au moins un code postal"),
    ({"lat": "abc"}, "Un nombre décimal entre -90 et 90"),
    ({"lat": "91"}, "Un nombre décimal entre -90 et 90"),
    ({"lon": "1e308"}, "Un nombre décimal entre -180 et 180"),
    ({"contact_email": "pas-une-adresse"}, "Adresse e-mail invalide"),
    ({"contact_email": "mairie@serris"}, "Adresse e-mail incomplète : il manque la fin"),
    ({"contact_phone": "12"}, "Numéro de téléphone invalide"),
    ({"contact_name": "é" * 121}, "120 caractères au plus"),
    ({"reason": "  "}, "Indiquez le motif"),
    ({"reason": "x" * 1001}, "ne doit pas dépasser 1000 caractères"),
    ({"time_zone": "Mars/Olympus"}, "Choisissez un fuseau horaire de la liste."),
    ({"time_zone": "Asia/Tokyo"}, "Choisissez un fuseau horaire de la liste."),
    # walk of the staff, item 5: markup was saved as a commune's name and shown on public pages
    ({"name": "<script>alert(1)</script>"}, "ne peut pas contenir « &lt; »"),
    ({"name": "Chessy > Serris"}, "ne peut pas contenir « &gt; »"),
    ({"name": "Chessy\u0007"}, "ne peut pas contenir un caractère invisible"),
    ({"name": "Chessy 🏰"}, "ne peut pas contenir « 🏰 »"),
    ({"name": "Chessy; DROP"}, "ne peut pas contenir « ; »"),
])
def test_bad_commune_input_changes_nothing(testapp, admin, dbsession, fields, message):
    testapp.login(admin)
    before = dbsession.scalar(select(func.count(Commune.id)))
    res = create(testapp, **fields)
    assert res.status_int == 400
    assert message in res.text
    assert dbsession.scalar(select(func.count(Commune.id))) == before


def test_insee_code_taken(testapp, admin, commune, dbsession):
    testapp.login(admin)
    res = create(testapp, insee=commune.insee)
    assert res.status_int == 400 and "Une commune porte déjà ce code INSEE" in res.text


def test_edit_commune_settings(testapp, admin, commune, dbsession):
    testapp.login(admin)
    page = testapp.get(f"/admin/communes/{commune.insee}")
    assert "Fuseau horaire : <strong>Europe/Paris</strong>, celui du serveur" in page.text
    form = page.forms["commune"]
    form["contact_name"] = "Police municipale — brigadier-chef Noël"
    form["contact_phone"] = "01 60 43 17 00"
    form["reason"] = REASON
    form.submit("submit").follow()
    dbsession.refresh(commune)
    assert commune.contact_name == "Police municipale — brigadier-chef Noël"
    assert commune.contact_phone == "+33160431700"
    form = testapp.get(f"/admin/communes/{commune.insee}").forms["commune"]
    form["name"] = "y" * 200
    form["reason"] = REASON
    res = form.submit("submit", status=400)
    assert "120 caractères au plus" in res.text
    dbsession.refresh(commune)
    assert commune.name == "Serris"
    for bad in ("99999", "abc", "2A0041", "%"):
        testapp.get(f"/admin/communes/{bad}", status=404)


def test_validation_mode_and_referents(testapp, app, admin, make_user, make_community, dbsession):
    from vvs_core.testing import VVSTestApp

    member, referent = make_user(first_name="Zoé"), make_user(first_name="Élie")
    community = make_community("Les Hauts de Serris", members=[member], referents=[referent])
    testapp.login(admin)
    page = testapp.get(f"/admin/communes/77449")
    assert "par les référents" in page.text.lower() or "Référent" in page.text
    second = VVSTestApp(app)
    second.login(make_user(is_admin=True))
    stale = second.get("/admin/communes/77449").forms[f"mode-{community.id}"]
    form = page.forms[f"mode-{community.id}"]
    form["mode"], form["reason"] = "mairie", REASON
    form.submit("submit", status=303)
    dbsession.refresh(community)
    assert community.validation_mode == "mairie"
    stale["mode"], stale["reason"] = "platform", REASON
    res = stale.submit("submit", status=409)
    assert "entre-temps" in res.text
    dbsession.refresh(community)
    assert community.validation_mode == "mairie"

    form = testapp.get("/admin/communes/77449").forms[f"referents-{community.id}"]
    form["change"], form["reason"] = f"nommer:{member.id}", REASON
    form.submit("submit", status=303)
    role = dbsession.scalar(select(Membership.role).where(Membership.user_id == member.id))
    assert role == "referent"
    form = testapp.get("/admin/communes/77449").forms[f"referents-{community.id}"]
    form["change"], form["reason"] = f"retirer:{referent.id}", REASON
    form.submit("submit", status=303)
    dbsession.expire_all()
    assert dbsession.scalar(select(Membership.role).where(Membership.user_id == referent.id)) == "member"
    kinds = set(dbsession.scalars(select(CommunityEvent.kind).where(CommunityEvent.community_id == community.id)))
    assert {"admin_validation_mode_changed", "referent_added", "referent_appointed",
            "referent_removed"} <= kinds
    # hostile choices: someone of no community, an unknown id, garbage
    outsider = make_user()
    for change in (f"nommer:{outsider.id}", "nommer:999999", "nommer:abc", "explode", f"retirer:{member.id}x"):
        res = testapp.post_csrf(f"/admin/communautes/{community.id}/referents",
                                {"change": change, "reason": REASON}, expect_errors=True)
        assert res.status_int == 400, change
    # naming by e-mail someone of no community: the community, then a sentence (walk of the staff, item 16)
    res = testapp.post_csrf(f"/admin/communautes/{community.id}/referents",
                            {"change": "nommer", "email": outsider.email, "reason": REASON}, status=400)
    assert ("Les Hauts de Serris : rien n'a été changé. Cette personne n'est pas membre de la "
            "communauté « Les Hauts de Serris ».") in res.text
    testapp.post_csrf("/admin/communautes/999999/validation", {"mode": "mairie", "reason": REASON}, status=404)


def test_the_list_of_communes_is_paged(testapp, dbsession, make_user, commune):
    """Issue 16.3: 700 communes at national size; 50 a page, by name, with their number of
    communities, read in one statement."""
    from paged_communes import second_page_of_communes

    second = second_page_of_communes(testapp, dbsession, make_user, "/admin/communes")
    assert "Zédé-sur-Mer 54" in second.text and "Page 2 sur 2" in second.text and "0 communauté" in second.text


def test_a_big_community_is_not_listed_and_its_referent_is_named_by_email(testapp, admin, make_user, make_community,
                                                                           dbsession):
    """Issue 16: a commune-wide community may have 100,000 members; its référents form
    lists none of them (above 25) and names a member by e-mail; bad input changes nothing."""
    from vvs_admin.communes import MEMBER_CHOICES

    members = [make_user(first_name=f"Océane {n:02d}", last_name="Lefèvre",
                         # an address from before the rule of the dot in the domain (`vvs user create` took it)
                         **({"email": "oceane07@localhost"} if n == 7 else {})) for n in range(MEMBER_CHOICES + 5)]
    chosen = members[7]
    big = make_community("Tout Serris « la ville »", members=members)
    small = make_community("La Ferme", members=[make_user(first_name="Zoé", last_name="Brûlé")])
    outsider = make_user(first_name="Hors", last_name="Communauté")
    testapp.login(admin)
    page = testapp.get("/admin/communes/77449")
    assert "30 membres" in page.text and "Océane" not in page.text  # counted, not listed
    assert "Zoé Brûlé" in page.text  # a small community's members stay listed
    form = page.forms[f"referents-{big.id}"]
    options = [value for value, _selected, _text in form["change"].options]
    assert options == ["", "nommer"]
    url = f"/admin/communautes/{big.id}/referents"
    for params, message in (
            ({"change": "nommer", "email": ""}, "Indiquez l'adresse e-mail du membre à nommer."),
            ({"change": "nommer", "email": "personne@exemple.fr"}, "Aucun compte n'a l'adresse « personne@exemple.fr »"),
            ({"change": "nommer", "email": "<script>alert(1)</script>"}, "Adresse e-mail invalide."),
            ({"change": "nommer", "email": outsider.email}, "membre"),
            ({"change": f"nommer:{chosen.id}"}, "Choisissez une valeur de la liste.")):
        res = testapp.post_csrf(url, {**params, "reason": REASON}, expect_errors=True)
        assert res.status_int == 400 and message in res.text, (params, res.text[:3000])
    assert dbsession.scalar(select(func.count()).select_from(Membership)
                            .where(Membership.community_id == big.id, Membership.role == "referent")) == 0
    form = testapp.get("/admin/communes/77449").forms[f"referents-{big.id}"]
    form["change"], form["email"], form["reason"] = "nommer", f"  {chosen.email.upper()} ", REASON
    res = form.submit("submit", status=303).follow()
    assert "Océane 07 Lefèvre est référent" in res.text
    assert dbsession.scalar(select(Membership.role).where(Membership.user_id == chosen.id)) == "referent"
    # The small community's form still names from its list.
    form = res.forms[f"referents-{small.id}"]
    assert [v for v, _s, _t in form["change"].options][:2] == ["", "nommer"] and len(form["change"].options) == 3


def test_the_commune_page_reads_the_same_whatever_the_size_of_its_communities(app, testapp, admin, make_user,
                                                                              make_community, dbsession):
    """Query budget of /admin/communes/{insee} (issue 16): statements and member rows read do
    not grow with the members of a big community (counted with GROUP BY, not loaded)."""
    from sqlalchemy import event

    from vvs_core.models import User

    big = make_community("Tout Serris", members=[make_user() for _ in range(30)], referents=[make_user()])
    make_community("La Ferme", members=[make_user() for _ in range(3)])
    testapp.login(admin)

    def measure() -> tuple[int, int]:
        testapp.get("/admin/communes/77449")  # what a write emptied (the menu's badges) is read again here
        statements, users = [], []
        engine = dbsession.get_bind().engine

        def count(conn, cursor, statement, *rest):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                statements.append(statement)

        def loaded(target, context):
            users.append(target.id)

        event.listen(engine, "before_cursor_execute", count)
        event.listen(User, "load", loaded)
        try:
            testapp.get("/admin/communes/77449")
        finally:
            event.remove(engine, "before_cursor_execute", count)
            event.remove(User, "load", loaded)
        return len(statements), len(users)

    before = measure()
    for _ in range(120):
        dbsession.add(Membership(user_id=make_user().id, community_id=big.id, status="active"))
    dbsession.flush()
    after = measure()
    assert after == before, (before, after)
    statements, users = after
    assert statements <= 10  # the budget of every other page (tests/perf/test_query_budget.py)
    assert users <= 1 + 1 + 3  # the administrator, the référent, the small community's members


def test_an_overseas_commune_has_its_time_zone(testapp, admin, commune, dbsession):
    testapp.login(admin)
    res = create(testapp, insee="97411", name="Saint-Denis", postcodes="97400", lat="-20,8789", lon="55,4481",
                 time_zone="Indian/Reunion")
    assert res.status_int == 303, res.text[:3000]
    created = dbsession.scalar(select(Commune).where(Commune.insee == "97411"))
    assert created.time_zone == "Indian/Reunion"
    assert "Fuseau horaire : <strong>La Réunion (UTC+4)</strong>." in res.follow().text
    form = testapp.get(f"/admin/communes/{commune.insee}").forms["commune"]
    form["time_zone"].force_value("Pacific/Noumea")
    form["reason"] = REASON
    form.submit("submit").follow()
    dbsession.refresh(commune)
    assert commune.time_zone == "Pacific/Noumea"
    event = dbsession.scalars(select(CommunityEvent).where(CommunityEvent.kind == "admin_commune_edited")).one()
    assert event.data["champs"] == ["time_zone"] and event.data["reason"] == REASON
    form = testapp.get(f"/admin/communes/{commune.insee}").forms["commune"]
    form["time_zone"].force_value("Europe/Pariss")
    form["reason"] = REASON
    assert "Choisissez un fuseau horaire de la liste." in form.submit("submit", status=400).text
    form = testapp.get(f"/admin/communes/{commune.insee}").forms["commune"]
    form["time_zone"] = ""  # back to the server's
    form["reason"] = REASON
    form.submit("submit").follow()
    dbsession.refresh(commune)
    assert commune.time_zone is None


def test_a_mode_no_enabled_plugin_declares_reads_as_the_platform_teams(testapp, admin, make_community, dbsession):
    """A community left in the mode of a disabled plugin: the team reads who really decides
    (the platform team, as the core does), never a raw key, and may choose another mode."""
    community = make_community("Les Hauts de Serris", validation_mode="disparu")
    testapp.login(admin)
    overview = testapp.get("/admin").text
    assert "disparu" not in overview and "Inconnu" not in overview
    page = testapp.get("/admin/communes/77449")
    assert "disparu" not in page.html.get_text()  # only in the form's hidden « seen » state
    form = page.forms[f"mode-{community.id}"]
    assert form["mode"].value == "platform"
    form["mode"], form["reason"] = "referent", REASON
    form.submit("submit", status=303)
    dbsession.refresh(community)
    assert community.validation_mode == "referent"
    event = dbsession.scalar(select(CommunityEvent).where(CommunityEvent.kind == "admin_validation_mode_changed"))
    assert (event.data["avant"], event.data["apres"]) == ("Équipe de la plateforme", "Référent")


def test_a_community_form_sent_with_a_mistake_comes_back_open_on_its_message(testapp, admin, make_user,
                                                                              make_community, dbsession):
    """The mode and référents forms sit in closed « details »: sent without a motive, the page
    came back with the message inside a closed one, and the administrator saw nothing."""
    member = make_user(first_name="Zoé")
    community = make_community("Les Hauts de Serris", members=[member])
    testapp.login(admin)
    for key, fields in (("mode", {"mode": "mairie", "reason": "non"}),
                        ("referents", {"change": f"nommer:{member.id}", "reason": "non"})):
        form = testapp.get("/admin/communes/77449").forms[f"{key}-{community.id}"]
        for name, value in fields.items():
            form[name] = value
        page = form.submit("submit", status=400)
        error = page.html.find(string=lambda s: "au moins 5 caractères" in s)
        assert error is not None, key
        assert error.find_parent("details").has_attr("open"), key
        assert len(page.html.select("details[open]")) == 1, key  # only the form that needs correcting
    dbsession.refresh(community)
    assert community.validation_mode != "mairie"
    assert dbsession.scalar(select(Membership.role).where(Membership.user_id == member.id)) == "member"


@pytest.mark.parametrize("name", ["L’Haÿ-les-Roses", "L'Île-Saint-Denis", "Saint-Denis (La Réunion)",
                                  "Œuilly", "Arrondissement 16"])
def test_official_names_are_plain_text_and_accepted(testapp, admin, dbsession, name):
    testapp.login(admin)
    res = create(testapp, name=name)
    assert res.status_int == 303, res.text[:2000]
    assert dbsession.scalar(select(Commune.name).where(Commune.insee == "2A004")) == name


def test_an_existing_name_with_markup_cannot_be_kept_on_edit(testapp, admin, commune, dbsession):
    testapp.login(admin)
    page = testapp.get(f"/admin/communes/{commune.insee}")
    form = page.forms["commune"]
    form["name"], form["reason"] = "Serris<b>", REASON
    res = form.submit(expect_errors=True)
    assert res.status_int == 400 and "ne peut pas contenir « &lt; »" in res.text
    dbsession.expire_all()
    assert dbsession.get(Commune, commune.id).name == "Serris"


def test_a_commune_created_by_mistake_is_withdrawn_after_a_confirmation(testapp, admin, dbsession):
    testapp.login(admin)
    assert create(testapp, insee="77111", name="Chessy").status_int == 303
    page = testapp.get("/admin/communes/77111")
    link = page.html.find("a", string="Retirer cette commune (créée par erreur)")
    confirm = testapp.get(link["href"])
    assert "Vérifiez avant de confirmer" in confirm.text and "Un retrait ne peut pas être annulé" in confirm.text
    refused = testapp.post_csrf("/admin/communes/77111/retrait", {"reason": ""}, status=400)
    assert "Indiquez le motif" in refused.text
    assert dbsession.scalar(select(Commune.id).where(Commune.insee == "77111")) is not None
    reason = "Créée par erreur : 77111 est « Chessy », pas Serris ’ 🙈"
    done = testapp.post_csrf("/admin/communes/77111/retrait", {"reason": reason}, status=303).follow()
    assert "La commune Chessy est retirée" in done.text
    dbsession.expire_all()
    assert dbsession.scalar(select(Commune.id).where(Commune.insee == "77111")) is None
    event = dbsession.scalar(select(CommunityEvent).where(CommunityEvent.kind == "admin_commune_withdrawn"))
    assert event.data == {"reason": reason, "commune": "Chessy", "insee": "77111"} and not event.public
    assert event.actor_id == admin.id
    assert "Commune retirée" in testapp.get("/admin/journal").text
    testapp.get("/admin/communes/77111", status=404)
    assert "Chessy" not in testapp.get("/inscription").text


def test_a_commune_with_a_community_agent_or_follower_is_not_withdrawn(testapp, admin, commune, make_community,
                                                                      make_user, dbsession):
    from vvs_followers.models import Follower
    from vvs_mairie.models import MairieAgent

    testapp.login(admin)
    url = f"/admin/communes/{commune.insee}/retrait"
    dbsession.add(MairieAgent(user_id=make_user().id, commune_id=commune.id))
    dbsession.add(Follower(commune_id=commune.id, channel="email", address="abonnée@example.test"))
    dbsession.flush()
    page = testapp.get(url)
    assert "Cette commune ne peut pas être retirée" in page.text
    assert "1 agent communal" in page.text and "1 abonné aux alertes de la mairie" in page.text
    assert "retrait" not in page.forms
    refused = testapp.post_csrf(url, {"reason": "Essai de retrait à tort"}, status=400)
    assert "ne peut pas être retirée : elle a encore 1 agent communal, 1 abonné" in refused.text
    community = make_community("Le Val d’Europe")
    community_page = testapp.get(f"/admin/communes/{commune.insee}")
    assert "Retirer cette commune" not in community_page.text
    assert "1 communauté (archivées comprises)" in testapp.get(url).text
    dbsession.expire_all()
    assert dbsession.get(Commune, commune.id) is not None and community.id
