"""The monthly report's PDF keeps what the titles say: their emoji drawn when the
machine has a font for them, else said in words, never a box, a « ? » nor a silent gap;
French typography (’ « » é œ) drawn as typed. The CSV keeps the emoji as typed."""
from __future__ import annotations

import io

from vvs_mairie.testing import agent_login, mairie  # noqa: F401

TITLES = ["Brocante 🎉 place de l’Église", "Incendie 🔥 rue « Émile-Zola »", "Camion 🚒 des pompiers, œil vert",
          "Crue ⚠️ de la Marne"]


def _pdf_text(body: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages).split())


def test_the_report_pdf_says_every_emoji_of_the_titles(testapp, mairie, agent_login, clock, tmp_path):
    from vvs_core.testing import run_tasks

    clock.set_local(2026, 12, 7, 10, 0)
    agent_login(testapp, mairie)
    for title in TITLES:
        testapp.post_csrf("/mairie/77449/alertes/nouvelle", {"category": "autre", "title": title, "body": "",
                                                             "target": "commune", "confirm": "1"}, status=303)
    run_tasks()
    csv = testapp.get("/mairie/77449/rapport/2026-12.csv").body.decode("utf-8-sig")
    assert all(title in csv for title in TITLES)
    body = testapp.get("/mairie/77449/rapport/2026-12.pdf").body
    (tmp_path / "rapport.pdf").write_bytes(body)
    text = _pdf_text(body)
    # No emoji font on this machine (fc-list): DejaVu draws ⚠, the others are said in words, even 🔥
    # beside « Incendie » and 🚒 beside « pompiers »; an emoji without a word is « (émoji) », never a gap.
    for said in ("Brocante (émoji) place de l’Église", "Incendie (feu) rue « Émile-Zola »",
                 "Camion (pompiers) des pompiers, œil vert", "Crue ⚠", "de la Marne"):
        assert said in text, (said, text)
