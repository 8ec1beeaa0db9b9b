"""The one rule for a typed e-mail address (vvs_core.web.forms.email_problem), as users type
them: « helene@orange » (no end: the confirmation would never arrive) is refused with what
is missing; accents and spaces get a hint; uppercase, plus-addressing, sub-domains,
hyphens and punycode domains pass. An account whose address predates the rule still logs in."""
import pytest
from sqlalchemy import func, select

from vvs_core.models import Notification, User
from vvs_core.testing import DEMO_PASSWORD
from vvs_core.web.forms import email_problem

INCOMPLETE = "Adresse e-mail incomplète : il manque la fin, par exemple « @orange.fr »."
HINT = "Une adresse e-mail ne contient ni accent ni espace."


@pytest.fixture(autouse=True)
def fresh_rate_limits(app_registry):
    app_registry["vvs.ratelimit_store"] = None


@pytest.mark.parametrize("typed", [
    "helene@orange.fr", "Helene.Dupre@Orange.FR", "helene+alertes@orange.fr", "h.dupre@mail.serris.fr",
    "jean-marc@la-poste-mutuelle.fr", "o'brien@exemple.ie", "helene@xn--caf-dma.fr", "abc@xn--p1ai.xn--p1ai",
    "a@b.co", "x" * 64 + "@orange.fr",
])
def test_addresses_mail_reaches_pass(typed):
    assert email_problem(typed) is None


@pytest.mark.parametrize("typed, message", [
    ("helene@orange", INCOMPLETE),
    ("helene@orange.", INCOMPLETE),
    ("HELENE@WANADOO", INCOMPLETE),
    ("Hélène.Dupré@orange.fr", "Adresse e-mail invalide. " + HINT),
    ("helene dupre@orange.fr", "Adresse e-mail invalide. " + HINT),
    ("helene@orange .fr", "Adresse e-mail invalide. " + HINT),
    ("helene@orange\u00a0.fr", "Adresse e-mail invalide. " + HINT),  # a no-break space pasted from a document
    ("hélène@orange", "Adresse e-mail invalide. " + HINT),
    ("helene@café.fr", "Adresse e-mail invalide. " + HINT),
    ("pas-une-adresse", "Adresse e-mail invalide."),
    ("helene@", "Adresse e-mail invalide."),
    ("@orange.fr", "Adresse e-mail invalide."),
    ("helene@@orange.fr", "Adresse e-mail invalide."),
    ("helene@orange.fr.", "Adresse e-mail invalide."),
    ("helene@-orange.fr", "Adresse e-mail invalide."),
    ("helene＠orange.fr", "Adresse e-mail invalide."),
    ("🌻@orange.fr", "Adresse e-mail invalide."),
    ("<script>alert(1)</script>@orange.fr", "Adresse e-mail invalide."),
    ("x" * 65 + "@orange.fr", "Adresse e-mail invalide."),
    ("x@" + ".".join(["a" * 60] * 5) + ".fr", "Adresse e-mail invalide."),  # over 254
    ("helene@orange.fr\n", "Adresse e-mail invalide. " + HINT),
])
def test_addresses_mail_cannot_reach_are_told_why(typed, message):
    assert email_problem(typed) == message


def test_an_existing_account_address_is_only_checked_for_its_shape():
    assert email_problem("admin@localhost", existing=True) is None
    assert email_problem("Hélène@localhost", existing=True) == "Adresse e-mail invalide. " + HINT


def start_signup(testapp, email):
    form = testapp.get("/inscription").forms["signup-address"]
    form["address"], form["email"] = "3 rue de l’Église", email
    return form.submit("submit", status=400)


@pytest.mark.parametrize("typed, message", [("helene@orange", INCOMPLETE), ("Hélène.Dupré@orange.fr", HINT)])
def test_sign_up_refuses_an_address_mail_cannot_reach(testapp, commune, dbsession, typed, message):
    users = dbsession.scalar(select(func.count(User.id)))
    res = start_signup(testapp, typed)
    assert message in res.text
    assert testapp.get("/inscription/position", status=303).headers["Location"].endswith("/inscription")
    assert dbsession.scalar(select(func.count(User.id))) == users


def test_settings_refuse_an_address_mail_cannot_reach(testapp, make_user, dbsession):
    user = make_user(email="ancienne@example.test")
    testapp.login(user)
    form = testapp.get("/parametres/adresse-email").forms["email"]
    form["email"], form["current"] = "helene@orange", DEMO_PASSWORD
    assert INCOMPLETE in form.submit("submit", status=400).text
    assert dbsession.scalar(select(func.count(Notification.id)).where(Notification.address == "helene@orange")) == 0
    form["email"] = "Helene+Alertes@Mail.Orange.fr"
    form.submit("submit", status=303)


def test_an_account_whose_address_predates_the_rule_still_logs_in_and_resets(testapp, make_user, dbsession):
    make_user(email="admin@localhost")  # `vvs user create` accepted it, and so did the sign-up before the rule
    form = testapp.get("/connexion").forms["deform"]
    form["email"], form["password"] = "admin@localhost", DEMO_PASSWORD
    assert form.submit("submit", status=303)
    testapp.reset()
    form = testapp.get("/mot-de-passe-oublie").forms["deform"]
    form["email"] = "admin@localhost"
    form.submit("submit", status=303)
    assert dbsession.scalar(select(func.count(Notification.id)).where(Notification.address == "admin@localhost")) == 1
