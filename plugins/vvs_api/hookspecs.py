"""The hook that vvs_api calls and other plugins implement to publish API endpoints.

Added to the plugin manager through ``vvs_addhooks`` (only while vvs_api is
enabled). Implement it with ``@hookimpl(optionalhook=True)`` so that your plugin
still starts when vvs_api is disabled; never import vvs_api.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from vvs_core import hookspec

if TYPE_CHECKING:
    from .toolkit import ApiDeclarer


@hookspec
def vvs_api_endpoints(api: ApiDeclarer) -> None:
    """Declare this plugin's routes, schemas and views under ``/api/v1``.

    Called once at start-up, while vvs_api is configured.
    api: ``api.route(name, pattern, factory=…)``, ``api.schema(name, schema)`` and
    ``api.view(view, route_name, method=…, permission=…, summary=…, tags=…,
    request_schema=…, response_schema=…, paginated=…, status=…)``; each view is
    described in ``/api/v1/openapi.json``. Views take the request and reach the
    helpers through ``request.api`` (``Error(status, code, message)``,
    ``read_json(request, schema)``, ``page_params``, ``paginate_query``,
    ``paginate_list``, ``paginated``).
    Returns nothing.
    """
