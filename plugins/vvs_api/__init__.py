"""vvs_api: the JSON API under /api/v1 and the personal tokens that open it.

- ``toolkit``: how API views are declared, authenticated, limited, paginated,
  validated, described (``/api/v1/openapi.json``) and how their errors look;
- ``tokens`` and ``token_views``: « Mes paramètres › Jetons d'accès », and the Bearer
  authentication of API requests (``vvs_authenticate``);
- ``views``: the core resources (me, my community, my notifications).

Other plugins publish their endpoints through ``vvs_api_endpoints`` (``hookspecs``),
never by importing this package. Disabled, nothing answers under /api/v1 and no token
page shows.
"""
from __future__ import annotations

from vvs_core import hookimpl
from vvs_core.hooktypes import SettingsSection


def includeme(config):
    from . import toolkit, views

    config.include(toolkit)
    config.include(".token_views")
    api = toolkit.ApiDeclarer(config)
    views.declare(api)
    config.registry.vvs_plugins.hook.vvs_api_endpoints(api=api)


@hookimpl
def vvs_addhooks(pluginmanager):
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def vvs_register_settings():
    from vvs_core.settings import Setting, as_rate

    return [Setting("vvs.ratelimit.api", "600/60",
                    "API requests allowed per token (or per signed-in user): `count/seconds`.", parse=as_rate)]


@hookimpl
def vvs_authenticate(request):
    from .tokens import authenticate_api_request

    return authenticate_api_request(request)


@hookimpl
def vvs_settings_sections(request):
    return [SettingsSection("settings_api_tokens", "Jetons d'accès",
                            "Créez ou révoquez les jetons de l'API pour vos applications", 60)]


@hookimpl
def vvs_export_user_data(request, user):
    from .tokens import export_tokens

    return {"Jetons d'accès à l'API": export_tokens(user)}


@hookimpl
def vvs_erase_user_data(request, user):
    from .tokens import revoke_every_token

    revoke_every_token(request.dbsession, user)
