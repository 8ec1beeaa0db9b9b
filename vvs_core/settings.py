"""Settings: declared once with their default, documented in docs/configuration.md.

Every ``vvs.*`` key must be declared (by the core here, or by a plugin through
``vvs_register_settings``); an unknown key stops start-up. Any declared setting can
come from the environment by one mechanical rule: ``vvs.email.smtp.password`` is
read from ``VVS_EMAIL_SMTP_PASSWORD`` (dots become underscores, upper case), and the
environment wins over the ``.ini``.
"""

import difflib
import os
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import ConfigurationError


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any = None
    doc: str = ""
    secret: bool = False
    parse: Callable[[str], Any] | None = None
    required: bool = False

    @property
    def env_name(self) -> str:
        return env_name(self.name)


def env_name(key: str) -> str:
    return key.upper().replace(".", "_")


def as_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on", "oui"):
        return True
    if text in ("0", "false", "no", "off", "non", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def as_int(value) -> int:
    return int(str(value).strip())


def as_int_between(value, low: int, high: int) -> int:
    number = as_int(value)
    if not low <= number <= high:
        raise ValueError(f"{number} is not between {low} and {high}")
    return number


def as_float(value) -> float:
    return float(str(value).strip())


def as_rate(value) -> str:
    count, seconds = parse_rate(value)
    if count < 1 or seconds < 1:
        raise ValueError("count/seconds, both at least 1")
    return str(value)


def parse_trusted_proxies(value):
    """``vvs.trusted_proxies``: an int (how many proxies) or a tuple of ip networks."""
    import ipaddress

    if isinstance(value, (int, tuple)):
        return value
    text = str(value or "").strip()
    if text == "":
        return 0
    if text.isdigit():
        count = int(text)
        if count > 10:
            raise ValueError(f"{count} proxies in a row is not plausible (0 to 10)")
        return count
    try:
        return tuple(ipaddress.ip_network(part, strict=False) for part in as_list(text))
    except ValueError as exc:
        raise ValueError(f"a count or IP addresses/networks separated by spaces: {exc}") from None


def parse_night(value) -> tuple:
    """``"21:00-08:00"`` → (start, end, the text): the hours without calls below urgent."""
    from datetime import time

    text = str(value).strip()
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError("HH:MM-HH:MM, e.g. 21:00-08:00") from None
    if start == end:
        raise ValueError("the night must not start when it ends")
    return start, end, text


def as_list(value) -> list[str]:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [part for part in str(value or "").replace(",", " ").split() if part]


def _parse_zone(value) -> str:
    from vvs_core.web.timefmt import parse_zone

    return parse_zone(value)


CORE_SETTINGS = [
    Setting("vvs.plugins", "*", "Plugins to enable, separated by spaces; `*` enables every installed plugin.", parse=as_list),
    Setting("vvs.database_url", "sqlite:///var/vvs.sqlite", "SQLAlchemy URL: `sqlite:///path` (embedded, Shapely geometry) or `postgresql+psycopg://…` (PostGIS).", secret=True),
    Setting("vvs.broker_url", "inline", "Queue broker: `inline` (worker thread in the web process, development only), `redis://…` or `amqp://…`.", secret=True),
    Setting("vvs.inline_worker_threads", 2, "Worker threads of the inline broker.", parse=as_int),
    Setting("vvs.secret", None, "Secret used to sign session cookies and tokens (at least 32 characters).", secret=True, required=True),
    Setting("vvs.secure_cookies", True, "Send cookies with the Secure flag (turn off only for plain-HTTP development).", parse=as_bool),
    Setting("vvs.session_idle_timeout", 1800, "Seconds of inactivity after which a session ends.", parse=as_int),
    Setting("vvs.session_max_age", 43200, "Seconds after login after which a session ends whatever the activity.", parse=as_int),
    Setting("vvs.public_url", "http://localhost:6543", "Public address of the site (scheme, host, optional path): the base of every absolute link, in SMS, e-mails, Atom and CAP feeds, iCal, printed QR codes, notifications and plugins' JSON answers. Unset: `http://localhost:PORT`, the port the development server listens on (`PORT=8080 make run`); in production (Secure cookies or a separate queue) an unset or local address is a warning at start-up."),
    Setting("vvs.timezone", "Europe/Paris", "Time zone of the instance (an IANA name: `Europe/Paris`, `America/Cayenne`, `Indian/Reunion`…). Every page, e-mail, SMS, export, feed, CAP message and calendar shows dates and hours in it, except those of a commune given its own zone in /admin/communes (overseas: its pages, its agents' and residents' pages, its alerts and reports); hours typed in forms (events of plugins), quiet hours, the digest hour and monthly reports are read in it (or the commune's). Datetimes are stored in UTC, so changing it changes only what is shown.", parse=_parse_zone),
    Setting("vvs.site_name", "Voisins vigilants et solidaires", "Name shown in pages and messages."),
    Setting("vvs.platform_email", "equipe@vvs.invalid", "Sender and contact address of the platform team."),
    Setting("vvs.ratelimit_url", "memory://", "Store of the rate limits: `memory://` (one process) or `redis://…` (shared by every process).", secret=True),
    Setting("vvs.cache_url", "", "Where the cache of signed-in pages learns that data changed: `memory://` (one process), `redis://…` (several web processes or workers: required then), `none` (no cache). Empty: the broker's Redis, `memory://` with the inline broker, `none` with AMQP.", secret=True),
    Setting("vvs.cache_seconds", 30, "Longest time a cached page value is served, even with no write (0 turns the cache off).", parse=as_float),
    Setting("vvs.trusted_proxies", "0", "The reverse proxies in front of vvs, whose `X-Forwarded-For` is believed: `0` (none: the address of the connection is the client's; the default), a count (`1`: one nginx in front; `2`: a load balancer then nginx), or their addresses and networks (`127.0.0.1 10.0.0.0/8`). The client's address is read from the right of `X-Forwarded-For`, past the trusted hops: what a client writes in the header itself is never taken (docs/deploy.md). Rate limits per address depend on it.", parse=parse_trusted_proxies),
    Setting("vvs.ratelimit.login", "10/300", "Failed logins allowed per account: `count/seconds`.", parse=as_rate),
    Setting("vvs.ratelimit.login_address", "50/300", "Failed logins allowed per address (a family, a public computer, a mobile operator share one).", parse=as_rate),
    Setting("vvs.ratelimit.signup", "5/3600", "Sign-ups allowed per address: `count/seconds`.", parse=as_rate),
    Setting("vvs.ratelimit.reset", "5/3600", "Password-reset requests allowed per account and per address: `count/seconds`.", parse=as_rate),
    Setting("vvs.password_min_length", 12, "Minimum password length.", parse=as_int),
    Setting("vvs.password_hash.memory_kib", 19456, "Argon2id memory per password hash, in KiB (19,456 = 19 MiB: OWASP's "
            "recommended minimum; docs/security.md weighs it). Memory × passes below 35,840 (OWASP's weakest listed "
            "configuration, 7 MiB × 5) is refused.", parse=lambda v: as_int_between(v, 1024, 4 * 1024 * 1024)),
    Setting("vvs.password_hash.time_cost", 2, "Argon2id passes over that memory.", parse=lambda v: as_int_between(v, 1, 20)),
    Setting("vvs.password_hash.parallelism", 1, "Argon2id lanes (threads of one hash; more than the web server's cores "
            "buys nothing).", parse=lambda v: as_int_between(v, 1, 16)),
    Setting("vvs.community.min_area_m2", 10000, "Smallest acceptable community area, in m² (about a hundred homes: 1 ha is a dense block).", parse=as_float),
    Setting("vvs.community.max_area_m2", 2000000, "Largest acceptable community area, in m² (2 km² is a scattered hamlet).", parse=as_float),
    Setting("vvs.community.nearby_m", 1000, "Distance in metres under which a community counts as near a home.", parse=as_float),
    Setting("vvs.community.default_size_m", 250, "Side in metres of the square drawn around a home for a new community.", parse=as_float),
    Setting("vvs.sms.provider", "console", "SMS provider name, brought by a plugin: `console` and `null` for development and benchmarks, `ovh`… (docs/providers.md)."),
    Setting("vvs.sms.max_segments", 2, "Most parts any SMS may use, 1 to 6 (GSM-7: 160 characters alone, 153 per part; UCS-2: 70 and 67). Before a provider sees an SMS, the outbox transliterates it to GSM-7 where French allows (ê → e, ’ → ', « » → \") and shortens a longer text, keeping its links and its « appelez le 17 » line (vvs_core/notify/sms.py, docs/providers.md).", parse=lambda v: as_int_between(v, 1, 6)),
    Setting("vvs.email.provider", "folder", "E-mail provider name, brought by a plugin: `folder` and `null` for development and benchmarks, `smtp`…"),
    Setting("vvs.email.sender", "Voisins vigilants <ne-pas-repondre@vvs.invalid>", "From: address of the e-mails sent."),
    Setting("vvs.geocoder.provider", "manual", "Geocoder name (`manual` built in: the resident places the marker; provider plugins add others, e.g. `ban`)."),
    Setting("vvs.identity.provider", "none", "Identity-check partner name (`none` built in: no partner; a provider plugin adds its own, used by a verification plugin)."),
    Setting("vvs.voice.provider", "", "Voice-call provider name: calls to the landline of residents who have no mobile, brought by a plugin (`folder` for development: writes each call's script, and a WAV when `espeak-ng` is installed, into vvs.voice.script_folder; `twilio`…). Empty: no calls (docs/providers.md)."),
    Setting("vvs.voice.night", "21:00-08:00", "Hours (Paris time, `HH:MM-HH:MM`) when no call is placed below the urgent severity: such calls wait for the end of the night.", parse=lambda v: parse_night(v)[2]),
    Setting("vvs.push.provider", "", "Push provider name, brought by a plugin (`log` for development: written to the log). Empty: no push notifications."),
    Setting("vvs.outbox.max_attempts", 6, "Delivery attempts before a notification is marked failed.", parse=as_int),
    Setting("vvs.outbox.batch_size", 500, "Notifications handed to a provider per queue message.", parse=as_int),
    Setting("vvs.outbox.sweep_interval", 15, "Seconds between two passes of the sweeper that re-enqueues what was left pending.", parse=as_int),
    Setting("vvs.outbox.claim_timeout", 60, "Seconds after which a notification claimed by a dead worker is handed out again.", parse=as_int),
    Setting("vvs.outbox.retry_backoff", 5, "Seconds before the first retry of a transient failure (doubles each time, capped at 60).", parse=as_int),
    Setting("vvs.jobs.lease", 60, "Seconds a worker holds a leased job (an alert's fan-out) before the reaper hands it out again: what a killed worker held, or a message a restarted broker lost, runs again within about vvs.jobs.lease + vvs.jobs.reap_interval.", parse=as_int),
    Setting("vvs.jobs.reap_interval", 15, "Seconds between two passes of the reaper that re-enqueues leased jobs whose lease ran out (run by `vvs scheduler`, or the web process with the inline broker).", parse=as_int),
    Setting("vvs.jobs.max_attempts", 5, "Runs of a leased job before it is marked failed (and logged).", parse=as_int),
    Setting("vvs.validation.escalation_days", 15, "Days after which a pending membership request goes to the platform team.", parse=as_int),
    Setting("vvs.map.tile_url", "", "Tile URL template of the plan background of every map (`{z}`, `{x}`, `{y}`, `{s}`), e.g. the IGN Géoplateforme's Plan IGN v2. The visitor's browser fetches the tiles from that host; empty: no background, nothing loaded from another host. See docs/install.md, \"Maps\"."),
    Setting("vvs.map.tile_attribution", "", "Attribution shown on the map with the plan tiles (required by most tile providers), e.g. `© IGN – Géoplateforme`."),
    Setting("vvs.map.satellite_url", "", "Tile URL template of the satellite (aerial photograph) background, offered next to the plan by a switch on every map, e.g. the IGN's ORTHOIMAGERY.ORTHOPHOTOS layer; empty: plan only."),
    Setting("vvs.map.satellite_attribution", "", "Attribution shown on the map with the satellite tiles."),
    Setting("vvs.map.max_zoom", 19, "Deepest zoom level the tile layers serve (19 for the IGN Géoplateforme and OpenStreetMap).", parse=as_int),
]


@dataclass
class SettingsRegistry:
    declared: dict[str, Setting] = field(default_factory=dict)

    def declare(self, setting: Setting, owner: str = "vvs_core") -> None:
        if setting.name in self.declared:
            raise ConfigurationError(f"setting {setting.name} is declared twice (second time by {owner})")
        if not setting.name.startswith("vvs."):
            raise ConfigurationError(f"setting {setting.name} declared by {owner} must start with 'vvs.'")
        self.declared[setting.name] = setting

    def resolve(self, raw: dict, environ: dict | None = None, enabled=None) -> dict:
        """Return the settings with defaults, environment overrides and parsed values.

        Raises ConfigurationError on an unknown ``vvs.*`` key, a missing required
        value or a value that does not parse. ``enabled``: the enabled plugins, to name
        the one not enabled whose provider an unknown key belongs to.
        """
        environ = os.environ if environ is None else environ
        unknown = sorted(k for k in raw if k.startswith("vvs.") and k not in self.declared)
        if unknown:
            key = unknown[0]
            from .plugins import plugins_bringing

            close = difflib.get_close_matches(key, self.declared, n=1)
            plugins = [p for p in plugins_bringing(key.removeprefix("vvs.")) if p not in (enabled or ())]
            hint = (f" (a setting of the plugin {' or '.join(plugins)}: add it to vvs.plugins)" if plugins
                    else f" (did you mean {close[0]}?)" if close else "")
            raise ConfigurationError(
                f"unknown setting {key}{hint}; see docs/configuration.md for every setting")
        out = dict(raw)
        for name, setting in self.declared.items():
            value = environ.get(setting.env_name, raw.get(name, setting.default))
            if value is None or value == "":
                if setting.required:
                    raise ConfigurationError(
                        f"setting {name} is required: set it in the .ini or in the environment as {setting.env_name}")
                out[name] = setting.default if value is None else value
                if setting.parse and out[name] not in (None, ""):
                    out[name] = setting.parse(out[name])
                continue
            if setting.parse:
                try:
                    value = setting.parse(value)
                except (TypeError, ValueError) as exc:
                    shown = "***" if setting.secret else repr(value)
                    reason = " ".join(str(exc).split())
                    raise ConfigurationError(
                        f"setting {name} = {shown} is not valid{f' ({reason})' if reason else ''}: {setting.doc}"
                    ) from None
            out[name] = value
        return out

    def masked(self, settings: dict) -> dict:
        """The settings with secrets replaced by '***', for printing."""
        return {
            k: ("***" if k in self.declared and self.declared[k].secret and v else v)
            for k, v in settings.items()
            if k.startswith("vvs.")}


def core_registry() -> SettingsRegistry:
    registry = SettingsRegistry()
    for setting in CORE_SETTINGS:
        registry.declare(setting)
    return registry


def parse_rate(text: str) -> tuple[int, int]:
    """'10/300' → (10, 300): at most 10 events per 300 seconds."""
    count, _, seconds = str(text).partition("/")
    return int(count), int(seconds or 60)
