"""The hook that vvs_demo calls and other plugins implement to add their demo rows.

Added to the plugin manager through ``vvs_addhooks`` (only while vvs_demo is
enabled). Implement it with ``@hookimpl(optionalhook=True)`` so that your plugin
still starts when vvs_demo is disabled; never import vvs_demo.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from vvs_core import hookspec

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from vvs_core.models import Commune


@hookspec
def vvs_demo_data(dbsession: Session, commune: Commune) -> None:
    """Add a plugin's part of the demo data to the demo ``commune`` just loaded.

    Called by ``vvs demo`` (``vvs_demo.loader.load_demo``) after the core's demo rows
    are flushed, inside the caller's transaction (flush, never commit). Must be
    idempotent: a second call changes nothing. The demo accounts are
    ``<key>@serris.demo`` (``resident``, ``referent``, ``agent``…, see the README).
    Returns nothing.
    """
