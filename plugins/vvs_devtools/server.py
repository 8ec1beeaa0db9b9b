"""The web server of development.ini (``[server:main] use = call:vvs_devtools.server:waitress_server``):
waitress, one process, on the port ``make run`` and the tests choose. Production serves
through gunicorn (production.ini), so this is a developer's tool, not the core's."""
from __future__ import annotations

import os


def waitress_server(global_conf, host="0.0.0.0", port=None, **options):
    """PasteDeploy server factory for development.ini: waitress on ``PORT`` (default 6543).

    PasteDeploy cannot read the environment, and a ``[DEFAULT]`` value in the file
    would override ``pserve development.ini http_port=…``; so the port comes from, in
    order: ``port`` in the section, ``http_port=`` on the pserve command line, ``PORT``.
    """
    import waitress

    port = port or global_conf.get("http_port") or os.environ.get("PORT") or "6543"

    def serve(app):
        waitress.serve(app, host=host, port=int(port), **options)

    return serve
