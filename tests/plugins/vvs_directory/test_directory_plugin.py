"""The directory is a plugin: its links sit under each community (home page, community
page, référent's tools) through ``vvs_community_links``; disabled, no page, link, API
endpoint or word of it remains, and the community page still lists its référents."""
from __future__ import annotations

import pytest

from vvs_core.testing import VVSTestApp, build_app_on_session

WITHOUT = "vvs_dev_providers vvs_alerts vvs_api vvs_invitations"


@pytest.fixture
def app_without_directory(db_url, session_factory):
    return VVSTestApp(build_app_on_session(db_url, session_factory, WITHOUT))


def test_vvs_community_links(testapp, app_request, make_user, make_community):
    referent, member = make_user(first_name="Zoé"), make_user(first_name="Noël")
    community = make_community(name="Les Prés d’Œillets", referents=[referent], members=[member])
    other = make_community(name="La Butte « Haute »", members=[member])
    answers = app_request.registry.vvs_plugins.hook.vvs_community_links(
        request=app_request, communities=[community, other], place="home")
    links = [link for answer in answers for link in answer if link.label.startswith("Annuaire")]
    assert {(link.community_id, link.label, link.url) for link in links} == {
        (community.id, "Annuaire des voisins", f"/communaute/{community.id}/annuaire"),
        (other.id, "Annuaire des voisins", f"/communaute/{other.id}/annuaire")}
    testapp.login(member)
    assert f'href="/communaute/{other.id}/annuaire"' in testapp.get("/").text
    page = testapp.get(f"/communaute/{community.id}").text
    assert f'href="/communaute/{community.id}/annuaire"' in page
    assert f'href="/communaute/{community.id}/membres/{referent.id}"' in page  # the référent's contact card
    testapp.reset()
    testapp.login(referent)
    tools = testapp.get(f"/communaute/{community.id}/referent").text
    assert "Annuaire : voir les membres" in tools and f"/communaute/{community.id}/annuaire" in tools


def test_without_the_plugin_nothing_of_it_shows(app_without_directory, make_user, make_community):
    referent, member = make_user(first_name="Benoît"), make_user(first_name="Hélène")
    community = make_community(name="Le Clos « Fleuri »", referents=[referent], members=[member])
    testapp = app_without_directory
    testapp.login(referent)
    for path in ("/", f"/communaute/{community.id}", f"/communaute/{community.id}/referent"):
        page = testapp.get(path).text
        assert "annuaire" not in page.lower() and "/membres/" not in page, path
    assert "Benoît" in testapp.get(f"/communaute/{community.id}").text  # the référent, named without a card
    for path in ("/annuaire", "/annuaire.json", "/annuaire.csv", f"/membres/{member.id}"):
        testapp.get(f"/communaute/{community.id}{path}", status=404)
    testapp.get(f"/api/v1/communities/{community.id}/directory", status=404)
    assert "/directory" not in testapp.get("/api/v1/openapi.json").text
