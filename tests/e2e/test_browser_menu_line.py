"""On a computer (1280 px) the menu is one line: « Se déconnecter », a button in a form,
sits on the same line as the links beside it (walk-through: it stood 3 px higher, the
button's padding reset after the menu's)."""
import pytest

from phones import browsing

pytestmark = pytest.mark.browser


def test_the_logout_button_sits_on_the_menu_line(browser, live_server, login):
    with browsing(browser, live_server, viewport={"width": 1280, "height": 800}) as page:
        login(page, "moderateur@serris.demo")
        menu = page.locator("#menu-principal")
        link = menu.get_by_role("link", name="Mes paramètres").bounding_box()
        button = menu.get_by_role("button", name="Se déconnecter").bounding_box()
        assert abs(link["y"] - button["y"]) <= 1 and abs(link["height"] - button["height"]) <= 1, (link, button)
