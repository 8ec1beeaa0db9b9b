"""A phone, 360 px wide: no page reachable from the menu (nor the pages right below
them) scrolls sideways, for every demo account and for an anonymous visitor; the header
menu collapses behind an accessible "Menu" button, and without JavaScript it is simply
listed."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from mairie_login import demo_agent, enrol_and_sign_in  # noqa: F401 (demo_agent: a fixture)
from conftest import PHONE
from menu import open_menu

pytestmark = pytest.mark.browser

ACCOUNTS = ["resident@serris.demo", "referent@serris.demo", "referent2@serris.demo", "en-attente@serris.demo",
            "agent@serris.demo", "moderateur@serris.demo", "admin@serris.demo"]
ANONYMOUS_PAGES = ["/connexion", "/inscription", "/mot-de-passe-oublie", "/charte", "/accessibilite"]
# Links not followed: they leave the page (downloads, feeds, logout) or change something.
SKIPPED = re.compile(r"deconnexion|\.(pdf|csv|zip|ics|xml|json|atom)$|/flux|_LOCALE_|^/static|mailto:|/photo/")
PER_ROLE = 20


def pattern(path: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/{id}", path)


def overflow(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def widest(page) -> str:
    """The element that sticks out furthest on the right, to say what to fix."""
    return page.evaluate("""() => {
        let worst = null, right = window.innerWidth;
        for (const el of document.body.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            if (r.right > right + 0.5) { right = r.right; worst = el; }
        }
        return worst ? worst.outerHTML.slice(0, 200) + ' (right edge ' + Math.round(right) + ' px)' : '';
    }""")


def visit(page, path, who, problems) -> bool:
    response = page.goto(path)
    if response is None or response.status >= 500:
        problems.append(f"{who} {path}: answered {response and response.status}")
        return False
    scroll, width = overflow(page)
    if scroll > width:
        problems.append(f"{who} {path}: {scroll} px wide in {width} px — {widest(page)}")
    return True


def crawl(page, base: str, who: str, problems: list) -> list[str]:
    """Every page of the menu, then the pages they link to (one level down), each
    visited once and measured; returns the paths visited."""
    found, seen = [], set()

    def add(href):
        if not href:
            return
        parts = urlsplit(href)
        if parts.netloc and not href.startswith(base):
            return
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not path.startswith("/") or SKIPPED.search(path) or pattern(parts.path) in seen:
            return
        seen.add(pattern(parts.path))
        found.append(path)

    for a in open_menu(page).locator("a").all():
        add(a.get_attribute("href"))
    menu_pages = len(found)
    visited = []
    for index, path in enumerate(found):
        if len(visited) >= PER_ROLE:
            break
        if visit(page, path, who, problems):
            visited.append(path)
            if index < menu_pages:
                for a in page.locator("main a[href]").all():
                    add(a.get_attribute("href"))
    return visited


@pytest.mark.parametrize("who", ["anonyme"] + ACCOUNTS)
def test_no_page_scrolls_sideways_at_360_px(phone, login, shot, live_server, e2e_db, who, request):
    problems = []
    if who == "anonyme":
        paths = [p for p in ANONYMOUS_PAGES if visit(phone, p, who, problems)]
    else:
        if who == "agent@serris.demo":
            request.getfixturevalue("demo_agent")
            enrol_and_sign_in(phone, login, shot, who, e2e_db)
        else:
            login(phone, who)
        paths = crawl(phone, live_server, who, problems)
    assert len(paths) >= (3 if who in ("anonyme", "en-attente@serris.demo") else 5), paths
    shot(phone, f"phone-360-{who.split('@')[0]}")
    assert problems == [], "\n".join(problems)


@pytest.mark.keyboard
def test_the_phone_menu_opens_and_closes_with_the_keyboard(phone, login):
    """Menu de l'en-tête sur un téléphone : « Menu » ouvert avec Entrée, refermé avec Échap (clavier seul)."""
    login(phone, "resident@serris.demo")
    toggle = phone.get_by_role("button", name="Menu")
    nav = phone.get_by_role("navigation", name="Menu principal")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    phone.keyboard.press("Tab")  # skip link
    for _ in range(4):
        phone.keyboard.press("Tab")
        if phone.evaluate("document.activeElement.id") == "menu-toggle":
            break
    assert phone.evaluate("document.activeElement.id") == "menu-toggle"
    phone.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Alertes", exact=True)).to_be_visible()
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.closest('#menu-principal') !== null")
    phone.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    assert phone.evaluate("document.activeElement.id") == "menu-toggle"


def test_without_javascript_the_menu_is_listed(browser, live_server, login):
    context = browser.new_context(locale="fr-FR", viewport=PHONE, base_url=live_server, java_script_enabled=False)
    pg = context.new_page()
    try:
        login(pg, "resident@serris.demo")
        expect(pg.get_by_role("button", name="Menu")).to_be_hidden()
        expect(pg.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Alertes", exact=True)).to_be_visible()
        scroll, width = overflow(pg)
        assert scroll <= width
    finally:
        context.close()
