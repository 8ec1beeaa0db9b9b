"""The hooks that vvs_alerts calls and other plugins may implement.

Added to the plugin manager through ``vvs_addhooks`` (only while vvs_alerts is
enabled). Implement it with ``@hookimpl(optionalhook=True)`` so that your plugin
still starts when vvs_alerts is disabled.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vvs_core import hookspec

if TYPE_CHECKING:
    from pyramid.request import Request

    from vvs_core.hooktypes import Panel, Recipient

    from .audience import AlertForHooks


@hookspec
def vvs_alert_recipients(request: Request, alert: AlertForHooks) -> list[Recipient]:
    """Who else an alert reaches, besides its community's active members.

    Called once per alert when it is sent.
    alert: an object with ``community_id``, ``commune_insee``, ``id`` and ``kind``.
    Returns: a list of ``Recipient`` (user id, allowed channels, and ``shown``: "name", or
    "pseudonym" for someone outside the alert's community, who is sent the author's pseudonym
    and no link to the alert's page, which they could not open; "name" if any answer says so).
    """


@hookspec
def vvs_alert_panels(request: Request, alert: Any) -> list[Panel]:
    """Blocks under a residents' alert on its page (e.g. the mairie's follow-up and replies).

    Called by the alerts plugin when someone who may read ``alert`` opens its page.
    alert: an object with ``id``, ``community_id``, ``commune_id`` and ``author_id``.
    Returns: a list of ``Panel`` with rendered HTML; show each viewer only what is theirs
    to read (a reply to the author is for the author and staff).
    """


@hookspec
def vvs_alert_held(request: Request, alert: Any) -> None:
    """A residents' alert waits for a validation (pre-moderation) before it goes out.

    Called by the alerts plugin when the alert is held, inside the request's
    transaction (queue notifications through the outbox, which sends after commit).
    alert: an object with ``id``, ``community_id``, ``commune_id``, ``text`` and ``created_at``.
    Returns nothing.
    """
