"""vvs_voice_twilio: calls to landlines through Twilio Programmable Voice.

``vvs.voice.provider = twilio`` chooses it; settings ``vvs.voice.twilio.*``
(docs/providers.md, "Voice"). Each call reads the text with ``<Say language="fr-FR">``
inside a ``<Gather numDigits="1">``; Twilio reports the call's progress and the key
pressed to the URL the core serves (``/fournisseurs/twilio/{token}/appel``), signed
with ``X-Twilio-Signature``, which the caller checks.
"""
from __future__ import annotations

from vvs_core.hooktypes import ProviderSpec
from vvs_core.plugins import hookimpl


def build_caller(settings):
    """The factory: the ``twilio`` client is imported only when Twilio is the chosen caller."""
    from .provider import TwilioVoiceCaller

    return TwilioVoiceCaller.from_settings(settings)


@hookimpl
def vvs_register_providers():
    from .settings import SETTINGS

    return [ProviderSpec("voice", "twilio", build_caller, settings=SETTINGS, callbacks=True,
                         description="Calls to landlines through Twilio Programmable Voice (French text-to-speech, "
                                     "keypad answer, signed status callbacks).")]


def includeme(config):
    pass  # no route of its own: the core serves the callbacks


@hookimpl
def vvs_startup(registry):
    """The caller was built before plugins were included; give it the shared journal."""
    from vvs_core.providers import provider_on

    caller = provider_on(registry, "voice")
    if getattr(caller, "name", None) == "twilio" and hasattr(caller, "journal"):
        from .journal import DatabaseJournal

        caller.journal = DatabaseJournal(registry)
