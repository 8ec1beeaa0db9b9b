"""The residents' alerts of a commune, as the mairie's dashboard and reports read them."""
from __future__ import annotations

from sqlalchemy import select

from .catalogue import CATEGORY_LABELS
from .models import Alert

VISIBLE = ("published", "expired")


def commune_alerts_since(request, commune, since) -> list[dict]:
    rows = request.dbsession.execute(
        select(Alert).where(Alert.commune_id == commune.id, Alert.created_at >= since,
                            Alert.status.in_(VISIBLE))
        .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(500)
    ).scalars()
    return [
        {
            "kind": "alert",
            "id": alert.id,
            "title": _excerpt(alert.text) or CATEGORY_LABELS.get(alert.category, alert.category),
            "category": CATEGORY_LABELS.get(alert.category, alert.category),
            "community_id": alert.community_id,
            "created_at": alert.created_at,
            "lon": alert.place.x if alert.place is not None else None,
            "lat": alert.place.y if alert.place is not None else None,
            "url": request.route_path("alert_view", alert_id=alert.id),
            "author_id": alert.author_id,
        }
        for alert in rows
    ]


def _excerpt(text: str, length: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"
