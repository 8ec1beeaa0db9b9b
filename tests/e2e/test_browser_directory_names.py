"""The directory of a community whose neighbours bring their own names (issue 16): « Élodie
Œdipe », « Jean d’Artagnan », « Zoé », an emoji, on a 360 px phone with the keyboard alone.
The members come in the French order of their names (accents, ligatures and apostrophes
folded), the search finds them as a phone keyboard types them, and the pager follows."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from journey import community_with_members

pytestmark = pytest.mark.browser

NAMES = [("Zoé", "Zola"), ("Élodie", "Œdipe"), ("Jean", "d’Artagnan"), ("Émile", "Ébène"), ("🦊 Roxane", "Renard"),
         ("Anne", "OEUVRAY")] + [(f"Voisin{n:02d}", f"Martin-{n:02d}") for n in range(38)]


@pytest.fixture
def named_community(e2e_db):
    """A commune and a community of its own, a référente and 44 members named above."""
    people = [(f"nom{n:02d}@noms.test", first, last, f"{n} rue de l’Église")
              for n, (first, last) in enumerate([("Agnès", "Zyx")] + NAMES)]
    return community_with_members(e2e_db, "99045", "Saint-Œdipe-d’Argent", "Quartier de l’Œuvre « Sud »",
                                  (4.20, 45.20), people), people[0][0]


def test_names_in_french_order_searched_and_paged_with_the_keyboard(phone, login, shot, named_community):
    community_id, referent = named_community
    login(phone, referent)
    phone.goto(f"/communaute/{community_id}/annuaire")
    names = phone.locator("main li a[href*='/membres/']").all_inner_texts()
    assert [n.strip() for n in names[:6]] == ["Agnès Zyx", "Jean d’Artagnan", "Émile Ébène", "Voisin00 Martin-00",
                                              "Voisin01 Martin-01", "Voisin02 Martin-02"], names[:6]
    scroll, width = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= width
    shot(phone, "directory-names-1")
    search = phone.get_by_label("Rechercher par nom ou par rue")
    for _ in range(60):  # the keyboard alone to the search field
        phone.keyboard.press("Tab")
        if phone.evaluate("document.activeElement === document.querySelector('input[name=q]')"):
            break
    else:
        raise AssertionError("the search field is not reachable with the Tab key")
    for typed, found in (("oedipe", "Élodie Œdipe"), ("d'artagnan", "Jean d’Artagnan"), ("zoe", "Zoé Zola"),
                         ("🦊", "🦊 Roxane Renard"), ("ŒUVRAY", "Anne OEUVRAY")):
        search.fill(typed)
        phone.keyboard.press("Enter")
        expect(phone.get_by_role("link", name=found)).to_be_visible()
    shot(phone, "directory-names-2")
    search.fill("")
    phone.keyboard.press("Enter")
    page2 = phone.get_by_role("link", name="Suivante")
    page2.focus()
    phone.keyboard.press("Enter")
    expect(phone.get_by_text("Page 2 sur 2")).to_be_visible()
    last = [n.strip() for n in phone.locator("main li a[href*='/membres/']").all_inner_texts()]
    assert last[-2:] == ["🦊 Roxane Renard", "Zoé Zola"], last
    shot(phone, "directory-names-3")
