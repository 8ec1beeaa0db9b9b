"""The hooks that vvs_rollcall calls and other plugins may implement.

Added to the plugin manager through ``vvs_addhooks`` (only while vvs_rollcall is
enabled). Implement them with ``@hookimpl(optionalhook=True)`` so that your plugin
still starts when vvs_rollcall is disabled. vvs_mairie answers with its agents.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from vvs_core import hookspec

if TYPE_CHECKING:
    from pyramid.request import Request

    from vvs_core.models import Commune


@hookspec
def vvs_rollcall_staff(request: Request, commune: Commune, duty: str) -> list[int]:
    """Who in ``commune``'s staff answers for ``duty`` during a roll-call « Êtes-vous en sécurité ? ».

    Called when a resident answers AIDE (duty ``"mairie"``: told at once, with the
    person's address and phone) and when a wave of escalation names a duty: ``"ccas"``
    (the centre communal d'action sociale), ``"maire"`` (the maire and élus) or
    ``"police"`` (the police municipale). ``"referent"`` is not asked: the core knows
    the référents of each community.
    Returns: a list of user ids (the answers of every plugin are joined; an unknown
    duty or a commune without staff: an empty list, and the roll-call's log says that
    nobody could be told).
    """

