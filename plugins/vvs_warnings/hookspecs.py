"""The hooks that vvs_warnings calls and a plugin sending commune alerts implements.

Added to the plugin manager through ``vvs_addhooks`` (only while vvs_warnings is
enabled). Implement them with ``@hookimpl(optionalhook=True)`` so that your plugin
still starts when vvs_warnings is disabled. vvs_mairie answers them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from vvs_core import hookspec

if TYPE_CHECKING:
    from pyramid.request import Request

    from vvs_core.models import Commune, User


@hookspec(firstresult=True)
def vvs_relay_commune_alert(request: Request, commune: Commune, alert: dict, author: User | None) -> dict | None:
    """Send an official warning to the residents of ``commune`` as an alert of its town hall.

    Called by vvs_warnings when a mairie agent sends a pre-drafted warning (``author``:
    that agent), or when the commune chose automatic relay (``author`` None).
    alert: ``title`` (at most 140 characters), ``body`` (at most 2000), ``category``
    (``"meteo"``), ``source`` (the official source, named on everything sent),
    ``whole_commune`` (bool) and ``area`` (a Shapely ``Polygon`` in (lon, lat) when not
    the whole commune: the part of the commune the warning covers).
    Returns: ``{"id": int, "url": str, "reach": str}`` (the commune alert's id, the
    path of its page for the agents, the reach in French), or None when no plugin
    sends commune alerts for this commune (stops at the first answer).
    """


@hookspec(firstresult=True)
def vvs_follow_commune_alert(request: Request, commune: Commune, alert_id: int, kind: str, body: str,
                             author: User | None) -> bool | None:
    """Send an update (``kind`` ``"update"``) or the all-clear (``"all_clear"``) of a
    commune alert that ``vvs_relay_commune_alert`` sent, to the same people.

    Called by vvs_warnings when the source updates or cancels a relayed warning, or
    when it expires. body: the French text (the source is named in it).
    Returns: True when sent, False when that alert had already ended, None when no
    plugin knows the alert (stops at the first answer).
    """


@hookspec(firstresult=True)
def vvs_estimate_commune_alert(request: Request, commune: Commune, alert: dict) -> str | None:
    """The reach of a commune alert before it is sent, in French ("environ 312 foyers…").

    Called by vvs_warnings on the page where an agent reviews a pre-drafted warning.
    alert: as for ``vvs_relay_commune_alert``.
    Returns: the French sentence, or None when no plugin sends commune alerts here.
    """
