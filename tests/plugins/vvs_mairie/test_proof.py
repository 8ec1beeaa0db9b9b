"""Proof of warning: per household, channel, time and status, as a CSV whose chained
fingerprints and commune signature the verification page checks, and a PDF."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from vvs_core.models.notification import Notification
from vvs_mairie.models import MairieAlert
from vvs_mairie.testing import agent_login, mairie  # noqa: F401


def _alert_with_delivery(testapp, dbsession, mairie):
    form = {"category": "meteo", "title": "Crue de la Marne : évacuez les caves 🌊",
            "body": "Rendez-vous « salle Jean-Moulin ».", "target": "commune", "confirm": "1"}
    page = testapp.post_csrf("/mairie/77449/alertes/nouvelle", form, status=303).location
    alert = dbsession.scalars(select(MairieAlert)).one()
    for n, row in enumerate(dbsession.scalars(select(Notification).where(Notification.subject_id == alert.id)
                                              .order_by(Notification.id))):
        dbsession.execute(update(Notification).where(Notification.id == row.id).values(
            status="failed" if n == 0 else "delivered", sent_at=alert.created_at + timedelta(seconds=5),
            delivered_at=None if n == 0 else alert.created_at + timedelta(seconds=9)))
    dbsession.flush()
    return page, alert


def test_the_proof_csv_lists_each_household_and_verifies(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    page, alert = _alert_with_delivery(testapp, dbsession, mairie)
    assert "PDF signé" in testapp.get(page).text
    csv_text = testapp.get(f"{page}/preuve.csv").body.decode("utf-8-sig")
    lines = csv_text.splitlines()
    assert lines[0].startswith("preuve d'alerte;Serris;77449;")
    assert lines[2].startswith("message;foyer;destinataire;canal;adresse;statut")
    table = lines[3:-4]     # then: final fingerprint, HMAC, public key, Ed25519 signature
    assert [line.split(";")[0] for line in lines[-4:]] == ["empreinte finale", "signature de la commune",
                                                          "clé publique", "signature Ed25519"]
    assert len(table) == 2 * len(mairie.residents)
    assert any(";en échec;" in line for line in table) and any(";remis;" in line for line in table)
    assert all("rue Test" in line for line in table)          # the household: the resident's address
    assert not any(u.mobile and u.mobile in csv_text for u in mairie.residents)   # numbers masked
    ok = testapp.post_csrf("/mairie/77449/preuve/verifier", upload_files=[("file", "preuve.csv", csv_text.encode())])
    assert "Preuve intègre et signée" in ok.text
    tampered = csv_text.replace(";en échec;", ";remis;", 1)
    bad = testapp.post_csrf("/mairie/77449/preuve/verifier", upload_files=[("file", "preuve.csv", tampered.encode())],
                            status=400)
    assert "a été modifiée, ajoutée ou retirée" in bad.text, re.search(r"role=\"status\"[^>]*>([^<]*)", bad.text)
    removed = "\n".join(lines[:3] + lines[4:]) + "\n"
    assert "a été modifiée, ajoutée ou retirée" in testapp.post_csrf(
        "/mairie/77449/preuve/verifier", upload_files=[("file", "p.csv", removed.encode())], status=400).text
    garbage = testapp.post_csrf("/mairie/77449/preuve/verifier", upload_files=[("file", "x.csv", b"\xff\xfe")], status=400)
    assert "n'est pas une preuve d'alerte" in garbage.text
    assert "Choisissez le fichier" in testapp.post_csrf("/mairie/77449/preuve/verifier", {}, status=400).text


def test_anyone_verifies_the_proof_with_the_public_key_and_openssl(testapp, dbsession, mairie, agent_login,
                                                                    tmp_path):
    """What a third party does (docs/mairie-proof.md): fetch the commune's public key,
    split the CSV's last line off, and let openssl check the Ed25519 signature; the
    standalone ``vvs-verify-proof`` checks the chain too."""
    import base64
    import shutil
    import subprocess

    from vvs_mairie import verify_proof
    from vvs_mairie.proof import fingerprint_message

    agent_login(testapp, mairie)
    page, alert = _alert_with_delivery(testapp, dbsession, mairie)
    raw = testapp.get(f"{page}/preuve.csv").body
    assert raw.startswith(b"\xef\xbb\xbf")
    testapp.reset()                                   # the key is public
    key = testapp.get("/communes/77449/cle-publique.pem")
    assert key.body.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert b"http://localhost/communes/77449/cle-publique.pem" in raw
    testapp.get("/communes/99999/cle-publique.pem", status=404)
    (tmp_path / "preuve.csv").write_bytes(raw)
    (tmp_path / "cle.pem").write_bytes(key.body)
    tampered = raw.replace("remis".encode(), "lu".encode(), 1)
    (tmp_path / "alteree.csv").write_bytes(tampered)
    assert verify_proof.main([str(tmp_path / "preuve.csv"), "--cle", str(tmp_path / "cle.pem")]) == 0
    assert verify_proof.main([str(tmp_path / "alteree.csv"), "--cle", str(tmp_path / "cle.pem")]) == 1
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to check the documented steps")
    body, _sep, last = raw.rstrip(b"\r\n").rpartition(b"\n")
    (tmp_path / "signe.csv").write_bytes(body + b"\n")
    (tmp_path / "signature.bin").write_bytes(base64.b64decode(last.split(b";")[1]))

    def openssl(signed):
        return subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "cle.pem"),
                               "-rawin", "-in", str(signed), "-sigfile", str(tmp_path / "signature.bin")],
                              capture_output=True, text=True)
    ok = openssl(tmp_path / "signe.csv")
    assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout, ok.stdout + ok.stderr
    (tmp_path / "signe-altere.csv").write_bytes(body.replace(b"remis", b"lu", 1) + b"\n")
    assert openssl(tmp_path / "signe-altere.csv").returncode != 0
    # The PDF's signature: of "vvs-preuve|insee|alert|final fingerprint".
    rows = raw.decode("utf-8-sig").splitlines()
    final = rows[-4].split(";")[1]
    from vvs_mairie.proof import ed25519_verifies, proof as build_proof
    from vvs_core.models import Commune

    data = build_proof(_request_for(testapp, dbsession), dbsession.get(Commune, mairie.commune.id), alert, [])
    assert data["last"] == final
    assert ed25519_verifies(key.body, data["fingerprint_signature"], fingerprint_message("77449", alert.id, final))
    assert not ed25519_verifies(key.body, data["fingerprint_signature"], fingerprint_message("77449", alert.id, "0"))


def _request_for(testapp, dbsession):
    from pyramid.scripting import prepare

    request = prepare(registry=testapp.app.registry)["request"]
    request.dbsession = dbsession
    return request


def test_a_proof_signed_for_another_commune_or_secret_is_refused():
    from vvs_mairie.proof import HEADER, chained, signature, verify_csv

    lines, last = chained("77449", 3, [["alerte", "1 rue Test", "Léa Martin", "SMS", "+3363998**27", "remis", "", ""]])
    def csv_of(insee, sig):
        rows = [f"preuve d'alerte;Serris;{insee};3", "titre;Crue", ";".join(HEADER), *(";".join(r) for r in lines),
                f"empreinte finale;{last}", f"signature de la commune;{sig}"]
        return "\n".join(rows) + "\n"
    assert verify_csv("secret-a", csv_of("77449", signature("secret-a", "77449", last)))[0]
    assert not verify_csv("secret-b", csv_of("77449", signature("secret-a", "77449", last)))[0]
    assert not verify_csv("secret-a", csv_of("77111", signature("secret-a", "77111", last)))[0]  # chain seeded by commune


def test_the_proof_pdf(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    page, _alert = _alert_with_delivery(testapp, dbsession, mairie)
    pdf = testapp.get(f"{page}/preuve.pdf")
    assert pdf.content_type == "application/pdf" and pdf.body.startswith(b"%PDF")


def _fragments(pdf: bytes) -> list[tuple[float, float, str]]:
    """(x, y, text) of each string drawn on the first page."""
    import io

    from pypdf import PdfReader

    out = []

    def seen(text, cm, tm, font, size):
        if text.strip():
            out.append((tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5], text))
    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=seen)
    return out


def test_the_proof_pdf_keeps_each_text_in_its_column(testapp, dbsession, mairie, agent_login, clock):
    """Walkstaff item 15: « alerte du 07/12/2026 à 06:2211 place Antoine Mauny »: the message
    ran into the household's column. Each string drawn ends before its column does."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from vvs_core.web.pdf import fonts
    from vvs_mairie.proof import COLUMN_WIDTHS, HEADER

    clock.set_local(2026, 12, 7, 6, 22)
    long_home = "Résidence « Les Jardins de l’Église », bâtiment B, escalier 3, 11 place Antoine Mauny, 77700 Serris"
    mairie.residents[0].address_label = long_home
    mairie.residents[0].first_name, mairie.residents[0].last_name = "Marie-Éléonore 🌻", "de La Tour-d’Auvergne-Lauraguais"
    mairie.residents[1].address_label = "11 place Antoine Mauny, 77700 Serris"
    dbsession.flush()
    agent_login(testapp, mairie)
    page, _alert = _alert_with_delivery(testapp, dbsession, mairie)
    pdf = testapp.get(f"{page}/preuve.pdf").body
    drawn = _fragments(pdf)
    header_y = next(y for x, y, t in drawn if t.strip() == "message")
    starts = [next(x for x, y, t in drawn if y == header_y and t.strip() == name) - 2 for name in HEADER]
    assert all(abs(starts[i] + COLUMN_WIDTHS[i] - starts[i + 1]) < 0.5 for i in range(len(HEADER) - 1)), starts
    body = [(x, y, t) for x, y, t in drawn if y < header_y and starts[0] - 1 <= x < starts[-1] + COLUMN_WIDTHS[-1]]
    assert body
    for x, _y, text in body:
        column = max(i for i, start in enumerate(starts) if start <= x + 0.5)
        right = starts[column] + COLUMN_WIDTHS[column]
        assert x + stringWidth(text.strip(), fonts()[0], 7) <= right + 0.5, (HEADER[column], text)
    text = " ".join(t.strip() for _x, _y, t in drawn)
    assert "06:2211" not in text
    assert "alerte du 07/12/2026 à" in text and "06:22" in text  # Paris time, on two lines
    assert "11 place Antoine Mauny, 77700 Serris" in text
    assert "Résidence « Les Jardins de l’Église »" in text  # wrapped onto a second line, then cut:
    assert any(t.strip().endswith("…") and abs(x - starts[1]) < 3 for x, _y, t in body)
    assert "Marie-Éléonore" in text  # the emoji said in words or left out, never a box


def test_the_mairie_pdfs_say_an_emoji_in_words(testapp, dbsession, mairie, agent_login):
    """The proof and the month's report of « Coupure d’eau 💧 rue de l’Église »: the emoji
    the font cannot draw is said in words (even when its word stands next to it: an official
    document keeps a trace of every character), never a box, a « ? » nor a gap; œ, ’ and « » drawn."""
    from vvs_core.clock import utcnow
    from vvs_core.testing import pdf_text
    from vvs_core.web.timefmt import dates

    agent_login(testapp, mairie)
    form = {"category": "travaux", "title": "Coupure d’eau 💧 rue de l’Église",
            "body": "Citerne « place du Cœur » de 8 h à 12 h ; œufs durs conseillés 🙂", "target": "commune",
            "confirm": "1"}
    page = testapp.post_csrf("/mairie/77449/alertes/nouvelle", form, status=303).location
    proof = " ".join(pdf_text(testapp.get(f"{page}/preuve.pdf").body).split())
    report = " ".join(pdf_text(testapp.get(f"/mairie/77449/rapport/{dates.month_key(utcnow())}.pdf").body).split())
    for text in (proof, report):
        assert "Coupure d’eau (eau) rue de l’Église" in text, text
        assert "💧" not in text and "?" not in text and "  " not in text and "\ufffd" not in text


@pytest.mark.parametrize("month", [7, 1], ids=["été", "hiver"])
def test_a_notice_calls_in_the_morning_an_emergency_at_once(app, testapp, dbsession, mairie, agent_login, clock,
                                                           tmp_path, month):
    """At 23:30 (Paris time, summer and winter), « Coupure d’eau 💧 » (travaux) rings the
    landline at 8 h 00 and its page says so; a flood warning (météo) rings at once."""
    from vvs_dev_providers.providers import FolderVoiceCaller
    from app_changes import changed
    from vvs_core.testing import run_tasks

    clock.set_local(2026, month, 14, 23, 30)
    mairie.residents[0].landline, mairie.residents[0].mobile = "+33160000077", None
    dbsession.flush()
    agent_login(testapp, mairie)
    with changed(app.registry, providers={"voice": FolderVoiceCaller(str(tmp_path / "appels"))}):
        pages = {}
        for category, title in (("travaux", "Coupure d’eau 💧 rue de l’Église"), ("meteo", "Crue « Marne » 🌊")):
            form = {"category": category, "title": title, "body": "Œuvre de la régie ; « citerne » place de l’Église.",
                    "target": "commune", "confirm": "1"}
            pages[category] = testapp.post_csrf("/mairie/77449/alertes/nouvelle", form, status=303).location
        run_tasks()
    calls = {a.category: n for a, n in dbsession.execute(
        select(MairieAlert, Notification).join(Notification, Notification.subject_id == MairieAlert.id)
        .where(Notification.subject_type == "mairie_alert", Notification.channel == "voice"))}
    assert calls["travaux"].status == "pending" and calls["meteo"].status == "sent"
    page = " ".join(testapp.get(pages["travaux"]).html.find("main").get_text().split())
    assert "appels : 1 prévu à 8 h 00" in page, page
    assert "appels : 1 appelé" in " ".join(testapp.get(pages["meteo"]).html.find("main").get_text().split())
