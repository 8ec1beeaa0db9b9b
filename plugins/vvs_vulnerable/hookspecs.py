"""The hook that vvs_vulnerable answers for the plugins that reach residents in a
roll-call or a crisis (vvs_rollcall, vvs_pcs…).

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
def vvs_vulnerable_tell_ccas(request: Request, commune: Commune, user_ids: list[int], ccas_user_ids: list[int],
                             reason: str) -> list[int] | None:
    """Registered people first: send the CCAS, at once, those of ``user_ids`` who are in the register of vulnerable residents.

    Called by a plugin that reaches residents in a roll-call or a crisis, with the
    accounts that have not answered (``user_ids``) and the accounts of the commune's
    CCAS agents to tell (``ccas_user_ids``, e.g. from ``vvs_rollcall_staff(duty="ccas")``).
    reason: one French sentence naming the roll-call or crisis, first line of the message.
    vvs_vulnerable sends each CCAS agent, by e-mail and SMS, the name, address, phone and
    needs of the registered people among them, and logs the sending in the register's
    journal of readings. Personal data never leaves the plugin otherwise.
    Returns: the user ids among ``user_ids`` that are in the register (active entries),
    so the caller can put them first; an empty list when none is (nothing is sent).
    """
