"""The hook that vvs_retention calls and other plugins implement to add their rows to the
purge.

Added to the plugin manager through ``vvs_addhooks`` (only while vvs_retention is
enabled). Implement it with ``@hookimpl(optionalhook=True)`` so that your plugin still
starts when vvs_retention is disabled; never import vvs_retention.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from vvs_core import hookspec

if TYPE_CHECKING:
    from vvs_core.hooktypes import RetentionRule


@hookspec
def vvs_retention_rules(settings: dict) -> list[RetentionRule]:
    """What a plugin's data retention adds to the purge (``vvs_retention.purge``).

    Called at each purge pass (``vvs purge``, the periodic task). settings: the
    application's settings. Returns: a list of ``RetentionRule``: rows to delete after
    the period the plugin reads (a commune's own setting, say), in batches like the
    core's tables, and rows the core's own period must leave alone (``keeps``). Pending
    or sending notifications are never deleted, whatever a rule says.
    """
