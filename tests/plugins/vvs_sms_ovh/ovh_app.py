"""The real application configured with the OVH provider against the fake API.

Import the ``ovh_testapp`` fixture (and ``fake_ovh``) into a test module.
"""
from __future__ import annotations

import pytest

from vvs_core.testing import VVSTestApp, app_on_session

CALLBACK_TOKEN = "jeton-de-rappel-" + "k" * 32


@pytest.fixture
def ovh_app(db_url, session_factory, fake_ovh):
    settings = fake_ovh.settings(**{"vvs.sms.ovh.callback_token": CALLBACK_TOKEN})
    with app_on_session(db_url, session_factory, **{"vvs.sms.provider": "ovh"},
                        **{k: str(v) for k, v in settings.items()}) as wsgi:
        yield wsgi


@pytest.fixture
def ovh_testapp(ovh_app):
    return VVSTestApp(ovh_app)


