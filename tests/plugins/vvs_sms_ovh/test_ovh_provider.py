"""The OVH sender, driven through the real ``ovh`` client against the fake API."""
from __future__ import annotations

import pytest
from fake_ovh import fake_ovh, fresh_fake_ovh  # noqa: F401  (fixtures)
from ovh_app import ovh_app  # noqa: F401  (fixture)

from vvs_core.errors import ConfigurationError
from vvs_core.interfaces import OutgoingSMS
from vvs_core.testing import SMSSenderContract
from vvs_sms_ovh.journal import MemoryJournal
from vvs_sms_ovh.provider import JOB_RECEIVERS, OVHSMSSender

ALERT = ("Alerte Quartier des Lilas : démarchage suspect rue de l'Église.\n"
         "En cas d'urgence ou de flagrant délit, appelez le 17.")


class TestOVHSMS(SMSSenderContract):
    @pytest.fixture
    def fake(self, fake_ovh):  # noqa: F811
        return fake_ovh

    @pytest.fixture
    def make_sender(self, fake_ovh):  # noqa: F811
        journal = MemoryJournal()  # shared, as the database's is by every worker
        return lambda: OVHSMSSender.from_settings(fake_ovh.settings(), journal=journal)


def sms(to, key, text=ALERT):
    return OutgoingSMS(to=to, text=text, key=key)


def test_identical_texts_go_out_as_one_job_with_every_receiver(fake_ovh):  # noqa: F811
    sender = OVHSMSSender.from_settings(fake_ovh.settings())
    numbers = [f"+336000000{i:02d}" for i in range(30)]
    results = sender.send_batch([sms(n, f"k{i}") for i, n in enumerate(numbers)] + [sms("+33700000001", "other", "Fin d'alerte.")])
    assert all(r.ok for r in results)
    assert len(fake_ovh.jobs) == 2
    job = fake_ovh.jobs[0]
    assert job["receivers"] == numbers
    assert job["noStopClause"] is True and job["priority"] == "high"
    assert job["sender"] == "VOISINS" and job["validityPeriod"] == 120
    assert job["tag"].startswith("vvs-") and job["coding"] == "7bit"
    # one reference per receiver, the id OVH gave it: receipts name it
    assert [r.provider_ref for r in results[:30]] == [str(o["id"]) for o in fake_ovh.outgoing[:30]]


def test_jobs_hold_at_most_500_receivers_and_never_one_twice(fake_ovh):  # noqa: F811
    sender = OVHSMSSender.from_settings(fake_ovh.settings())
    numbers = [f"+3360{i:07d}" for i in range(JOB_RECEIVERS + 20)]
    messages = [sms(n, f"k{i}") for i, n in enumerate(numbers)] + [sms(numbers[0], "again")]
    results = sender.send_batch(messages)
    assert all(r.ok for r in results)
    assert [len(j["receivers"]) for j in fake_ovh.jobs] == [JOB_RECEIVERS, 21]
    assert all(len(set(j["receivers"])) == len(j["receivers"]) for j in fake_ovh.jobs)


def test_invalid_receivers_fail_for_good_and_the_others_are_sent(fake_ovh):  # noqa: F811
    fake_ovh.invalid_receivers.add("+33600000002")
    sender = OVHSMSSender.from_settings(fake_ovh.settings())
    results = sender.send_batch([sms("+33600000001", "a"), sms("+33600000002", "b"), sms("0600000003", "c")])
    assert [r.ok for r in results] == [True, False, False]
    assert not results[1].transient and "refusé" in results[1].error
    assert not results[2].transient and fake_ovh.receivers_sent() == ["+33600000001", "+33600000002"]


@pytest.mark.parametrize("status, transient", [(503, True), (500, True), (429, True), (400, False), (403, False)])
def test_errors_map_to_transient_or_permanent(fake_ovh, status, transient):  # noqa: F811
    fake_ovh.fail_next = [status]
    sender = OVHSMSSender.from_settings(fake_ovh.settings())
    [result] = sender.send_batch([sms("+33600000001", "a")])
    assert not result.ok and result.transient is transient
    assert f"OVH {status}" in result.error


def test_an_api_that_is_down_is_a_transient_failure(fresh_fake_ovh):  # noqa: F811
    sender = OVHSMSSender.from_settings(fresh_fake_ovh.settings(**{"vvs.sms.ovh.timeout": 1}))
    fresh_fake_ovh.down()
    [result] = sender.send_batch([sms("+33600000001", "a")])
    assert not result.ok and result.transient and "injoignable" in result.error


def test_the_text_is_sent_as_given_with_the_coding_it_needs(fake_ovh):  # noqa: F811
    """The outbox prepares texts (vvs_core.notify.sms); the provider only reads their alphabet."""
    sender = OVHSMSSender.from_settings(fake_ovh.settings())
    sender.send_batch([sms("+33600000001", "a", "Fenetre ouverte au 3 rue de l'Église."),
                       sms("+33600000002", "b", "Вор на улице Лилас.")])
    gsm, ucs2 = fake_ovh.jobs
    assert (gsm["message"], gsm["coding"]) == ("Fenetre ouverte au 3 rue de l'Église.", "7bit")
    assert (ucs2["message"], ucs2["coding"]) == ("Вор на улице Лилас.", "8bit")


ACCEPTANCE = ("Camionnette blanche immatriculée en Belgique, deux hommes regardent les boîtes aux lettres rue de "
              "l’Église depuis ce matin, ils s’arrêtent à chaque maison. Ne leur ouvrez pas « pour un contrôle ». "
              "Ils sont repassés vers 11 h, toujours aussi lentement, en notant des choses sur un carnet.")


def test_through_the_outbox_ovh_receives_french_in_gsm7_within_the_allowed_parts(ovh_app, dbsession,
                                                                                  fake_ovh):  # noqa: F811
    from vvs_core.notify.actors import deliver_notifications
    from vvs_core.notify.outbox import insert_notifications
    from vvs_core.notify.sms import measure

    text = ACCEPTANCE + " " + ACCEPTANCE + " Voir : http://localhost/alertes/7 En cas d'urgence, appelez le 17."
    ids = insert_notifications(dbsession, [
        dict(dedupe_key="ovh-fr", kind="test", channel="sms", address="+33639981234", body=text),
        dict(dedupe_key="ovh-ru", kind="test", channel="sms", address="+33639981235", body="Вор на улице. " * 30)])
    deliver_notifications(ids, registry=ovh_app.registry)
    french, russian = sorted(fake_ovh.jobs, key=lambda job: job["receivers"])
    assert french["coding"] == "7bit" and "les boites aux lettres rue de l'Église" in french["message"]
    assert french["message"].endswith("... http://localhost/alertes/7 En cas d'urgence, appelez le 17.")
    assert measure(french["message"]).segments == ovh_app.registry.settings["vvs.sms.max_segments"] == 2
    assert not any(c in french["message"] for c in "’«»…")
    assert russian["coding"] == "8bit" and measure(russian["message"]).segments <= 2


def test_without_a_sender_ovh_short_number_is_used_so_residents_can_answer(fake_ovh):  # noqa: F811
    sender = OVHSMSSender.from_settings(fake_ovh.settings(**{"vvs.sms.ovh.sender": ""}))
    sender.send_batch([sms("+33600000001", "a")])
    assert fake_ovh.jobs[0]["senderForResponse"] is True and "sender" not in fake_ovh.jobs[0]


@pytest.mark.parametrize("override, words", [
    ({"vvs.sms.ovh.consumer_key": ""}, "needs vvs.sms.ovh.consumer_key"),
    ({"vvs.sms.ovh.endpoint": "ovh-mars"}, "vvs.sms.ovh.endpoint"),
    ({"vvs.sms.ovh.sender": "Voisins vigilants"}, "vvs.sms.ovh.sender"),
])
def test_bad_settings_stop_start_up_with_one_clear_line(fake_ovh, override, words):  # noqa: F811
    with pytest.raises(ConfigurationError) as caught:
        OVHSMSSender.from_settings(fake_ovh.settings(**override))
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_short_callback_token_stops_start_up_with_one_line_that_hides_it(fake_ovh):  # noqa: F811
    """The core declares the callback settings of a provider with callbacks (and checks them)."""
    from vvs_core.app import load_settings
    from vvs_core.testing import base_settings

    ovh = fake_ovh.settings(**{"vvs.sms.ovh.callback_token": "court-secret"})
    settings = base_settings("sqlite://", **{"vvs.sms.provider": "ovh"}, **{k: str(v) for k, v in ovh.items()})
    with pytest.raises(ConfigurationError) as caught:
        load_settings(settings)
    message = str(caught.value)
    assert "vvs.sms.ovh.callback_token" in message and "at least 32" in message and "\n" not in message
    assert "court-secret" not in message


def test_health_reads_the_account_and_sends_nothing(fake_ovh):  # noqa: F811
    sender = OVHSMSSender.from_settings(fake_ovh.settings())
    assert sender.health() is None
    assert ("GET", "/1.0/sms/sms-test-1") in fake_ovh.requests and fake_ovh.jobs == []
    fake_ovh.credits_left = 0
    assert sender.health() == ("Le compte SMS OVH sms-test-1 n'a plus de crédit : aucun SMS ne partira avant "
                               "un rechargement.")
    fake_ovh.fail_next = [503]
    assert sender.health() == "Le compte SMS OVH sms-test-1 ne répond pas (code 503)."
    wrong = OVHSMSSender.from_settings(fake_ovh.settings(**{"vvs.sms.ovh.application_secret": "autre"}))
    assert wrong.health().startswith("OVH refuse les clés de l'application")
    unknown = OVHSMSSender.from_settings(fake_ovh.settings(**{"vvs.sms.ovh.service_name": "sms-zz99999-1"}))
    assert unknown.health() == "Le compte SMS OVH sms-zz99999-1 est inconnu d'OVH : vérifiez vvs.sms.ovh.service_name."
    assert sender.client._timeout == 1.0  # the check's shorter timeout is given back


def test_health_of_an_api_that_is_down(fresh_fake_ovh):  # noqa: F811
    sender = OVHSMSSender.from_settings(fresh_fake_ovh.settings())
    fresh_fake_ovh.down()
    assert sender.health() == "Le compte SMS OVH sms-test-1 ne répond pas : OVH est injoignable."


def test_the_administrators_page_shows_the_ovh_account_s_health(ovh_app, fake_ovh, make_user):  # noqa: F811
    from html import unescape

    from vvs_core.testing import VVSTestApp

    app = VVSTestApp(ovh_app)
    app.login(make_user(is_admin=True))
    assert "Le compte SMS OVH" not in unescape(app.get("/admin/extensions").text)
    fake_ovh.credits_left = 0
    assert "Le compte SMS OVH sms-test-1 n'a plus de crédit" in unescape(app.get("/admin/extensions").text)
    assert fake_ovh.jobs == []


def test_the_regions_checked_at_start_up_are_the_libraries():
    """The endpoint is checked without importing ``ovh`` (a web process never sends):
    the list the plugin keeps is the library's."""
    import ovh.client

    from vvs_sms_ovh.provider import REGIONS

    assert sorted(REGIONS) == sorted(ovh.client.ENDPOINTS)


def test_a_web_process_builds_the_sender_without_the_ovh_library():
    """Building the sender from its settings (what every process does at start-up)
    imports neither ``ovh`` nor ``requests``: about 5 MB a web worker does without."""
    import subprocess
    import sys

    code = ("import sys; from vvs_sms_ovh.provider import OVHSMSSender, S\n"
            "s = {S + 'endpoint': 'ovh-eu', S + 'application_key': 'k', S + 'application_secret': 's',"
            " S + 'consumer_key': 'c', S + 'service_name': 'sms-ab12345-1', S + 'sender': '',"
            " S + 'validity_minutes': 120, S + 'timeout': 10}\n"
            "sender = OVHSMSSender.from_settings(s)\n"
            "print(sorted(m for m in ('ovh', 'requests') if m in sys.modules))\n"
            "sender.client\n"
            "print(sorted(m for m in ('ovh', 'requests') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split("\n")[:2] == ["[]", "['ovh', 'requests']"], out.stdout + out.stderr
