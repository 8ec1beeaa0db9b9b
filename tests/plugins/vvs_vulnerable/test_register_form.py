"""The register's sign-up form read through ``vvs_core.web.forms.read_fields`` (issue 14):
hostile input (empty, 20,000 characters, 30 digits, a negative number, a file for a field,
missing fields, unknown choices) answers a French message beside each field, all in one
pass, registers nobody and is never a 500; what people type (« » ’, emoji) is kept."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from vvs_vulnerable.models import VulnerableEntry

SIGNUP = "/registre-vulnerables/inscription"
SELF = {"origin": "self", "name": "Marcelle Dupré-Nguyễn", "address": "3 rue de l’Église, Serris",
        "phone": "06 39 98 00 42", "situations": "age65", "needs": "Fauteuil roulant ; chat « Minou » 🐈",
        "consent": "1"}
LONG = "é" * 20000


def _entries(dbsession) -> int:
    return dbsession.scalar(select(func.count(VulnerableEntry.id)))


@pytest.mark.parametrize("form, messages", [
    ({}, ["Indiquez qui vous inscrivez.", "Indiquez le nom", "Indiquez l'adresse", "Cochez la situation"]),
    ({**SELF, "origin": LONG, "name": LONG, "address": LONG, "phone": LONG, "email": LONG, "needs": LONG,
      "contact": LONG}, ["Indiquez qui vous inscrivez.", "Ce champ doit tenir en 120 caractères.",
                         "Ce champ doit tenir en 255 caractères.", "Ce champ doit tenir en 40 caractères.",
                         "Ce champ doit tenir en 254 caractères.", "Ce champ doit tenir en 1000 caractères.",
                         "Ce champ doit tenir en 200 caractères."]),
    ({**SELF, "phone": "9" * 30}, ["Numéro de téléphone invalide"]),
    ({**SELF, "phone": "-1"}, ["Numéro de téléphone invalide"]),
    ({**SELF, "phone": "📞"}, ["Numéro de téléphone invalide"]),
    ({**SELF, "situations": "🧓"}, ["Cochez la situation"]),
    ({**SELF, "email": "« moi »@"}, ["Adresse e-mail invalide."]),
    ({**SELF, "origin": "third_party", "written_request": LONG, "relationship": LONG},
     ["Ce champ doit tenir en 4000 caractères.", "Ce champ doit tenir en 120 caractères.",
      "Cochez la case : la personne est informée"]),
])
def test_hostile_signups_register_nobody(testapp, dbsession, mairie, form, messages):
    testapp.login(mairie.residents[0])
    page = testapp.post_csrf(SIGNUP, form, status=400)
    for message in messages:
        assert message in page.text
    assert _entries(dbsession) == 0


def test_a_file_for_a_field_counts_as_empty(testapp, dbsession, mairie):
    testapp.login(mairie.residents[0])
    form = {k: v for k, v in SELF.items() if k != "name"}
    page = testapp.post(SIGNUP, {**form, "csrf_token": testapp.csrf()},
                        upload_files=[("name", "nom.txt", b"Marcelle")], status=400)
    assert "Indiquez le nom" in page.text and _entries(dbsession) == 0


def test_what_people_type_is_kept(testapp, dbsession, mairie):
    testapp.login(mairie.residents[0])
    name = "Zoé « Mamie » L’Hôte 👵"
    testapp.post_csrf(SIGNUP, {**SELF, "name": f"  {name}\x1b ", "email": " zoe@exemple.fr "}, status=303)
    assert name in testapp.get("/registre-vulnerables/mes-inscriptions").text
    assert _entries(dbsession) == 1
