"""Point-in-community lookups through vvs_core.geo vs one raw SQL query (psycopg, the
same statement), on 10,000 communities in PostGIS."""
from __future__ import annotations

import random
import time

from .common import log, psycopg_url

N_SIDE = 100  # 100 × 100 = 10,000 communities, 300 m cells
CELL = 300.0
POINTS = 5000


def load_grid(db_url: str) -> None:
    import psycopg
    import shapely
    from shapely.geometry import box

    from vvs_core.geo import from_l93, to_l93
    from shapely.geometry import Point

    origin = to_l93(Point(5.4, 43.5))
    with psycopg.connect(psycopg_url(db_url)) as conn:
        conn.execute("INSERT INTO communes (insee, name, postcodes, centre, created_at) VALUES "
                     "('13001', 'Aix-en-Provence', '[\"13100\"]', ST_SetSRID(ST_MakePoint(5.4, 43.5), 4326), now())")
        commune_id = conn.execute("SELECT id FROM communes WHERE insee = '13001'").fetchone()[0]
        with conn.cursor().copy("COPY communities (commune_id, name, boundary, validation_mode, created_at, "
                                "boundary_changed_at, description, address_label) FROM STDIN") as copy:
            for i in range(N_SIDE):
                for j in range(N_SIDE):
                    x, y = origin.x + i * CELL, origin.y + j * CELL
                    poly = from_l93(box(x, y, x + CELL, y + CELL))
                    copy.write_row((commune_id, f"C{i}-{j}", "SRID=4326;" + shapely.to_wkt(poly, rounding_precision=9),
                                    "referent", "2026-01-01", "2026-01-01", "", ""))
        conn.execute("ANALYZE communities")
        conn.commit()


def probe_points(n=POINTS):
    from shapely.geometry import Point

    from vvs_core.geo import from_l93, to_l93

    origin = to_l93(Point(5.4, 43.5))
    rng = random.Random(42)
    out = []
    for _ in range(n):
        p = from_l93(Point(origin.x + rng.uniform(1, N_SIDE * CELL - 1), origin.y + rng.uniform(1, N_SIDE * CELL - 1)))
        out.append((p.x, p.y))
    return out


def through_geo(db_url: str, points) -> tuple[float, int]:
    from vvs_core import geo
    from vvs_core.models import get_engine, get_session_factory

    engine = get_engine(db_url)
    session = get_session_factory(engine)()
    for p in points[:200]:
        geo.find_community_id_at(session, p)
    t = time.perf_counter()
    hits = sum(1 for p in points if geo.find_community_id_at(session, p) is not None)
    rate = len(points) / (time.perf_counter() - t)
    session.close()
    engine.dispose()
    return rate, hits


def raw_sql(db_url: str, points) -> tuple[float, int]:
    import psycopg

    sql = ("SELECT id FROM communities WHERE ST_Contains(boundary, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) "
           "ORDER BY id LIMIT 1")
    with psycopg.connect(psycopg_url(db_url), prepare_threshold=0) as conn:
        cur = conn.cursor()
        for p in points[:200]:
            cur.execute(sql, p)
            cur.fetchone()
        t = time.perf_counter()
        hits = 0
        for p in points:
            cur.execute(sql, p)
            hits += cur.fetchone() is not None
        rate = len(points) / (time.perf_counter() - t)
    return rate, hits


def run(db_url: str) -> dict:
    load_grid(db_url)
    points = probe_points()
    geo_rates, raw_rates = [], []
    for _ in range(3):
        rate, hits = through_geo(db_url, points)
        geo_rates.append(rate)
        raw, raw_hits = raw_sql(db_url, points)
        raw_rates.append(raw)
        assert hits == raw_hits == len(points), (hits, raw_hits)
    import statistics

    g, r = statistics.median(geo_rates), statistics.median(raw_rates)
    log(f"geo lookups/s: {g:.0f} (runs {[round(x) for x in geo_rates]}), raw SQL: {r:.0f}")
    return {"geo_lookups_per_s": round(g), "geo_raw_sql_per_s": round(r), "geo_ratio": round(g / r, 2)}
