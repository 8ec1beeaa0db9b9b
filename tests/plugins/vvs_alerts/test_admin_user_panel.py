"""The alerts' block on an account's administration page (hook vvs_admin_user_panels):
posting suspensions in force and the link to the moderation history, through the hook,
so the core never names the plugin."""
from datetime import timedelta

from vvs_core.clock import utcnow

from vvs_alerts.moderation import suspend_posting


def test_vvs_admin_user_panels(testapp, dbsession, make_user, make_community):
    admin = make_user(is_admin=True)
    moderator = make_user(is_moderator=True, first_name="Modé")
    member = make_user(first_name="Éloïse", last_name="Pérès")
    make_community(members=[member])
    testapp.login(admin)
    page = testapp.get(f"/admin/utilisateurs/{member.id}")
    assert "Sanctions de modération" in page.text and "Aucune suspension de publication en cours." in page.text
    suspend_posting(dbsession, member.id, moderator, utcnow() + timedelta(days=3),
                    "Fausse alerte « cambriolage » répétée")
    dbsession.flush()
    page = testapp.get(f"/admin/utilisateurs/{member.id}")
    assert "Ne peut plus publier d'alerte jusqu'au" in page.text
    assert "Fausse alerte « cambriolage » répétée" in page.text
    assert f"/alertes/moderation/membres/{member.id}" in page.text
    history = page.click(description="Historique de modération, modifier ou lever une suspension")
    assert history.status_int == 200
