"""The core's own answers to hooks: registered first, always on, overridable.

The fallback providers (manual geocoder, no identity partner) and the default
rendering of notifications (``trylast``: any plugin's answer wins).
"""

from .hooktypes import MenuItem, NotificationKind, ProviderSpec
from .plugins import hookimpl


@hookimpl
def vvs_register_providers():
    # The fallbacks a site without that partner keeps; every other provider is a plugin's.
    from vvs_core.geo.geocoding import ManualGeocoder
    from .interfaces import NullIdentityVerifier

    return [
        ProviderSpec("geocoder", "manual", ManualGeocoder.from_settings,
                     description="No network: the map opens on the commune and the resident places the marker."),
        ProviderSpec("identity", "none", NullIdentityVerifier.from_settings,
                     description="No identity-check partner: residents use the other proofs."),
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
        # An error page raised by a route factory (404) has no request.context.
        from vvs_core.accounts.security import RootContext

        if request.has_permission("moderate", RootContext(request)):
            items.append(item("Modération", "moderation", 80))
        items.append(item("Mes paramètres", "settings", 95))
    return [i for i in items if i is not None]


@hookimpl
def vvs_register_notification_kinds():
    return [
        NotificationKind("account", "Votre compte (adhésion, sécurité)", order=90),
        NotificationKind("membership", "Décision sur votre adhésion", in_settings=False),
        NotificationKind("membership_request", "Demandes d'adhésion à valider", in_settings=False),
    ]


@hookimpl
def vvs_register_validation_modes():
    from vvs_core.communities.modes import CORE_VALIDATION_MODES
    return list(CORE_VALIDATION_MODES)


@hookimpl
def vvs_register_event_kinds():
    from vvs_core.communities.events import CORE_EVENT_KINDS

    return list(CORE_EVENT_KINDS)
