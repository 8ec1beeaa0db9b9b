"""The residents' alerts of a commune, as the mairie's dashboard and reports read them:
every alert, held, withdrawn and ended ones included, each with its state and severity."""
from __future__ import annotations

from sqlalchemy import select

from vvs_core.clock import utcnow
from vvs_core.web.french import excerpt

from .catalogue import CATEGORY_LABELS, SEVERITY_LABELS
from .lifecycle import is_active
from .models import Alert

STATE_LABELS = {"held": "en attente de validation", "active": "en cours", "ended": "terminée",
                "withdrawn": "retirée par la modération"}


def alert_state(alert, now=None) -> str:
    """held · active · ended (all-clear or expired) · withdrawn."""
    if alert.status in ("held", "withdrawn"):
        return alert.status
    return "active" if is_active(alert, now) else "ended"


def commune_alerts_since(request, commune, since) -> list[dict]:
    now = utcnow()
    # The columns read, not Alert objects: up to 500 rows on the mairie's dashboard, where
    # building the ORM's objects was most of the page's Python (issue 16).
    rows = request.dbsession.execute(
        select(Alert.id, Alert.text, Alert.category, Alert.severity, Alert.status, Alert.all_clear_at,
               Alert.expires_at, Alert.community_id, Alert.created_at, Alert.place, Alert.author_id)
        .where(Alert.commune_id == commune.id, Alert.created_at >= since)
        .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(500))
    out = []
    for alert in rows:
        state = alert_state(alert, now)
        out.append({
            "kind": "alert",
            "id": alert.id,
            "title": excerpt(alert.text, 90) or CATEGORY_LABELS.get(alert.category, alert.category),
            "category": CATEGORY_LABELS.get(alert.category, alert.category),
            "severity": SEVERITY_LABELS.get(alert.severity, alert.severity),
            "severity_key": alert.severity,
            "state": state,
            "state_label": STATE_LABELS[state],
            "community_id": alert.community_id,
            "created_at": alert.created_at,
            "lon": alert.place.x if alert.place is not None else None,
            "lat": alert.place.y if alert.place is not None else None,
            "url": request.route_path("alert_view", alert_id=alert.id),
            "author_id": alert.author_id,
        })
    return out

