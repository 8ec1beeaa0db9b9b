"""Browser, on a 360 px phone: the agent alerts the whole commune; the estimate counts the
call to Germaine (the demo's resident with only a landline); the call (the `folder`
provider's script) is answered and confirmed with « 1 » through the callback URL, as the
voice provider would; the alert's page and its proof of warning say so."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
import requests
from conftest import start_server, stop_server
from mail_wait import arrived
from mairie_login import demo_agent, enrol_and_sign_in, write_alert  # noqa: F401 (demo_agent: a fixture)
from phones import PHONE, browsing, reload_until
from vvs_core.testing import wait_for

pytestmark = pytest.mark.browser

TOKEN = "jeton-des-appels-du-test-navigateur-" + "e" * 16


@pytest.fixture
def voice_server(live_server):
    """A second server on the same database, with calls to landlines (the folder provider)."""
    folder = Path(tempfile.mkdtemp(prefix="vvs-e2e-appels-"))
    server = start_server(live_server.db_url, tempfile.mkdtemp(prefix="vvs-e2e-mail-"), env={
        "VVS_VOICE_PROVIDER": "folder", "VVS_VOICE_SCRIPT_FOLDER": str(folder),
        "VVS_VOICE_FOLDER_CALLBACK_TOKEN": TOKEN}, what="the voice server")
    server.calls = folder
    yield server
    stop_server(server)


def _call_script(folder: Path, title: str, timeout: float = 30) -> str:
    return arrived(lambda: [path.read_text(encoding="utf-8") for path in folder.glob("*.txt")],
                   lambda text: title in text, f"the call script for « {title} »", timeout)[0]


def test_a_landline_only_resident_is_called_and_confirms(browser, login, shot, demo_agent, e2e_db, voice_server):
    errors = []
    title = "Crue du Grand Morin : montez à l’étage"
    with browsing(browser, voice_server, errors, viewport=PHONE, timezone_id="Europe/Paris") as page:
        enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
        write_alert(page, "meteo", title,
                    "N’utilisez pas votre véhicule ; « restez chez vous ».")
        page.get_by_label("Toute la commune").check()
        with page.expect_navigation():  # the estimate's answer, not the form still there
            page.get_by_role("button", name="Estimer la portée").click()
        estimate = page.locator(".reach-estimate").inner_text()
        assert "1 appel sur un téléphone fixe" in estimate, estimate
        shot(page, "voice-estimate")
        page.get_by_role("button", name="Envoyer l'alerte").click()
        page.wait_for_url(re.compile(r"/mairie/77449/alertes/\d+$"))
        alert_path = re.search(r"/mairie/77449/alertes/\d+$", page.url).group(0)

        script = _call_script(voice_server.calls, title)
        assert "Message de la mairie de Serris." in script and "appuyez sur la touche 1" in script
        ref = re.search(r"référence ([0-9a-f]{32})", script).group(1)
        url = f"{voice_server}/fournisseurs/folder/{TOKEN}/appel"
        # The script is written when the call is placed, before the outbox has recorded
        # the call's reference: the person picks up once it is known (on a busy machine
        # the first answer came back « référence inconnue »).
        picks = []

        def picked_up() -> bool:
            picks.append(requests.post(url, data={"ref": ref, "etat": "decroche"}, timeout=10).text)
            assert picks[-1] in ("enregistré", "référence inconnue"), picks[-1]
            return picks[-1] == "enregistré"
        assert wait_for(picked_up, interval=0.3), picks[-3:]
        answer = requests.post(url, data={"ref": ref, "etat": "touche", "touches": "1"}, timeout=10)
        assert answer.text == "Merci, votre confirmation est enregistrée. Au revoir."

        reload_until(page, lambda: "1 confirmé par la touche 1" in page.locator(".reach-report").inner_text(),
                     "« 1 confirmé par la touche 1 » on the alert's page")
        shot(page, "voice-alert-confirmed")
        proof = page.request.get(f"{alert_path}/preuve.csv").body().decode("utf-8-sig")
        assert re.search(r";Germaine Leroy;appel;\+3319900\*\*\d\d;confirmé \(touche 1\);", proof), proof[-800:]
    assert not errors, errors
