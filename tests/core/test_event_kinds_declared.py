"""Every community event kind the code records is declared (``vvs_register_event_kinds``):
an undeclared kind raises when recorded, so this catches it before a page does."""
from __future__ import annotations

import ast
from pathlib import Path

from vvs_core.app import load_settings
from vvs_core.communities.events import collect_event_kinds
from vvs_core.testing import TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]


def recorded_kinds() -> dict[str, str]:
    """Literal kinds passed to record_event in vvs_core and plugins → where."""
    found = {}
    for path in [*(ROOT / "vvs_core").rglob("*.py"), *(ROOT / "plugins").rglob("*.py")]:
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "record_event"
                    and len(node.args) >= 2):
                kind = node.args[1]
                candidates = [kind] if isinstance(kind, ast.Constant) else (
                    [kind.body, kind.orelse] if isinstance(kind, ast.IfExp) else [])
                for c in candidates:
                    if isinstance(c, ast.Constant) and isinstance(c.value, str):
                        found[c.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_recorded_event_kind_is_declared():
    _settings, pm, *_ = load_settings({"vvs.plugins": "*", "vvs.secret": TEST_SECRET})
    declared = collect_event_kinds(pm)
    recorded = recorded_kinds()
    assert len(recorded) > 10  # the check finds the calls
    assert {kind: where for kind, where in recorded.items() if kind not in declared} == {}
