"""L'annuaire: hidden numbers never reach a neighbour (HTML, JSON, CSV export); the
mairie agent of the commune sees them, and each such view is recorded."""
import contextlib
import json

from sqlalchemy import select

from vvs_core.directory import directory_entry
from vvs_core.models import CommunityEvent
from vvs_core.plugins import hookimpl
from vvs_core.testing import VVSTestApp

HIDDEN_MOBILE = "+33698765432"
HIDDEN_TEXT = ("06 98 76 54 32", "+33698765432", "0698765432", "698765432")


class Agent:
    def __init__(self, user_id, insee):
        self.user_id, self.insee = user_id, insee

    @hookimpl
    def vvs_principals(self, request, user):
        return [f"commune:{self.insee}:agent"] if user.id == self.user_id else []


@contextlib.contextmanager
def agent_of(app_registry, user, insee):
    app_registry.vvs_plugins.register(Agent(user.id, insee), name=f"test-agent-{user.id}")
    try:
        yield
    finally:
        app_registry.vvs_plugins.unregister(name=f"test-agent-{user.id}")


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
        testapp, app_registry, make_user, make_community, dbsession):
    hider, _neighbour, community = setup(make_user, make_community)
    agent = make_user()
    with agent_of(app_registry, agent, "77449"):
        testapp.login(agent)
        page = testapp.get(f"/communaute/{community.id}/annuaire")
        assert "06 98 76 54 32" in page.text and "masqué pour les voisins" in page.text
        testapp.get(f"/communaute/{community.id}/annuaire.json")
    events = dbsession.execute(select(CommunityEvent).where(CommunityEvent.kind == "hidden_phone_viewed")).scalars().all()
    assert len(events) == 2
    assert all(e.actor_id == agent.id and e.data["user_ids"] == [hider.id] and not e.public for e in events)


def test_vvs_principals(testapp, app_registry, make_user, make_community):
    _hider, _neighbour, community = setup(make_user, make_community)
    outsider = make_user()
    testapp.login(outsider)
    testapp.get(f"/communaute/{community.id}/annuaire", status=403)
    with agent_of(app_registry, outsider, "77449"):
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
