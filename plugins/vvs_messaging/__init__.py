"""Messagerie: private conversations with one or several neighbours, and with the
members of twinned communities (who see each other's pseudonym only). Who may write
to whom: the user's own communities plus what ``vvs_messageable_users`` returns."""
from __future__ import annotations

from pyramid.authorization import Allow

from vvs_core import hookimpl
from vvs_core.hooktypes import MenuItem
from vvs_core.hooktypes import EventKind, NotificationKind
from vvs_core.accounts.security import RootContext


class MessagingContext(RootContext):
    """The messaging's pages: ``messaging`` (open the inbox, start a conversation) for
    residents and for the principals other plugins name through ``vvs_messaging_writers``
    (a mairie's agents); the rest as everywhere (``RootContext``)."""

    @property
    def __acl__(self):
        writers = ["role:resident"]
        for answer in self.request.registry.vvs_plugins.hook.vvs_messaging_writers(request=self.request):
            writers.extend(answer or [])
        return [*((Allow, p, "messaging") for p in dict.fromkeys(writers)), *RootContext.__acl__]


def messaging_factory(request):
    return MessagingContext(request)


@hookimpl
def vvs_menu_items(request):
    if request.user is None:
        return []
    items = []
    if request.has_permission("messaging", MessagingContext(request)):
        from .conversations import viewer_unread_total_sql

        items.append(MenuItem("Messagerie", request.route_path("messaging_inbox"), order=25,
                              badge=viewer_unread_total_sql()))
    if {"role:moderator", "role:admin"} & set(request.principals):  # their queue, else reached by typing it
        from .reports import open_reports_count_sql

        items.append(MenuItem("Messages signalés", request.route_path("messaging_reports"), order=80,
                              badge=open_reports_count_sql(), work=True))
    return items


@hookimpl
def vvs_export_user_data(request, user):
    from .personal_data import export_messages

    return {"messagerie": export_messages(request.dbsession, user)}


@hookimpl
def vvs_erase_user_data(request, user):
    from .personal_data import erase_messages

    erase_messages(request.dbsession, user)


def includeme(config):
    add = config.add_route
    add("messaging_inbox", "/messagerie", factory=messaging_factory)
    add("messaging_new", "/messagerie/nouveau", factory=messaging_factory)
    add("messaging_reports", "/messagerie/signalements")
    add("messaging_report_resolve", "/messagerie/signalements/{report_id}")
    add("messaging_block", "/messagerie/bloquer/{user_id}")
    add("messaging_unblock", "/messagerie/debloquer/{user_id}")
    add("messaging_report", "/messagerie/message/{message_id}/signaler")
    add("messaging_conversation", "/messagerie/conversation/{conversation_id}")
    config.add_static_view("static_messaging", "vvs_messaging:static", cache_max_age=3600)
    config.scan(".views")


# --- What the messaging declares -------------------------------------------------------

@hookimpl
def vvs_register_notification_kinds():
    return [NotificationKind("message", "Messages privés", quiet=True, order=30),
            NotificationKind("message_moderation", "Message retiré par la modération", in_settings=False)]


@hookimpl
def vvs_register_event_kinds():
    return [
        EventKind("message_reported", "Message privé signalé"),
        EventKind("message_report_resolved", "Signalement d'un message privé traité"),
    ]


@hookimpl
def vvs_addhooks(pluginmanager):
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl(optionalhook=True)
def vvs_api_endpoints(api):
    from .api import declare

    declare(api)
