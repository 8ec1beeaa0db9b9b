"""Agents write to residents of their commune through the messaging (the mairie names
its agents with ``vvs_messaging_writers`` and whom they reach with
``vvs_messageable_users``; neither plugin imports the other)."""
import pytest
import sqlalchemy as sa
from shapely.geometry import Point

from vvs_core.geo import square_around
from vvs_core.models import Commune, Community, Membership

from vvs_core.models import Notification
from vvs_mairie.testing import agent_login, enrol_agent, mairie  # noqa: F401
from vvs_messaging.models import Conversation, Message

from new_conversation import post_new_conversation

TEXT = "Bonjour, la police municipale passera rue de l’Église ce soir « vers 22 h » 🚓. Bonne soirée !"


@pytest.fixture
def outsider(dbsession, make_user):
    """A resident of Chessy, another commune."""
    chessy = Commune(insee="77111", name="Chessy", postcodes=["77700"], centre=Point(2.77, 48.87))
    dbsession.add(chessy)
    dbsession.flush()
    community = Community(commune_id=chessy.id, name="Chessy centre", boundary=square_around((2.77, 48.87), 300))
    dbsession.add(community)
    user = make_user(first_name="Oscar")
    dbsession.flush()
    dbsession.add(Membership(user_id=user.id, community_id=community.id, status="active"))
    dbsession.flush()
    return user


def _start(testapp, recipients, text=TEXT, subject="Passage de la police municipale"):
    form = testapp.get("/messagerie/nouveau").forms["new-conversation"]
    for checkbox in form.fields["checkbox"]:
        checkbox.checked = checkbox._value in {str(r.id) for r in recipients}
    form["subject"], form["text"] = subject, text
    return form.submit("submit")


def test_an_agent_writes_to_a_resident_who_answers(testapp, dbsession, mairie, agent_login, outsider):
    resident = mairie.residents[0]
    testapp.login(mairie.agent_user)
    testapp.get("/messagerie", status=403)  # second factor not passed: no agent principal
    testapp.reset()
    agent_login(testapp, mairie)
    assert "Messagerie" in testapp.get("/messagerie").text
    form = testapp.get("/messagerie/nouveau").forms["new-conversation"]
    offered = {c._value for c in form.fields["checkbox"]}
    assert {str(u.id) for u in mairie.residents} <= offered and str(outsider.id) not in offered
    page = _start(testapp, [resident]).follow()
    assert TEXT in page.text
    conversation = dbsession.scalars(sa.select(Conversation)).one()
    notice = dbsession.scalars(sa.select(Notification).where(Notification.kind == "message",
                                                             Notification.recipient_id == resident.id)).one()
    assert "Mairie de Serris — Agnès M. vous a écrit" in notice.body
    # the resident reads it under the town hall's name with the agent's, and answers
    testapp.reset()
    testapp.login(resident)
    assert "Mairie de Serris — Agnès M." in testapp.get("/messagerie").text
    read = testapp.get(f"/messagerie/conversation/{conversation.id}")
    assert TEXT in read.text and "Mairie de Serris — Agnès M." in read.text
    api = testapp.get(f"/api/v1/conversations/{conversation.id}").json
    assert {m["sender"] for m in api["messages"]} == {"Mairie de Serris — Agnès M."}
    offered = {c._value for c in
               testapp.get("/messagerie/nouveau").forms["new-conversation"].fields["checkbox"]}
    assert str(mairie.agent_user.id) in offered
    assert "Mairie de Serris — Agnès M." in testapp.get("/messagerie/nouveau").text
    reply = read.forms["reply"]
    reply["text"] = "Merci beaucoup, c’est rassurant !"
    reply.submit("submit", status=303)
    assert dbsession.scalar(sa.select(sa.func.count(Message.id))) == 2


def test_an_agent_cannot_write_outside_the_commune(testapp, dbsession, mairie, agent_login, outsider):
    agent_login(testapp, mairie)
    page = post_new_conversation(testapp, outsider.id, "Bonjour")
    assert "Vous ne pouvez pas écrire à l'une des personnes choisies" in page.text
    assert dbsession.scalar(sa.select(sa.func.count(Conversation.id))) == 0


def test_vvs_messaging_writers(app_registry):
    answers = app_registry.vvs_plugins.hook.vvs_messaging_writers(request=None)
    assert ["mairie:agent"] in answers


def test_labels_with_and_without_a_title():
    """A plain "name" carries no title (a str's own ``title`` method is not one)."""
    from types import SimpleNamespace

    from vvs_messaging.audience import NAME, PSEUDONYM, Titled, label_for

    person = SimpleNamespace(status="active", first_name="Paul", last_name="Martin", display_pseudonym="paulo77")
    assert label_for(person, NAME) == "Paul M."
    assert label_for(person, PSEUDONYM) == "paulo77"
    assert label_for(person, None) == "paulo77"
    assert label_for(person, Titled(NAME, "Mairie de Serris")) == "Mairie de Serris — Paul M."
