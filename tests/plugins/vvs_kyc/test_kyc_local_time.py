"""A proof of address sent at 23:30 Paris time reads « 23:30 » for the resident and
the reviewer, in summer (UTC+2) and in winter (UTC+1, 31 December). See also
tests/local_time/test_local_time.py."""
import re

import pytest
from sqlalchemy import select

from conftest import csrf, png_bytes, sign_in, upload
from vvs_kyc.models import KycCheck


@pytest.mark.parametrize("year, month, day", [(2026, 7, 14), (2026, 12, 31)], ids=["summer", "winter"])
def test_a_proof_sent_and_decided_at_2330(testapp, world, dbsession, kyc_dir, clock, year, month, day):
    clock.set_local(year, month, day, 23, 30)
    shown = f"{day:02d}/{month:02d}/{year} à 23:30"
    sign_in(testapp, world["resident"])
    assert upload(testapp, "facture-électricité.png", png_bytes()).status_int == 303
    assert f"Envoyé le {shown[:10]}" in testapp.get("/kyc/justificatif").text
    check = dbsession.scalar(select(KycCheck).where(KycCheck.user_id == world["resident"].id))

    sign_in(testapp, world["admin"])
    queue = re.sub(r"\s+", " ", testapp.get("/kyc/revue").text)
    assert f"Envoyé le {shown}" in queue
    assert shown in testapp.get(f"/kyc/revue/{check.id}").text
    testapp.get(f"/kyc/revue/{check.id}/document")
    clock.advance(minutes=5)
    testapp.post(f"/kyc/revue/{check.id}/decision", {"decision": "accept", "csrf_token": csrf(testapp)})
    decided = re.sub(r"\s+", " ", testapp.get(f"/kyc/revue/{check.id}").text)
    assert f"le {shown[:10]} à 23:35" in decided
    journal = testapp.get("/kyc/revue/journal").text
    assert f"{shown[:10]} 23:30:00" in journal and f"{shown[:10]} 23:35:00" in journal
