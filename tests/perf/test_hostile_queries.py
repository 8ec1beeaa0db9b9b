"""Hostile query strings on every page, for every role: no 500, ever.

A walk of 2026-12-07 found « ?page=² » answering 500 on the administration's lists and
on every paginated API endpoint (« ² » is a digit to Python's ``str.isdigit``, not to
``int``). This opens every route that answers GET (the application's route table, as the
query-budget test does, on the same data set) with every query parameter the code reads
set to one odd value at a time: « ² », a number too big for any column, a NUL byte with
an emoji and a quote (PostgreSQL refuses NUL in text)."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from test_query_budget import ROLES, fill, get_routes
from vvs_core.testing import drop_queued_tasks
from world_app import signed_in, world_app

pytestmark = [pytest.mark.postgis, pytest.mark.slow]

# Every name the pages read from the query string (grep request.GET / request.params and the
# helpers that take a name), and a few that pages might read tomorrow.
NAMES = ("page", "per_page", "q", "communaute", "utilisateur", "categorie", "gravite", "etat", "status",
         "channel", "community_id", "days", "depuis", "since", "month", "periode", "etape", "ref", "reply_id",
         "t", "u", "a", "next", "active", "abonnement", "nouvelles", "telecharger", "touches", "sent_before",
         "kind", "id", "commune", "mois", "annee", "du", "au", "tri")
VALUES = ("²", "9" * 30, "x\x00😀'")


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    """{(role, route, value): status} for every GET route, role and odd value."""
    with world_app(tmp_path_factory) as (app, world, _engine):
        routes, out = get_routes(app.registry), {}
        for role in ROLES:
            testapp = signed_in(app, world, role)
            for name, pattern in sorted(routes.items()):
                path = fill(name, pattern, world.ids)
                for value in VALUES:
                    query = urlencode({n: value for n in NAMES})
                    out[(role, name, value)] = testapp.get(f"{path}?{query}", expect_errors=True).status_int
            drop_queued_tasks()
        yield out


def test_no_page_answers_500_to_an_odd_query_string(answers):
    failures = sorted(f"{role} {route} {value!r}: {status}" for (role, route, value), status in answers.items()
                      if status >= 500)
    assert not failures, "\n".join(failures)
    assert len(answers) > 300  # the pages were really opened
