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


def test_the_mairie_pdfs_say_an_emoji_in_words(testapp, dbsession, mairie, agent_login):
    """The proof and the month's report of « Coupure d’eau 💧 rue de l’Église »: the emoji
    the font cannot draw is said in words (not when its word stands next to it), never a box, a « ? » nor a gap; œ, ’ and « » drawn."""
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
        assert "Coupure d’eau rue de l’Église" in text, text  # « eau » said once
        assert "💧" not in text and "?" not in text and "  " not in text and "\ufffd" not in text


@pytest.mark.parametrize("month", [7, 1], ids=["été", "hiver"])
def test_a_notice_calls_in_the_morning_an_emergency_at_once(app, testapp, dbsession, mairie, agent_login, clock,
                                                           tmp_path, month):
    """At 23:30 (Paris time, summer and winter), « Coupure d’eau 💧 » (travaux) rings the
    landline at 8 h 00 and its page says so; a flood warning (météo) rings at once."""
    from vvs_dev_providers.providers import FolderVoiceCaller
    from vvs_core.testing import run_tasks, use_provider

    clock.set_local(2026, month, 14, 23, 30)
    mairie.residents[0].landline, mairie.residents[0].mobile = "+33160000077", None
    dbsession.flush()
    agent_login(testapp, mairie)
    use_provider(app.registry, "voice", FolderVoiceCaller(str(tmp_path / "appels")))
    try:
        pages = {}
        for category, title in (("travaux", "Coupure d’eau 💧 rue de l’Église"), ("meteo", "Crue « Marne » 🌊")):
            form = {"category": category, "title": title, "body": "Œuvre de la régie ; « citerne » place de l’Église.",
                    "target": "commune", "confirm": "1"}
            pages[category] = testapp.post_csrf("/mairie/77449/alertes/nouvelle", form, status=303).location
        run_tasks()
    finally:
        use_provider(app.registry, "voice", None)
    calls = {a.category: n for a, n in dbsession.execute(
        select(MairieAlert, Notification).join(Notification, Notification.subject_id == MairieAlert.id)
        .where(Notification.subject_type == "mairie_alert", Notification.channel == "voice"))}
    assert calls["travaux"].status == "pending" and calls["meteo"].status == "sent"
    page = " ".join(testapp.get(pages["travaux"]).html.find("main").get_text().split())
    assert "appels : 1 prévu à 8 h 00" in page, page
    assert "appels : 1 appelé" in " ".join(testapp.get(pages["meteo"]).html.find("main").get_text().split())
