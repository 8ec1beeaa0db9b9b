"""The identity-partner interface, driven through the core's provider mechanism with
the test partner of tests/fixtures/kyc_partner (an HTTP partner, against the fake of its
API): the contract every partner passes, then the app's flow with it."""
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from conftest import csrf
from vvs_core.providers import provider_on
from vvs_core.testing import DEMO_PASSWORD, IdentityVerifierContract, VVSTestApp, base_settings
from vvs_kyc.models import KycCheck

sys.path.insert(0, str(Path(__file__).parents[2] / "fixtures" / "kyc_partner"))
import kyc_test_partner  # noqa: E402  (the app includes plugins by module name)
from fake_partner import FakePartner  # noqa: E402

KEY, SECRET = "clé-de-test", "un secret partagé de test " * 2
_apps = {}


class TestPartnerContract(IdentityVerifierContract):
    @pytest.fixture
    def fake(self):
        fake = FakePartner(KEY, SECRET)
        yield fake
        fake.close()

    @pytest.fixture
    def make_verifier(self, fake):
        return lambda: kyc_test_partner.TestPartner(fake.url, KEY, SECRET, timeout=1.0)


class FakeEntryPoint:
    def __init__(self, module):
        self.module = module
        self.value = module.__name__

    def load(self):
        return self.module


@pytest.fixture(scope="module")
def partner_fake():
    fake = FakePartner(KEY, SECRET)
    yield fake
    fake.close()


@pytest.fixture
def partner_app(db_url, session_factory, monkeypatch, tmp_path, partner_fake):
    """The real app with the test partner installed and chosen by vvs.identity.provider."""
    from vvs_core import make_config, plugins

    if (db_url, partner_fake.url) not in _apps:
        installed = plugins.installed_plugins()
        monkeypatch.setattr(plugins, "installed_plugins",
                            lambda: {**installed, "kyc_test_partner": FakeEntryPoint(kyc_test_partner)})
        settings = base_settings(db_url, **{"vvs.identity.provider": "test-partner",
                                            "vvs.identity.test_partner.url": partner_fake.url,
                                            "vvs.identity.test_partner.key": KEY,
                                            "vvs.identity.test_partner.secret": SECRET})
        _apps[db_url, partner_fake.url] = make_config(settings).make_wsgi_app()
        monkeypatch.undo()
    wsgi = _apps[db_url, partner_fake.url]
    saved = wsgi.registry["dbsession_factory"]
    wsgi.registry["dbsession_factory"] = session_factory
    monkeypatch.setitem(wsgi.registry.settings, "vvs.kyc.storage_dir", str(tmp_path / "kyc"))
    partner_fake.reset()
    yield wsgi
    wsgi.registry["dbsession_factory"] = saved


def start_at_the_partner(app, fake, outcome="completed"):
    """The resident starts a check, finishes it at the partner: the return's path and query."""
    redirect = app.post("/kyc/partenaire", {"csrf_token": csrf(app)}, status=303)
    check = fake.arrived()[-1][1]
    assert redirect.headers["Location"] == f"{fake.url}/page/{check}"
    fake.finish(check, outcome)
    back = urlsplit(fake.return_call(check).url)
    assert back.path == "/kyc/partenaire/retour"
    return f"{back.path}?{back.query}"


def test_partner_flow_passes_and_activates(partner_app, partner_fake, world, dbsession):
    from vvs_core.interfaces import IIdentityVerifier

    partner = provider_on(partner_app.registry, "identity")
    assert partner.name == "test-partner" and IIdentityVerifier is not None
    app = VVSTestApp(partner_app)
    app.login(world["resident"], DEMO_PASSWORD)
    activation = app.get("/activation")
    assert "Vérification par PartenaireTest" in activation.text
    back = app.get(start_at_the_partner(app, partner_fake), status=303)  # the partner sends the browser back, signed
    assert back.headers["Location"].endswith("/activation")
    dbsession.expire_all()
    [check] = dbsession.scalars(select(KycCheck).where(KycCheck.method == "partner")).all()
    assert check.status == "passed" and check.details["partner"] == "test-partner"
    assert check.reference == partner_fake.arrived()[-1][1]
    dbsession.refresh(world["membership"])
    assert world["membership"].status == "active"
    app.get(back.request.path_qs, status=303)  # a replayed return changes nothing
    assert len(dbsession.scalars(select(KycCheck).where(KycCheck.method == "partner")).all()) == 1


def test_partner_forged_or_failed_returns(partner_app, partner_fake, world, dbsession):
    app = VVSTestApp(partner_app)
    app.login(world["resident"], DEMO_PASSWORD)
    location = start_at_the_partner(app, partner_fake, outcome="declined")
    forged = app.get(location.replace("status=declined", "status=completed"), status=400)
    assert "n'a pas pu être authentifiée" in forged.text
    app.get(location, status=303)
    dbsession.expire_all()
    assert [c.status for c in dbsession.scalars(select(KycCheck).where(KycCheck.method == "partner"))] == ["failed"]
    # Another resident cannot use someone else's signed return.
    other = VVSTestApp(partner_app)
    other.login(world["neighbour"], DEMO_PASSWORD)
    assert "un autre compte" in other.get(location, status=400).text


@pytest.mark.parametrize("how", ["timeout", 503, 401])
def test_a_partner_that_does_not_answer_is_said_in_french(partner_app, partner_fake, world, dbsession, how):
    app = VVSTestApp(partner_app)
    app.login(world["resident"], DEMO_PASSWORD)
    partner_fake.fail(how)
    page = app.post("/kyc/partenaire", {"csrf_token": csrf(app)}, status=200)
    assert "Le partenaire de vérification ne répond pas : réessayez dans quelques minutes." in page.text
    assert partner_fake.arrived() == []
    dbsession.expire_all()
    assert dbsession.scalars(select(KycCheck).where(KycCheck.method == "partner")).all() == []


def test_no_partner_by_default(testapp, world):
    testapp.login(world["resident"])
    assert "/kyc/partenaire" not in testapp.get("/activation").text
    testapp.get("/kyc/partenaire", status=404)


def test_the_administrators_see_the_partner_s_health(partner_app, partner_fake, make_user):
    app = VVSTestApp(partner_app)
    app.login(make_user(is_admin=True), DEMO_PASSWORD)
    page = app.get("/admin/extensions").text
    assert "test-partner" in page and "PartenaireTest ne répond pas" not in page
    partner_fake.fail(503)
    page = app.get("/admin/extensions").text
    assert "PartenaireTest ne répond pas : la vérification par le partenaire est indisponible." in page
