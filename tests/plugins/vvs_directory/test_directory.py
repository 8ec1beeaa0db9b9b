"""L'annuaire: hidden numbers never reach a neighbour (HTML, JSON, CSV export); the
mairie agent of the commune sees them, and each such view is recorded."""
import json

from sqlalchemy import select

from vvs_directory.directory import directory_entry
from vvs_core.models import CommunityEvent
from vvs_core.testing import VVSTestApp

HIDDEN_MOBILE = "+33698765432"
HIDDEN_TEXT = ("06 98 76 54 32", "+33698765432", "0698765432", "698765432")


def setup(make_user, make_community):
    hider = make_user(first_name="Hélène", last_name="Discrète", mobile=HIDDEN_MOBILE, hide_mobile=True,
                      landline="+33123456789", address_label="4 rue de Lagny", housing={"owner": "oui"},
                      presentation="Jardinière")
    neighbour = make_user(first_name="Paul", last_name="Voisin", mobile="+33611112222", address_label="8 rue de la Ferme")
    community = make_community(members=[hider, neighbour])
    return hider, neighbour, community


def test_serializer_leaves_hidden_numbers_out():
    from vvs_core.models import User

    user = User(id=5, first_name="A", last_name="B", mobile=HIDDEN_MOBILE, hide_mobile=True,
                landline="+33123456789", hide_landline=True, interests=[])
    neighbour_view = directory_entry(["user:9", "community:1:member"], user, commune_insee="77449")
    assert "mobile" not in neighbour_view and "landline" not in neighbour_view
    assert not any(k.endswith("_hidden") for k in neighbour_view)
    agent_view = directory_entry(["user:9", "commune:77449:agent"], user, commune_insee="77449")
    assert agent_view["mobile"] == "06 98 76 54 32" and agent_view["mobile_hidden"] is True
    other_agent = directory_entry(["commune:75056:agent"], user, commune_insee="77449")
    assert "mobile" not in other_agent


def test_neighbour_never_receives_a_hidden_number(testapp, make_user, make_community, dbsession):
    hider, neighbour, community = setup(make_user, make_community)
    testapp.login(neighbour)
    outputs = [
        testapp.get(f"/communaute/{community.id}/annuaire").text,
        json.dumps(testapp.get(f"/communaute/{community.id}/annuaire.json").json, ensure_ascii=False),
        testapp.get(f"/communaute/{community.id}/annuaire.csv").body.decode("utf-8"),
        testapp.get(f"/communaute/{community.id}/membres/{hider.id}").text,
    ]
    for text in outputs:
        assert "Discrète" in text and "01 23 45 67 89" in text
        assert not any(h in text for h in HIDDEN_TEXT)
        assert "owner" not in text and "propriétaire" not in text.lower()  # housing never shown
    assert "06 11 11 22 22" in outputs[0]
    assert dbsession.execute(select(CommunityEvent).where(CommunityEvent.kind == "hidden_phone_viewed")).first() is None


def test_search_by_name_or_street(testapp, make_user, make_community):
    hider, neighbour, community = setup(make_user, make_community)
    testapp.login(neighbour)
    by_street = testapp.get(f"/communaute/{community.id}/annuaire.json", {"q": "lagny"}).json["members"]
    assert [m["id"] for m in by_street] == [hider.id]
    by_name = testapp.get(f"/communaute/{community.id}/annuaire", {"q": "paul"})
    assert "Paul Voisin" in by_name.text and "Discrète" not in by_name.text


def test_mairie_agent_sees_hidden_numbers_and_the_view_is_recorded(
        testapp, app_registry, make_user, make_community, dbsession, commune_agent):
    hider, _neighbour, community = setup(make_user, make_community)
    agent = make_user()
    with commune_agent(agent, "77449"):
        testapp.login(agent)
        page = testapp.get(f"/communaute/{community.id}/annuaire")
        assert "06 98 76 54 32" in page.text and "masqué pour les voisins" in page.text
        testapp.get(f"/communaute/{community.id}/annuaire.json")
    events = dbsession.execute(select(CommunityEvent).where(CommunityEvent.kind == "hidden_phone_viewed")).scalars().all()
    assert len(events) == 2
    assert all(e.actor_id == agent.id and e.data["user_ids"] == [hider.id] and not e.public for e in events)


def test_an_agent_reloading_the_page_is_one_journal_line(testapp, make_user, make_community, dbsession,
                                                         commune_agent, clock):
    """Walk (staff) 10: three views of the same page in a minute wrote three identical lines."""
    hider, _neighbour, community = setup(make_user, make_community)
    other = make_user(first_name="Zoé", last_name="d’Orléans", mobile="+33655554444", hide_mobile=True)
    make_community(members=[other])  # another community: its journal is its own
    agent = make_user(first_name="Agnès", last_name="Mairie-Sérieux")
    clock.set_local(2026, 12, 7, 6, 0)

    def lines():
        return dbsession.scalars(select(CommunityEvent).where(CommunityEvent.kind == "hidden_phone_viewed")
                                 .order_by(CommunityEvent.id)).all()
    with commune_agent(agent, "77449"):
        testapp.login(agent)
        for _ in range(3):
            assert "06 98 76 54 32" in testapp.get(f"/communaute/{community.id}/annuaire").text
        testapp.get(f"/communaute/{community.id}/annuaire", {"q": "Hélène"})  # the same numbers, already written
        assert len(lines()) == 1
        clock.advance(minutes=11)
        testapp.get(f"/communaute/{community.id}/annuaire")
        assert len(lines()) == 2
        testapp.get(f"/communaute/{community.id}/membres/{hider.id}")  # another page: its own line
        assert [e.data["path"] for e in lines()][-1] == f"/communaute/{community.id}/membres/{hider.id}"
    assert all(e.actor_id == agent.id and e.data["user_ids"] == [hider.id] for e in lines())


def test_residents_are_told_who_sees_a_hidden_number(testapp, make_user, make_community):
    """Walk (staff) 10: « ne sera visible que par votre communauté » was untrue: the mairie's
    agents (directory_entry) and the administrators see a hidden number."""
    hider, neighbour, community = setup(make_user, make_community)
    testapp.login(hider)
    account = testapp.get("/parametres/compte").text
    assert "ne sera visible que par votre communauté" not in account
    assert ("Vos voisins ne verront pas votre numéro (les agents communaux de votre commune et les administrateurs "
            "du site le voient toujours)") in account
    testapp.post_csrf("/deconnexion")
    testapp.login(neighbour)
    notice = testapp.get(f"/communaute/{community.id}/annuaire").html.find("p", string=lambda t: t and "masqué" in t)
    assert "les agents communaux de votre commune" in notice.get_text(" ", strip=True)
    assert "chaque consultation de l'annuaire par un agent est enregistrée" in notice.get_text(" ", strip=True)


def test_vvs_principals(testapp, app_registry, make_user, make_community, commune_agent):
    _hider, _neighbour, community = setup(make_user, make_community)
    outsider = make_user()
    testapp.login(outsider)
    testapp.get(f"/communaute/{community.id}/annuaire", status=403)
    with commune_agent(outsider, "77449"):
        # The principal the hook adds is what opens the directory.
        assert testapp.get(f"/communaute/{community.id}/annuaire").status_int == 200


def test_search_ignores_accents_case_and_apostrophes(testapp, make_user, make_community, dbsession):
    """A phone keyboard types « helene », « DISCRETE », « rue de l'eglise »: the same neighbour."""
    hider, neighbour, community = setup(make_user, make_community)
    neighbour.address_label = "2 rue de l’Église, 77700 Serris"
    dbsession.flush()
    testapp.login(hider)
    url = f"/communaute/{community.id}/annuaire.json"
    assert [m["id"] for m in testapp.get(url, {"q": "helene"}).json["members"]] == [hider.id]
    assert [m["id"] for m in testapp.get(url, {"q": "DISCRETE"}).json["members"]] == [hider.id]
    assert [m["id"] for m in testapp.get(url, {"q": "rue de l'eglise"}).json["members"]] == [neighbour.id]
    assert [m["id"] for m in testapp.get(url, {"q": "Hélène Discrète"}).json["members"]] == [hider.id]
    assert testapp.get(url, {"q": "%"}).json["members"] == []  # a character, not a wildcard


# --- Pages (issue 16.3) -----------------------------------------------------------

def crowd(make_user, make_community, n=45):
    """A community with more members than a page of the directory holds (DIRECTORY_PAGE = 40)."""
    from vvs_directory.directory import DIRECTORY_PAGE

    assert n > DIRECTORY_PAGE
    people = [make_user(first_name=f"Zoé{i:02d}", last_name=f"Lefèvre-{i:02d}", address_label=f"{i} allée des Érables")
              for i in range(n)]
    return people, make_community(name="Les Érables « Nord »", members=people)


def test_the_directory_is_read_a_page_at_a_time(testapp, make_user, make_community):
    people, community = crowd(make_user, make_community)
    testapp.login(people[0])
    first = testapp.get(f"/communaute/{community.id}/annuaire")
    assert 'aria-label="Pagination"' in first.text and "Page 1 sur 2" in first.text
    assert "45 membres" in first.text
    assert "Zoé39" in first.text and "Zoé40" not in first.text
    second = testapp.get(f"/communaute/{community.id}/annuaire", {"page": "2"})
    assert "Page 2 sur 2" in second.text and "Zoé40" in second.text and "Zoé44" in second.text
    assert "Zoé39" not in second.text and 'rel="prev"' in second.text and 'rel="next"' not in second.text
    # A page past the end shows the last one; anything but a number is the first.
    assert "Page 2 sur 2" in testapp.get(f"/communaute/{community.id}/annuaire", {"page": "99"}).text
    assert "Page 1 sur 2" in testapp.get(f"/communaute/{community.id}/annuaire", {"page": "deux"}).text
    listed = testapp.get(f"/communaute/{community.id}/annuaire.json", {"page": "2"}).json
    assert (listed["page"], listed["pages"], listed["total"], len(listed["members"])) == (2, 2, 45, 5)


def test_a_search_is_paged_and_its_links_keep_it(testapp, make_user, make_community):
    people, community = crowd(make_user, make_community)
    testapp.login(people[0])
    page = testapp.get(f"/communaute/{community.id}/annuaire", {"q": "lefevre"})
    assert "45 résultats pour « lefevre »" in page.text and "Page 1 sur 2" in page.text
    assert "q=lefevre" in page.text and "page=2" in page.text
    second = testapp.get(f"/communaute/{community.id}/annuaire", {"q": "lefevre", "page": "2"})
    assert "Zoé44" in second.text and "Page 2 sur 2" in second.text
    one = testapp.get(f"/communaute/{community.id}/annuaire", {"q": "Zoé07"})
    assert "1 résultat pour" in one.text and 'aria-label="Pagination"' not in one.text


def test_the_csv_export_streams_every_member(testapp, app_registry, make_user, make_community, dbsession,
                                             commune_agent):
    people, community = crowd(make_user, make_community)
    hider = make_user(first_name="Hélène", last_name="Discrète", mobile=HIDDEN_MOBILE, hide_mobile=True)
    from vvs_core.models import Membership
    dbsession.add(Membership(user_id=hider.id, community_id=community.id, role="member", status="active"))
    dbsession.flush()
    testapp.login(people[0])
    response = testapp.get(f"/communaute/{community.id}/annuaire.csv")
    assert response.app_iter is not None and response.content_type == "text/csv"
    lines = response.body.decode("utf-8").lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Nom;Pseudonyme;Adresse") and len(lines) == 1 + 46
    assert not any(h in response.body.decode("utf-8") for h in HIDDEN_TEXT)
    agent = make_user()
    with commune_agent(agent, "77449"):
        mairie = VVSTestApp(testapp.app)  # the agent, in their own browser
        mairie.login(agent)
        body = mairie.get(f"/communaute/{community.id}/annuaire.csv").body.decode("utf-8")
    assert "06 98 76 54 32" in body
    [event] = dbsession.execute(select(CommunityEvent).where(CommunityEvent.kind == "hidden_phone_viewed")).scalars()
    assert event.actor_id == agent.id and event.data["user_ids"] == [hider.id]


def test_members_come_in_french_order_and_a_new_name_moves_them(testapp, make_user, make_community, dbsession):
    """The directory's order is the names folded (« Œdipe » as « oedipe », « d’Artagnan » as
    « d'artagnan »), stored by the database (``users.last_name_key``, migration 0018): a
    member who changes name moves at once, a search still ignores accents and apostrophes."""
    names = [("Zoé", "Zola"), ("Élodie", "Œdipe"), ("Jean", "d’Artagnan"), ("Émile", "Ébène"),
             ("🦊", "Renard 🦊"), ("Anne", "OEUVRAY")]
    people = [make_user(first_name=first, last_name=last) for first, last in names]
    referent = make_user(first_name="Zacharie", last_name="Zyx")
    community = make_community(members=people, referents=[referent])
    testapp.login(referent)
    url = f"/communaute/{community.id}/annuaire.json"

    def listed(**params):
        return [m["name"] for m in testapp.get(url, params).json["members"]]

    assert listed() == ["Zacharie Zyx", "Jean d’Artagnan", "Émile Ébène", "Élodie Œdipe", "Anne OEUVRAY",
                        "🦊 Renard 🦊", "Zoé Zola"]
    people[0].last_name = "Abélard"
    dbsession.flush()
    assert listed()[:3] == ["Zacharie Zyx", "Zoé Abélard", "Jean d’Artagnan"]
    assert listed(q="oedipe") == ["Élodie Œdipe"] and listed(q="d'artagnan") == ["Jean d’Artagnan"]
    assert listed(q="abelard") == ["Zoé Abélard"] and listed(q="🦊") == ["🦊 Renard 🦊"]


def test_a_search_without_apostrophes_hyphens_or_spaces_finds_the_name(testapp, make_user, make_community):
    """Walk (staff) 17: « dartagnan » found nothing, « d’Artagnan » found Julien."""
    people = [make_user(first_name=first, last_name=last) for first, last in
              (("Julien", "d’Artagnan"), ("Jean-Pierre", "Le Goff"), ("Anne", "De La Haye-Dupont"),
               ("Zoé", "Lévêque 🦊"), ("Jeanne", "Martin"))]
    referent = make_user(first_name="Rémi", last_name="Zyx")
    community = make_community(members=people, referents=[referent])
    testapp.login(referent)
    url = f"/communaute/{community.id}/annuaire.json"

    def found(query):
        return [m["name"] for m in testapp.get(url, {"q": query}).json["members"]]

    for query in ("dartagnan", "DArtagnan", "d’Artagnan", "d'artagnan", "d artagnan", "Artagnan", "julien dartagnan"):
        assert found(query) == ["Julien d’Artagnan"], query
    for query in ("jeanpierre", "jean pierre", "Jean-Pierre", "legoff", "jean-pierre le goff", "jeanpierrelegoff"):
        assert found(query) == ["Jean-Pierre Le Goff"], query
    for query in ("delahaye", "la haye dupont", "hayedupont", "De La Haye-Dupont"):
        assert found(query) == ["Anne De La Haye-Dupont"], query
    assert found("leveque") == ["Zoé Lévêque 🦊"] and found("🦊") == ["Zoé Lévêque 🦊"]
    assert found("jeanne") == ["Jeanne Martin"]
    assert found("'") == [] and found("dartagnanx") == []
