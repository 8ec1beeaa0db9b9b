"""The hooks that vvs_mairie calls and other plugins may implement.

Added to the plugin manager through ``vvs_addhooks`` (only while vvs_mairie is
enabled). Implement it with ``@hookimpl(optionalhook=True)`` so that your plugin
still starts when vvs_mairie is disabled.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from vvs_core import hookspec

if TYPE_CHECKING:
    from datetime import datetime

    from pyramid.request import Request

    from vvs_core.hooktypes import Panel
    from vvs_core.models import Commune


@hookspec
def vvs_commune_activity(request: Request, commune: Commune, since: datetime) -> list[dict]:
    """What happened in ``commune`` since ``since``, for the mairie's live dashboard and reports.

    Called by vvs_mairie each time an agent's dashboard polls (every few seconds)
    and when a monthly report is built; keep it to one indexed query.
    commune: the core ``Commune``. since: an aware UTC ``datetime``.
    Returns: a list of dicts, newest first, each with ``kind`` (e.g. "alert"),
    ``id`` (int, the plugin's own id), ``title``, ``category`` (a short label),
    ``community_id`` (or None), ``created_at`` (aware datetime or ISO 8601 string),
    ``lon`` and ``lat`` (floats or None), ``url`` (where an agent reads it, or None)
    and ``author_id`` (the resident's user id, so the mairie can tell them it has
    taken the alert into account). Optional: ``severity`` (a short label),
    ``severity_key``, ``state`` (``held``, ``active``, ``ended`` or ``withdrawn``) and
    ``state_label``: held, withdrawn and ended items are returned too, so that the
    mairie keeps them, labelled; reports count only ``active`` and ``ended`` ones.
    """


@hookspec
def vvs_dashboard_widgets(request: Request, commune: Commune) -> list[Panel]:
    """Blocks of the mairie dashboard of ``commune``.

    Called when a mairie agent opens the dashboard.
    Returns: a list of ``Panel``.
    """
