"""The development providers (plugin vvs_dev_providers) pass the provider contracts, and
keep phone numbers out of the logs."""
from __future__ import annotations

import email
import email.policy
import logging
import os

import pytest

from vvs_core.errors import TransientDeliveryError
from vvs_core.interfaces import OutgoingEmail, OutgoingSMS
from vvs_dev_providers.providers import ConsoleSMSSender, FolderEmailSender, mask_phone


# The development providers talk to no service, so the behavioural contract suites
# (which drive a fake of the service: failures, retries) do not apply; these check
# what they share with every provider: shape, and the text kept as it was given.

TEXT = "Véhicule suspect rue de l’Église — « merci » 🚨"


def test_console_sms_answers_one_result_per_message_and_logs_the_text_unchanged(caplog):
    caplog.set_level(logging.INFO, logger="vvs_dev_providers.providers")
    sender = ConsoleSMSSender()
    assert sender.name == "console" and sender.send_batch([]) == []
    messages = [OutgoingSMS(to=f"+3363998000{i}", text=TEXT, key=f"k:{i}/?&") for i in range(3)]
    results = sender.send_batch(messages)
    assert [(r.key, r.ok) for r in results] == [(m.key, True) for m in messages]
    assert len({r.provider_ref for r in results}) == 3
    assert caplog.text.count(TEXT) == 3


def test_folder_email_answers_one_result_per_message_and_keeps_the_text(tmp_path):
    sender = FolderEmailSender(str(tmp_path / "mail"), "Voisins <nepasrepondre@vvs.invalid>")
    assert sender.name and sender.send_batch([]) == []
    messages = [OutgoingEmail(to=f"voisin{i}@example.org", subject="Alerte", text=TEXT, key=f"k:{i}") for i in range(2)]
    results = sender.send_batch(messages)
    assert [(r.key, r.ok) for r in results] == [(m.key, True) for m in messages]
    written = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(written) == 2
    for path in written:
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert parsed.get_body(("plain",)).get_content().rstrip("\n") == TEXT


def test_folder_email_fails_transiently_when_its_folder_cannot_be_written(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    sender = FolderEmailSender(str(blocker / "mail"), "nepasrepondre@vvs.invalid")
    message = OutgoingEmail(to="voisin@example.org", subject="Alerte", text=TEXT, key="k")
    try:
        results = sender.send_batch([message])
    except TransientDeliveryError:
        return
    assert all(not r.ok and r.transient for r in results)


def test_mask_phone_hides_two_digits_and_never_returns_the_number():
    assert mask_phone("+33612345678") == "+3361234**78"
    assert mask_phone("") == "***"
    assert mask_phone("+3312") == "***"


def test_console_sms_logs_the_text_but_never_the_full_number(caplog):
    caplog.set_level(logging.INFO, logger="vvs_dev_providers.providers")
    [result] = ConsoleSMSSender().send_batch(
        [OutgoingSMS(to="+33612345678", text="Cambriolage\nrue des Lilas", key="k1")])
    assert result.ok and result.provider_ref.startswith("console-")
    assert "+33612345678" not in caplog.text
    assert "+3361234**78" in caplog.text
    assert "Cambriolage\\nrue des Lilas" in caplog.text  # one log line per SMS
    assert len(caplog.records) == 1


def test_console_sms_refuses_a_number_that_is_not_e164():
    [result] = ConsoleSMSSender().send_batch([OutgoingSMS(to="0612345678", text="x", key="k")])
    assert not result.ok and not result.transient


def test_folder_email_writes_a_readable_eml_with_both_parts(tmp_path):
    folder = tmp_path / "mail"
    sender = FolderEmailSender(str(folder), "Voisins <nepasrepondre@vvs.invalid>")
    [result] = sender.send_batch([OutgoingEmail(
        to="marie@example.org", subject="Votre demande\r\nBcc: pirate@example.org",
        text="Bienvenue dans la communauté « Les Tilleuls ».", html="<p>Bienvenue</p>",
        key="membership:12:email", headers={"Reply-To": "referent@example.org"})])
    assert result.ok
    [name] = os.listdir(folder)
    assert name.endswith(".eml") and name.startswith("membership_12_email")
    with open(folder / name, "rb") as fh:
        mail = email.message_from_binary_file(fh, policy=email.policy.default)
    assert mail["To"] == "marie@example.org"
    assert mail["Subject"] == "Votre demande Bcc: pirate@example.org"  # stays one header
    assert mail["Bcc"] is None
    assert mail["Reply-To"] == "referent@example.org"
    assert "« Les Tilleuls »" in mail.get_body(("plain",)).get_content()
    assert "<p>Bienvenue</p>" in mail.get_body(("html",)).get_content()


def test_folder_email_is_dated_in_paris_time(tmp_path, clock):
    """Its Date says the hour the pages say (not « -0000 », an unknown zone)."""
    folder = tmp_path / "mail"
    sender = FolderEmailSender(str(folder), "Voisins <nepasrepondre@vvs.invalid>")
    for (month, day, hour), offset in (((12, 6, 12), "+0100"), ((7, 14, 23), "+0200")):
        clock.set_local(2026, month, day, hour, 57)
        [result] = sender.send_batch([OutgoingEmail(to="ines@example.org", subject="Été", text=TEXT,
                                                    key=f"date:{month}")])
        assert result.ok
        [name] = [n for n in os.listdir(folder) if n.startswith(f"date_{month}")]
        with open(folder / name, "rb") as fh:
            date = email.message_from_binary_file(fh, policy=email.policy.default)["Date"]
        assert str(date).endswith(f"{hour}:57:00 {offset}"), date


def test_folder_email_rejects_an_address_without_at(tmp_path):
    [result] = FolderEmailSender(str(tmp_path), "x@vvs.invalid").send_batch(
        [OutgoingEmail(to="marie.example.org", subject="s", text="t", key="k")])
    assert not result.ok and not result.transient


def test_folder_email_already_sent_survives_a_new_instance(tmp_path):
    first = FolderEmailSender(str(tmp_path), "x@vvs.invalid")
    [result] = first.send_batch([OutgoingEmail(to="a@example.org", subject="s", text="t", key="alert:1:7:email")])
    after_restart = FolderEmailSender(str(tmp_path), "x@vvs.invalid")
    assert after_restart.already_sent(["alert:1:7:email", "alert:1:8:email"]) == {
        "alert:1:7:email": result.provider_ref}


def test_console_sms_reads_an_sms_received_by_its_callback():
    """The development number takes SMS by POST (``from``, ``text``, ``id``): STOP, an
    alert or a code can be tried without a real provider."""
    from pyramid.request import Request

    from vvs_core.interfaces import CallbackRefused

    sender = ConsoleSMSSender()
    message = sender.parse_inbound(Request.blank("/", POST={"from": "+33639981234", "text": "Stop « ici » 🚨",
                                                            "id": "essai-1"}))
    assert (message.sender, message.text, message.provider, message.provider_id) == (
        "+33639981234", "Stop « ici » 🚨", "console", "essai-1")
    for bad in ({}, {"from": "0639981234", "text": "STOP", "id": "1"}, {"from": "+33639981234", "text": " ", "id": "1"},
                {"from": "+33639981234", "text": "x" * 1601, "id": "1"}, {"from": "+33639981234", "text": "STOP"}):
        with pytest.raises(CallbackRefused):
            sender.parse_inbound(Request.blank("/", POST=bad))


def test_make_run_can_simulate_an_sms_received_as_the_readme_says(app, testapp, dbsession, make_user,
                                                                   make_community):
    """Walk-through: the README's command, posted as curl posts it, from a resident of a
    community with no roll-call open (the demo opens none), does what the README's comment
    says: an alert of that community, the sender told. (It said « answers OUI to the
    roll-call open in Le Bourg »: under `make run` that OUI went to the 7 neighbours of Le
    Bourg as an alert « ALERTE Le Bourg - autre : OUI ».)"""
    import configparser
    import re
    import shlex
    from pathlib import Path
    from urllib.parse import quote_plus

    from sqlalchemy import select
    from vvs_alerts.models import Alert

    from app_changes import changed

    root = Path(__file__).resolve().parents[3]
    ini = configparser.RawConfigParser()
    ini.read(root / "development.ini", encoding="utf-8")
    token = ini["app:main"]["vvs.sms.console.callback_token"]
    assert len(token) >= 32 and ini["app:main"]["vvs.sms.provider"] == "console"
    readme = (root / "README.md").read_text(encoding="utf-8")
    comment, command = re.search(r"```sh\n(# .*)\n(curl (?:.*\\\n)*.*)\n```", readme[readme.index("sms-recu") - 600:]).groups()
    words = shlex.split(command.replace("\\\n", " "))
    url = words.pop()
    assert url == f"http://localhost:6543/fournisseurs/console/{token}/sms-recu"
    fields, body = {}, []  # as curl sends them: --data-urlencode encoded, -d raw (a "+" would arrive as a space)
    for option, value in zip(words[1::2], words[2::2]):
        name, _, data = value.partition("=")
        assert option in ("-d", "--data-urlencode"), option
        fields[name] = data
        body.append(f"{name}={quote_plus(data) if option == '--data-urlencode' else data}")
    assert "alert" in comment and "Le Bourg" in comment, comment
    resident = make_user(mobile=fields["from"])
    make_community(name="Le Bourg", members=[resident, make_user(), make_user()])
    with changed(app.registry, providers={"sms": ConsoleSMSSender()},
                 settings={"vvs.sms.console.callback_token": token}):
        path, form = url[len("http://localhost:6543"):], "application/x-www-form-urlencoded"
        assert testapp.post(path, "&".join(body), content_type=form).text == "reçu, réponse envoyée"
        assert testapp.post(path, "&".join(body), content_type=form, status=409).text == "déjà reçu"
    alert = dbsession.scalars(select(Alert)).one()
    assert (alert.author_id, alert.source, alert.text) == (resident.id, "sms", fields["text"])
