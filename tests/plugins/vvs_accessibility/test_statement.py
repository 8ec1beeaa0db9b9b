"""The accessibility statement (plugin vvs_accessibility): its measured data, the page
/accessibilite, the footer mention of every page, the command `vvs accessibility`, and
nothing of it left when the plugin is disabled."""
from __future__ import annotations

import json
import re
import sys
from datetime import date
from pathlib import Path

import pytest
import webtest

from vvs_accessibility.statement import load_statement_data, page_pattern, summarise, write_statement_data
from vvs_core.cli import main
from vvs_core.errors import ConfigurationError
from vvs_core.testing import build_app, migrated_url
from vvs_core.web.timefmt import dates

sys.path.insert(0, str(Path(__file__).parents[2] / "core"))
from test_cli import run_vvs, write_ini  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
RAW = {
    "generated_at": "2026-12-06T10:00:00+00:00", "axe_version": "4.12.1", "tags": ["wcag2aa"], "browser": "Chromium 156",
    "viewports": [360, 412], "pages_shown": 9,
    "visits": [
        {"path": "/communaute/3/delimitation", "title": "Délimitation", "violations": []},
        {"path": "/communaute/12/delimitation?x=1", "title": "Délimitation", "violations": [
            {"id": "region", "impact": "moderate", "help": "Le contenu doit être dans une région", "nodes": []}]},
        {"path": "/connexion", "title": "Connexion", "violations": []},
    ],
    "keyboard": [{"test": "t::a", "doc": "Délimitation au clavier", "outcome": "passed"},
                 {"test": "t::b", "doc": "Zone « Église » au clavier ✅", "outcome": "failed"}],
}


def test_page_patterns_group_the_same_kind_of_page():
    assert page_pattern("/communaute/12/delimitation?x=1") == "/communaute/{id}/delimitation"
    assert page_pattern("/alertes/3.cap.xml") == "/alertes/{id}.cap.xml"
    assert page_pattern("/") == "/"


def test_summary_counts_what_was_measured():
    data = summarise(RAW)
    assert [p["path"] for p in data["pages"]] == ["/communaute/{id}/delimitation", "/connexion"]
    assert data["pages"][0]["visits"] == 2 and data["pages"][0]["moderate"] == 1
    assert data["blocking"] == 0 and data["totals"]["moderate"] == 1 and data["views"] == 9
    assert data["non_conformities"][0]["rule"] == "region"
    assert data["keyboard_passed"] == 1 and len(data["keyboard"]) == 2


def test_cli_writes_the_page_data(tmp_path):
    raw = tmp_path / "axe-results.json"
    raw.write_text(json.dumps(RAW), "utf-8")
    out = tmp_path / "accessibility.json"
    assert main(["accessibility", str(ROOT / "development.ini"), "--results", str(raw), "--out", str(out)]) == 0
    written = json.loads(out.read_text("utf-8"))
    assert written["pages"][1]["path"] == "/connexion" and written["keyboard"][1]["doc"] == "Zone « Église » au clavier ✅"
    with pytest.raises(FileNotFoundError):
        write_statement_data(tmp_path / "absent.json", out)


def test_the_command_reads_the_results_next_to_the_ini_and_says_what_is_missing(tmp_path):
    ini = write_ini(tmp_path, vvs__plugins="vvs_dev_providers vvs_accessibility")
    result = run_vvs("accessibility", str(ini), "--out", str(tmp_path / "out.json"), cwd=tmp_path)
    assert result.returncode == 2 and "var/accessibility/axe-results.json: no results; run the browser tests" in result.stderr
    (tmp_path / "var" / "accessibility").mkdir(parents=True)
    (tmp_path / "var" / "accessibility" / "axe-results.json").write_text(json.dumps(RAW), "utf-8")
    result = run_vvs("accessibility", str(ini), "--out", str(tmp_path / "out.json"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 pages, 3 checks, 0 serious or critical violations, 1/2 keyboard journeys passed" in result.stdout


def test_without_the_plugin_there_is_no_accessibility_command(tmp_path):
    result = run_vvs("accessibility", str(write_ini(tmp_path)), cwd=tmp_path)
    assert result.returncode == 2 and "invalid choice: 'accessibility'" in result.stderr


def test_the_statement_page_shows_the_measures_and_is_honest(testapp, app_registry, monkeypatch):
    monkeypatch.setitem(app_registry, "vvs.accessibility_data", summarise(RAW))
    page = testapp.get("/accessibilite")
    text = re.sub(r"\s+", " ", page.text)
    assert "est <strong>non conforme</strong>" in text and "aucun audit de conformité RGAA complet" in text
    assert "6 décembre 2026" in text and "axe-core 4.12.1" in text
    assert "Violations graves ou critiques : <strong>0</strong>" in text
    assert "/communaute/{id}/delimitation" in text and "Délimitation au clavier — <strong>réussi</strong>" in text
    assert "Zone « Église » au clavier ✅ — <strong>échec</strong>" in text
    assert "Défenseur des droits" in text and "mailto:" in text
    assert "Accessibilité : non conforme" in text  # the footer mention
    assert dates.full_date(date(2026, 3, 1)) == "1er mars 2026"


def test_vvs_footer_links(testapp, make_user):
    """Every page's footer names the conformance and links to the statement, signed in or not."""
    link = '· <a href="/accessibilite">Accessibilité : non conforme</a>'
    assert link in testapp.get("/connexion").text
    testapp.login(make_user())
    assert link in testapp.get("/parametres").text


def test_the_shipped_statement_data_records_no_serious_violation():
    data = load_statement_data()
    assert data is not None, "run the browser tests then `vvs accessibility` to publish the measures"
    assert data["blocking"] == 0 and len(data["pages"]) >= 30
    assert data["keyboard"] and data["keyboard_passed"] == len(data["keyboard"])


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory):
    return migrated_url("sqlite", tmp_path_factory.mktemp("db"))


def test_the_conformance_setting_changes_the_footer_and_refuses_other_words(sqlite_url):
    app = build_app(sqlite_url, **{"vvs.plugins": "vvs_dev_providers vvs_accessibility",
                                   "vvs.accessibility.conformity": "partiellement"})
    page = webtest.TestApp(app).get("/connexion").text
    assert '<a href="/accessibilite">Accessibilité : partiellement conforme</a>' in page
    with pytest.raises(ConfigurationError, match="vvs.accessibility.conformity"):
        build_app(sqlite_url, **{"vvs.plugins": "vvs_dev_providers vvs_accessibility", "vvs.accessibility.conformity": "oui"})


def test_disabled_the_plugin_leaves_no_route_nor_footer_link(sqlite_url):
    app = build_app(sqlite_url, **{"vvs.plugins": "vvs_dev_providers"})
    assert "accessibility" not in {r["introspectable"]["name"] for r in app.registry.introspector.get_category("routes")}
    client = webtest.TestApp(app)
    client.get("/accessibilite", status=404)
    page = client.get("/connexion").text
    assert "/accessibilite" not in page and "Accessibilité" not in page
    assert "Charte de bonne conduite" in page
