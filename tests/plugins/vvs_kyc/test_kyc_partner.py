"""The identity-partner interface, driven through the core's provider mechanism with
the test partner of tests/fixtures/kyc_partner (redirect and signed return on the app)."""
import importlib.util
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import csrf
from vvs_core.providers import provider_on
from vvs_core.testing import DEMO_PASSWORD, VVSTestApp, base_settings
from vvs_kyc.models import KycCheck

FIXTURE = Path(__file__).parents[2] / "fixtures" / "kyc_partner" / "kyc_test_partner.py"
_apps = {}


def partner_module():
    if "kyc_test_partner" not in sys.modules:  # the app includes plugins by module name
        spec = importlib.util.spec_from_file_location("kyc_test_partner", FIXTURE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["kyc_test_partner"] = module
    return sys.modules["kyc_test_partner"]


class FakeEntryPoint:
    def __init__(self, module):
        self.module = module
        self.value = module.__name__

    def load(self):
        return self.module


@pytest.fixture
def partner_app(db_url, session_factory, monkeypatch, tmp_path):
    """The real app with the test partner installed and chosen by vvs.identity.provider."""
    from vvs_core import make_config, plugins

    if db_url not in _apps:
        module = partner_module()
        installed = plugins.installed_plugins()
        monkeypatch.setattr(plugins, "installed_plugins", lambda: {**installed, "kyc_test_partner": FakeEntryPoint(module)})
        settings = base_settings(db_url, **{"vvs.identity.provider": "test-partner",
                                            "vvs.identity.test_partner.secret": "un secret partagé de test " * 2})
        _apps[db_url] = make_config(settings).make_wsgi_app()
        monkeypatch.undo()
    wsgi = _apps[db_url]
    saved = wsgi.registry["dbsession_factory"]
    wsgi.registry["dbsession_factory"] = session_factory
    monkeypatch.setitem(wsgi.registry.settings, "vvs.kyc.storage_dir", str(tmp_path / "kyc"))
    yield wsgi
    wsgi.registry["dbsession_factory"] = saved


def test_partner_flow_passes_and_activates(partner_app, world, dbsession):
    from vvs_core.interfaces import IIdentityVerifier

    partner = provider_on(partner_app.registry, "identity")
    assert partner.name == "test-partner" and IIdentityVerifier is not None
    app = VVSTestApp(partner_app)
    app.login(world["resident"], DEMO_PASSWORD)
    activation = app.get("/activation")
    assert "Vérification par PartenaireTest" in activation.text
    redirect = app.post("/kyc/partenaire", {"csrf_token": csrf(app)}, status=303)
    assert "/kyc/partenaire/retour?" in redirect.headers["Location"]
    back = redirect.follow(status=303)  # the partner sends the browser back, signed
    assert back.headers["Location"].endswith("/activation")
    dbsession.expire_all()
    [check] = dbsession.scalars(select(KycCheck).where(KycCheck.method == "partner")).all()
    assert check.status == "passed" and check.details["partner"] == "test-partner"
    dbsession.refresh(world["membership"])
    assert world["membership"].status == "active"
    redirect.follow(status=303)  # a replayed return changes nothing
    assert len(dbsession.scalars(select(KycCheck).where(KycCheck.method == "partner")).all()) == 1


def test_partner_forged_or_failed_returns(partner_app, world, dbsession):
    partner = provider_on(partner_app.registry, "identity")
    app = VVSTestApp(partner_app)
    app.login(world["resident"], DEMO_PASSWORD)
    location = app.post("/kyc/partenaire", {"csrf_token": csrf(app)}, status=303).headers["Location"]
    forged = app.get(location.replace("outcome=passed", "outcome=failed"), status=400)
    assert "n'a pas pu être authentifiée" in forged.text
    partner.next_outcome = "failed"
    try:
        app.post("/kyc/partenaire", {"csrf_token": csrf(app)}, status=303).follow(status=303)
    finally:
        partner.next_outcome = "passed"
    dbsession.expire_all()
    assert [c.status for c in dbsession.scalars(select(KycCheck).where(KycCheck.method == "partner"))] == ["failed"]
    # Another resident cannot use someone else's signed return.
    other = VVSTestApp(partner_app)
    other.login(world["neighbour"], DEMO_PASSWORD)
    assert "un autre compte" in other.get(location, status=400).text


def test_no_partner_by_default(testapp, world):
    testapp.login(world["resident"])
    assert "/kyc/partenaire" not in testapp.get("/activation").text
    testapp.get("/kyc/partenaire", status=404)


def test_the_administrators_see_the_partner_s_health(partner_app, make_user):
    partner = provider_on(partner_app.registry, "identity")
    app = VVSTestApp(partner_app)
    app.login(make_user(is_admin=True), DEMO_PASSWORD)
    page = app.get("/admin/extensions").text
    assert "test-partner" in page and "PartenaireTest ne répond pas" not in page
    partner.reachable = False
    try:
        page = app.get("/admin/extensions").text
    finally:
        partner.reachable = True
    assert "PartenaireTest ne répond pas : la vérification par le partenaire est indisponible." in page
