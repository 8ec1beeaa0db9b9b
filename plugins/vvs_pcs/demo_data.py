"""The demo commune's plan: a crisis cell of three (the numbers are ARCEP's fiction
block, 06 39 98 xx xx, assigned to nobody) and three prepared messages."""
from __future__ import annotations

from sqlalchemy import select

from .models import PcsCellMember, PcsTemplate

CELL = [("Maire de Serris (démo)", "Directeur des opérations", "+33639989901", "maire@serris.demo"),
        ("Directrice générale des services (démo)", "Responsable des actions communales", "+33639989902",
         "dgs@serris.demo"),
        ("Chef de la police municipale (démo)", "Sécurité, bouclages", "+33639989903", "")]
TEMPLATES = [
    ("Crue : évacuation des bords de la Marne",
     "La mairie demande aux habitants des rues proches de la Marne de quitter leur logement dès maintenant. "
     "Le gymnase Jean-Moulin vous accueille. Emportez vos médicaments et vos papiers."),
    ("Mise à l'abri : restez chez vous",
     "Restez chez vous, fermez portes et fenêtres, coupez la ventilation. N'allez pas chercher vos enfants à "
     "l'école : ils y sont en sécurité. Écoutez France Bleu."),
    ("Eau non potable",
     "L'eau du robinet ne doit pas être bue jusqu'à nouvel ordre. Des bouteilles sont distribuées à la mairie."),
]


def load_demo_pcs(dbsession, commune) -> None:
    if dbsession.scalar(select(PcsCellMember.id).where(PcsCellMember.commune_id == commune.id).limit(1)) is None:
        dbsession.add_all([PcsCellMember(commune_id=commune.id, name=n, function=f, phone=p, email=e)
                           for n, f, p, e in CELL])
    if dbsession.scalar(select(PcsTemplate.id).where(PcsTemplate.commune_id == commune.id).limit(1)) is None:
        dbsession.add_all([PcsTemplate(commune_id=commune.id, title=t, body=b) for t, b in TEMPLATES])
    dbsession.flush()
