"""The URLs OVH calls: delivery receipts and inbound SMS, served by the core
(vvs_core.providers.callbacks) and read by the OVH sender, through the real app
configured with the OVH provider (the fake API answers the replies it sends)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from fake_ovh import fake_ovh  # noqa: F401  (fixture)
from ovh_app import CALLBACK_TOKEN, ovh_app, ovh_testapp  # noqa: F401  (fixtures)

from vvs_core.models import Notification, ProviderCallback
from vvs_core.notify.outbox import provider_key
from vvs_core.providers import provider_on
from vvs_core.testing import run_tasks

from sms_callbacks import ReplyingToSMS

RECEIPT = f"/fournisseurs/ovh/{CALLBACK_TOKEN}/accuse-reception"
INBOUND = f"/fournisseurs/ovh/{CALLBACK_TOKEN}/sms-recu"
SENDER = "+33612349876"


def sent_row(dbsession, ref, status="sent"):
    n = Notification(dedupe_key=f"test:{ref}", kind="alert", channel="sms", address="+33600000001",
                     status=status, provider="ovh", provider_ref=ref)
    dbsession.add(n)
    dbsession.flush()
    return n


def status_of(dbsession, n):
    dbsession.expire_all()
    return dbsession.get(Notification, n.id).status


# --- delivery receipts --------------------------------------------------------------

def test_receipts_update_rows_and_are_idempotent_and_order_safe(ovh_testapp, dbsession):
    delivered, failed = sent_row(dbsession, "7001"), sent_row(dbsession, "7002")
    assert ovh_testapp.get(RECEIPT, {"id": "7001", "ptt": "13", "description": "1"}).text == "enregistré"
    ovh_testapp.get(RECEIPT, {"id": "7002", "dlr": "16", "descriptionDlr": "Numéro inconnu"})
    assert status_of(dbsession, delivered) == "delivered"
    assert status_of(dbsession, failed) == "failed"
    assert "Numéro inconnu" in dbsession.get(Notification, failed.id).last_error
    # a replay (refused), then a late failure: "delivered" stays
    assert ovh_testapp.get(RECEIPT, {"id": "7001", "description": "1"}, status=409).text == "déjà reçu"
    ovh_testapp.post(RECEIPT, {"id": "7001", "dlr": "2"})
    assert status_of(dbsession, delivered) == "delivered"


def test_intermediate_and_unknown_receipts_change_nothing(ovh_testapp, dbsession):
    row = sent_row(dbsession, "7003")
    assert ovh_testapp.get(RECEIPT, {"id": "7003", "dlr": "4"}).text == "état intermédiaire ignoré"
    assert ovh_testapp.get(RECEIPT, {"id": "99999", "dlr": "1"}).text == "référence inconnue"
    assert status_of(dbsession, row) == "sent"


def test_receipts_with_bad_fields_are_refused(ovh_testapp, dbsession):
    ovh_testapp.get(RECEIPT, {"dlr": "1"}, status=400)
    ovh_testapp.get(RECEIPT, {"id": "7004", "dlr": "livré"}, status=400)


def test_a_receipt_without_the_secret_gets_403_and_changes_nothing(ovh_testapp, dbsession):
    row = sent_row(dbsession, "7005")
    ovh_testapp.get("/fournisseurs/ovh/mauvais-jeton/accuse-reception", {"id": "7005", "dlr": "1"}, status=403)
    nearly = CALLBACK_TOKEN[:-1] + "x"  # one character off
    ovh_testapp.get(f"/fournisseurs/ovh/{nearly}/accuse-reception", {"id": "7005", "dlr": "1"}, status=403)
    assert status_of(dbsession, row) == "sent"


# --- inbound SMS -----------------------------------------------------------------------

@pytest.fixture
def replying_plugin(ovh_app):
    plugin = ReplyingToSMS("Votre alerte est partie. En cas d'urgence, appelez le 17.")
    pm = ovh_app.registry.vvs_plugins
    pm.register(plugin, name="test-inbound-sms")
    yield plugin
    pm.unregister(name="test-inbound-sms")


def counts(dbsession):
    dbsession.expire_all()
    return (dbsession.scalar(sa.select(sa.func.count()).select_from(ProviderCallback)),
            dbsession.scalar(sa.select(sa.func.count()).select_from(Notification)))


def test_an_inbound_sms_reaches_the_plugins_and_the_reply_goes_back_once(
        ovh_testapp, replying_plugin, dbsession, fake_ovh):  # noqa: F811
    fields = {"id": "4242", "senderid": "0033612349876", "message": "Cambriolage en cours rue des Lilas"}
    assert ovh_testapp.get(INBOUND, fields).text == "reçu, réponse envoyée"
    [message] = replying_plugin.received
    assert (message.sender, message.text, message.provider, message.provider_id) == (
        SENDER, "Cambriolage en cours rue des Lilas", "ovh", "4242")
    run_tasks()
    [job] = fake_ovh.jobs
    assert job["receivers"] == [SENDER] and "appelez le 17" in job["message"]
    reply = dbsession.scalar(sa.select(Notification).where(Notification.dedupe_key == "sms-reply:ovh:4242"))
    assert reply.status == "sent" and reply.provider == "ovh"
    # the job was noted in the shared journal first: after a crash the outbox would
    # find it at OVH instead of sending it again
    sender = provider_on(ovh_testapp.wsgi.registry, "sms")
    assert type(sender.journal).__name__ == "DatabaseJournal"
    assert sender.already_sent([provider_key(reply), "sms-reply:ovh:never"]) == {provider_key(reply): reply.provider_ref}
    before = counts(dbsession)

    # OVH calls again (a retry, a replay, a POST this time): refused, nothing more happens
    assert ovh_testapp.post(INBOUND, fields, status=409).text == "déjà reçu"
    run_tasks()
    assert len(replying_plugin.received) == 1 and len(fake_ovh.jobs) == 1
    assert counts(dbsession) == before


def test_other_field_names_are_understood(ovh_testapp, replying_plugin):
    ovh_testapp.post(INBOUND, {"smsid": "4243", "from": "+33612349876", "text": "Fenêtre ouverte"})
    assert replying_plugin.received[0].provider_id == "4243"
    assert replying_plugin.received[0].text == "Fenêtre ouverte"


@pytest.mark.parametrize("fields", [
    {"id": "4244", "senderid": "VOISINS", "message": "x"},
    {"id": "4245", "senderid": "+33612349876", "message": ""},
    {"senderid": "+33612349876", "message": "sans identifiant"},
    {"id": "<script>", "senderid": "+33612349876", "message": "x"},
])
def test_inbound_sms_with_bad_fields_are_refused_and_change_nothing(ovh_testapp, replying_plugin, dbsession, fields):
    before = counts(dbsession)
    ovh_testapp.get(INBOUND, fields, status=400)
    assert replying_plugin.received == [] and counts(dbsession) == before


def test_an_inbound_sms_without_the_secret_gets_403_and_changes_nothing(
        ovh_testapp, replying_plugin, dbsession, fake_ovh):  # noqa: F811
    before = counts(dbsession)
    fields = {"id": "4246", "senderid": SENDER, "message": "Alerte"}
    ovh_testapp.get("/fournisseurs/ovh/" + "k" * 48 + "/sms-recu", fields, status=403)
    run_tasks()
    assert replying_plugin.received == [] and counts(dbsession) == before and fake_ovh.jobs == []


def test_callbacks_are_rate_limited(ovh_testapp, ovh_app):
    from app_changes import changed

    with changed(ovh_app.registry, settings={"vvs.sms.ovh.callback_rate": "3/60"}):
        for _ in range(3):
            ovh_testapp.get(RECEIPT, {"id": "1", "dlr": "4"}, extra_environ={"REMOTE_ADDR": "192.0.2.7"})
        limited = ovh_testapp.get(RECEIPT, {"id": "1", "dlr": "4"}, extra_environ={"REMOTE_ADDR": "192.0.2.7"},
                                  status=429)
        assert limited.headers["Retry-After"]
    ovh_app.registry["vvs.ratelimit_store"].reset("provider-callback:ovh:192.0.2.7")


def test_an_inbound_sms_from_a_resident_becomes_an_alert_with_a_confirmation(
        ovh_testapp, dbsession, make_user, make_community, fake_ovh):  # noqa: F811
    """End to end with the real vvs_alerts plugin: no test hook answers here."""
    author = make_user(mobile=SENDER)
    neighbour = make_user(mobile="+33612340555")
    make_community(members=[author, neighbour])
    fields = {"id": "5151", "senderid": "0033612349876", "message": "Individu en repérage rue des Lilas"}
    assert ovh_testapp.get(INBOUND, fields).text == "reçu, réponse envoyée"
    run_tasks()
    dbsession.expire_all()
    assert SENDER in fake_ovh.receivers_sent()  # the confirmation
    reached = dbsession.scalars(sa.select(Notification).where(Notification.recipient_id == neighbour.id)).all()
    assert reached, "the alert reached the neighbour"
    before = counts(dbsession)
    assert ovh_testapp.get(INBOUND, fields, status=409).text == "déjà reçu"
    run_tasks()
    assert counts(dbsession) == before
