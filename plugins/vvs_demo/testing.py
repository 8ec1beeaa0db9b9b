"""A fresh PostGIS database holding the demo commune, for tests that need a whole world
(browser tests, the API's fuzzing)."""
from __future__ import annotations

from vvs_core.testing import base_settings, enabled_module_names, fresh_database


def demo_database(name: str, prepare=None) -> str:
    """``fresh_database(name)`` migrated for every enabled plugin, with the demo commune
    (the core's rows only: a test adds the plugins' part it needs); ``prepare(session)``
    may add to it before the commit. Its URL."""
    from vvs_core.app import load_settings
    from vvs_core.models import get_engine, get_session_factory
    from vvs_core.models.migrate import upgrade

    from .loader import load_demo

    url = fresh_database(name)
    upgrade(url, enabled_module_names(base_settings(url)), settings=base_settings(url))
    engine = get_engine(url)
    session = get_session_factory(engine)()
    try:
        load_demo(session, load_settings(base_settings(url))[0])  # the test settings name the plugins' own
        if prepare is not None:
            prepare(session)
        session.commit()
    finally:
        session.close()
        engine.dispose()
    return url
