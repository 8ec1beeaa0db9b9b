"""An archived community (issue 13.1) has left the commune: the mairie's dashboard lists
and the alerts' moderation settings of the commune no longer offer it."""
from __future__ import annotations

from vvs_core.clock import utcnow
from vvs_mairie.dashboard import communities_of
from vvs_mairie.testing import agent_login, mairie  # noqa: F401


def test_the_commune_lists_leave_an_archived_community_out(dbsession, commune, make_community):
    kept = make_community("Quartier des Écoles")
    gone = make_community("Le Hameau d’Ès", centre=(2.7961, 48.8553))
    gone.archived_at = utcnow()
    dbsession.flush()
    assert [c.name for c in communities_of(dbsession, commune.id)] == [kept.name]


def test_an_archived_community_is_no_target_nor_has_referents_to_name(testapp, dbsession, mairie, agent_login):  # noqa: F811
    from webob.multidict import MultiDict

    from vvs_mairie.commune_alerts import parse_form

    gone = mairie.community
    gone.archived_at = utcnow()
    dbsession.flush()
    params = MultiDict([("category", "securite"), ("title", "Fuite de gaz rue de l’Église"),
                        ("body", "Évitez le secteur « Bourg » 🚧"), ("target", "communities"),
                        ("communities", str(gone.id))])
    data, errors = parse_form(dbsession, mairie.commune, params)
    assert data["community_ids"] == [] and errors["communities"] == "Cochez au moins une communauté."
    agent_login(testapp, mairie)
    assert gone.name not in testapp.get("/mairie/77449/referents").text
    testapp.get(f"/mairie/77449/referents/{gone.id}", status=404)
