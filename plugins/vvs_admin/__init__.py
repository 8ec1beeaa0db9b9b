"""vvs_admin: the platform team's pages (docs/administration.md): the overview of communes
and communities, accounts (role, suspend, ban, reopen, sessions, confirmation e-mail),
communes and communities (create, edit, validation mode, référents, merge, archive), the
journal of what the team did, and the page of enabled plugins and providers.

It meets the core through documented APIs only (models, ``record_event``, membership
queries, ``vvs_core.web.forms``) and declares the hooks it calls (``hookspecs.py``): blocks
other plugins add to an account's or a commune's page, and the merge of two communities.
Disabled, no route, menu entry or journal label of it remains; the core's validation
queue (``/admin/demandes``) stays.
"""
from __future__ import annotations

from vvs_core import hookimpl


def includeme(config):
    for module in (".views", ".accounts_views", ".communes_views", ".communities_views", ".plugins_views",
                   ".archived"):
        config.include(module)


@hookimpl
def vvs_addhooks(pluginmanager):
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def vvs_menu_items(request):
    from vvs_core.hooktypes import MenuItem

    user = request.user
    if user is None or not user.is_admin:
        return []
    return [MenuItem("Administration", request.route_path("admin"), order=85, work=True)]


@hookimpl
def vvs_register_event_kinds():
    from vvs_core.hooktypes import EventKind

    from .accounts import ADMIN_EVENT_KINDS

    return [EventKind(key, label) for key, label in ADMIN_EVENT_KINDS.items()]
