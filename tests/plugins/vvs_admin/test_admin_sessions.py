"""Sessions end on the server (issue 15.1): the platform team's "end all sessions", ban
and reopen on an account's page end every session of the account, journaled."""
from __future__ import annotations

from sqlalchemy import select

from vvs_admin.accounts import account_state
from vvs_core.testing import VVSTestApp


def assert_signed_out(client, path="/parametres"):
    res = client.get(path, status=302)
    assert "/connexion" in res.headers["Location"]


def test_an_administrator_ends_all_sessions_bans_and_reopens_from_the_user_page(app, testapp, make_user, dbsession):
    """One way, journaled: the account's page (/admin/utilisateurs/{id}); /admin/comptes is gone."""
    from vvs_core.models import CommunityEvent

    admin = make_user(is_admin=True)
    user = make_user(email="noemie.benoit@example.test")
    laptop, phone = VVSTestApp(app), VVSTestApp(app)
    laptop.login(user)
    phone.login(user)
    testapp.login(admin)
    page = testapp.get(f"/admin/utilisateurs/{user.id}")
    assert "Sessions ouvertes" in page.text
    testapp.post_csrf("/admin/comptes", {"email": user.email, "action": "ban"}, status=404)
    # no reason: refused in French, nothing closed
    refused = testapp.post_csrf(f"/admin/utilisateurs/{user.id}/sessions", {"reason": ""}, status=400)
    assert "Indiquez le motif" in refused.text
    phone.get("/parametres", status=200)
    done = testapp.post_csrf(f"/admin/utilisateurs/{user.id}/sessions",
                             {"reason": "Téléphone volé, signalé par l’intéressée."}, status=303).follow()
    assert "Toutes les sessions de" in done.text and "2 sessions ouvertes" in done.text
    assert_signed_out(laptop)
    assert_signed_out(phone)
    event = dbsession.scalars(select(CommunityEvent).where(CommunityEvent.kind == "admin_sessions_ended",
                                                           CommunityEvent.subject_user_id == user.id)).one()
    assert event.actor_id == admin.id and event.data["reason"] == "Téléphone volé, signalé par l’intéressée."

    phone.login(user)
    dbsession.refresh(user)
    testapp.post_csrf(f"/admin/utilisateurs/{user.id}/statut",
                      {"action": "ban", "reason": "Menaces répétées.", "etat": account_state(user)}, status=303)
    assert_signed_out(phone)
    page = phone.get("/connexion")
    form = page.forms["deform"]
    form["email"], form["password"] = user.email, "un voisin attentif 2026"
    refused = form.submit("submit", status=403)
    assert "Ce compte a été banni par l'équipe de la plateforme" in refused.text

    dbsession.refresh(user)
    testapp.post_csrf(f"/admin/utilisateurs/{user.id}/statut",
                      {"action": "reopen", "reason": "Excuses présentées.", "etat": account_state(user)}, status=303)
    phone.login(user)
    phone.get("/parametres", status=200)


def test_the_overview_has_no_second_way_to_ban(testapp, make_user):
    testapp.login(make_user(is_admin=True))
    page = testapp.get("/admin")
    assert "Sessions et bannissement" not in page.text and "/admin/comptes" not in page.text
    assert "/admin/utilisateurs" in page.text
