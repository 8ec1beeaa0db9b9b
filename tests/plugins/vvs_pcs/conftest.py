"""vvs_pcs meets vvs_mairie's commune alerts through hooks: the mairie's fixtures, and a
crisis cell and prepared messages for Serris."""
from __future__ import annotations

import pytest

from vvs_mairie.testing import agent_login, mairie  # noqa: F401


@pytest.fixture
def plan(dbsession, mairie):  # noqa: F811
    from vvs_pcs.models import PcsCellMember, PcsTemplate

    cell = [PcsCellMember(commune_id=mairie.commune.id, name="Élise Moreau-Dupré", function="Maire",
                          phone="+33639980101", email="maire@serris.test"),
            PcsCellMember(commune_id=mairie.commune.id, name="Karim Benali", function="DGS", phone="",
                          email="dgs@serris.test")]
    templates = [PcsTemplate(commune_id=mairie.commune.id, title="Crue : évacuation des bords de Marne",
                             body="Quittez votre logement, le gymnase « Jean-Moulin » vous accueille."),
                 PcsTemplate(commune_id=mairie.commune.id, title="Restez chez vous",
                             body="Fermez portes et fenêtres ; n’allez pas chercher les enfants à l’école. 🏠")]
    dbsession.add_all(cell + templates)
    dbsession.flush()
    return {"cell": cell, "templates": templates}
