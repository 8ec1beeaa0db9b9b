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


@hookimpl
def vvs_register_providers():
    from .provider import SETTINGS, TwilioVoiceCaller

    return [ProviderSpec("voice", "twilio", TwilioVoiceCaller.from_settings, settings=SETTINGS, callbacks=True,
                         description="Calls to landlines through Twilio Programmable Voice (French text-to-speech, "
                                     "keypad answer, signed status callbacks).")]


def includeme(config):
    pass  # no route of its own: the core serves the callbacks


@hookimpl
def vvs_startup(registry):
    """The caller was built before plugins were included; give it the shared journal."""
    from vvs_core.providers import provider_on

    from .journal import DatabaseJournal
    from .provider import TwilioVoiceCaller

    caller = provider_on(registry, "voice")
    if isinstance(caller, TwilioVoiceCaller):
        caller.journal = DatabaseJournal(registry)
