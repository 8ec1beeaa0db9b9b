"""vvs_devtools: commands for the people who develop vvs, not for an installation.

``vvs docs INI`` regenerates docs/configuration.md and docs/plugin-hooks.md from the
declarations in the code (``docs``). Enabled in development.ini and in the test suite;
production.ini leaves it out, so a server has no such command. ``server`` is
development.ini's web server (waitress; production runs gunicorn).
"""
from __future__ import annotations

from vvs_core import hookimpl
from vvs_core.hooktypes import Command


def includeme(config):
    """Nothing to wire: the tools are commands, not pages."""


@hookimpl
def vvs_register_commands():
    from .docs import docs_arguments, run_docs

    return [Command("docs", "regenerate docs/configuration.md and docs/plugin-hooks.md", run_docs, docs_arguments)]
