"""The hook that vvs_api calls and other plugins implement to publish API endpoints.

Added to the plugin manager through ``vvs_addhooks`` (only while vvs_api is
enabled). Implement it with ``@hookimpl(optionalhook=True)`` so that your plugin
still starts when vvs_api is disabled; never import vvs_api.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from vvs_core import hookspec

if TYPE_CHECKING:
    from pyramid.request import Request

    from vvs_core.models import User

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


@hookspec
def vvs_api_token_issued(request: Request, token_id: int, user: User) -> None:
    """A personal token was just created by ``user``, signed in on the site.

    Called by vvs_api's token page, in the request that created the token (before
    commit). A plugin whose access needs more than a password (the mairie's second
    factor) notes here that this session proved it, so that requests made with this
    token (``request.environ["vvs.api_token_id"]``) may be granted what the session
    had; tokens created without that proof get nothing more than the account's
    ordinary access.
    token_id: the ``api_tokens`` row's id. user: the token's owner (``request.user``).
    Returns nothing.
    """
