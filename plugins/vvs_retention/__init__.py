"""vvs_retention: growth over years (issue 16.6). The notifications and the community
events are kept for a period the operator sets (``vvs.retention.*``), then deleted in
batches by a periodic task (``vvs scheduler``, or the web process with the inline broker)
and by ``vvs purge INI``, a command this plugin adds (``vvs_register_commands``).

Other plugins add their own rows (and keep theirs from the core's periods) through
``vvs_retention_rules``, a hook this plugin declares (``hookspecs``, through
``vvs_addhooks``): implement it with ``@hookimpl(optionalhook=True)``. Enabled in
development.ini and production.ini; disabled, nothing is ever deleted by age.
"""
from __future__ import annotations

from vvs_core import hookimpl
from vvs_core.hooktypes import Command


def includeme(config):
    # Imported here: the broker must be configured before the actor is declared.
    from . import actors

    actors.follow_current_broker()
    config.add_periodic_task(actors.purge_old_rows, config.registry.settings["vvs.retention.purge_interval"])


@hookimpl
def vvs_addhooks(pluginmanager):
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def vvs_register_settings():
    from vvs_core.settings import Setting, as_int

    return [
    Setting("vvs.retention.notifications_days", 180, "Days a notification (SMS, e-mail, push sent to a resident) is kept; older ones are deleted by the periodic purge (`vvs purge`). 0 keeps them for ever. Notifications still being sent are never deleted.", parse=as_int),
    Setting("vvs.retention.events_days", 1095, "Days a community event (movements, audit entries) is kept; older ones are deleted by the periodic purge. 0 keeps them for ever.", parse=as_int),
    Setting("vvs.retention.batch_size", 1000, "Rows the purge deletes per transaction: small batches never hold a table for long.", parse=as_int),
    Setting("vvs.retention.max_batches", 500, "Batches one purge pass deletes at most per table (the next pass goes on).", parse=as_int),
    Setting("vvs.retention.purge_interval", 3600, "Seconds between two purges of what is older than its retention period (run by `vvs scheduler`, or the web process with the inline broker).", parse=as_int),
    ]


@hookimpl
def vvs_register_commands():
    from .command import run_purge

    return [Command("purge", "delete the notifications and community events older than their retention period, "
                    "in batches", run_purge)]
