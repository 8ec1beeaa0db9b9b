"""The national data set's generator (``bench/national.py``, issue 16.5) at a tiny scale:
the national size belongs to ``python -m bench bench_scale``, never to the suite. Checks
what the benchmark relies on: the counts, the people it plays (a référent and a resident
of the big community, the agent of the many-community commune with a second factor, a
newcomer without a community), and that the geography holds together (each community in
its commune, each home in its community)."""
from __future__ import annotations

import sys
from pathlib import Path

import psycopg
import pytest

from pg_databases import plain, postgis_database

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

pytestmark = [pytest.mark.postgis]

SCALE = 0.0002   # 200 users, 2 communes, 8 communities: seconds


@pytest.fixture
def empty_database():
    from vvs_core.models.migrate import upgrade
    from vvs_core.testing import base_settings, enabled_module_names

    with postgis_database("vvs_national") as url:
        upgrade(url, enabled_module_names(base_settings(url)))
        yield url


def test_a_tiny_national_data_set_holds_what_the_benchmark_plays(empty_database):
    from bench.national import counts_for, generate
    from vvs_core.testing import TEST_SECRET

    p = generate(empty_database, SCALE, secret=TEST_SECRET, log=lambda _msg: None)
    n = counts_for(SCALE)
    assert p.counts == n
    one = lambda sql, *args: conn.execute(sql, args).fetchone()[0]  # noqa: E731
    with psycopg.connect(plain(empty_database)) as conn:
        assert one("SELECT count(*) FROM users") == n["users"] + 1          # + the newcomer
        assert one("SELECT count(*) FROM communes") == n["communes"]
        assert one("SELECT count(*) FROM communities") == n["communities"]
        assert one("SELECT count(*) FROM alerts") == n["alerts"]
        assert one("SELECT count(*) FROM notifications") == n["notifications"]
        assert one("SELECT count(*) FROM gazette_posts") == n["gazette_posts"]
        assert one("SELECT count(*) FROM msg_messages") == n["messages"]
        # One active membership per user but the newcomer, and the big community's requests.
        assert one("SELECT count(*) FROM memberships WHERE status = 'active'") == n["users"]
        assert one("SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM memberships m "
                   "WHERE m.user_id = u.id)") == 1
        big = p.big_community_id
        assert one("SELECT count(*) FROM memberships WHERE community_id = %s AND status = 'active'", big) \
            == p.big_members
        assert one("SELECT count(*) FROM memberships WHERE community_id = %s AND status = 'pending'", big) > 0
        assert one("SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = %s "
                   "AND m.community_id = %s", p.referent, big) == "referent"
        assert one("SELECT m.community_id FROM memberships m JOIN users u ON u.id = m.user_id "
                   "WHERE u.email = %s", p.resident) == big
        # The agent's commune and its communities; the agent enrolled with a second factor.
        assert one("SELECT count(*) FROM communities c JOIN communes k ON k.id = c.commune_id "
                   "WHERE k.insee = %s", p.agent_insee) == p.agent_communities
        assert one("SELECT count(*) FROM mairie_agents a JOIN users u ON u.id = a.user_id JOIN communes k "
                   "ON k.id = a.commune_id WHERE u.email = %s AND k.insee = %s AND a.totp_confirmed_at IS NOT NULL",
                   p.agent, p.agent_insee) == 1
        # The référent's conversations.
        assert one("SELECT count(*) FROM msg_participants p JOIN users u ON u.id = p.user_id "
                   "WHERE u.email = %s", p.referent) > 0
        # Geography: communities inside their commune, homes inside their community, no overlap.
        assert one("SELECT count(*) FROM communities c JOIN communes k ON k.id = c.commune_id "
                   "WHERE NOT ST_Within(c.boundary, k.boundary)") == 0
        assert one("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id JOIN communities c "
                   "ON c.id = m.community_id WHERE m.status = 'active' AND NOT ST_Covers(c.boundary, u.home)") == 0
        assert one("SELECT count(*) FROM communities a JOIN communities b ON a.id < b.id "
                   "AND ST_Intersects(a.boundary, b.boundary)") == 0
        newcomer_commune = one("SELECT k.insee FROM users u JOIN communes k ON ST_Covers(k.boundary, u.home) "
                               "WHERE u.email = %s", p.newcomer)
        assert newcomer_commune == p.agent_insee
        # The sequences follow the explicit ids: the application can insert after the load.
        assert one("SELECT nextval('users_id_seq')") > n["users"] + 1
