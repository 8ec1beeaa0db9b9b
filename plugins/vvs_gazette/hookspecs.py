"""The hook that vvs_gazette calls and other plugins may implement.

Added to the plugin manager through ``vvs_addhooks`` (only while vvs_gazette is
enabled). Implement it with ``@hookimpl(optionalhook=True)`` so that your plugin
still starts when vvs_gazette is disabled.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from vvs_core import hookspec

if TYPE_CHECKING:
    from pyramid.request import Request

    from vvs_core.models import Community


@hookspec
def vvs_gazette_items(request: Request, community: Community) -> list[dict]:
    """Extra gazette entries for ``community`` (e.g. the mairie's communications).

    Returns: a list of dicts with ``title``, ``text``, ``author``, ``created_at``
    and ``source``, or a ``vvs_core.web.batch.ReadThen`` making that list of its value,
    read with the page's other reads (no statement of its own).
    """
