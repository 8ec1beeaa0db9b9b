"""The moderators' pages about people: sanctions in force (change their length, lift
them) and the moderation history of a member or of an alert."""
from __future__ import annotations

import re

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render
from pyramid.view import view_config

from vvs_core.models import User
from vvs_core.web import route_exists
from vvs_core.web.forms import read_fields

from .catalogue import category_label
from .forms import SuspensionChangeSchema
from .moderation import (ACTION_LABELS, DAYS_WRONG, MAX_DAYS, MIN_DAYS, REASON_MAX, ModerationRefused, change_suspension,
                         journal, lift_suspension, recent_warnings, suspensions_in_force)
from .texts import author_name


def _common(request):
    limits = {"min_days": MIN_DAYS, "max_days": MAX_DAYS, "reason_max": REASON_MAX}

    def suspension_form(suspension, back):
        return render("vvs_alerts:templates/suspension_form.pt", {"s": suspension, "back": back, **limits},
                      request=request)

    def account_url(user_id):  # suspend, ban or reopen the whole account (vvs_admin, when enabled)
        return request.route_path("admin_user_account", user_id=user_id) if accounts else None

    accounts = route_exists(request, "admin_user_account")
    return {"actions": ACTION_LABELS, "author_name": author_name, "category_label": category_label,
            "suspension_form": suspension_form, "account_url": account_url, "accounts": accounts, **limits}


def blocked_accounts(dbsession) -> list[User]:
    """Accounts suspended (until a date not yet past) or banned (by a moderator or an administrator), by name."""
    import sqlalchemy as sa

    from vvs_core.clock import utcnow

    in_force = sa.or_(User.status == "banned", sa.and_(User.status == "suspended", sa.or_(
        User.suspended_until.is_(None), User.suspended_until > utcnow())))
    return list(dbsession.scalars(sa.select(User).where(in_force)
                                  .order_by(User.first_name, User.last_name, User.id).limit(200)))


@view_config(route_name="alerts_sanctions", renderer="vvs_alerts:templates/sanctions.pt", permission="alerts.sanctions")
def sanctions_view(request):
    db = request.dbsession
    return {"title": "Sanctions en cours", "suspensions": suspensions_in_force(db),
            "warnings": recent_warnings(db), "blocked": blocked_accounts(db), **_common(request)}


@view_config(route_name="alerts_sanction_change", request_method="POST", permission="alerts.sanctions")
def sanction_change_view(request):
    suspension_id = int(request.matchdict["suspension_id"]) if len(request.matchdict["suspension_id"]) <= 9 else 0
    data, errors = read_fields(request, SuspensionChangeSchema())
    what, seen = data.get("what"), data.get("seen_until")
    if what != "change":
        errors.pop("days", None)
    elif data.get("days") is None:
        errors.setdefault("days", DAYS_WRONG)
    try:
        if errors:
            raise ModerationRefused(" ".join(errors.values()))
        if what == "lift":
            lift_suspension(request, suspension_id, request.user, data["reason"], seen)
            request.flash("Suspension levée : la personne en est informée.", "success")
        elif what == "change":
            entry = change_suspension(request, suspension_id, request.user, data["days"], data["reason"], seen)
            from vvs_core.web.timefmt import dates

            request.flash(f"Suspension modifiée : jusqu'au {dates.datetime(entry.until)}. La personne en est informée.",
                          "success")
        else:
            request.flash("Choisissez de modifier la durée ou de lever la suspension.", "error")
    except ModerationRefused as refused:
        request.flash(str(refused), "error")
    back = data.get("back", "")
    if re.fullmatch(r"[0-9]{1,9}", back):
        return HTTPSeeOther(request.route_path("alerts_user_history", user_id=back))
    return HTTPSeeOther(request.route_path("alerts_sanctions"))


@view_config(route_name="alerts_user_history", renderer="vvs_alerts:templates/history.pt", permission="alerts.sanctions")
def user_history_view(request):
    raw = request.matchdict["user_id"]
    user = request.dbsession.get(User, int(raw)) if len(raw) <= 9 else None
    if user is None:
        raise HTTPNotFound()
    return {"title": f"Historique de modération : {author_name(user)}", "member": user, "alert": None,
            "entries": journal(request.dbsession, user_id=user.id),
            "suspensions": suspensions_in_force(request.dbsession, user.id), **_common(request)}


@view_config(route_name="alert_history", renderer="vvs_alerts:templates/history.pt", permission="alert.moderate")
def alert_history_view(request):
    alert = request.context.alert
    return {"title": f"Historique de modération de l'alerte « {category_label(alert.category)} »",
            "member": None, "alert": alert, "entries": journal(request.dbsession, alert_id=alert.id),
            "suspensions": [], **_common(request),
            "can_sanction": bool(request.has_permission("alerts.sanctions", _sanctions_context(request)))}


def _sanctions_context(request):
    from .access import SanctionsContext

    return SanctionsContext(request)


def admin_user_panel(request, user) -> str:
    """The block of /admin/utilisateurs/{id}: posting suspensions in force, how many
    moderation actions concern the person, and the link to their history."""
    import sqlalchemy as sa

    from .models import ModerationAction

    db = request.dbsession
    counts = dict(db.execute(sa.select(ModerationAction.action, sa.func.count(ModerationAction.id))
                             .where(ModerationAction.user_id == user.id).group_by(ModerationAction.action)).all())
    return render("vvs_alerts:templates/admin_user_panel.pt", {
        "suspensions": suspensions_in_force(db, user.id), "actions": sum(counts.values()),
        "warnings": counts.get("warn", 0),
        "history_url": request.route_path("alerts_user_history", user_id=user.id)}, request=request)
