"""What the hooks and views show: recent alerts, the panel, the reach line."""
from __future__ import annotations

from datetime import timedelta
from functools import cache

import sqlalchemy as sa
from pyramid.renderers import render

from vvs_core.clock import utcnow
from vvs_core.hooktypes import Panel
from vvs_core.communities.members import community_ids_of, community_ids_sql
from vvs_core.notify.outbox import format_reach, reach_summary

from .catalogue import category_label
from .lifecycle import active_alerts_query
from .models import Alert

RECENT_DAYS = 7


def member_communities_sql(user):
    """Ids of ``user``'s active communities, as a subquery (no statement of its own)."""
    return community_ids_sql(user.id)


def member_community_ids(dbsession, user) -> list[int]:
    return community_ids_of(dbsession, user.id)


@cache
def recent_alerts_read():
    """The last 10 published alerts of the signed-in user's communities after
    ``alerts_since`` (id, category, severity, created_at), as ``json_rows`` built once per process
    (the home page's statement binds ``VIEWER``, vvs_core.web.batch)."""
    from vvs_core.web.batch import VIEWER, json_rows

    return json_rows(sa.select(Alert.id.label("id"), Alert.category.label("category"),
                               Alert.severity.label("severity"), Alert.created_at.label("created_at"))
                     .where(Alert.community_id.in_(community_ids_sql(sa.bindparam(VIEWER))),
                            Alert.status.in_(("published", "expired")), Alert.created_at > sa.bindparam("alerts_since"))
                     .order_by(Alert.created_at.desc()).limit(10))


def recent_alerts_since():
    """The value of ``recent_alerts_read``'s ``alerts_since``: RECENT_DAYS ago."""
    return utcnow() - timedelta(days=RECENT_DAYS)


def active_alerts_panel(request, community):
    """The community page's panel of alerts in progress, read with the page's other
    panels and the menu in one statement (``vvs_core.web.batch``); None when not allowed."""
    if not request.has_permission("community.view", _community_context(request, community)):
        return None
    from vvs_core.web.batch import json_rows

    can_post = "role:resident" in request.principals  # as the menu: an administrator has no community to post to
    query = active_alerts_query([community.id]).limit(10).with_only_columns(
        Alert.id.label("id"), Alert.category.label("category"), Alert.created_at.label("created_at"))
    return Panel("Alertes en cours", order=10, read=json_rows(query),
                 render=lambda alerts: render("vvs_alerts:templates/panel.pt",
                                              {"alerts": alerts, "category_label": category_label,
                                               "can_post": can_post}, request=request))


def _community_context(request, community):
    from vvs_core.accounts.security import CommunityContext

    return CommunityContext(request, community)


def reach_state(dbsession, alert) -> dict:
    """Where the delivery of ``alert`` stands, for its page and for the page's live
    updates (``/alertes/N/portee``): ``text`` ("Envoi en cours… SMS : 12 remis, 3 en
    attente · e-mail : 14 envoyés") and ``done`` (nothing left to wait for)."""
    summary = reach_summary(dbsession, "alert", alert.id)
    waiting = sum(counts.get("pending", 0) + counts.get("sending", 0) for counts in summary.values())
    if alert.status == "held":
        return {"text": "Pas encore envoyée : aucune notification tant que la modération ne l'a pas validée.",
                "done": False}
    if not summary:
        from vvs_core.jobs.lease import job_key
        from vvs_core.models import Job

        from .tasks import fan_out_alert

        fan_out = dbsession.scalar(sa.select(Job.status).where(Job.key == job_key(fan_out_alert.actor_name, (alert.id, 0))))
        if fan_out in ("queued", "running"):  # its job row, none once done long ago and cleaned away
            return {"text": "Envoi en cours… les notifications se préparent.", "done": False}
        return {"text": "Aucune notification : personne d'autre à prévenir.", "done": True}
    if waiting:
        return {"text": f"Envoi en cours… {format_reach(summary)}", "done": False}
    if summary.get("voice", {}).get("planned"):  # only calls held for the night are left: their hour, said once
        return {"text": f"{format_reach(summary)} — la nuit, seules les alertes urgentes appellent.", "done": False}
    return {"text": format_reach(summary), "done": True}


COMMUNITY_PAGE = 30


def community_alerts(request, community, size: int = COMMUNITY_PAGE):
    """(alerts in progress, alerts that are over, the ``Pagination``) of one community, in
    one statement: the pages list the active ones first, then the others newest first."""
    from vvs_core.web.pagination import paginate

    now = utcnow()
    is_active = sa.and_(Alert.status == "published", Alert.all_clear_at.is_(None), Alert.expires_at > now)
    page = paginate(request, sa.select(Alert, is_active.label("active"))
                    .where(Alert.community_id == community.id, Alert.status.in_(("published", "expired")))
                    .order_by(is_active.desc(), Alert.created_at.desc(), Alert.id.desc()), size)
    active = [a for a, live in page.items if live]
    past = [a for a, live in page.items if not live]
    return active, past, page
