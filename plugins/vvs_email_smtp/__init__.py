"""vvs_email_smtp: e-mail over SMTP (STARTTLS, TLS or plain), with pyramid_mailer.

``vvs.email.provider = smtp`` chooses it; settings ``vvs.email.smtp.*``
(docs/providers.md). The password comes from the environment
(``VVS_EMAIL_SMTP_PASSWORD``).
"""
from __future__ import annotations

from vvs_core.hooktypes import ProviderSpec
from vvs_core.plugins import hookimpl


@hookimpl
def vvs_register_providers():
    from .provider import SETTINGS, SMTPEmailSender

    return [ProviderSpec("email", "smtp", SMTPEmailSender.from_settings, settings=SETTINGS,
                         description="E-mail over SMTP (STARTTLS, TLS or plain) with pyramid_mailer.")]


def includeme(config):
    """Nothing to wire: the outbox calls the provider; no route, no table."""
