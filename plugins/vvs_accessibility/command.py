"""``vvs accessibility INI``: regenerate the measured part of the accessibility statement
from a run of the browser tests."""
from __future__ import annotations

from pathlib import Path

from vvs_core.cli import CommandError

from .statement import DEFAULT_RESULTS, write_statement_data


def add_arguments(parser):
    parser.add_argument("--results", default=None, help="raw results of the browser tests (default var/accessibility/axe-results.json next to the .ini)")
    parser.add_argument("--out", default=None, help="where to write the page data (default: vvs_accessibility/data/accessibility.json)")


def publish_measures(loaded, args) -> int:
    results = Path(args.results) if args.results else Path(loaded.ini).resolve().parent / DEFAULT_RESULTS
    try:
        data = write_statement_data(results, args.out)
    except (FileNotFoundError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    print(f"{len(data['pages'])} pages, {data['visits']} checks, {data['blocking']} serious or critical violations, "
          f"{data['keyboard_passed']}/{len(data['keyboard'])} keyboard journeys passed "
          f"(axe-core {data['axe_version']}, {data['generated_at']})")
    return 0
