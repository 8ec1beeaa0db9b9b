"""The hooks that vvs_pcs calls and a plugin sending commune alerts implements.

Added to the plugin manager through ``vvs_addhooks`` (only while vvs_pcs is enabled).
Implement them with ``@hookimpl(optionalhook=True)`` so that your plugin still starts
when vvs_pcs is disabled. vvs_mairie answers them with its commune alerts.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from vvs_core import hookspec

if TYPE_CHECKING:
    from pyramid.request import Request

    from vvs_core.models import Commune, User


@hookspec(firstresult=True)
def vvs_pcs_population_message(request: Request, commune: Commune, message: dict, author: User) -> dict | None:
    """Send a message of the crisis cell to the whole population of ``commune``, as an alert of its town hall.

    Called by vvs_pcs when an agent sends one of the commune's prepared messages during an
    activation of the Plan communal de sauvegarde (``author``: that agent).
    message: ``title`` (at most 140 characters), ``body`` (at most 2000), ``exercise``
    (bool: an exercise of the plan, marked « EXERCICE » on everything sent).
    Returns: ``{"id": int, "url": str, "reach": str}`` (the commune alert's id, the path of
    its page for the agents, the reach in French), or None when no plugin sends commune
    alerts for this commune (stops at the first answer).
    """


@hookspec(firstresult=True)
def vvs_pcs_population_end(request: Request, commune: Commune, alert_ids: list[int], body: str,
                           author: User) -> dict | None:
    """Send the end of the crisis to everyone the crisis' messages reached, once each.

    Called by vvs_pcs at « fin de crise » with the ids that ``vvs_pcs_population_message``
    returned during the crisis (never empty). body: the French end message.
    Returns: ``{"people": int, "reach": str}`` (how many people it goes to, the reach in
    French), or None when no plugin knows these alerts (stops at the first answer).
    """


@hookspec(firstresult=True)
def vvs_pcs_population_reach(request: Request, commune: Commune, message: dict,
                             alert_ids: list[int] | None) -> dict | None:
    """Who a message to the population would reach now, and its SMS, for the page that confirms it before it leaves.

    Called by vvs_pcs when an agent asks to send a prepared message (``alert_ids`` None: a new
    commune alert to the whole commune, as ``vvs_pcs_population_message`` sends it) or to end the
    crisis (``alert_ids``: the alerts the crisis sent, as ``vvs_pcs_population_end`` tells them).
    message: ``title``, ``body``, ``exercise`` (for the end: the end message as ``body``). Sends nothing.
    Returns: ``{"people": int, "channels": {"sms": int, "email": int, "push": int, "voice": int},
    "text": str, "sms": str}`` (how many people, how many messages on each channel, the reach in
    French, the SMS as it will leave — of the first alert when the end follows several), or None
    when no plugin sends commune alerts for this commune (stops at the first answer).
    """
