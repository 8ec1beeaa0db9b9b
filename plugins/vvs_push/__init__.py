"""vvs_push: notifications on residents' phones through Web Push, without SMS.

- ``devices``: the subscriptions of residents' browsers (``PushSubscription``), and the
  ``IPushDevices`` service the outbox asks who has a device and where a push goes;
- ``views``: « Mes paramètres › Notifications sur mes appareils » and the route its
  script records a subscription through (and the same in the JSON API, when vvs_api
  is enabled, through its ``vvs_api_endpoints``);
- ``webpush``: the ``webpush`` provider (VAPID keys); ``static/push-worker.js``: the
  service worker's push handlers, appended to ``/sw.js``.

The push channel itself (``IPushSender``, the ``log`` provider) is the core outbox's:
disabled, no resident has a device, so no push row is written (a kind that must reach
everyone goes by e-mail) and no page offers the channel.
"""
from __future__ import annotations

from vvs_core import hookimpl
from vvs_core.hooktypes import ProviderSpec, SettingsSection


def includeme(config):
    from vvs_core.interfaces import IPushDevices

    from .devices import PushDevices

    config.register_service(PushDevices(), IPushDevices)
    config.add_static_view("static_push", "vvs_push:static", cache_max_age=3600)
    config.registry.vvs_service_worker_scripts.append("vvs_push:static/push-worker.js")
    config.include(".views")


@hookimpl
def vvs_register_settings():
    from vvs_core.settings import Setting, as_bool

    return [Setting("vvs.push.allow_http_endpoints", False, "Accept push subscriptions whose endpoint is plain "
                    "HTTP (tests with a local fake push service only).", parse=as_bool)]


@hookimpl
def vvs_register_providers():
    from .webpush import WEBPUSH_SETTINGS, WebPushSender

    return [ProviderSpec("push", "webpush", WebPushSender.from_settings, settings=WEBPUSH_SETTINGS,
                         description="Web Push with VAPID keys: notifications of the installable web app.")]


@hookimpl
def vvs_settings_sections(request):
    return [SettingsSection("settings_devices", "Notifications sur mes appareils",
                            "Recevez les alertes sur votre téléphone, sans SMS", 50)]


@hookimpl(optionalhook=True)
def vvs_api_endpoints(api):
    from .views import declare_api

    declare_api(api)


@hookimpl
def vvs_erase_user_data(request, user):
    from .devices import erase_devices

    erase_devices(request.dbsession, user.id)
