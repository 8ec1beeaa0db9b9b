"""The real application configured with the OVH provider against the fake API.

Import the ``ovh_testapp`` fixture (and ``fake_ovh``) into a test module.
"""
from __future__ import annotations

import pytest


from vvs_core.jobs.tasks import set_task_registry
from vvs_core.testing import VVSTestApp, build_app, drop_queued_tasks

CALLBACK_TOKEN = "jeton-de-rappel-" + "k" * 32
_apps: dict = {}


@pytest.fixture
def ovh_app(db_url, session_factory, fake_ovh):
    if db_url not in _apps:
        settings = fake_ovh.settings(**{"vvs.sms.ovh.callback_token": CALLBACK_TOKEN})
        _apps[db_url] = build_app(db_url, **{"vvs.sms.provider": "ovh"}, **{k: str(v) for k, v in settings.items()})
    wsgi = _apps[db_url]
    registry = wsgi.registry
    saved = registry["dbsession_factory"]
    registry["dbsession_factory"] = session_factory
    set_task_registry(registry)
    try:
        yield wsgi
    finally:
        registry["dbsession_factory"] = saved
        drop_queued_tasks()


@pytest.fixture
def ovh_testapp(ovh_app):
    return VVSTestApp(ovh_app)


