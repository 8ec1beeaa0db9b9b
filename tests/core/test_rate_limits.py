"""Rate limits (issues 12.5 and 14.3): only failures count against a password or a code,
a right answer clears the account's count, and every 429 is the one French answer of
``TooManyRequests``, always with ``Retry-After``."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from vvs_core.testing import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def attempt(testapp, email, password, status, address="127.0.0.1"):
    page = testapp.get("/connexion", extra_environ={"REMOTE_ADDR": address})
    form = page.forms["deform"]
    form["email"], form["password"] = email, password
    return form.submit("submit", status=status, extra_environ={"REMOTE_ADDR": address})


def test_a_right_password_clears_the_failures_of_the_account(testapp, make_user):
    """Nine typos, then the right password, then nine typos again: never a 429 (each
    attempt from its own address, so that only the account's count is at stake)."""
    user = make_user(email="elodie.lefevre@example.test")
    for i in range(9):
        attempt(testapp, user.email, "mauvais mot de passe é", 400, address=f"198.51.100.{i}")
    attempt(testapp, user.email, DEMO_PASSWORD, 303, address="198.51.100.50")
    testapp.reset()
    for i in range(9):
        res = attempt(testapp, user.email, "encore une faute de frappe ç", 400, address=f"198.51.100.{60 + i}")
        assert "Adresse e-mail ou mot de passe incorrect." in res.text
    attempt(testapp, user.email, DEMO_PASSWORD, 303, address="198.51.100.99")


def test_successful_logins_are_not_counted(testapp, make_user):
    """Twelve right logins in a row (a family sharing a tablet): never refused."""
    user = make_user()
    for _ in range(12):
        attempt(testapp, user.email, DEMO_PASSWORD, 303)
        testapp.reset()


def test_ten_failures_block_even_the_right_password_with_retry_after(testapp, make_user):
    user = make_user()
    for _ in range(10):
        attempt(testapp, user.email, "« mauvais » mot de passe 🙃", 400)
    res = attempt(testapp, user.email, DEMO_PASSWORD, 429)
    assert 1 <= int(res.headers["Retry-After"]) <= 300
    assert "Trop de tentatives" in res.text
    assert '<html lang="fr"' in res.text


def test_a_shared_address_is_not_locked_by_a_few_typos(testapp, make_user):
    """A family's box, the mairie's public computer, a mobile operator's shared address:
    ten failures on made-up e-mails from one address (the account limit) do not refuse
    someone else's right password from it."""
    germaine = make_user(email="germaine.leroy@example.test")
    for i in range(10):
        attempt(testapp, f"personne{i}@exemple.fr", "mauvais mot de passe é", 400, address="192.0.2.7")
    attempt(testapp, germaine.email, DEMO_PASSWORD, 303, address="192.0.2.7")


def test_failures_from_one_address_across_accounts_are_limited(testapp, make_user):
    """Password spraying: one wrong guess on each of fifty accounts from one address
    (``vvs.ratelimit.login_address``), then even a right password waits there."""
    users = [make_user() for _ in range(5)]
    for n in range(50):
        attempt(testapp, users[n % 4].email if n < 4 else f"voisin{n}@exemple.fr", "printemps2026!", 400,
                address="203.0.113.9")
    res = attempt(testapp, users[4].email, DEMO_PASSWORD, 429, address="203.0.113.9")
    assert res.headers["Retry-After"]
    attempt(testapp, users[4].email, DEMO_PASSWORD, 303, address="203.0.113.10")


INLINE_429 = re.compile(r"status\s*=\s*429|,\s*429\)|ApiError\(\s*429|HTTPTooManyRequests\(|\"Retry-After\"\]\s*=")


def test_no_view_builds_its_own_429():
    """One way to refuse: raise ``TooManyRequests`` (or ``limiter.check``)."""
    allowed = {ROOT / "vvs_core" / "web" / "ratelimit.py", ROOT / "vvs_core" / "web" / "errorpages.py"}
    offenders = []
    for path in [*ROOT.joinpath("vvs_core").rglob("*.py"), *ROOT.joinpath("plugins").rglob("*.py")]:
        # providers (the BAN geocoder too) read the 429s of outside APIs: they build none
        if path in allowed or "provider" in path.name or path.name == "geocoder.py":
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if INLINE_429.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("message", ["Trop d'envois : réessayez dans une heure.", None])
def test_too_many_requests_page_is_french_with_retry_after(testapp, app_registry, message):
    from pyramid.request import Request

    from vvs_core.web.errorpages import too_many_requests_view
    from vvs_core.web.ratelimit import TooManyRequests

    request = Request.blank("/connexion")
    request.registry = app_registry
    exc = TooManyRequests(12.2, message) if message else TooManyRequests(3600)
    response = too_many_requests_view(exc, request)
    assert response.status_int == 429
    assert response.headers["Retry-After"] == ("13" if message else "3600")
    assert (message or "Trop de tentatives") in response.text
