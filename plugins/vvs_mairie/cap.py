"""A commune alert as one OASIS CAP 1.2 message (its present state): Alert, then Update
after an update or the all-clear (``responseType`` AllClear), both referencing the
first. An exercise is ``status`` Exercise with a ``note``; a relayed official warning
names its source in ``source``. The area is the commune (its INSEE geocode) or the
zone drawn (a polygon)."""
from __future__ import annotations

from vvs_core.notify.cap import cap_bytes, cap_element, cap_polygon, cap_sender, cap_time
from vvs_core.web.french import de
from vvs_core.web.links import absolute_url, public_host

from .commune_alerts import EXERCISE_NOTICE
from .models import MairieAlert

CAP_CATEGORIES = {"meteo": "Met", "travaux": "Infra", "evenement": "Safety", "greve": "Transport",
                  "tranquillite": "Security", "cambriolages": "Security", "autre": "Other"}


def _identifier(registry, alert_id: int, suffix: str = "") -> str:
    return f"{public_host(registry)}-mairie-alerte-{alert_id}{suffix}"


def commune_alert_cap(registry, commune, alert: MairieAlert, follow_ups: list[MairieAlert]) -> bytes:
    sender = cap_sender(registry.settings)
    last = follow_ups[-1] if follow_ups else None
    ended = any(f.kind == "all_clear" for f in follow_ups)
    root = cap_element(None, "alert")
    cap_element(root, "identifier", _identifier(registry, alert.id, f"-suite-{last.id}" if last else ""))
    cap_element(root, "sender", sender)
    cap_element(root, "sent", cap_time(last.created_at if last else alert.created_at))
    cap_element(root, "status", "Exercise" if alert.exercise else "Actual")
    cap_element(root, "msgType", "Update" if last else "Alert")
    if alert.source:
        cap_element(root, "source", alert.source)
    cap_element(root, "scope", "Public")
    if alert.exercise:
        cap_element(root, "note", EXERCISE_NOTICE)
    if last:
        cap_element(root, "references", f"{sender},{_identifier(registry, alert.id)},{cap_time(alert.created_at)}")
    info = cap_element(root, "info")
    cap_element(info, "language", "fr-FR")
    cap_element(info, "category", CAP_CATEGORIES.get(alert.category, "Other"))
    cap_element(info, "event", alert.category_label)
    if ended:
        cap_element(info, "responseType", "AllClear")
    cap_element(info, "urgency", "Past" if ended else "Immediate")
    cap_element(info, "severity", "Unknown")
    cap_element(info, "certainty", "Observed" if not alert.source else "Likely")
    cap_element(info, "effective", cap_time(alert.created_at))
    cap_element(info, "senderName", f"Mairie {de(commune.name)}")
    cap_element(info, "headline", ("EXERCICE · " if alert.exercise else "") + alert.title)
    description = alert.body or alert.title
    for follow in follow_ups:
        label = "Fin d'alerte" if follow.kind == "all_clear" else "Mise à jour"
        description += f"\n\n{label} : {follow.body or 'situation revenue à la normale.'}"
    if alert.source:
        description += f"\n\nSource : {alert.source}."
    cap_element(info, "description", description)
    # The public page (its SMS and e-mails link there too): whoever reads the feed may open it.
    cap_element(info, "web", absolute_url(registry, "mairie_alert_public", insee=commune.insee, alert_id=alert.id))
    area = cap_element(info, "area")
    if alert.area is not None:
        cap_element(area, "areaDesc", f"Une partie de la commune {de(commune.name)}")
        cap_element(area, "polygon", cap_polygon(alert.area))
    else:
        cap_element(area, "areaDesc", f"La commune {de(commune.name)}")
    geocode = cap_element(area, "geocode")
    cap_element(geocode, "valueName", "INSEE")
    cap_element(geocode, "value", commune.insee)
    return cap_bytes(root)
