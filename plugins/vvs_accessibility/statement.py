"""The accessibility statement (déclaration d'accessibilité, RGAA 4.1) and the
measurements it publishes.

The browser tests (tests/e2e) run axe-core on every page they visit and keyboard-only
journeys through the map forms; at the end of the run they write a raw summary
(``var/accessibility/axe-results.json``). ``vvs accessibility`` turns it into the page
data shipped with the code (``vvs_accessibility/data/accessibility.json``), which
``/accessibilite`` shows. Nothing here claims more than was measured: an automated
check plus keyboard tests is not an RGAA audit, and the RGAA says a site without a
valid audit is "non conforme" (the ``vvs.accessibility.conformity`` setting changes
the statement once a real audit is done).
"""

import json
import re
from importlib import resources
from pathlib import Path

from vvs_core.clock import utcnow

BLOCKING = ("critical", "serious")
IMPACTS = ("critical", "serious", "moderate", "minor")
CONFORMITY_LABELS = {
    "non": "non conforme",
    "partiellement": "partiellement conforme",
    "totalement": "totalement conforme",
}
DEFAULT_RESULTS = Path("var") / "accessibility" / "axe-results.json"
_ID_SEGMENT = re.compile(r"/\d+(?=/|$|\.)")


def page_pattern(path: str) -> str:
    """``/communaute/12/delimitation?x=1`` → ``/communaute/{id}/delimitation``: one row per kind of page."""
    path = path.split("?", 1)[0].split("#", 1)[0] or "/"
    path = re.sub(r"/[0-9a-f]{24,}(?=/|$)", "/{jeton}", path)
    return _ID_SEGMENT.sub("/{id}", path)


def data_path():
    return resources.files("vvs_accessibility") / "data" / "accessibility.json"


def load_statement_data() -> dict | None:
    """The page data shipped with the code, or None before the first measured run."""
    path = data_path()
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None


def summarise(raw: dict) -> dict:
    """The page data from the raw summary of a test run (see tests/e2e/axe_audit.py)."""
    pages: dict[str, dict] = {}
    failures: dict[str, dict] = {}
    for visit in raw.get("visits", []):
        pattern = page_pattern(visit["path"])
        row = pages.setdefault(pattern, {"path": pattern, "title": visit.get("title", ""), "visits": 0,
                                         **{impact: 0 for impact in IMPACTS}, "rules": []})
        row["visits"] += 1
        for v in visit.get("violations", []):
            impact = v.get("impact") or "minor"
            row[impact] = row.get(impact, 0) + 1
            if v["id"] not in row["rules"]:
                row["rules"].append(v["id"])
            entry = failures.setdefault(v["id"], {"rule": v["id"], "impact": impact, "help": v.get("help", ""),
                                                  "pages": []})
            if pattern not in entry["pages"]:
                entry["pages"].append(pattern)
    rows = sorted(pages.values(), key=lambda r: r["path"])
    totals = {impact: sum(r[impact] for r in rows) for impact in IMPACTS}
    keyboard = raw.get("keyboard", [])
    return {
        "generated_at": raw.get("generated_at") or utcnow().isoformat(timespec="seconds"),
        "axe_version": raw.get("axe_version", ""),
        "tags": raw.get("tags", []),
        "browser": raw.get("browser", ""),
        "viewports": raw.get("viewports", []),
        "pages": rows,
        "visits": sum(r["visits"] for r in rows),
        "views": raw.get("pages_shown") or sum(r["visits"] for r in rows),
        "totals": totals,
        "blocking": sum(totals[i] for i in BLOCKING),
        "non_conformities": sorted(failures.values(), key=lambda f: (IMPACTS.index(f["impact"]), f["rule"])),
        "keyboard": keyboard,
        "keyboard_passed": sum(1 for k in keyboard if k.get("outcome") == "passed"),
    }


def write_statement_data(results: Path, out: Path | None = None) -> dict:
    """Read the raw summary of a test run, write the page data; returns it."""
    try:
        raw = json.loads(Path(results).read_text("utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{results}: no results; run the browser tests first (make test, or pytest tests/e2e)") from None
    if not raw.get("visits"):
        raise ValueError(f"{results}: the run visited no page")
    data = summarise(raw)
    target = Path(out) if out else Path(str(data_path()))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return data


def parse_conformity(value) -> str:
    text = str(value).strip()
    if text not in CONFORMITY_LABELS:
        raise ValueError(f"{text!r} is not one of {', '.join(CONFORMITY_LABELS)}")
    return text


def conformity_label(settings) -> str:
    return CONFORMITY_LABELS.get(settings.get("vvs.accessibility.conformity") or "non", "non conforme")
