"""The platform team's accounts pages: /admin/utilisateurs (search), a user's page and
its actions (role, suspend / ban / reopen, confirmation e-mail), the page where a
moderator suspends, bans or reopens an account (``…/compte``), and the journal of
what the team did (/admin/journal, also as CSV). The rules live in
``vvs_admin.accounts``; these views only read forms and show pages."""
from __future__ import annotations

import csv
import io

import colander
import deform
from pyramid.authorization import ALL_PERMISSIONS, DENY_ALL, Allow
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from vvs_admin.accounts import (
    ACCOUNT_STATUS_LABELS, DAYS_WRONG, DEFAULT_DAYS, MAX_DAYS, MIN_DAYS, PAGE_SIZE, PLATFORM_ROLES,
    account_state, audit_entries, audit_label, audit_query, change_role, change_status, community_choices,
    describe_change, end_sessions, memberships_of, open_sessions, platform_role, resend_confirmation, role_labels,
    search_users, status_choices, status_label, suspension_over,
)
from vvs_core.web.forms import Schema, act, choice_node, make_form, number_node, reason_node, state_node
from vvs_core.models import Community, User, row_id
from vvs_core.web.pagination import Pagination
from vvs_core.accounts.phones import display_phone
from vvs_core.web import french

JOURNAL_PAGE_SIZE = 50
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def includeme(config):
    config.add_route("admin_users", "/admin/utilisateurs")
    config.add_route("admin_user", "/admin/utilisateurs/{user_id}")
    config.add_route("admin_user_role", "/admin/utilisateurs/{user_id}/role")
    config.add_route("admin_user_status", "/admin/utilisateurs/{user_id}/statut")
    config.add_route("admin_user_confirmation", "/admin/utilisateurs/{user_id}/confirmation")
    config.add_route("admin_user_sessions", "/admin/utilisateurs/{user_id}/sessions")
    config.add_route("admin_user_account", "/admin/utilisateurs/{user_id}/compte", factory=AccountSanctionContext)
    config.add_route("admin_journal", "/admin/journal")
    config.add_route("admin_journal_csv", "/admin/journal.csv")
    config.scan(".accounts_views")


class AccountSanctionContext:
    """An account's suspension, ban or reopening: the administrators, and the moderators,
    whom the charter lets sanction a member (issue 13.2); nothing else of the account
    (contact, role, memberships) shows on their page."""

    __acl__ = [(Allow, "role:admin", ALL_PERMISSIONS), (Allow, "role:moderator", "accounts.sanction"), DENY_ALL]

    def __init__(self, request):
        self.request = request


def _css(request) -> list[str]:
    return [request.layout.static("css/resident.css")]


def int_param(request, name: str, default=None, lowest: int = 1):
    """A positive integer from the query string; anything else is ``default``."""
    value = row_id(str(request.GET.get(name, "")).strip())  # « ² » is a digit to Python, not to int()
    return default if value is None or value < lowest else value


# --- Forms --------------------------------------------------------------------

class StatusSchema(Schema):
    def deserialize(self, cstruct=colander.null):
        """A length typed, then left in the form for a ban or a reopening, is not read: only a suspension has one."""
        if isinstance(cstruct, dict) and cstruct.get("action") != "suspend":
            cstruct = {**cstruct, "jours": ""}
        return super().deserialize(cstruct)


def status_schema(user: User) -> Schema:
    status = StatusSchema()
    status.add(choice_node("action", "Action sur le compte", status_choices(user)))
    if "suspend" in dict(status_choices(user)):
        status.add(number_node(f"Durée de la suspension, en jours ({MIN_DAYS} à {MAX_DAYS})", min=MIN_DAYS,
                               max=MAX_DAYS, message=DAYS_WRONG, name="jours", missing=None,
                               description="Pour une suspension seulement ; un compte déjà suspendu reçoit "
                                           "cette nouvelle fin, comptée d'aujourd'hui (plus tôt ou plus tard)."))
    status.add(reason_node())
    status.add(state_node())
    return status


def user_forms(request, user: User) -> dict[str, deform.Form]:
    def action(route):
        return request.route_path(route, user_id=user.id)

    role = Schema()
    role.add(choice_node("role", "Nouveau rôle", list(PLATFORM_ROLES.items())))
    role.add(reason_node())
    role.add(state_node())
    status = status_schema(user)
    confirmation = Schema()
    confirmation.add(reason_node())
    sessions = Schema()
    sessions.add(reason_node())
    return {
        "sessions": make_form(request, sessions, "Fermer toutes ses sessions", formid="sessions",
                              action=action("admin_user_sessions")),
        "role": make_form(request, role, "Changer le rôle", formid="role", action=action("admin_user_role")),
        "status": make_form(request, status, "Appliquer", formid="statut", action=action("admin_user_status")),
        "confirmation": make_form(request, confirmation, "Renvoyer l'e-mail de confirmation", formid="confirmation",
                                  action=action("admin_user_confirmation")),
    }


# --- Pages --------------------------------------------------------------------

def user_from_route(request) -> User:
    found = row_id(request.matchdict.get("user_id"))
    user = request.dbsession.get(User, found) if found else None
    if user is None:
        raise HTTPNotFound()
    return user


@view_config(route_name="admin_users", renderer="vvs_admin:templates/admin_users.pt", permission="platform")
def admin_users_view(request):
    text = str(request.GET.get("q", ""))[:120]
    community_id = int_param(request, "communaute")
    page = int_param(request, "page", default=1)
    users, total = search_users(request.dbsession, text, community_id, page)
    pages = max(1, -(-total // PAGE_SIZE))

    def page_url(n):
        query = {"page": n}
        if text.strip():
            query["q"] = text.strip()
        if community_id is not None:
            query["communaute"] = community_id
        return request.route_path("admin_users", _query=query)

    return {"title": "Utilisateurs", "extra_css": _css(request), "users": users, "total": total, "q": text,
            "community_id": str(community_id or ""), "communities": community_choices(request.dbsession),
            "pagination": Pagination(users, min(page, pages), PAGE_SIZE, total, page_url),
            "status_labels": ACCOUNT_STATUS_LABELS,
            "role_labels": role_labels}


def days_needed(data: dict) -> dict:
    """``validate``'s check: a suspension needs its length."""
    return {"jours": DAYS_WRONG} if data.get("action") == "suspend" and data.get("jours") is None else {}


def user_page(request, user: User, rendered: dict | None = None, error: str | None = None) -> dict:
    suspension_over(user)
    forms = user_forms(request, user)
    seen = {"etat": account_state(user), "jours": DEFAULT_DAYS}
    html = {
        "role": forms["role"].render({**seen, "role": platform_role(user)}),
        "status": forms["status"].render(seen) if status_choices(user) else None,
        "confirmation": forms["confirmation"].render()
        if user.email_confirmed_at is None and user.status == "active" and user.email else None,
        "sessions": forms["sessions"].render() if user.status == "active" else None,
    }
    html.update(rendered or {})
    events, _total = audit_entries(request.dbsession, subject_id=user.id, page=1, page_size=10)
    return {"title": user.full_name, "extra_css": _css(request), "subject": user, "forms": html, "error": error,
            "status_label": status_label(user.status, user.suspended_until), "roles": role_labels(user),
            "memberships": memberships_of(request.dbsession, user), "mobile": display_phone(user.mobile),
            "landline": display_phone(user.landline), "events": events, "audit_label": lambda kind: audit_label(request.registry, kind),
            "describe_change": describe_change, "is_self": user.id == request.user.id,
            "open_sessions": open_sessions(request.dbsession, user), "panels": user_panels(request, user)}


def user_panels(request, user: User) -> list:
    """What enabled plugins show about this account (sanctions, town-hall roles…), by order."""
    answers = request.registry.vvs_plugins.hook.vvs_admin_user_panels(request=request, user=user)
    return sorted((p for panels in answers for p in (panels or []) if p is not None), key=lambda p: p.order)


@view_config(route_name="admin_user", request_method="GET", renderer="vvs_admin:templates/admin_user.pt",
             permission="platform")
def admin_user_view(request):
    return user_page(request, user_from_route(request))


def _act(request, form_key: str, apply) -> dict | HTTPSeeOther:
    user = user_from_route(request)
    return act(request, user_forms(request, user)[form_key],
               lambda data: (apply(user, data), request.route_path("admin_user", user_id=user.id)),
               lambda rendered=None, error=None: user_page(request, user, rendered and {form_key: rendered}, error),
               check=days_needed if form_key == "status" else None)


@view_config(route_name="admin_user_role", request_method="POST", renderer="vvs_admin:templates/admin_user.pt",
             permission="platform")
def admin_user_role_view(request):
    def apply(user, data):
        change_role(request, user, data["role"], data["reason"], data["etat"])
        return f"Rôle {french.elided('de', user.full_name)} : {PLATFORM_ROLES[data['role']].lower()}."
    return _act(request, "role", apply)


@view_config(route_name="admin_user_status", request_method="POST", renderer="vvs_admin:templates/admin_user.pt",
             permission="platform")
def admin_user_status_view(request):
    def apply(user, data):
        change_status(request, user, data["action"], data["reason"], data["etat"], data.get("jours"))
        return f"Compte de {user.full_name} : {status_label(user.status, user.suspended_until).lower()}."
    return _act(request, "status", apply)


@view_config(route_name="admin_user_confirmation", request_method="POST",
             renderer="vvs_admin:templates/admin_user.pt", permission="platform")
def admin_user_confirmation_view(request):
    def apply(user, data):
        resend_confirmation(request, user, data["reason"])
        return f"L'e-mail de confirmation est renvoyé à {user.email}."
    return _act(request, "confirmation", apply)


@view_config(route_name="admin_user_sessions", request_method="POST", renderer="vvs_admin:templates/admin_user.pt",
             permission="platform")
def admin_user_sessions_view(request):
    def apply(user, data):
        count = end_sessions(request, user, data["reason"])
        return (f"Toutes les sessions de {user.full_name} sont fermées "
                f"({french.count(count, 'session ouverte', 'sessions ouvertes')}).")
    return _act(request, "sessions", apply)


# --- A moderator's page of an account ---------------------------------------------

STATUS_EVENTS = ("admin_account_suspended", "admin_account_banned", "admin_account_reopened")


def account_form(request, user: User) -> deform.Form:
    return make_form(request, status_schema(user), "Appliquer", formid="statut",
                     action=request.route_path("admin_user_account", user_id=user.id))


def account_page(request, user: User, rendered: str | None = None, error: str | None = None) -> dict:
    from vvs_core.web import route_exists

    suspension_over(user)
    events, _total = audit_entries(request.dbsession, subject_id=user.id, page=1, page_size=50)
    is_self = user.id == request.user.id
    staff = (user.is_admin or user.is_moderator) and not request.user.is_admin
    form = None
    if not (is_self or staff or user.is_closed) and status_choices(user):
        form = rendered or account_form(request, user).render({"etat": account_state(user), "jours": DEFAULT_DAYS})
    history = (request.route_path("alerts_user_history", user_id=user.id)
               if route_exists(request, "alerts_user_history") else None)
    return {"title": f"Compte de {user.full_name}", "extra_css": _css(request), "subject": user, "form": form,
            "error": error, "status_label": status_label(user.status, user.suspended_until), "is_self": is_self,
            "staff": staff, "history_url": history, "describe_change": describe_change,
            "audit_label": lambda kind: audit_label(request.registry, kind),
            "events": [e for e in events if e.kind in STATUS_EVENTS][:10]}


@view_config(route_name="admin_user_account", request_method="GET",
             renderer="vvs_admin:templates/admin_user_account.pt", permission="accounts.sanction")
def admin_user_account_view(request):
    return account_page(request, user_from_route(request))


@view_config(route_name="admin_user_account", request_method="POST",
             renderer="vvs_admin:templates/admin_user_account.pt", permission="accounts.sanction")
def admin_user_account_post(request):
    user = user_from_route(request)

    def apply(data):
        change_status(request, user, data["action"], data["reason"], data["etat"], data.get("jours"))
        return (f"Compte de {user.full_name} : {status_label(user.status, user.suspended_until).lower()}. "
                "La personne en est informée par e-mail.", request.route_path("admin_user_account", user_id=user.id))
    return act(request, account_form(request, user), apply,
               lambda rendered=None, error=None: account_page(request, user, rendered, error), check=days_needed)


# --- The journal ----------------------------------------------------------------

def journal_rows(request, events, dbsession=None) -> list[dict]:
    """The lines of the journal for ``events``: the names they show read in two statements
    (people, communities), whatever the number of lines."""
    db = dbsession if dbsession is not None else request.dbsession
    user_ids = {i for e in events for i in (e.actor_id, e.subject_user_id) if i is not None}
    community_ids = {e.community_id for e in events if e.community_id is not None}
    users = {u.id: u.full_name for u in db.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    communities = dict(db.execute(select(Community.id, Community.name)
                                  .where(Community.id.in_(community_ids))).all()) if community_ids else {}

    def name(user_id):
        return "" if user_id is None else users.get(user_id, "compte supprimé")

    def community(community_id):
        return "" if community_id is None else communities.get(community_id, "")

    return [{"event": e, "when": e.created_at, "actor": name(e.actor_id), "subject": name(e.subject_user_id),
             "subject_id": e.subject_user_id, "community": community(e.community_id), "what": audit_label(request.registry, e.kind),
             "change": describe_change(e), "reason": str((e.data or {}).get("reason") or "")} for e in events]


@view_config(route_name="admin_journal", renderer="vvs_admin:templates/admin_journal.pt", permission="platform")
def admin_journal_view(request):
    subject_id = int_param(request, "utilisateur")
    page = int_param(request, "page", default=1)
    events, total = audit_entries(request.dbsession, subject_id, page, JOURNAL_PAGE_SIZE)
    subject = request.dbsession.get(User, subject_id) if subject_id is not None else None
    query = {"utilisateur": subject_id} if subject_id is not None else {}
    return {"title": "Journal de l'administration", "extra_css": _css(request), "rows": journal_rows(request, events),
            "total": total, "subject": subject,
            "pagination": Pagination(events, page, JOURNAL_PAGE_SIZE, total,
                                     lambda n: request.route_path("admin_journal", _query={**query, "page": n})),
            "csv_url": request.route_path("admin_journal_csv", _query=query)}


def csv_cell(value) -> str:
    """A cell a spreadsheet never runs as a formula."""
    text = str(value or "")
    return "'" + text if text.startswith(CSV_FORMULA_START) else text


JOURNAL_CSV_BATCH = 500


@view_config(route_name="admin_journal_csv", permission="platform")
def admin_journal_csv_view(request):
    """The whole journal, streamed: read ``JOURNAL_CSV_BATCH`` entries at a time
    (``yield_per``), in a session of its own since the response is sent after the request's
    transaction has ended."""
    from vvs_core.web.timefmt import dates

    subject_id = int_param(request, "utilisateur")
    query = audit_query(subject_id)
    factory = request.registry["dbsession_factory"]

    def lines():
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["Date", "Auteur", "Action", "Compte concerné", "Communauté", "Changement", "Motif"])
        yield ("\ufeff" + out.getvalue()).encode("utf-8")
        session = factory()
        try:
            for batch in session.scalars(query.execution_options(yield_per=JOURNAL_CSV_BATCH)).partitions():
                out.seek(0)
                out.truncate()
                for row in journal_rows(request, batch, dbsession=session):
                    writer.writerow([csv_cell(v) for v in (dates.datetime(row["when"]), row["actor"], row["what"],
                                                          row["subject"], row["community"], row["change"],
                                                          row["reason"])])
                yield out.getvalue().encode("utf-8")
        finally:
            session.close()

    response = Response(app_iter=lines(), content_type="text/csv", charset="utf-8")
    response.content_disposition = 'attachment; filename="journal-administration.csv"'
    return response
