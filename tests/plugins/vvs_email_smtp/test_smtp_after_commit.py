"""Through the real application configured with the SMTP provider: an e-mail
created in a request reaches the SMTP server only once that request committed
and the outbox worker ran; a rolled-back request sends nothing."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
import transaction
from smtp_test_server import smtp_server, smtp_settings  # noqa: F401  (fixture)

from vvs_core.models import Notification
from vvs_core.testing import VVSTestApp, app_on_session, run_tasks

@pytest.fixture
def smtp_testapp(db_url, session_factory, smtp_server):  # noqa: F811
    settings = {k: str(v) for k, v in smtp_settings(smtp_server).items()}
    with app_on_session(db_url, session_factory, **{"vvs.email.provider": "smtp"}, **settings) as wsgi:
        yield VVSTestApp(wsgi)


def ask_for_reset_link(testapp, email, **kw):
    page = testapp.get("/mot-de-passe-oublie")
    form = page.forms["deform"]
    form["email"] = email
    return form.submit("submit", **kw)


def test_an_email_is_sent_over_smtp_after_commit_only(smtp_testapp, smtp_server, make_user, dbsession):  # noqa: F811
    user = make_user(email="voisine@example.org")
    ask_for_reset_link(smtp_testapp, user.email)
    assert smtp_server.messages == []  # committed, queued: the worker has not run
    run_tasks()
    [received] = smtp_server.messages
    assert received["to"] == ["voisine@example.org"]
    message = received["message"]
    assert message["Subject"] == "Réinitialisation de votre mot de passe"
    assert "/mot-de-passe/nouveau/" in message.get_body(("plain",)).get_content()
    assert '<html lang="fr">' in message.get_body(("html",)).get_content()
    row = dbsession.scalar(sa.select(Notification).where(Notification.recipient_id == user.id))
    assert row.status == "sent" and row.provider == "smtp"
    assert re.sub(r"[<>]", "", received["message"]["Message-ID"]) == row.provider_ref


def test_a_rolled_back_request_sends_nothing(smtp_testapp, smtp_server, make_user, dbsession):  # noqa: F811
    user = make_user(email="voisin@example.org")
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    # The request runs inside our transaction (pyramid_tm sees it active), which we abort.
    ask_for_reset_link(smtp_testapp, user.email, extra_environ={"tm.active": True, "tm.manager": manager})
    manager.abort()
    run_tasks()
    assert smtp_server.messages == []
    dbsession.expire_all()
    assert dbsession.scalar(sa.select(sa.func.count()).select_from(Notification)
                            .where(Notification.recipient_id == user.id)) == 0
