"""The tutorial provider (tests/fixtures/vvs_sms_rapide) installed in the real app and
chosen by the .ini: an alert SMS goes out through the outbox to its fake API, its
receipt comes back through the core's URL, and an SMS sent to the service number
becomes an alert whose confirmation goes back to the resident."""
from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from vvs_core.models import Notification
from vvs_core.testing import VVSTestApp, base_settings, run_tasks

TUTORIAL = Path(__file__).parents[2] / "fixtures" / "vvs_sms_rapide"
TOKEN = "jeton-du-tutoriel-" + "t" * 32
SENDER = "+33639980777"
_apps: dict = {}


class FakeEntryPoint:
    def __init__(self, module):
        self.module, self.value = module, module.__name__

    def load(self):
        return self.module


@pytest.fixture(scope="module")
def fake():
    sys.path.insert(0, str(TUTORIAL))
    from test_vvs_sms_rapide import FakeRapide

    fake = FakeRapide()
    yield fake
    fake.close()


@pytest.fixture
def rapide_app(db_url, session_factory, fake, monkeypatch):
    from test_vvs_sms_rapide import API_KEY

    import vvs_sms_rapide
    from vvs_core import make_config, plugins
    from vvs_core.jobs.tasks import set_task_registry

    if db_url not in _apps:
        installed = plugins.installed_plugins()
        monkeypatch.setattr(plugins, "installed_plugins",
                            lambda: {**installed, "vvs_sms_rapide": FakeEntryPoint(vvs_sms_rapide)})
        settings = base_settings(db_url, **{"vvs.sms.provider": "rapide", "vvs.sms.rapide.url": fake.url,
                                            "vvs.sms.rapide.api_key": API_KEY, "vvs.sms.rapide.timeout": "2",
                                            "vvs.sms.rapide.callback_token": TOKEN, "vvs.kyc.required": "none"})
        _apps[db_url] = make_config(settings).make_wsgi_app()
        monkeypatch.undo()
    wsgi = _apps[db_url]
    saved = wsgi.registry["dbsession_factory"]
    wsgi.registry["dbsession_factory"] = session_factory
    set_task_registry(wsgi.registry)
    fake.reset()
    fake.ids.clear()  # the fake outlives a backend: the other database numbers its alerts alike
    yield wsgi
    wsgi.registry["dbsession_factory"] = saved


def call(testapp, what, body, **kw):
    return testapp.post(f"/fournisseurs/rapide/{TOKEN}/{what}", json.dumps(body),
                        content_type="application/json", **kw)


def test_an_sms_sent_to_the_service_becomes_an_alert_and_receipts_come_back(
        rapide_app, fake, dbsession, make_user, make_community):
    testapp = VVSTestApp(rapide_app)
    author, neighbour = make_user(mobile=SENDER), make_user(mobile="+33639980778")
    make_community(members=[author, neighbour])
    text = "Individu en repérage rue de l’Église, « capuche grise » 🚨"
    inbound = {"id": f"in-{uuid.uuid4().hex[:8]}", "from": SENDER, "text": text}  # the fake API outlives a backend
    assert call(testapp, "sms-recu", inbound).text == "reçu, réponse envoyée"
    run_tasks()
    numbers = [to for to, _text in fake.arrived()]
    assert SENDER in numbers and "+33639980778" in numbers, numbers  # the confirmation, the alert
    dbsession.expire_all()
    alert_sms = dbsession.scalar(sa.select(Notification).where(Notification.recipient_id == neighbour.id,
                                                               Notification.channel == "sms"))
    assert alert_sms.status == "sent" and alert_sms.provider == "rapide" and alert_sms.provider_ref
    answer = call(testapp, "accuse-reception", {"id": alert_sms.provider_ref, "status": "delivered"})
    assert answer.text == "enregistré"
    dbsession.expire_all()
    assert dbsession.get(Notification, alert_sms.id).status == "delivered"
    # the same SMS again: refused, nothing more sent
    call(testapp, "sms-recu", inbound, status=409)
    run_tasks()
    assert len(fake.arrived()) == len(numbers)
