"""Error answers that never fail themselves, and the retry of conflicting transactions.

- ``render_error_page`` renders ``error.pt`` in the layout; when that fails too (the
  database is gone, the session is broken, a template raises), it answers a static
  French page that needs nothing.
- The not-found, forbidden, server-error and ``TooManyRequests`` views use it; a
  ``TooManyRequests`` always carries ``Retry-After``; under the path prefixes a plugin
  names in ``registry.vvs_json_error_paths`` (a JSON API) they answer ``json_error``.
- ``execution_policy``: pyramid_retry's policy, with a last resort around it: whatever
  escapes every view and tween is still the static French 500, never the server's
  English "Internal Server Error".
- ``mark_retryable``: a transaction refused because SQLite was busy (``database is
  locked``) is marked retryable, so pyramid_retry runs the request again
  (``retry.attempts``, 3 by default); PostgreSQL's serialization failures and
  deadlocks are marked by pyramid_tm and zope.sqlalchemy already.
"""

import html
import json
import logging
import sqlite3

from pyramid.authorization import ACLHelper
from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.renderers import render_to_response
from pyramid.response import Response
from pyramid_retry import IRetryableError, RetryableExecutionPolicy, is_error_retryable, is_last_attempt
from sqlalchemy.exc import OperationalError
from zope.interface import alsoProvides

from vvs_core.web.ratelimit import TooManyRequests

log = logging.getLogger(__name__)

TEMPLATE = "vvs_core:web/templates/error.pt"
MESSAGES = {
    403: "Vous n'avez pas accès à cette page.",
    404: "La page demandée n'existe pas ou n'est pas accessible.",
    429: "Trop de tentatives. Réessayez dans quelques minutes.",
    500: "Une erreur est survenue de notre côté. Réessayez dans un instant ; "
         "si elle persiste, prévenez l'équipe de la plateforme.",
}
TITLES = {400: "Requête invalide", 403: "Accès refusé", 404: "Page introuvable", 429: "Trop de tentatives",
          500: "Erreur du serveur"}
BAD_ENCODING = "L'adresse ou les données envoyées sont mal encodées (UTF-8 attendu, sans caractère nul) : vérifiez le lien."
EMERGENCY = "En cas d'urgence ou de flagrant délit, appelez le 17."


def static_page(status: int = 500, title: str | None = None, message: str | None = None,
                headers: dict | None = None) -> Response:
    """A complete French page built from constants: no template, no database, no session."""
    title = title or TITLES.get(status, TITLES[500])
    message = message or MESSAGES.get(status, MESSAGES[500])
    body = (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{html.escape(title, quote=False)}</title><link rel="stylesheet" href="/static/css/vvs.css">'
        '</head><body><header class="site-header"><div class="bar"><a class="brand" href="/">Accueil</a></div>'
        f'<p class="emergency" role="note"><strong>{html.escape(EMERGENCY, quote=False)}</strong></p></header>'
        f'<main id="contenu"><h1>{html.escape(title, quote=False)}</h1><p>{html.escape(message, quote=False)}</p>'
        '<p><a href="/">Retour à l\'accueil</a></p></main></body></html>\n')
    response = Response(body=body.encode("utf-8"), status=status, content_type="text/html", charset="utf-8")
    response.headers.update({"Cache-Control": "no-store", **(headers or {})})
    return response


def _ensure_context(request) -> None:
    # A route factory that raises (unknown community…) leaves request.context unset,
    # and the layout's menu hooks call request.has_permission, which reads it.
    if getattr(request, "context", None) is None:
        from vvs_core.accounts.security import RootContext

        request.context = RootContext(request)


def render_error_page(request, status: int, title: str | None = None, message: str | None = None,
                      headers: dict | None = None, **values) -> Response:
    """``error.pt`` in the layout, or the static page when rendering fails."""
    title = title or TITLES.get(status, TITLES[500])
    try:
        _ensure_context(request)
        request.response.status = status
        response = render_to_response(TEMPLATE, {"title": title, "message": message, "status": status, **values},
                                      request=request)
        response.status = status
    except Exception:
        log.exception("the error page could not be rendered; static page sent instead")
        return static_page(status, title, message, headers)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# --- Retry of conflicting transactions ----------------------------------------------

def is_lock_conflict(exc: BaseException) -> bool:
    """SQLite refused a write because another connection held or moved the database."""
    orig = getattr(exc, "orig", None)
    return (isinstance(exc, OperationalError) and isinstance(orig, sqlite3.OperationalError)
            and any(word in str(orig).lower() for word in ("locked", "busy")))


def mark_retryable(request, exc: BaseException) -> bool:
    """Mark a lock conflict retryable; True when pyramid_retry will run the request again."""
    if is_lock_conflict(exc):
        alsoProvides(exc, IRetryableError)
    return is_error_retryable(request, exc)


def execution_policy(attempts: int):
    retry = RetryableExecutionPolicy(attempts)

    def policy(environ, router):
        try:
            environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
        except UnicodeError:  # the path is not UTF-8: nothing in Pyramid can read it
            return bad_encoding(environ, registry=router.registry)
        try:
            return retry(environ, router)
        except Exception:
            log.exception("unhandled error on %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            return static_page(500)

    return policy


# --- Views ------------------------------------------------------------------------

def notfound_view(request):
    return render_error_page(request, 404)


def forbidden_view(request):
    try:
        anonymous = request.user is None
    except Exception:
        anonymous = False
    if anonymous and request.method == "GET":
        from urllib.parse import quote

        return HTTPFound(request.route_path("login") + "?next=" + quote(request.path_qs, safe=""))
    waiting = None if anonymous else pending_request(request)
    if waiting is not None and opens_to_members(request, waiting["community"]):
        title = "Demande d'adhésion en attente" if waiting["community"] else "Pas encore de communauté"
        return render_error_page(request, 403, title, waiting=waiting)
    return render_error_page(request, 403, anonymous=anonymous, waiting=None)


def opens_to_members(request, community) -> bool:
    """Would the page open once the resident's request is accepted (not a staff page)?"""
    member = f"community:{getattr(community or getattr(request.context, 'community', None), 'id', 0)}:member"
    permission = getattr(getattr(request.exception, "result", None), "permission", None)
    return permission is None or ACLHelper().permits(request.context, [*request.principals, "role:resident", member],
                                                     permission)


def pending_request(request) -> dict | None:
    """For a signed-in resident who is not an active member yet: where their request
    stands and who decides, said on every page they cannot open until then (None for
    everyone else, and whenever it cannot be read: the error page never fails)."""
    try:
        user = request.user
        if user is None or user.is_admin or user.is_moderator:
            return None
        from vvs_core.accounts.principals import is_staff

        # Staff (a town hall's agent, its CCAS…) refused a page is not a resident
        # waiting for a community: they get the plain 403 page.
        if is_staff(request, user):
            return None
        from vvs_core.communities.membership import request_status
        from vvs_core.web.timefmt import dates

        status = request_status(request, user)
        if status and status["community"] is not None:
            status["requested_on"] = dates.full_date(status["requested_at"])
        return status
    except Exception:
        log.exception("request status for the 403 page")
        return None


def error_view(exc, request):
    if mark_retryable(request, exc) and not is_last_attempt(request):
        log.info("write conflict on %s %s (%s), the request runs again", request.method, request.path,
                 getattr(exc, "orig", exc))
        return static_page(500)  # thrown away by pyramid_retry
    log.exception("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    return render_error_page(request, 500)


def too_many_requests_view(exc, request):
    headers = {"Retry-After": str(exc.wait_seconds)}
    if exc.message == MESSAGES[429]:
        minutes = max(1, -(-exc.wait_seconds // 60))
        exc.message = ("Trop de tentatives. Réessayez dans une minute." if minutes == 1
                       else f"Trop de tentatives. Réessayez dans {minutes} minutes.")
    if answers_json(request.registry, request.path_info):
        return json_error(429, "rate_limited", exc.message, headers=headers)
    return render_error_page(request, 429, message=exc.message, headers=headers)


def answers_json(registry, path: str) -> bool:
    """Is ``path`` under a prefix whose errors are JSON (``registry.vvs_json_error_paths``)?"""
    return any(path.startswith(prefix) for prefix in getattr(registry, "vvs_json_error_paths", ()))


def json_error(status: int, code: str, message: str, fields: dict | None = None,
               headers: dict | None = None) -> Response:
    """``{"error": {"code": "stable_code", "message": "message en français"}}``."""
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    response = Response(body=json.dumps({"error": error}, ensure_ascii=False).encode("utf-8"),
                        status=status, content_type="application/json", charset="utf-8")
    response.headers.update({"Cache-Control": "no-store", **(headers or {})})
    return response


def bad_encoding(environ, request=None, registry=None) -> Response:
    registry = registry if request is None else request.registry
    if answers_json(registry, environ.get("PATH_INFO", "")):
        return json_error(400, "invalid_encoding", BAD_ENCODING)
    if request is None:
        return static_page(400, TITLES[400], BAD_ENCODING)
    return render_error_page(request, 400, message=BAD_ENCODING)


def decoding_tween_factory(handler, registry):
    """A path, a query string or a form that is not UTF-8 (``/?q=%FF%FE``), a path or a query string
    with a NUL character (PostgreSQL refuses it in text: ``?q=%00``) is a French 400 before any view reads it."""
    def tween(request):
        try:
            texts = [request.path_info, *request.GET.values()]  # decodes (a form's NUL is its field's error)
            if request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                list(request.POST.items())
            if any("\x00" in text for text in texts):
                raise UnicodeError("NUL")
        except UnicodeError:  # the error page's layout must not read them again (three tracebacks)
            request.environ.update(QUERY_STRING="", REQUEST_METHOD="GET", CONTENT_LENGTH="0")
            return bad_encoding(request.environ, request)
        return handler(request)

    return tween


def is_id_placeholder(name: str) -> bool:
    return name == "id" or name.endswith("_id") or name == "position"


def refuse_impossible_ids(event) -> None:
    """BeforeTraversal: a route matched with an id no row can have (30 digits, "²") is a 404,
    whatever the route factory or the view would have done with it."""
    from vvs_core.models import row_id

    for name, value in (event.request.matchdict or {}).items():
        if is_id_placeholder(name) and isinstance(value, str) and value.isdigit() and row_id(value) is None:
            raise HTTPNotFound()


def includeme(config):
    from pyramid.events import BeforeTraversal
    from pyramid.tweens import EXCVIEW

    config.registry.vvs_json_error_paths = []  # a JSON API plugin adds its prefix
    config.add_tween("vvs_core.web.errorpages.decoding_tween_factory", under=EXCVIEW)
    config.add_subscriber(refuse_impossible_ids, BeforeTraversal)
    config.add_notfound_view(notfound_view, append_slash=HTTPFound)
    config.add_forbidden_view(forbidden_view)
    config.add_exception_view(error_view, context=Exception)
    config.add_exception_view(too_many_requests_view, context=TooManyRequests)
