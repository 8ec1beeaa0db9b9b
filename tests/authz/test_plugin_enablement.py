"""The fixture plugin tests/fixtures/vvs_hello (its own distribution, found through its
entry point): enabled, it adds the route hello_plugin (/hello-plugin, public) and a
menu item; not enabled, it leaves no route and no menu entry behind."""
import pytest

from vvs_core.testing import build_app, migrated_url


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory):
    return migrated_url("sqlite", tmp_path_factory.mktemp("db"))


def routes(app):
    return {r["introspectable"]["name"] for r in app.registry.introspector.get_category("routes")}


def test_enabled_plugin_adds_its_route_and_menu_item(sqlite_url):
    import webtest

    app = build_app(sqlite_url, **{"vvs.plugins": "vvs_hello"})
    assert "hello_plugin" in routes(app)
    page = webtest.TestApp(app).get("/hello-plugin")  # public: anyone may see it
    assert page.status_int == 200
    assert ">Bonjour<" in page.text.replace("\n", "")


def test_disabled_plugin_leaves_nothing(sqlite_url):
    import webtest

    app = build_app(sqlite_url, **{"vvs.plugins": "vvs_alerts"})
    assert "hello_plugin" not in routes(app)
    assert "vvs_hello" not in {name for name, _ in app.registry.vvs_plugins.list_name_plugin()}
    page = webtest.TestApp(app).get("/connexion")
    assert "Bonjour" not in page.text
    webtest.TestApp(app).get("/hello-plugin", status=404)
