"""The core's size, as a budget that only shrinks (issue 14.2).

Counted: every line (blank and comments included, as ``wc -l``) of the non-migration
Python files of ``vvs_core``. The target is **under 6,000 lines**, with every feature in a
plugin; the budget below is what the core measured when this test was written (plus
rounding), not the target. Lower it whenever the core shrinks; never raise it to make room:
a new feature goes into a plugin (docs/writing-a-plugin.md), and what only plugins share
goes behind a hook a plugin declares (``vvs_addhooks``)."""
from __future__ import annotations

from pathlib import Path

import vvs_core

CORE = Path(vvs_core.__file__).parent
TARGET = 6_000
BUDGET = 13_548  # -2: the sign-up's commune found by a search, not a list of every commune (one commune_search for the sign-up and « Nouvelle communauté », Commune.label: +13; the sign-up's list schema gone: -2), paid by three single-use helpers inlined (sees_audit, _table_write_keys, chosen_prefs: -14); before: ±0 (measure here): confirmed(), the one confirmation page of an action that cannot be undone (+9: a gazette post with its neighbours' replies, a twinning, a vulnerable person's entry went at one tap), and one pseudonym rule for sign-up and « Mon compte » (pseudonym_node, +7: 2 to 40 characters, the profile took 1 to 80), paid by the référent page's pending count read through the menu's pending_requests (-4), one separate_broker check for vvs worker and vvs scheduler (-3), request.layout built by LayoutHelpers itself (-4), the one-use refused_while_acting inlined (-4); before: -5: one search of communes by name, postcode or INSEE code (communes_matching, place_key, Commune.name_key and .department: +26; the administration's « Nouvelle communauté » and the followers' page share it, the sign-up's list too), paid by six one-line helpers used once inlined (in_france, _kio, backoff_seconds, _too_close_to_edge, available_channels, local_generations) and textsearch.matches, the test's oracle, moved into the test; before: -1: « Mes données » in words (in_words, the one way of core and plugins: +10) paid by in_french merged into core_export and shorter account closing (-14); `vvs check` warns of an Outage (BAN down: +5); CHANNEL_NAMES derived from CHANNEL_LABELS (-2); before: ±0: one way to sign a link (vvs_core.web.links.signed/unsigned, +37: the roll-call's, the mairie's stop, the followers' stop and the gazette feed's own HMACs merged, their old links still accepted), paid by one issue_token for sessions and the tokens kept (moved beside the session's digest, session_digest read once, -15), text_node for the sign-up's address, pseudonym and phones, the profile's presentation and pseudonym and reason_node (-12), the callbacks' token check inlined (-5), the test-only generate_key (-5); before: -3: one rule for a typed e-mail address, email_problem (+12: « helene@orange » refused, accents and spaces told; the followers', the crisis cell's, the register's and the CLI's copies merged), paid by one email_taken for sign-up, settings and the CLI (-7) and the community form through text_node (-8); before: -2: one new_password_node for sign-up, reset and « Mes paramètres » (same words everywhere; walk, residents); -7: FRENCH_ZONES, the commune form's zones, moved into vvs_admin (-8); vvs_mairie's own copy of the PDF text rules (pdf_text.py, 33 lines) merged into vvs_core.web.pdf as plain(text, every=True) (+1); before: -35: four functions only one plugin used moved into it (community_people into vvs_mairie.referents, open_sessions into vvs_admin.accounts, the fan-out job's status read into vvs_alerts, is_derived inlined in vvs_mairie's start-up warning); before: -14: vvs.push.provider declared in CORE_SETTINGS with the other providers' names, not by a hook implementation of its own in defaults.py (one way to declare a core setting); before: -14, shown_prefs, the API's view of a resident's preferences that only vvs_api used, moved into vvs_api.views; before: -4, the quiet hours rule through validate(check=), told with the other errors (walk, residents); before: ±0 provider keys (+17) paid by the development server moved into vvs_devtools (-17)


def core_lines() -> dict[str, int]:
    return {str(p.relative_to(CORE)): len(p.read_text(encoding="utf-8").splitlines())
            for p in sorted(CORE.rglob("*.py")) if "migrations" not in p.relative_to(CORE).parts}


def test_the_core_stays_within_its_line_budget():
    lines = core_lines()
    total = sum(lines.values())
    largest = ", ".join(f"{name} {n}" for name, n in sorted(lines.items(), key=lambda kv: -kv[1])[:8])
    assert total <= BUDGET, (f"vvs_core has {total} lines of Python (budget {BUDGET}, target {TARGET}); "
                             f"move a feature into a plugin. Largest modules: {largest}")


def test_the_budget_is_a_ratchet():
    """A budget far above the measure is room for growth: lower it to the measure."""
    total = sum(core_lines().values())
    assert BUDGET - total < 500, f"vvs_core has {total} lines: lower BUDGET (now {BUDGET}) to about that"
