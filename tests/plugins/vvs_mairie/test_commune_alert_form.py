"""Issue 14.3: the mairie's alert form (written in alert_new.pt) is read through a colander
schema (vvs_core.web.forms.read_fields): hostile input answers a French message beside its
field, sends nothing and is never a 500; what agents really type (« » ’, accents, emoji)
is kept intact."""
import pytest
from sqlalchemy import func, select

from vvs_core.models import Notification
from vvs_mairie.models import MairieAlert
from vvs_mairie.testing import agent_login, mairie  # noqa: F401

URL = "/mairie/77449/alertes/nouvelle"
GOOD = {"category": "meteo", "title": "Orages « violents » ce soir ⛈️", "body": "Rentrez vos objets, l’orage arrive 🌩️.",
        "target": "commune"}


def _nothing_sent(dbsession):
    dbsession.expire_all()
    return (dbsession.scalar(select(func.count()).select_from(MairieAlert)),
            dbsession.scalar(select(func.count()).select_from(Notification))) == (0, 0)


@pytest.mark.parametrize("changes, message", [
    ({"category": ""}, "Choisissez une catégorie."),
    ({"category": "meteo\x00"}, "Choisissez une catégorie."),
    ({"category": "x" * 20000}, "Choisissez une catégorie."),
    ({"title": "   "}, "Indiquez un titre."),
    ({"title": "t" * 141}, "Le titre doit tenir en 140 caractères."),
    ({"title": "Orages \x1b[31m"}, "caractères de contrôle invisibles"),
    ({"body": "b" * 2001}, "Le message doit tenir en 2000 caractères."),
    ({"body": "Message \x00 caché"}, "caractères de contrôle invisibles"),
    ({"target": "tout le monde"}, "Choisissez à qui envoyer"),
    ({"target": "communities", "communities": "'; DROP TABLE users; --"}, "Cochez au moins une communauté."),
    ({"target": "communities", "communities": "99999999999999999999"}, "Cochez au moins une communauté."),
    ({"target": "communities", "communities": "²"}, "Cochez au moins une communauté."),  # digits to Python, not to int()
    ({"target": "area", "area": "{pas du json"}, "illisible"),
])
def test_hostile_alert_fields_are_refused_and_nothing_is_sent(testapp, dbsession, mairie, agent_login, changes, message):
    agent_login(testapp, mairie)
    page = testapp.post_csrf(URL, {**GOOD, **changes, "confirm": "1"}, status=400)
    assert message in page.text
    assert _nothing_sent(dbsession)


def test_files_in_place_of_fields_count_as_empty(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    page = testapp.post(URL, {"csrf_token": testapp.csrf(), "category": "meteo", "target": "commune", "confirm": "1"},
                        upload_files=[("title", "t.txt", "Orages".encode())], status=400)
    assert "Indiquez un titre." in page.text and _nothing_sent(dbsession)


def test_the_typed_text_is_kept_and_sent_unchanged(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    bad = testapp.post_csrf(URL, {**GOOD, "category": "inconnue", "confirm": "1"}, status=400)
    assert "Orages « violents » ce soir ⛈️" in bad.text and "l’orage arrive 🌩️" in bad.text
    chosen = {**GOOD, "target": "communities", "communities": [str(mairie.community.id), "abc", str(mairie.community.id)],
              "title": "  " + GOOD["title"] + "  ", "exercise": "1", "confirm": "1"}
    testapp.post_csrf(URL, chosen, status=303)
    alert = dbsession.scalars(select(MairieAlert)).one()
    assert (alert.title, alert.body, alert.target) == (GOOD["title"], GOOD["body"], "communities")
