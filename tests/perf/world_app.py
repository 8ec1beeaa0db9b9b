"""The application on the data set of tests/perf/scale_world.py, in a transaction rolled
back afterwards, and a browser signed in as each role of that world (the agent past the
second factor): what the query-budget and the hostile-query tests open every page with."""
from __future__ import annotations

import time
from contextlib import contextmanager

import pyotp
from sqlalchemy.orm import sessionmaker

import scale_world
from migrated_db import rolled_back
from vvs_core.testing import VVSTestApp, build_app


@contextmanager
def world_app(tmp_path_factory):
    """(app, world, engine); the page cache off: a page costs what it costs after a write."""
    from vvs_core.jobs.tasks import set_task_registry

    with rolled_back(tmp_path_factory) as (url, engine, connection):
        factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        app = build_app(url, **{"vvs.cache_url": "none"})
        registry = app.registry
        registry["dbsession_factory"] = factory
        registry["vvs.ratelimit_store"] = None
        set_task_registry(registry)
        session = factory()
        world = scale_world.build(session, registry)
        session.commit()
        yield app, world, engine


def signed_in(app, world, role: str) -> VVSTestApp:
    testapp = VVSTestApp(app)
    testapp.login(world.emails[role])
    if role == "agent":
        code = pyotp.TOTP(world.totp_secret).at(time.time())
        assert testapp.post_csrf("/mairie/2fa", {"code": code}).status_int == 303
    return testapp
