"""The hooks of the register of vulnerable residents: the one it answers for the plugins
that reach residents in a roll-call or a crisis (vvs_rollcall, vvs_pcs…), and the one
it asks of the plugin that knows the commune's CCAS agents (vvs_mairie).

Added to the plugin manager through ``vvs_addhooks`` (only while vvs_vulnerable is
enabled): a caller checks ``hasattr(pm.hook, "vvs_vulnerable_tell_ccas")`` (or reads the
hook with ``getattr(…, None)``) and does without it when the register is off.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from vvs_core import hookspec

if TYPE_CHECKING:
    from pyramid.request import Request

    from vvs_core.models import Commune


@hookspec(firstresult=True)
def vvs_vulnerable_tell_ccas(request: Request, commune: Commune, user_ids: list[int] | None,
                             reason: str) -> dict | None:
    """Registered people first: send the commune's CCAS, at once, the registered people among those who have not answered.

    Called by a plugin that reaches residents in a roll-call or a crisis, with the
    accounts that have not answered (``user_ids``), or None in a crisis where nobody is
    asked (the whole register). The register's people without an account are always
    in the list: nobody could ask them. reason: one French sentence naming the
    roll-call or crisis. vvs_vulnerable chooses the readers itself (the commune's CCAS
    agents, ``vvs_vulnerable_ccas_agents``): they are sent, through the outbox, the
    count and the link of a page that only the commune's CCAS reads (name, address,
    phone, needs), and the sending and every reading of that page are in the
    register's journal. No personal data is in the messages nor in the answer.
    Returns: ``{"user_ids": [...], "people": int, "agents": int}`` (the accounts among
    ``user_ids`` that are in the register, so the caller can put them first; how many
    people the list names; how many CCAS agents it was sent to), or None when the
    register names nobody (nothing is sent).
    """


@hookspec
def vvs_vulnerable_ccas_agents(request: Request, commune: Commune) -> list[int]:
    """Who reads the register of vulnerable residents of ``commune``: the accounts of its CCAS agents.

    Called by vvs_vulnerable when it sends the CCAS the registered people to reach
    first (``vvs_vulnerable_tell_ccas``). vvs_mairie answers with the agents whose role
    is « CCAS » (those it grants the principal ``commune:{insee}:ccas``).
    Returns: a list of user ids (the answers of every plugin are joined; a commune
    without a CCAS agent: an empty list, and the register's journal says nobody was told).
    """
