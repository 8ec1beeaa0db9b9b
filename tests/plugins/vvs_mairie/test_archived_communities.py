"""An archived community (issue 13.1) has left the commune: the mairie's dashboard lists
and the alerts' moderation settings of the commune no longer offer it."""
from __future__ import annotations

from vvs_core.clock import utcnow
from vvs_mairie.dashboard import communities_of


def test_the_commune_lists_leave_an_archived_community_out(dbsession, commune, make_community):
    kept = make_community("Quartier des Écoles")
    gone = make_community("Le Hameau d’Ès", centre=(2.7961, 48.8553))
    gone.archived_at = utcnow()
    dbsession.flush()
    assert [c.name for c in communities_of(dbsession, commune.id)] == [kept.name]
