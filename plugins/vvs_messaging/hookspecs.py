"""The hook that vvs_messaging calls and other plugins may implement.

Added to the plugin manager through ``vvs_addhooks`` (only while vvs_messaging is
enabled). Implement it with ``@hookimpl(optionalhook=True)`` so that your plugin
still starts when vvs_messaging is disabled.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from vvs_core import hookspec

if TYPE_CHECKING:
    from pyramid.request import Request

    from vvs_core.models import User


@hookspec
def vvs_messageable_users(request: Request, user: User) -> list[tuple[int, str]]:
    """Users outside ``user``'s community that ``user`` may write to.

    Called by the messaging plugin when listing or checking recipients.
    Returns: a list of ``(user_id, how_shown)`` pairs, ``how_shown`` being
    "pseudonym" (twinned community) or "name".
    """
