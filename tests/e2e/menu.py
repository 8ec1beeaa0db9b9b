"""The header menu as a person on a phone uses it: behind the "Menu" button."""
from playwright.sync_api import TimeoutError as PlaywrightTimeout


def open_menu(page):
    """Open the collapsed menu if it is collapsed; return the menu (a locator).

    Tried again when a page that was still loading replaced the one whose button was
    pressed (its menu is collapsed again)."""
    nav = page.locator("#menu-principal")
    toggle = page.locator("#menu-toggle")
    for _ in range(4):
        page.wait_for_load_state()
        if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
        try:
            nav.wait_for(state="visible", timeout=2000)
            return nav
        except PlaywrightTimeout:
            continue
    return nav


def logout(page):
    """« Se déconnecter », from the menu; back on the sign-in page."""
    open_menu(page).get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion")
