"""The mairie's answers to vvs_warnings and vvs_pcs (hooks declared there, implemented
here with ``optionalhook``): an official warning sent as a commune alert, its updates and
all-clear, and the reach estimate shown while an agent reviews it; a crisis message of
the Plan communal de sauvegarde sent to the whole commune, and the end of the crisis
told once to everyone its messages reached."""
from __future__ import annotations

import shapely

from vvs_core import geo
from vvs_core.plugins import hookimpl
from vvs_core.web.french import count

from . import agents as agent_service
from . import commune_alerts
from .models import ALERT_CATEGORIES, MairieAlert


def alert_data(alert: dict) -> dict | None:
    """The commune alert's data from the warning's, or None when its area is unusable."""
    area = None
    if not alert.get("whole_commune", True):
        area = alert.get("area")
        if area is None or area.is_empty:
            return None
        area = shapely.make_valid(area) if not area.is_valid else area
        if area.geom_type != "Polygon":
            area = area.convex_hull
        if geo.validate_polygon(area) or geo.area_m2(area) > commune_alerts.MAX_AREA_M2:
            return None
    category = alert.get("category") if alert.get("category") in ALERT_CATEGORIES else "autre"
    return {"category": category, "title": str(alert["title"])[:140], "body": str(alert.get("body") or "")[:2000],
            "target": "commune" if area is None else "area", "community_ids": [], "area": area,
            "source": str(alert.get("source") or "")[:120], "exercise": False}


def _subscribed(request, commune) -> bool:
    return agent_service.is_subscribed(request.dbsession, commune.id)


@hookimpl(optionalhook=True)
def vvs_relay_commune_alert(request, commune, alert, author):
    data = alert_data(alert) if _subscribed(request, commune) else None
    if data is None:
        return None
    recipients, followers = commune_alerts.audience_of(request, commune, data)
    sent = commune_alerts.send_alert(request, commune, author, data)
    estimate = commune_alerts.audience.estimate(recipients, followers)
    return {"id": sent.id, "url": request.route_path("mairie_alert", insee=commune.insee, alert_id=sent.id),
            "reach": estimate["text"]}


@hookimpl(optionalhook=True)
def vvs_follow_commune_alert(request, commune, alert_id, kind, body, author):
    parent = request.dbsession.get(MairieAlert, alert_id)
    if parent is None or parent.commune_id != commune.id or parent.parent_id is not None:
        return None
    if kind not in ("update", "all_clear"):
        return False
    ended = request.dbsession.query(MairieAlert).filter(
        MairieAlert.parent_id == parent.id, MairieAlert.kind == "all_clear").count()
    if ended:
        return False
    commune_alerts.send_follow_up(request, commune, author, parent, kind, str(body or "")[:2000])
    return True


@hookimpl(optionalhook=True)
def vvs_estimate_commune_alert(request, commune, alert):
    data = alert_data(alert) if _subscribed(request, commune) else None
    if data is None:
        return None
    return commune_alerts.audience.estimate(*commune_alerts.audience_of(request, commune, data))["text"]


@hookimpl(optionalhook=True)
def vvs_pcs_population_message(request, commune, message, author):
    if not _subscribed(request, commune):
        return None
    data = _population_data(message)
    estimate = commune_alerts.audience.estimate(*commune_alerts.audience_of(request, commune, data))
    sent = commune_alerts.send_alert(request, commune, author, data)
    return {"id": sent.id, "url": request.route_path("mairie_alert", insee=commune.insee, alert_id=sent.id),
            "reach": estimate["text"]}


def _population_data(message: dict) -> dict:
    return {"category": "evenement", "title": str(message.get("title") or "")[:140],
            "body": str(message.get("body") or "")[:2000], "target": "commune", "community_ids": [], "area": None,
            "source": "", "exercise": bool(message.get("exercise"))}


def _parents(request, commune, alert_ids) -> list[MairieAlert]:
    ids = sorted({int(i) for i in alert_ids})
    return request.dbsession.query(MairieAlert).filter(
        MairieAlert.id.in_(ids), MairieAlert.commune_id == commune.id, MairieAlert.parent_id.is_(None)).all()


@hookimpl(optionalhook=True)
def vvs_pcs_population_reach(request, commune, message, alert_ids):
    from types import SimpleNamespace

    max_segments = request.registry.settings["vvs.sms.max_segments"]
    if alert_ids is None:
        if not _subscribed(request, commune):
            return None
        data = _population_data(message)
        estimate = commune_alerts.audience.estimate(*commune_alerts.audience_of(request, commune, data))
        return {"people": estimate["people"], "text": estimate["text"],
                "channels": {"sms": estimate["sms"], "email": estimate["emails"], "push": estimate["pushes"],
                             "voice": estimate["calls"]},
                "sms": commune_alerts.sms_preview(commune, data, max_segments, commune_alerts.public_link(
                    request, commune, commune_alerts.next_alert_id(request.dbsession)))["text"]}
    parents = _parents(request, commune, alert_ids)
    if not parents:
        return None
    told: set = set()
    pairs = [p for parent in parents for p in commune_alerts.follow_up_pairs(request, commune, parent, told, ending=True)]
    channels = {c: sum(1 for p in pairs if p[2] == c) for c in ("sms", "email", "push", "voice")}
    people = len({p[1] for p in pairs})
    first = parents[0]
    end = SimpleNamespace(kind="all_clear", title=first.title, body=str(message.get("body") or "")[:2000],
                          source=first.source, exercise=first.exercise)
    link = commune_alerts.public_link(request, commune, first.id)
    return {"people": people, "channels": channels, "sms": commune_alerts.sms_text(commune, end, max_segments, link),
            "text": count(people, "personne prévenue", "personnes prévenues")}


@hookimpl(optionalhook=True)
def vvs_pcs_population_end(request, commune, alert_ids, body, author):
    parents = _parents(request, commune, alert_ids)
    if not parents:
        return None
    told: set = set()
    for parent in parents:
        commune_alerts.send_follow_up(request, commune, author, parent, "all_clear", str(body or "")[:2000], told)
    people = len({user_id for user_id, _channel in told})
    return {"people": people, "reach": count(people, "personne prévenue", "personnes prévenues")}
