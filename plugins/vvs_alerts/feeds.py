"""The alerts as feeds: Atom (private link with a revocable token) and OASIS CAP 1.2.

CAP wants "lat,lon" pairs (our geometries are lon, lat), times with an offset
(never "Z"), identifiers without spaces, commas, "<" or "&".
"""
from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from vvs_core.notify.cap import cap_bytes, cap_element, cap_polygon, cap_sender, cap_time
from vvs_core.clock import aware, utcnow
from vvs_core.web.links import absolute_url, public_host
from vvs_core.models import Membership
from vvs_core.web.timefmt import dates

from .catalogue import CAP_CATEGORIES, CAP_SEVERITIES, EMERGENCY_NOTICE, category_label
from .models import Alert, AlertUpdate, FeedToken
from .texts import alert_url, author_name, headline

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50


# --- Tokens -------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_feed_token(dbsession, community_id: int, user_id: int) -> str:
    token = secrets.token_urlsafe(24)
    dbsession.add(FeedToken(community_id=community_id, user_id=user_id, token_hash=_digest(token),
                            created_at=utcnow()))
    return token


def revoke_feed_tokens(dbsession, community_id: int, user_id: int) -> int:
    result = dbsession.execute(sa.update(FeedToken).where(
        FeedToken.community_id == community_id, FeedToken.user_id == user_id, FeedToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount or 0


def user_feed_count_sql(community_id: int, user_id: int):
    """How many live feed links ``user_id`` holds for a community, as a SQL scalar expression."""
    return (sa.select(sa.func.count(FeedToken.id)).where(
        FeedToken.community_id == community_id, FeedToken.user_id == user_id, FeedToken.revoked_at.is_(None))
        .scalar_subquery())


def feed_token_valid(dbsession, community_id: int, token: str) -> bool:
    """The token exists for this community, is not revoked, and its owner is still an
    active member there (leaving the community silences the link)."""
    if not token or len(token) > 100:
        return False
    return dbsession.scalar(
        sa.select(sa.func.count()).select_from(FeedToken)
        .join(Membership, (Membership.user_id == FeedToken.user_id) & (Membership.community_id == FeedToken.community_id))
        .where(FeedToken.token_hash == _digest(token), FeedToken.community_id == community_id,
               FeedToken.revoked_at.is_(None), Membership.status == "active")) > 0


def feed_alerts(dbsession, community_id: int) -> list[Alert]:
    return list(dbsession.scalars(
        sa.select(Alert).where(Alert.community_id == community_id, Alert.status.in_(("published", "expired")))
        .order_by(Alert.created_at.desc()).limit(FEED_SIZE)))


# --- CAP 1.2 ------------------------------------------------------------------

def cap_identifier(registry, alert_id: int, suffix: str = "") -> str:
    return f"{public_host(registry)}-alerte-{alert_id}{suffix}"


_sub = cap_element

def cap_alert(registry, alert, community) :
    """The alert's present state as one CAP message: Alert, then Update after an
    update or the all-clear, Cancel once withdrawn (both referencing the first)."""
    sender = cap_sender(registry.settings)
    updates = list(alert.updates)
    last = updates[-1] if updates else None
    first_sent = alert.published_at or alert.created_at
    if alert.status == "withdrawn":
        msg_type, suffix, sent = "Cancel", "-retrait", utcnow()
    elif last is not None:
        msg_type, suffix, sent = "Update", f"-suite-{last.id}", last.created_at
    else:
        msg_type, suffix, sent = "Alert", "", first_sent
    root = cap_element(None, "alert")
    _sub(root, "identifier", cap_identifier(registry, alert.id, suffix))
    _sub(root, "sender", sender)
    _sub(root, "sent", cap_time(sent))
    _sub(root, "status", "Actual")
    _sub(root, "msgType", msg_type)
    _sub(root, "scope", "Restricted")
    _sub(root, "restriction", f"Membres de la communauté « {community.name} »")
    if msg_type != "Alert":
        _sub(root, "references", f"{sender},{cap_identifier(registry, alert.id)},{cap_time(first_sent)}")
    info = _sub(root, "info")
    _sub(info, "language", "fr-FR")
    _sub(info, "category", CAP_CATEGORIES.get(alert.category, "Other"))
    _sub(info, "event", category_label(alert.category))
    over = alert.all_clear_at is not None or alert.status in ("withdrawn", "expired")
    _sub(info, "urgency", "Past" if over else ("Immediate" if alert.severity == "severe" else "Expected"))
    _sub(info, "severity", CAP_SEVERITIES.get(alert.severity, "Unknown"))
    _sub(info, "certainty", "Observed")
    _sub(info, "effective", cap_time(first_sent))
    _sub(info, "expires", cap_time(alert.expires_at))
    _sub(info, "senderName", author_name(alert.author))
    _sub(info, "headline", headline(alert, last))
    description = alert.text
    for update in updates:
        label = "Fin d'alerte" if update.kind == "all_clear" else "Suite"
        description += f"\n\n{label} ({dates.datetime(update.created_at)}) : {update.text or 'situation revenue à la normale.'}"
    _sub(info, "description", description)
    _sub(info, "instruction", EMERGENCY_NOTICE)
    _sub(info, "web", alert_url(registry, alert.id))
    area = _sub(info, "area")
    _sub(area, "areaDesc", f"{community.name} ({community.commune.name})")
    _sub(area, "polygon", cap_polygon(community.boundary))
    if alert.place is not None:
        _sub(area, "circle", f"{alert.place.y:.6f},{alert.place.x:.6f} 0.1")
    return root


def cap_document(registry, alert, community) -> bytes:
    return cap_bytes(cap_alert(registry, alert, community))


# --- Atom ---------------------------------------------------------------------

def _atom(parent, name, text=None, **attrs):
    from lxml import etree  # loaded by the first feed, not by every web worker

    element = etree.SubElement(parent, f"{{{ATOM_NS}}}{name}", **attrs)
    if text is not None:
        element.text = str(text)
    return element


def atom_feed(registry, community, alerts, self_url: str, with_cap: bool = False) -> bytes:
    """Atom 1.0; ``with_cap`` puts each alert's CAP message in its entry's content."""
    from lxml import etree

    settings = registry.settings
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    _atom(feed, "id", absolute_url(registry, "alerts_community", community_id=community.id))
    _atom(feed, "title", f"Alertes : {community.name}")
    latest = max((aware(a.updates[-1].created_at if a.updates else a.created_at) for a in alerts), default=utcnow())
    _atom(feed, "updated", dates.iso(latest))
    _atom(feed, "link", rel="self", href=self_url)
    author = _atom(feed, "author")
    _atom(author, "name", settings["vvs.site_name"])
    for alert in alerts:
        entry = _atom(feed, "entry")
        _atom(entry, "id", alert_url(registry, alert.id))
        last = alert.updates[-1] if alert.updates else None
        _atom(entry, "title", f"{headline(alert, last)} ({dates.datetime(alert.created_at)})")
        _atom(entry, "updated", dates.iso(last.created_at if last else alert.created_at))
        _atom(entry, "published", dates.iso(alert.created_at))
        who = _atom(entry, "author")
        _atom(who, "name", author_name(alert.author))
        _atom(entry, "link", rel="alternate", type="text/html", href=alert_url(registry, alert.id))
        if with_cap:
            content = _atom(entry, "content", type="application/cap+xml")
            content.append(cap_alert(registry, alert, community))
        else:
            text = alert.text
            for update in alert.updates:
                label = "Fin d'alerte" if update.kind == "all_clear" else "Suite"
                text += f"\n\n{label} : {update.text}"
            _atom(entry, "content", f"{text}\n\n{EMERGENCY_NOTICE}", type="text")
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)
