"""The hooks that vvs_admin calls and other plugins implement: blocks on the platform
team's pages of an account and of a commune, and the merge of two communities.

Added to the plugin manager through ``vvs_addhooks`` (only while vvs_admin is
enabled). Implement them with ``@hookimpl(optionalhook=True)`` so that your plugin
still starts when vvs_admin is disabled; never import vvs_admin.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from vvs_core import hookspec

if TYPE_CHECKING:
    from pyramid.request import Request

    from vvs_core.hooktypes import Panel
    from vvs_core.models import Commune, Community, User


@hookspec
def vvs_communities_merging(request: Request, source: Community, target: Community) -> None:
    """The platform team merges ``source`` into ``target`` (same commune).

    Called after vvs_admin moved the memberships and movements, and before
    the ``source`` row is deleted, in the same transaction: move (or drop) every row of
    yours that names ``source`` so that it names ``target``. Raise
    ``vvs_core.errors.ActionRefused`` with a French sentence to refuse the
    merge (nothing is then changed). Returns nothing.
    """


@hookspec
def vvs_admin_user_panels(request: Request, user: User) -> list[Panel]:
    """Add blocks to an account's page in the platform administration (``/admin/utilisateurs/{id}``).

    Called when an administrator opens the page of ``user``: show what your plugin knows
    of the account (sanctions in force, roles it grants) and link to your own pages for
    actions. Never show a password, a secret or a proof document.
    Returns: a list of ``Panel`` with rendered HTML.
    """


@hookspec
def vvs_admin_commune_panels(request: Request, commune: Commune) -> list[Panel]:
    """Add blocks to a commune's page in the platform administration (``/admin/communes/{insee}``).

    Called when an administrator opens the page of ``commune``: your plugin's settings for
    the commune and its actions (forms that post to your own routes, with a reason that
    you record with ``vvs_core.communities.events.record_event(..., public=False)`` so the journal
    shows it).
    Returns: a list of ``Panel`` with rendered HTML.
    """


@hookspec
def vvs_admin_commune_ties(request: Request, commune: Commune) -> list[str]:
    """What of your plugin keeps ``commune`` from being withdrawn by the platform team.

    Called on the confirmation page of ``/admin/communes/{insee}/retrait`` and again when it
    is sent. A commune created by mistake is withdrawn only when nothing holds it: say, in
    French, what your plugin still has for it (« 2 agents communaux », « 1 abonné aux
    alertes de la mairie »). Settings rows that only configure it are not ties: drop them
    in ``vvs_admin_commune_withdrawing``.
    Returns: a list of French phrases, empty when your plugin holds nothing.
    """


@hookspec
def vvs_admin_commune_withdrawing(request: Request, commune: Commune) -> None:
    """The platform team withdraws ``commune`` (no tie was found): delete your rows that only
    configure it, in the same transaction, before its row is deleted. Returns nothing.
    """
