"""The core knows no feature: vvs_core names no plugin, none of the keys plugins declare
(notification kinds, community event kinds, the hooks they declare for each other),
and no feature word, outside the allow-list below (which only shrinks)."""
from __future__ import annotations

import re
from pathlib import Path

import vvs_core
from vvs_core.plugins import installed_plugins

CORE = Path(vvs_core.__file__).parent
SUFFIXES = {".py", ".pt", ".js", ".css"}
FEATURE_WORDS = [r"gazette", r"jumel\w*", r"twinning", r"kyc", r"messagerie",
                 r"openapi", r"bearer", r"api_tokens?\b", r"jetons? d.acc",  # vvs_api
                 r"invit", r"flyer",  # vvs_invitations
                 r"webpush", r"vapid", r"push_?subscriptions?", r"mes appareils",  # vvs_push
                 r"annuaire",  # vvs_directory
                 r"accessibilite\b", r"d.claration d.accessibilit", r"conformity",  # vvs_accessibility
                 r"mairie",  # vvs_mairie (its validation mode is declared: vvs_register_validation_modes)
                 r"alert_\w+"]  # a key named after the alerts (issue 14.1: "alert_min_severity")

# (file relative to vvs_core, text on the line, why it stays for now)
ALLOWED = [
    ("accounts/views.py", '"message": ', "the page's message field, not the messaging kind"),
    ("web/errorpages.py", '"message": "message en français"', "the JSON error's message field, not the messaging kind"),
    ("web/errorpages.py", '{"code": code, "message": message}', "the JSON error's message field, not the messaging kind"),
    ("web/errorpages.py", '"message": message', "the error page's message field, not the messaging kind"),
    ("testing.py", '"vvs.kyc.required"', "test fixtures turn off the proof plugin's requirement (issue 13.4); belongs "
     "in that plugin's own testing module"),
]


def core_files() -> list[Path]:
    return [p for p in CORE.rglob("*") if p.suffix in SUFFIXES and p.is_file()
            and not {"migrations", "locale"} & set(p.relative_to(CORE).parts)]


def plugin_names() -> list[str]:
    return sorted(n for n in installed_plugins() if n != "vvs_hello")


def declared_keys() -> set[str]:
    """Keys the plugins declare, read from their own hooks (notification and event kinds,
    the hooks they add for each other)."""
    keys = set()
    for name in plugin_names():
        module = installed_plugins()[name].load()
        for hook in ("vvs_register_notification_kinds", "vvs_register_event_kinds"):
            if hasattr(module, hook):
                keys |= {kind.key for kind in getattr(module, hook)()}
        try:
            specs = __import__(f"{module.__name__}.hookspecs", fromlist=["x"])
        except ImportError:
            continue
        keys |= {n for n in dir(specs) if n.startswith("vvs_")}
    return keys


def allowed(path: Path, line: str) -> bool:
    rel = str(path.relative_to(CORE))
    return any(rel == file and text in line for file, text, _why in ALLOWED)


def findings(patterns: list[re.Pattern], suffixes=SUFFIXES) -> list[str]:
    found = []
    for path in (p for p in core_files() if p.suffix in suffixes):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for pattern in patterns:
                if pattern.search(line) and not allowed(path, line):
                    found.append(f"vvs_core/{path.relative_to(CORE)}:{number}: {pattern.pattern}: {line.strip()[:120]}")
    return found


def test_the_core_names_no_plugin():
    assert findings([re.compile(rf"\b{re.escape(name)}\b") for name in plugin_names()]) == []


def test_the_core_names_no_key_a_plugin_declares():
    keys = declared_keys()
    assert {"alert", "gazette", "message", "twinning_proposed", "vvs_commune_activity"} <= keys  # the check reads them
    # In the Python code: templates say role="alert" (ARIA), which is no kind.
    assert findings([re.compile(rf"""["']{re.escape(key)}["']""") for key in sorted(keys)], {".py"}) == []


def test_the_core_names_no_feature():
    assert findings([re.compile(rf"\b{word}", re.I) for word in FEATURE_WORDS]) == []


def test_the_allow_list_has_no_stale_entry():
    """Every allowed line still exists: an entry whose line is gone is removed."""
    for file, text, _why in ALLOWED:
        assert text in (CORE / file).read_text(encoding="utf-8"), f"{file}: {text!r} is gone; remove it from ALLOWED"
