"""Proof of warning: per household, channel, time and status, as a CSV whose chained
fingerprints and commune signature the verification page checks, and a PDF."""
from __future__ import annotations

import re
from datetime import timedelta

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
    table = lines[3:-2]
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
