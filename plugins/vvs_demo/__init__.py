"""vvs_demo: the demo commune (Serris, five neighbourhood communities, ~30 residents)
and the ``vvs demo`` command that loads it (``make run`` on first start).

The command is added through ``vvs_register_commands``; every enabled plugin adds its
part of the demo through ``vvs_demo_data``, a hook this plugin declares
(``hookspecs``, through ``vvs_addhooks``): implement it with
``@hookimpl(optionalhook=True)``. ``vvs_demo.testing.demo_database`` gives tests a
fresh PostGIS database holding the demo. Disabled (as in production.ini), there is no
``vvs demo`` command and no demo setting.
"""
from __future__ import annotations

from vvs_core import hookimpl
from vvs_core.hooktypes import Command


def includeme(config):
    """Nothing to wire: the demo is a command, not a page."""


@hookimpl
def vvs_addhooks(pluginmanager):
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def vvs_register_settings():
    from vvs_core.settings import Setting

    return [Setting("vvs.demo_commune", "77449", "INSEE code of the commune `vvs demo` loads.")]


@hookimpl
def vvs_register_commands():
    from .command import run_demo

    return [Command("demo", "load the demo commune (Serris) once and print the demo logins", run_demo)]
