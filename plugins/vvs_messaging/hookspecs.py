"""The hooks that vvs_messaging calls and other plugins may implement.

Added to the plugin manager through ``vvs_addhooks`` (only while vvs_messaging is
enabled). Implement them with ``@hookimpl(optionalhook=True)`` so that your plugin
still starts when vvs_messaging is disabled.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from vvs_core import hookspec

if TYPE_CHECKING:
    from pyramid.request import Request

    from vvs_core.models import User


@hookspec
def vvs_messageable_users(request: Request, user: User) -> list[tuple]:
    """Users outside ``user``'s community that ``user`` may write to.

    Called by the messaging plugin when listing or checking recipients, and when it
    shows ``user`` who wrote to them.
    Returns: a list of ``(user_id, how_shown)`` pairs, ``how_shown`` being
    "pseudonym" (twinned community) or "name"; or ``(user_id, how_shown, title)``
    triples, ``title`` being the capacity in which that person writes to ``user``,
    shown before their name (e.g. "Mairie de Serris": « Mairie de Serris — Agnès M. »).
    """


@hookspec
def vvs_messaging_writers(request: Request) -> list[str]:
    """Security principals, beyond residents (active members), who may open the
    messaging and start a conversation.

    Called when the messaging checks who may use it (its pages, its menu entry). Whom
    such a person may write to is still what ``vvs_messageable_users`` answers for them.
    Returns: a list of principals, e.g. ``["mairie:agent"]`` (declared through
    ``vvs_register_principals`` by the plugin that grants them).
    """
