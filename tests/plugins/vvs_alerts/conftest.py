"""Helpers shared by the alert tests."""
import uuid

import pytest


@pytest.fixture
def alert_request(app, dbsession):
    """A request bound to the test transaction, for calling the services directly."""
    from pyramid.scripting import prepare

    env = prepare(registry=app.registry)
    request = env["request"]
    request.dbsession = dbsession
    import transaction

    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    request.tm = tm
    try:
        yield request
    finally:
        tm.abort()
        env["closer"]()


@pytest.fixture
def post(alert_request):
    from vvs_alerts.posting import post_alert

    def do(author, community, text="Camionnette blanche qui tourne dans la rue depuis une heure.", **kw):
        kw.setdefault("category", "reperage")
        kw.setdefault("idempotency_key", uuid.uuid4().hex)
        alert, _created = post_alert(alert_request, author, community, text=text, **kw)
        return alert

    return do

