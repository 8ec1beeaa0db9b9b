"""Absolute links: one helper on vvs.public_url, PORT as its default, one warning in
production, and no link built by hand anywhere else."""
import logging
import re
from pathlib import Path

import pytest
from pyramid.request import Request

from app_changes import changed
from vvs_core.web import links
from vvs_core.app import load_settings
from vvs_core.testing import TEST_SECRET, mail_text, read_mails

ROOT = Path(__file__).resolve().parents[2]


# --- the helper ------------------------------------------------------------------------

def test_absolute_url_from_a_route_or_a_path_on_the_public_address(app):
    registry = app.registry
    with changed(registry, settings={"vvs.public_url": "https://mairie.example.fr/voisins/"}):
        assert links.absolute_url(registry, "alert_view", alert_id=3) == "https://mairie.example.fr/voisins/alertes/3"
        assert links.absolute_url(registry, "password_reset", token="a b") == \
            "https://mairie.example.fr/voisins/mot-de-passe/nouveau/a%20b"
        assert links.absolute_url(registry, "home", _query={"q": "é"}) == "https://mairie.example.fr/voisins/?q=%C3%A9"
        assert links.absolute_url(registry, "/alertes/3", _query={"x": 1}) == \
            "https://mairie.example.fr/voisins/alertes/3?x=1"
        # a request served on another host changes nothing
        request = Request.blank("/", base_url="http://127.0.0.1:9999")
        request.registry = registry
        assert links.absolute_url(request, "alert_view", alert_id=3) == "https://mairie.example.fr/voisins/alertes/3"
        assert links.public_host(request) == "mairie.example.fr"


def test_a_reset_link_asked_through_another_host_points_to_the_public_address(testapp, make_user, app):
    user = make_user()
    host = {"HTTP_HOST": "attaquant.example"}
    form = testapp.get("/mot-de-passe-oublie", extra_environ=host).forms["deform"]
    form["email"] = user.email
    form.submit("submit", extra_environ=host)
    from vvs_core.testing import run_tasks

    run_tasks()
    [mail] = [m for m in read_mails(app.registry.settings["vvs.email.folder"]) if m["To"] == user.email]
    assert "http://localhost/mot-de-passe/nouveau/" in mail_text(mail)
    assert "attaquant" not in mail_text(mail)


# --- PORT and the default ------------------------------------------------------------

@pytest.fixture
def bare(monkeypatch):
    monkeypatch.delenv("VVS_PUBLIC_URL", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    return {"vvs.plugins": "", "vvs.secret": TEST_SECRET}


def public_url(raw, port=None):
    return load_settings(dict(raw), port=port)[0]["vvs.public_url"]


def test_port_sets_the_public_url_unless_the_user_chose_it(bare, monkeypatch):
    assert public_url(bare) == "http://localhost:6543"
    monkeypatch.setenv("PORT", "6711")
    assert public_url(bare) == "http://localhost:6711"
    assert public_url(bare, port="6800") == "http://localhost:6800"  # pserve … http_port=6800
    assert public_url({**bare, "vvs.public_url": "https://voisins.example.fr"}) == "https://voisins.example.fr"
    monkeypatch.setenv("VVS_PUBLIC_URL", "https://env.example.fr")
    assert public_url(bare) == "https://env.example.fr"


@pytest.mark.parametrize("settings, chosen, warned", [
    ({"vvs.secure_cookies": False, "vvs.broker_url": "inline", "vvs.public_url": "http://localhost:6543"}, False, False),
    ({"vvs.secure_cookies": True, "vvs.broker_url": "inline", "vvs.public_url": "http://localhost:6543"}, False, True),
    ({"vvs.secure_cookies": False, "vvs.broker_url": "redis://q", "vvs.public_url": "http://localhost:8000"}, False, True),
    ({"vvs.secure_cookies": True, "vvs.broker_url": "redis://q", "vvs.public_url": "https://127.0.0.1"}, True, True),
    ({"vvs.secure_cookies": True, "vvs.broker_url": "redis://q", "vvs.public_url": "http://0.0.0.0:80"}, True, True),
    ({"vvs.secure_cookies": True, "vvs.broker_url": "redis://q", "vvs.public_url": "https://v.example.fr"}, True, False),
])
def test_production_warns_when_links_would_point_to_this_machine(settings, chosen, warned):
    problem = links.public_url_problem(settings, chosen)
    assert bool(problem) == warned
    if problem:
        assert "\n" not in problem and "vvs.public_url" in problem and "VVS_PUBLIC_URL" in problem


def test_start_up_in_production_without_public_url_is_one_warning_line(caplog, monkeypatch, tmp_path):
    from vvs_core import make_config

    monkeypatch.delenv("VVS_PUBLIC_URL", raising=False)
    raw = {"vvs.plugins": "vvs_dev_providers", "vvs.secret": TEST_SECRET, "vvs.database_url": f"sqlite:///{tmp_path}/x.sqlite",
           "vvs.secure_cookies": "true"}
    with caplog.at_level(logging.WARNING, logger="vvs_core.web.links"):
        make_config(raw)
        make_config({**raw, "vvs.public_url": "https://voisins.example.fr"})
    warnings = [r.getMessage() for r in caplog.records if r.name == "vvs_core.web.links"]
    assert len(warnings) == 1 and warnings[0].startswith("vvs.public_url is not set: links in SMS, e-mails")


# --- nothing builds an absolute link by hand -------------------------------------------

SOURCES = [p for p in (ROOT / "vvs_core").rglob("*") if p.suffix in (".py", ".pt", ".js")] + \
          [p for p in (ROOT / "plugins").rglob("*") if p.suffix in (".py", ".pt", ".js")]
ALLOWED = {ROOT / "vvs_core" / "web" / "links.py", ROOT / "vvs_core" / "settings.py", ROOT / "vvs_core" / "testing.py",
           ROOT / "vvs_core" / "providers" / "fakes.py"}  # test support: a fake service's own address
BY_HAND = [
    (re.compile(r"""["']vvs\.public_url["']"""), "reads vvs.public_url: use vvs_core.web.links"),
    (re.compile(r"\.route_url\(|\.resource_url\(|\.static_url\("), "builds a link on the request's host: use absolute_url"),
    (re.compile(r"\.(application_url|host_url)\b|request\.host\b"), "reads the request's host: use absolute_url"),
    (re.compile(r"""\bf["']https?://"""), "formats an absolute link by hand: use absolute_url"),
]
TEMPLATE_LINK = re.compile(r"https?://[^\s\"'<>]*")
NAMESPACES = ("http://xml.zope.org/namespaces/", "http://www.w3.org/")


def test_no_module_or_template_builds_an_absolute_link_by_hand():
    found = []
    for path in SOURCES:
        if path in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{number}"
            found += [f"{where} {why}" for pattern, why in BY_HAND if pattern.search(line)]
            if path.suffix == ".pt":
                found += [f"{where} has the absolute link {url}: build it with absolute_url in the view"
                          for url in TEMPLATE_LINK.findall(line) if not url.startswith(NAMESPACES)]
    assert found == []


def test_the_check_above_catches_what_it_is_meant_to():
    samples = ['url = request.route_url("home")', "base = settings['vvs.public_url']", 'f"http://{host}/x"',
               "request.application_url + '/alertes'"]
    assert all(any(p.search(s) for p, _why in BY_HAND) for s in samples)
