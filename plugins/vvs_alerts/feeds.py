"""The alerts as feeds: Atom (private link with a revocable token) and OASIS CAP 1.2.

CAP wants "lat,lon" pairs (our geometries are lon, lat), times with an offset
(never "Z"), identifiers without spaces, commas, "<" or "&".
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import object_session

from vvs_core.notify.cap import cap_bytes, cap_element, cap_polygon, cap_sender, cap_time
from vvs_core.clock import aware, utcnow
from vvs_core.web.links import absolute_url, public_host
from vvs_core.models import Membership
from vvs_core.web.timefmt import dates

from .catalogue import CAP_CATEGORIES, CAP_SEVERITIES, EMERGENCY_NOTICE, category_label
from .models import Alert, AlertUpdate, FeedToken, ModerationAction
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


def feed_alerts(dbsession, community_id: int, withdrawn: bool = False) -> list[Alert]:
    """The latest alerts of a feed; ``withdrawn``: those withdrawn after they were sent too (the
    CAP feed: a consumer learns of the withdrawal by its Cancel; the text feed shows it no more)."""
    shown = Alert.status.in_(("published", "expired"))
    if withdrawn:
        shown |= (Alert.status == "withdrawn") & Alert.published_at.is_not(None)
    return list(dbsession.scalars(
        sa.select(Alert).where(Alert.community_id == community_id, shown)
        .order_by(Alert.created_at.desc()).limit(FEED_SIZE)))


# --- CAP 1.2 ------------------------------------------------------------------

def cap_identifier(registry, alert_id: int, suffix: str = "") -> str:
    return f"{public_host(registry)}-alerte-{alert_id}{suffix}"


_sub = cap_element
MODERATION_MESSAGES = {"withdraw": ("Cancel", "-retrait"), "restore": ("Alert", "-retablie")}


def moderation_of(dbsession, alert_ids) -> dict[int, list[ModerationAction]]:
    """The withdrawals and restorings of ``alert_ids``, in order, read in one statement."""
    out = {alert_id: [] for alert_id in alert_ids}
    for entry in dbsession.scalars(sa.select(ModerationAction).where(
            ModerationAction.alert_id.in_(list(out)), ModerationAction.action.in_(list(MODERATION_MESSAGES)))
            .order_by(ModerationAction.id)):
        out[entry.alert_id].append(entry)
    return out


def cap_messages(alert, moderation: list) -> list[tuple[str, str, datetime]]:
    """Every CAP message the alert has been, in order: (msgType, identifier suffix, sent).
    The first is the Alert; an update or the all-clear is an Update; a withdrawal a Cancel sent
    when decided; a restoring a new Alert (CAP 1.2: an identifier is never reused, a consumer
    that took the Cancel drops a message with the first one's, and an Update of a cancelled
    message does not bring it back), which the messages after it follow."""
    first_sent = aware(alert.published_at or alert.created_at)
    later = [(aware(u.created_at), "Update", f"-suite-{u.id}") for u in alert.updates]
    later += [(aware(m.created_at), kind, f"{suffix}-{m.id}") for m in moderation
              for kind, suffix in [MODERATION_MESSAGES[m.action]] if aware(m.created_at) >= first_sent]  # not a withdrawal before it was sent
    messages = [("Alert", "", first_sent)] + [(kind, suffix, sent) for sent, kind, suffix in sorted(later)]
    if alert.status == "withdrawn" and messages[-1][0] != "Cancel":  # withdrawn without a journal entry
        messages.append(("Cancel", "-retrait", utcnow()))
    return messages


def cap_alert(registry, alert, community, moderation: list | None = None):
    """The alert's present state as one CAP message, the last of ``cap_messages``: an Update
    or a Cancel references the messages since the last Alert; a restoring (an Alert) those
    before it. ``moderation``: its entries from ``moderation_of``."""
    sender = cap_sender(registry.settings)
    updates = list(alert.updates)
    last = updates[-1] if updates else None
    if moderation is None:
        moderation = moderation_of(object_session(alert), [alert.id])[alert.id]
    *earlier, (msg_type, suffix, sent) = cap_messages(alert, moderation)
    first_sent = earlier[0][2] if earlier else sent
    if msg_type != "Alert":  # an Update or a Cancel refers to the messages since the last Alert (a restoring)
        earlier = earlier[max(i for i, (kind, _s, _t) in enumerate(earlier) if kind == "Alert"):]
    root = cap_element(None, "alert")
    _sub(root, "identifier", cap_identifier(registry, alert.id, suffix))
    _sub(root, "sender", sender)
    _sub(root, "sent", cap_time(sent))
    _sub(root, "status", "Actual")
    _sub(root, "msgType", msg_type)
    _sub(root, "scope", "Restricted")
    _sub(root, "restriction", f"Membres de la communauté « {community.name} »")
    if earlier:
        _sub(root, "references", " ".join(f"{sender},{cap_identifier(registry, alert.id, before)},{cap_time(at)}"
                                          for _kind, before, at in earlier))
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
    withdrawn = msg_type == "Cancel"  # its words, withdrawn by the moderation, are not sent again
    _sub(info, "headline", f"Alerte retirée : {category_label(alert.category)}" if withdrawn else headline(alert, last))
    description = "Alerte retirée par la modération : elle ne vaut plus." if withdrawn else alert.text
    for update in [] if withdrawn else updates:
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
    moderation = moderation_of(object_session(alerts[0]), [a.id for a in alerts]) if alerts else {}
    changed = {a.id: cap_messages(a, moderation[a.id])[-1][2] for a in alerts}  # its last message's moment
    latest = max(changed.values(), default=utcnow())
    _atom(feed, "updated", dates.iso(latest))
    _atom(feed, "link", rel="self", href=self_url)
    author = _atom(feed, "author")
    _atom(author, "name", settings["vvs.site_name"])
    for alert in alerts:
        entry = _atom(feed, "entry")
        _atom(entry, "id", alert_url(registry, alert.id))
        last = alert.updates[-1] if alert.updates else None
        title = f"Alerte retirée : {category_label(alert.category)}" if alert.status == "withdrawn" else headline(alert, last)
        _atom(entry, "title", f"{title} ({dates.datetime(alert.created_at)})")
        _atom(entry, "updated", dates.iso(changed[alert.id]))
        _atom(entry, "published", dates.iso(alert.created_at))
        who = _atom(entry, "author")
        _atom(who, "name", author_name(alert.author))
        _atom(entry, "link", rel="alternate", type="text/html", href=alert_url(registry, alert.id))
        if with_cap:
            content = _atom(entry, "content", type="application/cap+xml")
            content.append(cap_alert(registry, alert, community, moderation[alert.id]))
        else:
            text = alert.text
            for update in alert.updates:
                label = "Fin d'alerte" if update.kind == "all_clear" else "Suite"
                text += f"\n\n{label} : {update.text}"
            _atom(entry, "content", f"{text}\n\n{EMERGENCY_NOTICE}", type="text")
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)
