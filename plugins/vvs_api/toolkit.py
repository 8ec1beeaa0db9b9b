"""The JSON API's shared machinery (``/api/v1``): how every API view is declared,
authenticated, limited, paginated, validated, described and how its errors look.

A plugin declares its API routes and views by implementing ``vvs_api_endpoints``
(declared by this plugin, see ``hookspecs.py``) with the ``ApiDeclarer`` it is given::

    @hookimpl(optionalhook=True)
    def vvs_api_endpoints(api):
        api.route("api_alerts", "/api/v1/alerts")
        api.view(list_alerts, "api_alerts", method="GET", permission="resident",
                 summary="Alertes de ma communauté", tags=["alertes"],
                 paginated=True, response_schema={"$ref": "#/components/schemas/Alert"})

and its views reach the helpers below through ``request.api`` (``request.api.Error``,
``request.api.read_json``, ``request.api.page_params``…): no plugin imports vvs_api.

``api.view`` registers a JSON view (CSRF handled here, not by Pyramid: a Bearer
token request is exempt, a session request that changes something must send the
``X-CSRF-Token`` header), wraps it with the rate limit, and records its OpenAPI
operation; ``/api/v1/openapi.json`` is assembled from those records, so the document
and the routes cannot drift apart. Errors are always
``{"error": {"code": "stable_code", "message": "message en français"}}``.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from pyramid.csrf import check_csrf_origin, check_csrf_token
from pyramid.exceptions import BadCSRFOrigin, BadCSRFToken
from pyramid.httpexceptions import HTTPException
from pyramid.response import Response

from vvs_core.web.errorpages import json_error, mark_retryable
from vvs_core.web.french import count
from vvs_core.web.jsonlimits import Invalid, TooDeep, TooLarge, loads_limited
from vvs_core.web.links import public_base_url
from vvs_core.web.ratelimit import client_address, limiter

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_PAGE = 100000
MAX_BODY = 64 * 1024
MAX_JSON_DEPTH = 16  # the deepest schema is 3 levels: anything beyond is hostile


# --- Errors ---------------------------------------------------------------------

class ApiError(Exception):
    """An API answer that is an error: HTTP status, stable code, French message."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = fields or {}
        self.headers = headers or {}


error_response = json_error  # the core's JSON error shape


def api_error_view(exc, request):
    return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)


def api_notfound_view(request):
    return error_response(404, "not_found", "Ressource introuvable.")


def api_forbidden_view(request):
    if request.environ.get("vvs.auth") == "invalid_token":
        return error_response(401, "invalid_token", "Jeton d'accès invalide ou révoqué.",
                              headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    if request.user is None:
        return error_response(401, "authentication_required",
                              "Authentification requise : connectez-vous ou utilisez un jeton personnel.",
                              headers={"WWW-Authenticate": "Bearer"})
    return error_response(403, "forbidden", "Vous n'avez pas accès à cette ressource.")


_HTTP_CODES = {400: ("bad_request", "Requête invalide."),
               405: ("method_not_allowed", "Méthode non autorisée pour cette ressource."),
               409: ("conflict", "Conflit avec l'état de la ressource."),
               413: ("payload_too_large", "Corps de requête trop volumineux."),
               415: ("unsupported_media_type", "Le corps de la requête doit être du JSON.")}


def api_http_exception_view(exc, request):
    code, message = _HTTP_CODES.get(exc.code, ("http_error", "La requête n'a pas abouti."))
    return error_response(exc.code, code, message)


def api_server_error_view(exc, request):
    from pyramid_retry import is_last_attempt

    if mark_retryable(request, exc) and not is_last_attempt(request):
        return error_response(500, "conflict", "Conflit d'écriture : la requête est rejouée.")  # thrown away
    log.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "server_error", "Erreur du serveur : réessayez dans quelques instants.")


def api_csrf_view(exc, request):
    return error_response(403, "csrf_failed", "Jeton CSRF manquant ou invalide : envoyez l'en-tête X-CSRF-Token.")


# --- Authentication helpers ------------------------------------------------------

def auth_method(request) -> str | None:
    """"token", "session" or None (anonymous), for the request being served."""
    user = request.user
    if user is None:
        return None
    return "token" if request.environ.get("vvs.auth") == "token" else "session"


def check_api_csrf(request) -> None:
    """Session requests that change something need the CSRF header (cookies are sent
    by the browser on their own; a Bearer token is not)."""
    if request.method in SAFE_METHODS or auth_method(request) != "session":
        return
    try:
        check_csrf_token(request, token="csrf_token", header="X-CSRF-Token", raises=True)
        check_csrf_origin(request, raises=True)
    except (BadCSRFToken, BadCSRFOrigin):
        raise ApiError(403, "csrf_failed",
                       "Jeton CSRF manquant ou invalide : envoyez l'en-tête X-CSRF-Token.") from None


def check_rate_limit(request) -> None:
    token_id = request.environ.get("vvs.api_token_id")
    user = request.user
    if token_id:
        key = f"token:{token_id}"
    elif user is not None:
        key = f"user:{user.id}"
    else:
        key = f"addr:{client_address(request)}"
    limiter(request, "api", "vvs.ratelimit.api").check(key, "Trop de requêtes : patientez avant de réessayer.")


def check_clean_params(request) -> None:
    """Refuse query strings the database cannot store (NUL, broken UTF-8)."""
    try:
        items = list(request.GET.items())
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_parameter", "Paramètres de requête mal encodés (UTF-8 attendu).") from None
    for name, value in items:
        if not clean_text(name) or not clean_text(value):
            raise ApiError(400, "invalid_parameter", f"Caractère interdit dans le paramètre « {name[:40]} ».")


def clean_text(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from a JSON "\ud800"
        return False
    return True


# --- Request bodies ----------------------------------------------------------------

def read_json(request, schema: dict) -> dict:
    """The JSON body, checked against ``schema`` (the one the OpenAPI document shows)."""
    if request.content_length and request.content_length > MAX_BODY:
        raise ApiError(413, "payload_too_large", "Corps de requête trop volumineux (64 Kio au plus).")
    try:
        body = loads_limited(request.body or b"null", MAX_BODY, MAX_JSON_DEPTH)
    except TooLarge:
        raise ApiError(413, "payload_too_large", "Corps de requête trop volumineux (64 Kio au plus).") from None
    except TooDeep:
        raise ApiError(400, "too_deep", f"Le JSON est trop imbriqué ({MAX_JSON_DEPTH} niveaux au plus).") from None
    except Invalid:
        raise ApiError(400, "invalid_json", "Le corps de la requête n'est pas du JSON valide.") from None
    problems = validate_value(body, schema, "")
    if problems:
        first = next(iter(problems.values()))
        message = first if list(problems) == [""] else "Certains champs sont invalides."
        raise ApiError(422, "validation_failed", message, fields={k or "_": v for k, v in problems.items()})
    return body


# Each with its own agreement: « une liste est attendue ».
_TYPE_EXPECTED = {"object": "un objet est attendu", "string": "un texte est attendu",
                  "integer": "un nombre entier est attendu", "number": "un nombre est attendu",
                  "boolean": "true ou false est attendu", "array": "une liste est attendue"}


def _type_ok(value, expected: str) -> bool:
    if expected == "object":
        return isinstance(value, dict)
    if expected == "string":
        return isinstance(value, str)
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "array":
        return isinstance(value, list)
    return True


def validate_value(value, schema: dict, path: str) -> dict[str, str]:
    """French messages keyed by field path: the subset of OpenAPI 3.0 schemas we write."""
    if value is None:
        return {} if schema.get("nullable") else {path: "Valeur obligatoire."}
    expected = schema.get("type")
    if expected and not _type_ok(value, expected):
        return {path: f"Type invalide : {_TYPE_EXPECTED.get(expected, expected)}."}
    if "enum" in schema and value not in schema["enum"]:
        return {path: "Valeur non reconnue : choisissez parmi " + ", ".join(map(str, schema["enum"])) + "."}
    if isinstance(value, str):
        if not clean_text(value):
            return {path: "Le texte contient un caractère interdit."}
        if len(value) < schema.get("minLength", 0):
            n = schema["minLength"]
            return {path: f"Texte trop court : {count(n, 'caractère', 'caractères')} au moins."}
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return {path: f"Texte trop long : {schema['maxLength']} caractères au plus."}
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return {path: "Format invalide."}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return {path: f"Valeur trop petite : {schema['minimum']} au moins."}
        if "maximum" in schema and value > schema["maximum"]:
            return {path: f"Valeur trop grande : {schema['maximum']} au plus."}
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            return {path: f"Liste trop courte : {count(schema['minItems'], 'élément', 'éléments')} au moins."}
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return {path: f"Liste trop longue : {schema['maxItems']} éléments au plus."}
        problems = {}
        for i, item in enumerate(value):
            problems.update(validate_value(item, schema.get("items", {}), f"{path}[{i}]"))
        return problems
    if isinstance(value, dict):
        problems = {}
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                problems[_join(path, name)] = "Ce champ est obligatoire."
        if schema.get("additionalProperties") is False:
            for name in value:
                if name not in props:
                    problems[_join(path, str(name)[:40])] = "Champ inconnu."
        for name, sub in props.items():
            if name in value:
                problems.update(validate_value(value[name], sub, _join(path, name)))
        return problems
    return {}


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# --- Pagination ------------------------------------------------------------------

@dataclass
class Page:
    number: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page


def _int_param(request, name: str, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 7 or not (low <= int(raw) <= high):
        raise ApiError(400, "invalid_parameter",
                       f"Le paramètre « {name} » doit être un nombre entier entre {low} et {high}.")
    return int(raw)


def page_params(request, default_per_page: int = DEFAULT_PER_PAGE) -> Page:
    return Page(_int_param(request, "page", 1, 1, MAX_PAGE),
                _int_param(request, "per_page", default_per_page, 1, MAX_PER_PAGE))


def paginate_query(request, dbsession, stmt, serialize, page: Page | None = None) -> dict:
    """Run ``stmt`` (a select ordered by the caller) for one page; one row more than
    the page tells whether a next page exists, without a COUNT."""
    page = page or page_params(request)
    rows = list(dbsession.execute(stmt.limit(page.per_page + 1).offset(page.offset)).all())
    items = [serialize(row[0] if len(row) == 1 else row) for row in rows[:page.per_page]]
    return paginated(request, items, page, len(rows) > page.per_page)


def paginate_list(request, items: list, page: Page | None = None) -> dict:
    page = page or page_params(request)
    chunk = items[page.offset:page.offset + page.per_page + 1]
    return paginated(request, chunk[:page.per_page], page, len(chunk) > page.per_page)


def paginated(request, items: list, page: Page, has_next: bool) -> dict:
    """The page as JSON, with ``next`` (and a ``Link: <…>; rel="next"`` header)."""
    next_url = None
    if has_next:
        params = [(k, v) for k, v in request.GET.items() if k not in ("page", "per_page")]
        params += [("page", page.number + 1), ("per_page", page.per_page)]
        next_url = request.path_url + "?" + urlencode(params)
        request.response.headers["Link"] = f'<{next_url}>; rel="next"'
    return {"items": items, "page": page.number, "per_page": page.per_page, "next": next_url}


# --- Declaring API views and the OpenAPI document -------------------------------------

@dataclass
class ApiRegistry:
    patterns: dict = field(default_factory=dict)     # route name → Pyramid pattern
    operations: dict = field(default_factory=dict)   # (openapi path, method) → operation
    schemas: dict = field(default_factory=dict)      # component schemas


# "{alert_id:\d{1,9}}" → "{alert_id}" (one level of braces inside the regex, as Pyramid allows)
_SEGMENT = re.compile(r"\{([A-Za-z_]\w*)(?::(?:[^{}]|\{[^{}]*\})*)?\}")
MAX_ID = 999_999_999  # ids in paths have at most 9 digits: within every database's INTEGER


def openapi_path(pattern: str) -> str:
    return _SEGMENT.sub(lambda m: "{" + m.group(1) + "}", pattern)


def add_api_route(config, name: str, pattern: str, **kw) -> None:
    """``config.add_route`` for an API path (must start with /api/v1), remembered for the document."""
    if not pattern.startswith(API_PREFIX + "/"):
        raise ValueError(f"API route {name} must live under {API_PREFIX}/ (got {pattern})")
    config.registry.vvs_api.patterns[name] = pattern
    config.add_route(name, pattern, **kw)


def add_api_schema(config, name: str, schema: dict) -> None:
    """A reusable schema, referenced as ``{"$ref": "#/components/schemas/<name>"}``."""
    config.registry.vvs_api.schemas[name] = schema


class Toolkit:
    """What API views use at request time, as ``request.api``."""
    Error = ApiError
    read_json = staticmethod(read_json)
    page_params = staticmethod(page_params)
    paginate_query = staticmethod(paginate_query)
    paginate_list = staticmethod(paginate_list)
    paginated = staticmethod(paginated)
    auth_method = staticmethod(auth_method)


class ApiDeclarer(Toolkit):
    """Given to ``vvs_api_endpoints``: declare routes, schemas and views of the API."""

    def __init__(self, config):
        self.config = config

    def route(self, name: str, pattern: str, **kw) -> None:
        add_api_route(self.config, name, pattern, **kw)

    def schema(self, name: str, schema: dict) -> None:
        add_api_schema(self.config, name, schema)

    def view(self, view, route_name: str, **kw) -> None:
        add_api_view(self.config, view, route_name, **kw)


def add_api_view(config, view, route_name: str, *, method: str, permission: str, summary: str,
                 tags=(), description: str = "", query: list | None = None, request_schema: dict | None = None,
                 response_schema: dict | None = None, status: int = 200, paginated: bool = False,
                 path_params: dict | None = None) -> None:
    """Register ``view`` for ``method`` on an API route and describe it in the document.

    query: OpenAPI parameter objects for the query string (pagination ones are added
    when ``paginated``); request_schema: the JSON body (validate it in the view with
    ``read_json(request, schema)``); response_schema: one item when ``paginated``,
    else the whole answer; status: the success status (204: the view returns None).
    """
    api = config.registry.vvs_api
    pattern = api.patterns.get(route_name)
    if pattern is None:
        raise ValueError(f"declare {route_name} with config.add_api_route before its views")
    method = method.upper()
    config.add_view(api_view(view, status), route_name=route_name, request_method=method,
                    permission=permission, require_csrf=False, renderer="json")
    path = openapi_path(pattern)
    params = [{"name": name, "in": "path", "required": True,
               "schema": (path_params or {}).get(name, {"type": "integer", "minimum": 1, "maximum": MAX_ID})}
              for name in _SEGMENT.findall(pattern)]
    params += list(query or [])
    if paginated:
        params += [
            {"name": "page", "in": "query", "required": False, "description": "Numéro de page (1 par défaut).",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
            {"name": "per_page", "in": "query", "required": False,
             "description": f"Éléments par page ({DEFAULT_PER_PAGE} par défaut, {MAX_PER_PAGE} au plus).",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}},
        ]
        response_schema = {"$ref": "#/components/schemas/Page"} if response_schema is None else {
            "allOf": [{"$ref": "#/components/schemas/Page"},
                      {"type": "object", "properties": {"items": {"type": "array", "items": response_schema}}}]}
    success: dict = {"description": summary}
    if status != 204:
        success["content"] = {"application/json": {"schema": response_schema or {"type": "object"}}}
    operation = {
        "operationId": f"{route_name}_{method.lower()}", "summary": summary, "tags": list(tags),
        "parameters": params,
        "responses": {str(status): success, "default": {"$ref": "#/components/responses/Error"}},
    }
    if description:
        operation["description"] = description
    if request_schema is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": request_schema}}}
    if permission == "public":
        operation["security"] = []
    api.operations[(path, method.lower())] = operation


def api_view(view, status: int):
    """Run an API view after the checks every API view shares."""
    def wrapper(context, request):
        check_clean_params(request)
        check_api_csrf(request)
        check_rate_limit(request)
        result = view(request)
        if status == 204:
            return Response(status=204)
        if status != 200:
            request.response.status = status
        request.response.headers.setdefault("Cache-Control", "private, no-store")
        return result

    wrapper.__name__ = getattr(view, "__name__", "api_view")
    wrapper.__module__ = getattr(view, "__module__", __name__)
    return wrapper


ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "description": "Code stable, à tester dans les programmes."},
            "message": {"type": "string", "description": "Message en français, à montrer aux personnes."},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        }}},
}
PAGE_SCHEMA = {
    "type": "object", "required": ["items", "page", "per_page", "next"],
    "properties": {"items": {"type": "array", "items": {}}, "page": {"type": "integer"},
                   "per_page": {"type": "integer"},
                   "next": {"type": "string", "nullable": True, "description": "URL de la page suivante."}},
}


def openapi_document(request) -> dict:
    api = request.registry.vvs_api
    paths: dict = {}
    for (path, method), operation in sorted(api.operations.items()):
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": f"API de {request.registry.settings['vvs.site_name']}", "version": "1",
                 "description": "Authentification : jeton personnel (Authorization: Bearer vvs_…) créé dans "
                                "Mes paramètres › Jetons d'accès, ou session du site (en-tête X-CSRF-Token "
                                "pour les requêtes qui modifient). Erreurs : {\"error\": {\"code\", \"message\"}}."},
        "servers": [{"url": public_base_url(request)}],
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA, "Page": PAGE_SCHEMA, **api.schemas},
            "responses": {"Error": {"description": "Erreur (code stable et message en français)",
                                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "Jeton personnel vvs_…"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "vvs_session"},
            },
        },
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
    }


def openapi_view(request):
    return openapi_document(request)


def includeme(config):
    config.registry.vvs_api = ApiRegistry()
    config.registry.vvs_json_error_paths.append("/api/")
    config.add_request_method(lambda request: Toolkit, "api", reify=True)
    api_paths = r"^/api/"
    config.add_exception_view(api_error_view, context=ApiError)
    config.add_exception_view(api_csrf_view, context=BadCSRFToken, path_info=api_paths)
    config.add_exception_view(api_csrf_view, context=BadCSRFOrigin, path_info=api_paths)
    config.add_exception_view(api_http_exception_view, context=HTTPException, path_info=api_paths)
    config.add_exception_view(api_server_error_view, context=Exception, path_info=api_paths)
    config.add_notfound_view(api_notfound_view, path_info=api_paths)
    config.add_forbidden_view(api_forbidden_view, path_info=api_paths)
    add_api_route(config, "api_openapi", API_PREFIX + "/openapi.json")
    add_api_view(config, openapi_view, "api_openapi", method="GET", permission="public",
                 summary="Ce document OpenAPI", tags=["api"], response_schema={"type": "object"})
