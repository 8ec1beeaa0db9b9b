"""Databases of their own on the suite's PostgreSQL server, for the tests that run the
application in other processes (a module of tests/, on the path of every test)."""
from __future__ import annotations

import contextlib
import os
import uuid

import psycopg
import pytest


def plain(url: str) -> str:
    """``url`` as psycopg reads it (without SQLAlchemy's ``+psycopg``)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextlib.contextmanager
def postgis_database(prefix: str):
    """The URL of a new PostGIS database ``{prefix}_{8 hex digits}`` next to the suite's
    (VVS_TEST_DATABASE_URL), dropped after the block."""
    url = os.environ.get("VVS_TEST_DATABASE_URL")
    if not url:
        pytest.fail("VVS_TEST_DATABASE_URL is not set: run the suite with `make test` (it starts PostGIS)")
    base = url.rpartition("/")[0]
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(plain(f"{base}/postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(plain(f"{base}/{name}"), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(plain(f"{base}/postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def insert_serris_community(conn, name: str, boundary_wkt: str) -> int:
    """Serris (77449) and its community ``name`` within ``boundary_wkt`` (WGS 84), written
    by SQL on the psycopg connection ``conn``: the community's id."""
    conn.execute("INSERT INTO communes (insee, name, postcodes, centre, created_at) VALUES "
                 "('77449', 'Serris', '[\"77700\"]', ST_SetSRID(ST_MakePoint(2.7861, 48.8453), 4326), now())")
    return conn.execute(
        "INSERT INTO communities (commune_id, name, boundary, validation_mode, created_at, boundary_changed_at) "
        "SELECT id, %s, ST_GeomFromText(%s, 4326), 'referent', now(), now() FROM communes "
        "RETURNING id", (name, boundary_wkt)).fetchone()[0]
