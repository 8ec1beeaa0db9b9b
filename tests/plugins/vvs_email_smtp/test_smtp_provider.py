"""The SMTP sender against real aiosmtpd servers on 127.0.0.1."""
from __future__ import annotations

import pytest
from smtp_test_server import (PASSWORD, USER, SMTPContractFake, free_port, implicit_tls_server,  # noqa: F401
                              smtp_server, smtp_settings, starttls_server, tls_files)

from vvs_core.errors import ConfigurationError
from vvs_core.interfaces import OutgoingEmail
from vvs_core.testing import EmailSenderContract
from vvs_email_smtp.provider import SMTPEmailSender


class TestSMTPEmail(EmailSenderContract):
    # SMTP cannot tell what a server accepted before a crash: no already_sent, and a
    # key handed over twice goes out twice (the outbox hands each key over once, and
    # again only after a crash: at least once).
    sends_each_key_once = False

    @pytest.fixture
    def fake(self):
        fake = SMTPContractFake()
        yield fake
        fake.close()

    @pytest.fixture
    def make_sender(self, fake):
        return lambda: SMTPEmailSender.from_settings(smtp_settings(fake, **{"vvs.email.smtp.timeout": 1}))


class _Closed:
    def __init__(self, port):
        self.port = port


def mail(to, key="k1", subject="Alerte — rue de l'Église", text="Véhicule suspect.\n\nAppelez le 17.", html=None):
    return OutgoingEmail(to=to, subject=subject, text=text, html=html, key=key)


def test_a_message_has_french_text_and_html_parts_and_its_key(smtp_server):  # noqa: F811
    sender = SMTPEmailSender.from_settings(smtp_settings(smtp_server))
    [result] = sender.send_batch([mail("voisin@example.org")])
    assert result.ok and "@voisins.example.fr" in result.provider_ref
    [received] = smtp_server.messages
    message = received["message"]
    assert received["to"] == ["voisin@example.org"] and received["from"] == "ne-pas-repondre@voisins.example.fr"
    assert message["Subject"] == "Alerte — rue de l'Église" and message["X-VVS-Key"] == "k1"
    assert message["Content-Language"] == "fr" and message["Message-ID"].strip("<>") == result.provider_ref
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Véhicule suspect." in text
    assert '<html lang="fr">' in html and "<p>Véhicule suspect.</p>" in html


def test_refused_recipients_fail_for_good_and_4xx_is_retried(smtp_server):  # noqa: F811
    sender = SMTPEmailSender.from_settings(smtp_settings(smtp_server))
    results = sender.send_batch([mail("refuse@example.org", "a"), mail("plus-tard@example.org", "b"),
                                 mail("voisin@example.org", "c"), mail("pas-une-adresse", "d")])
    assert [(r.ok, r.transient) for r in results] == [(False, False), (False, True), (True, False), (False, False)]
    assert "550" in results[0].error and "450" in results[1].error
    assert [m["to"] for m in smtp_server.messages] == [["voisin@example.org"]]


def test_a_server_that_is_down_fails_the_batch_transiently_without_waiting_for_each():
    sender = SMTPEmailSender.from_settings(smtp_settings(_Closed(free_port())))
    results = sender.send_batch([mail("a@example.org", "a"), mail("b@example.org", "b")])
    assert all(not r.ok and r.transient and "injoignable" in r.error for r in results)


def test_starttls_with_authentication(starttls_server, tls_files):  # noqa: F811
    settings = smtp_settings(starttls_server, **{
        "vvs.email.smtp.security": "starttls", "vvs.email.smtp.username": USER,
        "vvs.email.smtp.password": PASSWORD, "vvs.email.smtp.ca_file": tls_files[0]})
    [result] = SMTPEmailSender.from_settings(settings).send_batch([mail("voisin@example.org")])
    assert result.ok, result.error
    [received] = starttls_server.messages
    assert received["tls"] and received["auth"]


def test_starttls_refuses_a_certificate_it_cannot_verify(starttls_server):  # noqa: F811
    settings = smtp_settings(starttls_server, **{
        "vvs.email.smtp.security": "starttls", "vvs.email.smtp.username": USER, "vvs.email.smtp.password": PASSWORD})
    [result] = SMTPEmailSender.from_settings(settings).send_batch([mail("voisin@example.org")])
    assert not result.ok and result.transient and starttls_server.messages == []


def test_a_wrong_password_is_not_accepted(starttls_server, tls_files):  # noqa: F811
    settings = smtp_settings(starttls_server, **{
        "vvs.email.smtp.security": "starttls", "vvs.email.smtp.username": USER,
        "vvs.email.smtp.password": "faux", "vvs.email.smtp.ca_file": tls_files[0],
        "vvs.email.smtp.timeout": 1})
    [result] = SMTPEmailSender.from_settings(settings).send_batch([mail("voisin@example.org")])
    # smtplib tries each mechanism, and aiosmtpd hangs up after the failures
    assert not result.ok and result.transient and starttls_server.messages == []


def test_implicit_tls(implicit_tls_server, tls_files):  # noqa: F811
    settings = smtp_settings(implicit_tls_server, **{
        "vvs.email.smtp.security": "tls", "vvs.email.smtp.ca_file": tls_files[0]})
    [result] = SMTPEmailSender.from_settings(settings).send_batch([mail("voisin@example.org")])
    assert result.ok, result.error
    assert implicit_tls_server.messages[0]["to"] == ["voisin@example.org"]
    plain = smtp_settings(implicit_tls_server, **{"vvs.email.smtp.timeout": 1})
    [refused] = SMTPEmailSender.from_settings(plain).send_batch([mail("voisin@example.org", "k2")])
    assert not refused.ok and len(implicit_tls_server.messages) == 1


@pytest.mark.parametrize("override, words", [
    ({"vvs.email.smtp.host": ""}, "needs vvs.email.smtp.host"),
    ({"vvs.email.smtp.security": "ssl"}, "use starttls, tls or none"),
    ({"vvs.email.smtp.username": "u"}, "VVS_EMAIL_SMTP_PASSWORD"),
])
def test_bad_settings_stop_start_up_with_one_clear_line(smtp_server, override, words):  # noqa: F811
    with pytest.raises(ConfigurationError) as caught:
        SMTPEmailSender.from_settings(smtp_settings(smtp_server, **override))
    assert words in str(caught.value) and "\n" not in str(caught.value)


# --- health() (shown on /admin/extensions and by `vvs check`) ---------------------------

def test_health_of_a_working_server_sends_nothing(smtp_server):  # noqa: F811
    assert SMTPEmailSender.from_settings(smtp_settings(smtp_server)).health() is None
    assert smtp_server.messages == []


def test_health_with_starttls_and_login(starttls_server, tls_files):  # noqa: F811
    good = smtp_settings(starttls_server, **{
        "vvs.email.smtp.security": "starttls", "vvs.email.smtp.username": USER,
        "vvs.email.smtp.password": PASSWORD, "vvs.email.smtp.ca_file": tls_files[0]})
    assert SMTPEmailSender.from_settings(good).health() is None
    # aiosmtpd leaves a refused login unanswered: the check says so within its timeout
    wrong = SMTPEmailSender.from_settings({**good, "vvs.email.smtp.password": "pas le bon",
                                           "vvs.email.smtp.timeout": 1}).health()
    assert wrong.startswith(f"Le serveur SMTP 127.0.0.1:{starttls_server.port} ")
    untrusted = SMTPEmailSender.from_settings({**good, "vvs.email.smtp.ca_file": ""}).health()
    assert untrusted.startswith(f"Connexion chiffrée impossible avec le serveur SMTP 127.0.0.1:{starttls_server.port}")


def test_health_of_a_closed_port():
    port = free_port()
    problem = SMTPEmailSender.from_settings(smtp_settings(_Closed(port))).health()
    assert problem == f"Le serveur SMTP 127.0.0.1:{port} ne répond pas (ConnectionRefusedError)."


def test_health_of_the_mail_folder(tmp_path):
    from vvs_dev_providers.providers import FolderEmailSender

    assert FolderEmailSender(str(tmp_path / "courriels" / "à venir"), "x@example.test").health() is None
    assert not (tmp_path / "courriels").exists()  # the check creates nothing
    a_file = tmp_path / "fichier"
    a_file.write_text("x")
    assert FolderEmailSender(str(a_file / "mails"), "x@example.test").health().endswith("n'est pas un dossier.")
    locked = tmp_path / "verrouillé"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        import os

        if os.geteuid() != 0:  # root writes anywhere
            assert "n'est pas accessible en écriture" in FolderEmailSender(str(locked), "x@example.test").health()
    finally:
        locked.chmod(0o700)
