"""The commune's moderation policy read through ``vvs_core.web.forms.read_fields`` (issue
14): hostile values (empty, 20,000 characters, 30 digits, a negative number, emoji, a file
for a field) are named in one French message, every wrong field at once; nothing changes;
never a 500."""
from __future__ import annotations

from sqlalchemy import select

from vvs_alerts.models import ModerationPolicy
from vvs_mairie.testing import agent_login, mairie  # noqa: F401

from test_sanctions import scene  # noqa: F401

URL = "/alertes/moderation/commune/77449"


def test_hostile_policies_change_nothing(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    field = f"community-{mairie.community.id}"
    for form, messages in [
        ({"mode": "é" * 20000, "trusted_urgent": "9" * 30, field: "-1"},
         ["Choisissez pré-modération, post-modération", "Choisissez une règle", "Mode inconnu pour la communauté"]),
        ({"mode": "🛑"}, ["Choisissez pré-modération, post-modération"]),
        ({"mode": "pre", "trusted_urgent": "« referents »"}, ["Choisissez une règle"]),
    ]:
        answer = testapp.post_csrf(URL, form, status=400)
        assert all(message in answer.text for message in messages), form
    answer = testapp.post(URL, {"csrf_token": testapp.csrf(), "mode": "pre"},
                          upload_files=[("trusted_urgent", "r.txt", b"zzz")], status=303)  # a file: the default rule
    assert dbsession.scalars(select(ModerationPolicy.trusted_urgent)).all() == ["none"]


def test_empty_fields_are_the_defaults(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    testapp.post_csrf(URL, {"mode": " ", "trusted_urgent": "", f"community-{mairie.community.id}": ""}, status=303)
    rows = [(p.commune_id, p.mode, p.trusted_urgent) for p in dbsession.scalars(select(ModerationPolicy))]
    assert rows == [(mairie.commune.id, None, "none")]


def test_a_suspension_change_names_every_wrong_field_at_once(testapp, dbsession, scene):
    """The sanctions page's form (SuspensionChangeSchema): a wrong length and a too long
    motive in one message; a lift ignores the length field; nothing changes."""
    from vvs_alerts.models import PostingSuspension

    _author, _moderator, _community, alert = scene
    testapp.post_csrf(f"/alertes/{alert.id}/moderation", {"action": "suspend", "reason": "Propos déplacés.", "days": "7"})
    suspension = dbsession.scalars(select(PostingSuspension)).one()
    until, url = suspension.until, f"/alertes/moderation/sanctions/{suspension.id}"
    for days in ("-3", "9" * 30, "é" * 20000, "３", "📅"):
        page = testapp.post_csrf(url, {"what": "change", "days": days, "reason": "x" * 20000}).follow()
        assert "La durée de suspension doit être un nombre entier de jours, de 1 à 365." in page.text
        assert "Motif trop long : 1000 caractères au plus (20000 reçus)." in page.text
    dbsession.refresh(suspension)
    assert (suspension.until, suspension.lifted_at) == (until, None)
    page = testapp.post_csrf(url, {"what": "lift", "days": "-3", "reason": "Excuses « sincères » ’ 🙏"}).follow()
    assert "Suspension levée" in page.text
