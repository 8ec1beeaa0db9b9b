"""The read-only page of plugins and providers (issue 13.1): what is enabled, which
provider of each kind, its health when the provider offers a check."""
import pytest



@pytest.fixture
def admin(make_user):
    return make_user(is_admin=True)


def test_plugins_and_providers_in_french(testapp, admin):
    testapp.login(admin)
    page = testapp.get("/admin/extensions")
    text = page.text
    assert "Extensions et fournisseurs" in text
    for label in ("SMS", "E-mail", "Géocodage des adresses", "Base de données", "en service"):
        assert label in text, label
    assert "<code>vvs_alerts</code>" in text and "<code>vvs_kyc</code>" in text
    # development.ini's providers say that they send nothing (not « En service »)
    assert "Développement : les SMS s&#39;écrivent dans le journal du serveur, aucun ne part." in text.replace("'", "&#39;")
    assert "Développement : les e-mails s&#39;écrivent dans un dossier du serveur" in text.replace("'", "&#39;")
    assert "Non renseigné" not in text and "En service" not in text
    assert "Cache-Control" in page.headers and "no-store" in page.headers["Cache-Control"]


class Healthy:
    def send_batch(self, messages):
        return []

    def health(self):
        return None


class Broken(Healthy):
    def health(self):
        return "Le compte OVH n'a plus de crédit SMS."


class Crashing(Healthy):
    def health(self):
        raise TimeoutError("no answer")


@pytest.mark.parametrize("service, state, text", [
    (Healthy(), "ok", "En service"),
    (Broken(), "problem", "Le compte OVH n'a plus de crédit SMS."),
    (Crashing(), "problem", "La vérification a échoué (TimeoutError)."),
    (object(), "unknown", "Non renseigné : ce fournisseur (configuré) ne propose pas de vérification."),
    (type("NotCallable", (), {"health": "oui"})(), "unknown",
     "Non renseigné : ce fournisseur (configuré) ne propose pas de vérification."),
])
def test_provider_health_when_offered(service, state, text):
    from vvs_admin.plugins_views import provider_health

    assert provider_health(service) == (state, text)


def test_a_broken_provider_is_shown(testapp, admin, app_registry, monkeypatch):
    from vvs_admin import plugins_views as admin_plugins

    monkeypatch.setattr(admin_plugins, "provider_health", lambda service: ("problem", "Le serveur SMTP ne répond pas."))
    testapp.login(admin)
    assert "Le serveur SMTP ne répond pas." in testapp.get("/admin/extensions").text


def test_a_development_folder_that_cannot_be_written_is_a_problem(testapp, admin, app_registry, monkeypatch):
    from vvs_core.providers import provider_on

    folder = provider_on(app_registry, "email")
    assert folder.name == "folder"
    monkeypatch.setattr(type(folder), "health", lambda self: "Le dossier des e-mails /proc/x n'est pas accessible en écriture.")
    testapp.login(admin)
    text = testapp.get("/admin/extensions").text.replace("&#39;", "'")
    assert "Le dossier des e-mails /proc/x n'est pas accessible en écriture." in text
    assert "Développement : les e-mails" not in text
