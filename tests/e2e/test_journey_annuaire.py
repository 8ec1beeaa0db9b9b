"""L'ANNUAIRE, as the seeds tell it: « retrouver tous les membres de votre communauté et
leurs coordonnées (si elles ne sont pas masquées) ».

On a 360 px phone, Julien looks for Monique the way a phone keyboard types, without
accents (« lefevre »), opens her card and can call her; the list exported for a
spreadsheet keeps the accents.
"""
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_julien_finds_monique_and_can_call_her(phone, login, shot):
    login(phone, "resident@serris.demo")
    phone.get_by_role("link", name="Annuaire des voisins").first.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Annuaire")
    expect(phone.get_by_role("link", name="Claire Dubois")).to_be_visible()  # the référente first
    phone.get_by_label("Rechercher par nom ou par rue").fill("lefevre")
    phone.get_by_role("button", name="Rechercher").click()
    expect(phone.get_by_text("1 résultat(s) pour « lefevre »").or_(phone.get_by_text("1 résultat pour « lefevre »"))).to_be_visible()
    shot(phone, "journey-annuaire-1-recherche")
    phone.get_by_role("link", name="Monique Lefèvre").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Monique Lefèvre")
    call = phone.get_by_role("link", name=re.compile(r"^0\d( \d\d){4}$"))
    expect(call).to_have_attribute("href", re.compile(r"^tel:0\d{9}$"))
    shot(phone, "journey-annuaire-2-fiche")

    phone.get_by_role("link", name="Annuaire", exact=True).click()
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Exporter l'annuaire (CSV)").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert "Lefèvre" in text and "Claire" in text
