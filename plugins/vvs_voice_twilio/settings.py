"""The Twilio caller's settings, declared without importing the ``twilio`` client: a
web process that never places a call never loads it."""
from __future__ import annotations

from vvs_core.settings import Setting, as_bool, as_float, as_int

TWILIO_API = "https://api.twilio.com"

S = "vvs.voice.twilio."
SETTINGS = [
    Setting(S + "account_sid", "", "Account SID of the Twilio account, `AC…` (required).", required=True),
    Setting(S + "auth_token", "", "Auth token of the Twilio account (required; set VVS_VOICE_TWILIO_AUTH_TOKEN): it also signs Twilio's callbacks.", secret=True, required=True),
    Setting(S + "from_number", "", "The Twilio number the calls come from, E.164 (`+33…`, required): what residents see.", required=True),
    Setting(S + "api_url", TWILIO_API, "Base URL of the Twilio REST API (change it only for a local fake or a proxy)."),
    Setting(S + "timeout", 10, "Seconds before a Twilio API call is abandoned (and retried later by the outbox).", parse=as_float),
    Setting(S + "ring_seconds", 30, "Seconds the landline rings before the call counts as not answered.", parse=as_int),
    Setting(S + "gather_seconds", 8, "Seconds Twilio waits for a key after the prompt.", parse=as_int),
    Setting(S + "voice", "", "Twilio voice for `<Say>` (e.g. `Polly.Lea`); empty: Twilio's French default."),
    Setting(S + "machine_detection", False, "Ask Twilio to tell answering machines (`AnsweredBy`; billed by Twilio).", parse=as_bool),
]
