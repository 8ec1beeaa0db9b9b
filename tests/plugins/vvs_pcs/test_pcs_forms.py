"""The plan's forms read through ``vvs_core.web.forms.read_fields`` (issue 14): hostile input
(empty, 20,000 characters, 30 digits, a negative number, « ² », a file for a field, missing
fields) answers a French message beside each field, all in one pass, changes nothing and is
never a 500; control characters are dropped; « » ’ and emoji are kept."""
from __future__ import annotations

from sqlalchemy import func, select

from vvs_pcs.models import PcsCellMember, PcsCrisis, PcsTemplate

from test_crisis import BASE, activate

LONG = "é" * 20000


def _count(dbsession, model) -> int:
    return dbsession.scalar(select(func.count(model.id)))


def test_hostile_plan_forms_change_nothing(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    for form, messages in [
        ({"title": LONG, "exercise": ""}, ["140 caractères", "La case « Exercice » n'a pas été comprise"]),
        ({"exercise": "9" * 30}, ["Indiquez la nature de la crise", "La case « Exercice »"]),
    ]:
        page = testapp.post_csrf(BASE + "/activer", form, status=400)
        assert all(message in page.text for message in messages), form
    assert _count(dbsession, PcsCrisis) == 0
    members = _count(dbsession, PcsCellMember)
    page = testapp.post_csrf(BASE + "/cellule", {"name": LONG, "function": LONG, "phone": "9" * 30, "email": LONG},
                             status=400)
    for message in ("Le nom doit tenir en", "La fonction doit tenir en", "Numéro de téléphone invalide",
                    "Adresse e-mail invalide."):
        assert message in page.text
    page = testapp.post(BASE + "/cellule", {"csrf_token": testapp.csrf(), "phone": "-1"},
                        upload_files=[("name", "n.txt", b"Maire")], status=400)
    assert "Indiquez le nom de la personne." in page.text and "Numéro de téléphone invalide" in page.text
    assert _count(dbsession, PcsCellMember) == members
    templates = _count(dbsession, PcsTemplate)
    page = testapp.post_csrf(BASE + "/messages", {"title": "", "body": LONG}, status=400)
    assert "Indiquez un titre." in page.text and "Le message doit tenir en" in page.text
    assert _count(dbsession, PcsTemplate) == templates
    testapp.post_csrf(BASE + "/messages", {"title": "Évacuation « rue de l’Église » 🚒", "body": "Partez\x00 vers l’école."},
                      status=303)
    assert dbsession.scalars(select(PcsTemplate.body).order_by(PcsTemplate.id.desc())).first() == "Partez vers l’école."


def test_hostile_crisis_forms_change_nothing(testapp, dbsession, mairie, plan, agent_login):
    agent_login(testapp, mairie)
    activate(testapp)
    crisis = dbsession.scalar(select(PcsCrisis))
    url = f"{BASE}/crises/{crisis.id}"
    for raw in ("", "²", "9" * 30, "-1", "🚒"):
        page = testapp.post_csrf(url + "/message", {"template_id": raw}, status=400)
        assert "Choisissez un des messages préparés." in page.text
    for form, message in [({"note": ""}, "Écrivez ce qui s'est passé"), ({"note": LONG}, "doit tenir en")]:
        assert message in testapp.post_csrf(url + "/note", form, status=400).text
    for form, message in [({"end": " "}, "Écrivez le message de fin"), ({"end": LONG}, "Le message de fin doit tenir en")]:
        assert message in testapp.post_csrf(url + "/fin", form, status=400).text
    dbsession.expire_all()
    assert dbsession.get(PcsCrisis, crisis.id).ended_at is None
