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

    app = build_app(sqlite_url, **{"vvs.plugins": "vvs_dev_providers vvs_hello"})
    assert "hello_plugin" in routes(app)
    page = webtest.TestApp(app).get("/hello-plugin")  # public: anyone may see it
    assert page.status_int == 200
    assert ">Bonjour<" in page.text.replace("\n", "")


def test_disabled_plugin_leaves_nothing(sqlite_url):
    import webtest

    app = build_app(sqlite_url, **{"vvs.plugins": "vvs_dev_providers vvs_alerts"})
    assert "hello_plugin" not in routes(app)
    assert "vvs_hello" not in {name for name, _ in app.registry.vvs_plugins.list_name_plugin()}
    page = webtest.TestApp(app).get("/connexion")
    assert "Bonjour" not in page.text
    webtest.TestApp(app).get("/hello-plugin", status=404)


# --- What a plugin declares at start-up (vvs_hello declares one of each) -----------------


def test_vvs_register_notification_kinds(sqlite_url, testapp, make_user):
    from vvs_core.notify.kinds import kinds_of

    with_hello = build_app(sqlite_url, **{"vvs.plugins": "vvs_dev_providers vvs_hello"})
    kind = kinds_of(with_hello.registry).get("hello_news")
    assert kind.label == "Nouvelles de Bonjour" and kind.quiet and not kind.always_reach
    assert "hello_news" not in kinds_of(build_app(sqlite_url, **{"vvs.plugins": "vvs_dev_providers vvs_alerts"}).registry)
    # The settings page offers the declared kinds, and only them.
    user = make_user()
    testapp.login(user)
    page = testapp.get("/parametres/notifications")
    assert "Nouvelles de Bonjour" in page.text
    assert "nouvelles de Bonjour" in page.text.split("Heures calmes : début")[1]  # it waits for quiet hours


def test_two_plugins_declaring_one_notification_kind_stop_start_up():
    import pluggy

    from vvs_core import hookspecs
    from vvs_core.errors import ConfigurationError
    from vvs_core.hooktypes import NotificationKind
    from vvs_core.notify.kinds import collect_notification_kinds
    from vvs_core.plugins import hookimpl

    class Declares:
        @hookimpl
        def vvs_register_notification_kinds(self):
            return [NotificationKind("news", "Nouvelles")]

    pm = pluggy.PluginManager("vvs")
    pm.add_hookspecs(hookspecs)
    pm.register(Declares(), name="one")
    pm.register(Declares(), name="two")
    with pytest.raises(ConfigurationError, match="two plugins declare the notification kind 'news'"):
        collect_notification_kinds(pm)


def test_vvs_register_event_kinds(app_registry, app_request, make_community, dbsession):
    from vvs_core.communities.events import event_label, record_event
    from vvs_core.communities.views import describe_event

    community = make_community()
    event = record_event(dbsession, "hello_waved", community=community, data={"times": 3})
    dbsession.flush()
    assert event.public is True  # as declared
    assert event_label(app_registry, "hello_waved") == "Bonjour d'un voisin"
    assert describe_event(app_registry, event) == "Bonjour d'un voisin (3 fois)"
    with pytest.raises(ValueError, match="'hello_wavedd' is not declared"):
        record_event(dbsession, "hello_wavedd", community=community)


def test_an_event_of_a_disabled_plugin_reads_as_a_plain_entry(sqlite_url):
    from vvs_core.communities.events import event_label

    app = build_app(sqlite_url, **{"vvs.plugins": "vvs_dev_providers vvs_alerts"})
    assert event_label(app.registry, "hello_waved") == "Événement"
    assert event_label(app.registry, "alert_reported") == "Alerte signalée"


def test_vvs_register_principals(app_registry, app_request, make_user, caplog):
    from vvs_core.plugins import hookimpl
    from vvs_core.accounts.security import user_principals

    class Misspelt:
        @hookimpl
        def vvs_principals(self, request, user):
            return ["helo:friend"]

    user = make_user()
    app_registry.vvs_plugins.register(Misspelt(), name="test-misspelt")
    try:
        principals = user_principals(app_request, user)
    finally:
        app_registry.vvs_plugins.unregister(name="test-misspelt")
    assert "hello:friend" in principals  # declared by vvs_hello
    assert "helo:friend" not in principals  # declared by nobody: never granted
    assert "'helo:friend' was returned by vvs_principals but no plugin declares it" in caplog.text


def test_vvs_addhooks():
    """A plugin declares a hook for other plugins; an implementation stays harmless
    when the declaring plugin is disabled."""
    import types

    from vvs_core import hookspec
    from vvs_core.plugins import build_plugin_manager, hookimpl

    specs = types.ModuleType("caller_specs")

    @hookspec
    def vvs_caller_greetings(request) -> list[str]:
        """Greetings."""

    specs.vvs_caller_greetings = vvs_caller_greetings
    caller = types.ModuleType("caller")
    caller.vvs_addhooks = hookimpl(lambda pluginmanager: pluginmanager.add_hookspecs(specs))
    caller.vvs_addhooks.__name__ = "vvs_addhooks"
    answerer = types.ModuleType("answerer")

    def vvs_caller_greetings(request):  # noqa: F811
        return ["Bonjour"]

    answerer.vvs_caller_greetings = hookimpl(optionalhook=True)(vvs_caller_greetings)

    class EntryPoint:
        def __init__(self, module):
            self.module = module

        def load(self):
            return self.module

    installed = {"caller": EntryPoint(caller), "answerer": EntryPoint(answerer)}
    both = build_plugin_manager(["answerer", "caller"], installed)
    assert both.hook.vvs_caller_greetings(request=None) == [["Bonjour"]]
    alone = build_plugin_manager(["answerer"], installed)  # the caller is disabled: start-up still passes
    assert not hasattr(alone.hook, "vvs_caller_greetings") or alone.hook.vvs_caller_greetings.spec is None
