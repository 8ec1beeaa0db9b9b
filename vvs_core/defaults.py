"""The core's own answers to hooks: registered first, always on, overridable.

Built-in providers (console SMS, e-mail to a folder, manual geocoder) and the
default rendering of notifications (``trylast``: any plugin's answer wins).
"""
from __future__ import annotations

from .hooktypes import MenuItem, ProviderSpec
from .plugins import hookimpl
from .settings import Setting


@hookimpl
def vvs_register_providers():
    from .notify.dev_providers import ConsoleSMSSender, FolderEmailSender
    from .geocoding import ManualGeocoder

    return [
        ProviderSpec("sms", "console", ConsoleSMSSender.from_settings,
                     description="Writes SMS to the log (development)."),
        ProviderSpec("email", "folder", FolderEmailSender.from_settings,
                     description="Writes each e-mail as an .eml file into vvs.email.folder (development)."),
        ProviderSpec("geocoder", "manual", ManualGeocoder.from_settings,
                     description="No network: the map opens on the commune and the resident places the marker."),
    ]


@hookimpl(trylast=True)
def vvs_render_notification(request, notification, channel):
    return {"subject": notification.title, "text": notification.body, "html": notification.html}


@hookimpl
def vvs_menu_items(request):
    from .web import route_exists

    def item(label, route, order):
        return MenuItem(label, request.route_path(route), order=order) if route_exists(request, route) else None

    user = request.user
    if user is None:
        items = [item("Se connecter", "login", 90), item("S'inscrire", "signup", 91)]
    else:
        items = [item("Accueil", "home", 0)]
        if request.has_permission("moderate"):
            items.append(item("Modération", "moderation", 80))
        if user.is_admin:
            items.append(item("Administration", "admin", 85))
        items.append(item("Mes paramètres", "settings", 95))
    return [i for i in items if i is not None]


@hookimpl
def vvs_register_settings():
    return []  # the core's settings are in settings.CORE_SETTINGS


__all__ = ["Setting"]
