"""vvs_dev_providers: the development providers (« fournisseurs de développement »).

What `make run` sends through, with no credential and no network (``providers``):

- SMS ``console``: each SMS written to the log, with its alphabet and its parts; with
  ``vvs.sms.console.callback_token`` set, SMS "received" are posted to
  ``/fournisseurs/console/TOKEN/sms-recu`` (README, « SMS reçus »);
- e-mail ``folder``: each e-mail an ``.eml`` file in ``vvs.email.folder``;
- voice ``folder``: each call's script (and a WAV by ``espeak-ng``) in
  ``vvs.voice.script_folder``; its callback plays the person answering;
- push ``log``: each push notification written to the log;
- SMS and e-mail ``null``: accept everything and send nothing (load tests, benchmarks).

Enabled in development.ini, not in production.ini. The core's defaults
(``vvs.sms.provider = console``, ``vvs.email.provider = folder``) name these: a .ini that
keeps them without enabling the plugin stops at start-up, and ``vvs check`` says, in one
line, to add vvs_dev_providers to ``vvs.plugins``. The core serves the callbacks.
"""
from __future__ import annotations

from vvs_core.hooktypes import ProviderSpec
from vvs_core.plugins import hookimpl
from vvs_core.settings import Setting

EMAIL_FOLDER = Setting("vvs.email.folder", "var/mail", "Folder where the `folder` e-mail provider writes `.eml` files.")
SCRIPT_FOLDER = Setting("vvs.voice.script_folder", "var/appels", "Folder where the `folder` voice provider writes each "
                        "call's script (and its WAV file when `espeak-ng` is installed).")


@hookimpl
def vvs_register_providers():
    from .providers import ConsoleSMSSender, FolderEmailSender, FolderVoiceCaller, LogPushSender, NullSender

    return [
        ProviderSpec("sms", "console", ConsoleSMSSender.from_settings, callbacks=True,
                     description="Writes SMS to the log (development); with its callback token set, takes "
                                 "SMS \"received\" by POST to /fournisseurs/console/TOKEN/sms-recu."),
        ProviderSpec("email", "folder", FolderEmailSender.from_settings, settings=[EMAIL_FOLDER],
                     description="Writes each e-mail as an .eml file into vvs.email.folder (development)."),
        ProviderSpec("sms", "null", NullSender.from_settings,
                     description="Accepts every SMS at once and sends nothing (load tests, benchmarks)."),
        ProviderSpec("email", "null", NullSender.from_settings,
                     description="Accepts every e-mail at once and sends nothing (load tests, benchmarks)."),
        ProviderSpec("voice", "folder", FolderVoiceCaller.from_settings, callbacks=True, settings=[SCRIPT_FOLDER],
                     description="Writes each call's script (and a WAV spoken by espeak-ng when installed) into "
                                 "vvs.voice.script_folder; the callback URL plays the person answering (development)."),
        ProviderSpec("push", "log", LogPushSender.from_settings,
                     description="Writes push notifications to the log (development)."),
    ]


def includeme(config):
    pass  # no route of its own: the core serves the callbacks
