"""Imported by the dramatiq command line in every worker process (``vvs worker`` runs
``python -m dramatiq vvs_core.jobs.worker_boot``).

Building the application configures the broker from the .ini named by ``VVS_INI``
before any actor module is imported (``make_config`` sets it before including the
core and the plugins, whose ``includeme`` import their actors), so dramatiq finds
every actor on the right broker. Actors then build their request from the registry
given to ``set_task_registry``.
"""
from __future__ import annotations

import os

from pyramid.paster import get_appsettings

from vvs_core import make_config
from vvs_core.jobs import tasks


def boot(ini: str):
    # make_wsgi_app commits the configuration and fires ApplicationCreated, exactly
    # as in the web process, so actors see the same registry as views do.
    app = make_config(get_appsettings(ini)).make_wsgi_app()
    tasks.set_task_registry(app.registry)
    return app.registry


ini_path = os.environ.get("VVS_INI")
if not ini_path:
    raise RuntimeError("VVS_INI is not set: start workers with `vvs worker INI`")
registry = boot(ini_path)
