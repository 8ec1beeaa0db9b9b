"""A paginated list on a 360 px phone (issue 16.3): a community of 45 members (the
directory shows 40 a page). The pager fits the screen (no sideways scroll), its links are
reached and followed with the keyboard alone, the search is kept from page to page, and
the position is announced ("Page 2 sur 2", ``aria-current``)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from journey import community_with_members

pytestmark = pytest.mark.browser

MEMBERS = 45


@pytest.fixture
def crowded_community(e2e_db):
    """A commune and a community of its own (the demo's stay as they are), 45 members
    with accents, apostrophes and long names; returns (community id, first member's e-mail)."""
    people = [(f"erable{n:02d}@pagination.test", f"Zoé-Marie{n:02d}", f"Lefèvre-d’Aubigné-de-la-Tour-{n:02d}",
               f"{n} allée des Érables") for n in range(MEMBERS)]
    return community_with_members(e2e_db, "99044", "Sainte-Zélie-d’Abondance",
                                  "Les Érables « Nord » — quartier de l’Église", (4.10, 45.10), people), people[0][0]


def no_sideways_scroll(page):
    scroll, width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= width, f"{scroll} px wide in {width} px"


def tab_to(page, name: str, limit: int = 200):
    """Press Tab until the focused element is the link named ``name`` (as a keyboard user)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.textContent.trim()") == name:
            return
    raise AssertionError(f"« {name} » is not reachable with the Tab key")


def test_a_paginated_directory_on_a_phone_with_the_keyboard(phone, login, shot, crowded_community):
    community_id, email = crowded_community
    login(phone, email)
    phone.goto(f"/communaute/{community_id}/annuaire?q=erables")
    pager = phone.get_by_role("navigation", name="Pagination")
    expect(pager).to_be_visible()
    expect(pager.locator("[aria-current=page]")).to_have_text("Page 1 sur 2")
    expect(phone.get_by_text("45 résultats pour « erables »")).to_be_visible()
    no_sideways_scroll(phone)
    shot(phone, "pagination-360-page-1")

    tab_to(phone, "Page suivante")
    phone.keyboard.press("Enter")
    phone.wait_for_url("**page=2**")
    assert "q=erables" in phone.url  # the search is kept
    expect(pager.locator("[aria-current=page]")).to_have_text("Page 2 sur 2")
    expect(phone.get_by_role("link", name="Zoé-Marie44 Lefèvre-d’Aubigné-de-la-Tour-44")).to_be_visible()
    expect(pager.get_by_role("link", name="Page suivante")).to_have_count(0)
    no_sideways_scroll(phone)
    shot(phone, "pagination-360-page-2")

    tab_to(phone, "Page précédente")
    phone.keyboard.press("Enter")
    phone.wait_for_url(lambda url: "page=2" not in url)
    expect(pager.locator("[aria-current=page]")).to_have_text("Page 1 sur 2")
