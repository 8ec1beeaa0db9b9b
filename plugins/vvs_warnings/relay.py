"""From an official message to the communes it touches: fold it into its warning
(Alert, Update, Cancel), find the communes, draft or relay the commune alert, and
follow the source's updates, cancellation and expiry to the alert that went out.

The commune alert itself belongs to another plugin, reached only through the hooks
of ``hookspecs`` (vvs_mairie answers them).
"""
from __future__ import annotations

import logging
from collections import Counter

from shapely.geometry import MultiPolygon, Polygon
from shapely.ops import unary_union
from sqlalchemy import select

from vvs_core import geo
from vvs_core.clock import utcnow
from vvs_core.models import Commune, Community
from vvs_core.web.timefmt import dates

from .documents import RiverSection, SourceWarning, VIGICRUES_COLOUR, VIGICRUES_SEVERITY, as_polygonal
from .fetching import Feed
from .geocodes import departement_of_insee, departements_of
from .models import (DEFAULT_THRESHOLD, SEVERITY_RANK, CommuneWarningSettings, OfficialWarning, WarningMessageKey,
                     WarningRelay)

log = logging.getLogger(__name__)
WHOLE_COMMUNE_SHARE = 0.98   # an intersection covering this much of the commune is the whole commune
BODY_MAX = 2000
FALLBACK_SIDE_M = 2000       # a commune with no boundary nor community: a square around its centre


# --- Where communes are --------------------------------------------------------------

def territory(dbsession, commune: Commune):
    """The commune's boundary; without one, the hull of its communities; without those,
    a 2 km square around its centre."""
    if commune.boundary is not None and not commune.boundary.is_empty:
        return commune.boundary
    boundaries = list(dbsession.scalars(select(Community.boundary).where(Community.commune_id == commune.id,
                                                                         Community.archived_at.is_(None))))
    if boundaries:
        return unary_union(boundaries).convex_hull
    return geo.square_around(commune.centre, FALLBACK_SIDE_M)


def _polygon(geometry) -> Polygon | None:
    """One polygon for the commune alert's area (a MultiPolygon becomes its hull)."""
    if geometry is None or geometry.is_empty:
        return None
    if isinstance(geometry, Polygon):
        return geometry
    if isinstance(geometry, MultiPolygon):
        return geometry.convex_hull
    polygonal = as_polygonal(geometry)
    return None if polygonal is None else _polygon(polygonal)


def matches(dbsession, warning: OfficialWarning) -> list[tuple[Commune, Polygon | None]]:
    """The communes the warning touches, each with its area: None for the whole commune,
    else the polygon where the warning's area and the commune's territory meet."""
    out = []
    deps = set(warning.departements or [])
    for commune in dbsession.scalars(select(Commune).order_by(Commune.id)):
        if departement_of_insee(commune.insee) in deps:
            out.append((commune, None))
            continue
        if warning.area is None:
            continue
        land = territory(dbsession, commune)
        if not land.intersects(warning.area):
            continue
        meet = land.intersection(warning.area)
        if meet.is_empty or geo.area_m2(_polygon(meet) or Polygon()) <= 0:
            continue
        share = meet.area / land.area if land.area else 1
        out.append((commune, None if share >= WHOLE_COMMUNE_SHARE else _polygon(meet)))
    return out


# --- The commune's choices -----------------------------------------------------------

def settings_of(dbsession, commune_id: int) -> CommuneWarningSettings:
    row = dbsession.get(CommuneWarningSettings, commune_id)
    return row if row is not None else CommuneWarningSettings(commune_id=commune_id, threshold=DEFAULT_THRESHOLD,
                                                              automatic=False)


def above_threshold(warning: OfficialWarning, choice: CommuneWarningSettings) -> bool:
    return SEVERITY_RANK.get(warning.severity, 0) >= SEVERITY_RANK.get(choice.threshold or DEFAULT_THRESHOLD, 3)


# --- The text ------------------------------------------------------------------------

def draft_title(warning: OfficialWarning) -> str:
    what = warning.event or warning.headline or "Avertissement officiel"
    colour = warning.colour_label
    return (f"Vigilance {colour} : {what}" if colour else what)[:140]


def draft_body(warning: OfficialWarning) -> str:
    """The message; the plugin sending it names the source after it (``source``)."""
    parts = []
    if warning.headline and warning.headline != warning.event:
        parts.append(warning.headline)
    if warning.description:
        parts.append(warning.description)
    if warning.instruction:
        parts.append(f"Consignes : {warning.instruction}")
    if warning.onset and warning.expires:
        parts.append(f"Du {dates.datetime(warning.onset)} au {dates.datetime(warning.expires)}.")
    elif warning.expires:
        parts.append(f"Jusqu'au {dates.datetime(warning.expires)}.")
    text = "\n\n".join(parts) or warning.area_desc or "Avertissement officiel en cours."
    return text if len(text) <= BODY_MAX else text[:BODY_MAX - 3].rstrip() + "..."


def relay_payload(relay: WarningRelay) -> dict:
    return {"title": relay.title, "body": relay.body, "category": "meteo", "source": relay.warning.source_name,
            "whole_commune": relay.whole_commune, "area": relay.area}


# --- Sending through the hooks -------------------------------------------------------

def send_relay(request, relay: WarningRelay, author) -> dict | None:
    """Send the draft as a commune alert (``author`` None: automatic). None when no
    plugin sends commune alerts for this commune."""
    commune = request.dbsession.get(Commune, relay.commune_id)
    answer = request.registry.vvs_plugins.hook.vvs_relay_commune_alert(
        request=request, commune=commune, alert=relay_payload(relay), author=author)
    if not answer:
        return None
    now = utcnow()
    relay.state, relay.alert_id, relay.alert_url = "sent", int(answer["id"]), str(answer.get("url") or "")[:300]
    relay.sent_at = relay.updated_at = now
    relay.automatic, relay.sent_by_id = author is None, getattr(author, "id", None)
    return answer


def _follow(request, relay: WarningRelay, kind: str, body: str) -> None:
    commune = request.dbsession.get(Commune, relay.commune_id)
    request.registry.vvs_plugins.hook.vvs_follow_commune_alert(
        request=request, commune=commune, alert_id=relay.alert_id, kind=kind, body=body, author=None)


def end_relay(request, relay: WarningRelay, why: str) -> None:
    """The source ended the warning: a draft is withdrawn, a sent alert gets its all-clear."""
    now = utcnow()
    if relay.state == "draft":
        relay.state, relay.updated_at = "withdrawn", now
    elif relay.state == "sent":
        _follow(request, relay, "all_clear", why)
        relay.state, relay.ended_at, relay.updated_at = "ended", now, now


# --- Folding messages into warnings --------------------------------------------------

def _known(dbsession, keys) -> WarningMessageKey | None:
    keys = [k for k in keys if k]
    if not keys:
        return None
    return dbsession.scalars(select(WarningMessageKey).where(WarningMessageKey.key.in_(keys))).first()


def _apply_fields(warning: OfficialWarning, message: SourceWarning, overrides) -> None:
    warning.event, warning.headline = message.event[:200], message.headline[:300]
    warning.description, warning.instruction = message.description[:4000], message.instruction[:4000]
    warning.severity, warning.colour = message.severity, message.colour
    warning.onset, warning.expires = message.onset, message.expires
    warning.area_desc, warning.web = message.area_desc[:500], message.web[:500]
    warning.area = as_polygonal(message.area)
    warning.departements = sorted(departements_of(message.geocodes, overrides))
    warning.updated_at = utcnow()


def ingest(request, feed: Feed, messages: list[SourceWarning], overrides=None) -> Counter:
    """Apply each message once; what happened, counted (for the log line)."""
    db, counts = request.dbsession, Counter()
    for message in messages:
        if message.status != "Actual":
            counts["not actual"] += 1
            continue
        if db.get(WarningMessageKey, message.key) is not None:
            counts["already read"] += 1
            continue
        earlier = _known(db, message.references) if message.msg_type in ("Update", "Cancel") else None
        if message.msg_type == "Cancel":
            if earlier is not None:
                db.add(WarningMessageKey(key=message.key, warning_id=earlier.warning_id))
                cancel(request, db.get(OfficialWarning, earlier.warning_id))
                counts["cancelled"] += 1
            else:
                counts["cancel of an unknown warning"] += 1
            continue
        if earlier is not None:
            warning = db.get(OfficialWarning, earlier.warning_id)
            db.add(WarningMessageKey(key=message.key, warning_id=warning.id))
            _apply_fields(warning, message, overrides)
            update(request, warning)
            counts["updated"] += 1
            continue
        warning = OfficialWarning(key=message.key, feed_url=feed.url[:500], source_name=feed.name)
        _apply_fields(warning, message, overrides)
        db.add(warning)
        db.flush()
        db.add(WarningMessageKey(key=message.key, warning_id=warning.id))
        counts["new"] += 1
        counts["drafts or relays"] += distribute(request, warning)
    return counts


def distribute(request, warning: OfficialWarning) -> int:
    """A relay for each commune the warning touches above its threshold."""
    db, made = request.dbsession, 0
    if warning.cancelled_at is not None or (warning.expires is not None and warning.expires <= utcnow()):
        return 0
    existing = {r.commune_id: r for r in db.scalars(select(WarningRelay).where(WarningRelay.warning_id == warning.id))}
    for commune, area in matches(db, warning):
        choice = settings_of(db, commune.id)
        if not above_threshold(warning, choice):
            continue
        relay = existing.get(commune.id)
        if relay is None:
            relay = WarningRelay(warning_id=warning.id, commune_id=commune.id, state="draft",
                                 title=draft_title(warning), body=draft_body(warning),
                                 whole_commune=area is None, area=area, alert_url="", automatic=False)
            relay.warning = warning
            db.add(relay)
            db.flush()
            made += 1
            if choice.automatic and send_relay(request, relay, None) is None:
                log.info("warning %s: no plugin sends commune alerts for %s; the draft waits", warning.id, commune.insee)
    return made


def update(request, warning: OfficialWarning) -> None:
    """The source updated the warning: drafts take the new text, sent alerts get an
    update, new communes get their draft, communes now below their threshold end."""
    db = request.dbsession
    for relay in db.scalars(select(WarningRelay).where(WarningRelay.warning_id == warning.id)):
        relay.warning = warning
        if not above_threshold(warning, settings_of(db, relay.commune_id)):
            end_relay(request, relay, "La vigilance est levée ou abaissée pour la commune.")
        elif relay.state == "draft":
            relay.title, relay.body, relay.updated_at = draft_title(warning), draft_body(warning), utcnow()
        elif relay.state == "sent":
            _follow(request, relay, "update", draft_body(warning))
            relay.updated_at = utcnow()
    db.flush()
    distribute(request, warning)


def cancel(request, warning: OfficialWarning) -> None:
    if warning is None or warning.cancelled_at is not None:
        return
    warning.cancelled_at = warning.updated_at = utcnow()
    for relay in request.dbsession.scalars(select(WarningRelay).where(WarningRelay.warning_id == warning.id)):
        end_relay(request, relay, "L'avertissement est annulé par la source.")


def end_expired(request) -> int:
    """Warnings past their expiry: drafts withdrawn, sent alerts given their all-clear."""
    db, ended = request.dbsession, 0
    rows = db.scalars(select(WarningRelay).join(OfficialWarning, OfficialWarning.id == WarningRelay.warning_id)
                      .where(WarningRelay.state.in_(("draft", "sent")), OfficialWarning.expires.is_not(None),
                             OfficialWarning.expires <= utcnow()))
    for relay in rows:
        end_relay(request, relay, "La période de vigilance annoncée par la source est terminée.")
        ended += 1
    return ended


# --- Vigicrues: a snapshot of river sections ------------------------------------------

def river_messages(feed: Feed, sections: list[RiverSection], dbsession, buffer_m: float) -> list[SourceWarning]:
    """Vigicrues gives each section's present level, not messages: a section at yellow or
    above is an Alert (or an Update when its level changed), a known section back to green
    or gone from the feed is a Cancel."""
    out, seen = [], set()
    active = {",".join(w.key.split(",")[:2]): w for w in dbsession.scalars(select(OfficialWarning).where(
        OfficialWarning.feed_url == feed.url[:500], OfficialWarning.cancelled_at.is_(None)))}
    now = utcnow()
    for section in sections:
        thread = f"vigicrues,{section.code}"
        if section.level < 2:
            continue
        seen.add(thread)
        current = active.get(thread)
        if current is not None and current.severity == VIGICRUES_SEVERITY[section.level]:
            continue
        colour = VIGICRUES_COLOUR[section.level]
        area = geo.from_l93(geo.to_l93(section.geometry).buffer(buffer_m))
        out.append(SourceWarning(
            key=f"{thread},{section.level},{dates.utc_iso(now)}",
            msg_type="Alert" if current is None else "Update", references=[current.key] if current else [],
            sender_name=feed.name, event=f"crues, {section.name}", severity=VIGICRUES_SEVERITY[section.level],
            headline=f"Vigilance {colour} crues sur le tronçon « {section.name} ».",
            instruction=VIGICRUES_ADVICE[section.level], area=area, area_desc=section.name, colour=colour,
            web="https://www.vigicrues.gouv.fr/"))
    for thread, current in active.items():
        if thread.startswith("vigicrues,") and thread not in seen:
            out.append(SourceWarning(key=f"{thread},fin,{dates.utc_iso(now)}", msg_type="Cancel",
                                     references=[current.key], sender_name=feed.name))
    return out


# Vigicrues' own advice per level, shortened.
VIGICRUES_ADVICE = {
    2: "Risque de crue ou de montée rapide des eaux : soyez attentifs si vous pratiquez une activité "
       "près d'un cours d'eau.",
    3: "Risque de crue importante : tenez-vous informés, évitez les abords des cours d'eau, ne vous engagez "
       "pas sur une route inondée, à pied ou en voiture.",
    4: "Risque de crue majeure : menace directe pour les personnes et les biens. Suivez les consignes des "
       "autorités, mettez-vous à l'abri en hauteur, ne prenez pas votre voiture.",
}
