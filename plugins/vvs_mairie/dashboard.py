"""What the mairie's dashboard shows: residents' alerts (through ``vvs_commune_activity``),
acknowledgements, per-community figures, pending requests, charts, the map's data."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from html import escape

import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from vvs_core.clock import aware, utcnow
from vvs_core.models import Community, CommunityEvent, Membership, User
from vvs_core.communities.members import member_count_sql
from vvs_core.communities.events import event_label
from vvs_core.web.french import de
from vvs_core.web.timefmt import dates
from vvs_core.web.textsearch import folded


ACTIVITY_FIELDS = ("kind", "id", "title", "category", "community_id", "created_at", "lon", "lat", "url", "author_id",
                   "severity", "severity_key", "state", "state_label")


def _as_datetime(value) -> datetime | None:
    if isinstance(value, datetime):
        return aware(value)
    if isinstance(value, str) and value:
        try:
            return aware(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def commune_activity(request, commune, since: datetime) -> list[dict]:
    """Every plugin's activity in ``commune`` since ``since``, newest first, normalised."""
    items = []
    for answer in request.registry.vvs_plugins.hook.vvs_commune_activity(request=request, commune=commune, since=since):
        for raw in answer or []:
            item = {key: raw.get(key) for key in ACTIVITY_FIELDS}
            item["created_at"] = _as_datetime(item["created_at"])
            if item["created_at"] is None or item["id"] is None:
                continue
            items.append(item)
    items.sort(key=lambda i: (i["created_at"], str(i["id"])), reverse=True)
    return items


def find_alert(request, commune, alert_id: int, days: int = 90) -> dict | None:
    for item in commune_activity(request, commune, utcnow() - timedelta(days=days)):
        if item["kind"] == "alert" and str(item["id"]) == str(alert_id):
            return item
    return None


def acknowledge(request, commune, agent_user, alert: dict) -> bool:
    """"Pris en compte" in one click, once; the author is told. False if already done.

    The click means « reçue → prise en compte »: checked under the follow-up's lock, so a
    patrol or a closing another agent committed meanwhile is never overwritten."""
    from .follow_up import FollowUpRefused, change_status

    try:
        change_status(request, commune, agent_user, alert, "prise_en_compte", seen="recue")
    except FollowUpRefused:
        return False
    return True


def activity_json(request, commune, items, acks, ack_url, follow_url) -> list[dict]:
    out = []
    for item in items:
        ack = acks.get(int(item["id"])) if str(item["id"]).isdigit() else None
        out.append({**item, "created_at": dates.utc_iso(item["created_at"]), "when": dates.day_time(item["created_at"]),
                    "acknowledged": ack is not None,
                    "follow_up": ack.status_label if ack is not None else "reçue",
                    "ack_url": ack_url(item["id"]) if item["kind"] == "alert" else None,
                    "follow_url": follow_url(item["id"]) if item["kind"] == "alert" else None})
    return out


# --- Filters of the feed and the map ---------------------------------------------------

PERIODS = {"1": ("24 heures", 1), "7": ("7 jours", 7), "30": ("30 jours", 30), "90": ("90 jours", 90)}
DEFAULT_PERIOD = "30"


def read_filters(params, communities) -> dict:
    """What the agent chose (GET parameters); anything unknown is ignored, not an error."""
    period = str(params.get("periode") or DEFAULT_PERIOD)
    community = str(params.get("communaute") or "")
    ids = {str(c.id) for c in communities}
    return {"periode": period if period in PERIODS else DEFAULT_PERIOD,
            "gravite": str(params.get("gravite") or "")[:40],
            "categorie": str(params.get("categorie") or "")[:80],
            "communaute": community if community in ids else ""}


def filter_since(filters) -> datetime:
    return utcnow() - timedelta(days=PERIODS[filters["periode"]][1])


def apply_filters(items, filters) -> list[dict]:
    out = []
    for item in items:
        if filters["gravite"] and item.get("severity") != filters["gravite"]:
            continue
        if filters["categorie"] and item.get("category") != filters["categorie"]:
            continue
        if filters["communaute"] and str(item.get("community_id")) != filters["communaute"]:
            continue
        out.append(item)
    return out


def filter_choices(items) -> dict:
    """The severities and categories present in the period, for the filter lists."""
    return {"gravite": sorted({i["severity"] for i in items if i.get("severity")}),
            "categorie": sorted({i["category"] for i in items if i.get("category")})}


def filters_query(filters) -> dict:
    return {k: v for k, v in filters.items() if v and not (k == "periode" and v == DEFAULT_PERIOD)}


# --- Communities -----------------------------------------------------------------

def communities_of(dbsession, commune_id: int) -> list[Community]:
    return list(dbsession.scalars(select(Community).where(Community.commune_id == commune_id, Community.archived_at.is_(None))
                                 .order_by(folded(Community.name))))


def communities_by_id(dbsession, ids) -> list[Community]:
    """The communities of ``ids``: those the session holds already (the dashboard's table read
    them), the others in one statement."""
    ids = set(ids)
    held = [c for c in dbsession.identity_map.values() if isinstance(c, Community) and c.id in ids]
    missing = ids - {c.id for c in held}
    return held + (list(dbsession.scalars(select(Community).where(Community.id.in_(missing)))) if missing else [])


def community_figures(request, commune_id: int, with_events: bool = True) -> list[dict]:
    """Each community of the commune with its members (open accounts, as
    ``vvs_core.communities.members`` counts them) and pending requests (one statement), and its
    latest public event (one more, unless ``with_events`` is false)."""
    dbsession = request.dbsession

    pending = (select(func.count(Membership.id))
               .where(Membership.community_id == Community.id, Membership.status == "pending").scalar_subquery())
    rows = dbsession.execute(
        select(Community, member_count_sql(Community.id), pending)
        .where(Community.commune_id == commune_id, Community.archived_at.is_(None))
        .order_by(folded(Community.name))).all()
    communities = [c for c, _a, _p in rows]
    ids = [c.id for c in communities]
    counts = {}
    for c, active, pending in rows:
        counts[(c.id, "active")], counts[(c.id, "pending")] = active, pending
    events = {}
    if with_events and ids:
        # The latest public event of each community (the table must fit a phone): its id
        # found per community through the (community_id, created_at) index, newest first,
        # one row each (a window over the commune's whole feed sorted 19,250 events at
        # 150 communities, 45 ms; issue 16).
        event = aliased(CommunityEvent)
        latest = (select(event.id).where(event.community_id == Community.id, event.public.is_(True))
                  .order_by(event.created_at.desc(), event.id.desc()).limit(1).scalar_subquery())
        for community_id, kind, created_at in dbsession.execute(
                select(CommunityEvent.community_id, CommunityEvent.kind, CommunityEvent.created_at)
                .where(CommunityEvent.id.in_(select(latest).where(Community.id.in_(ids))))):
            events[community_id] = [{"label": event_label(request.registry, kind), "at": aware(created_at)}]
    queues = requests_queue_urls(request, [c for c in communities if counts[(c.id, "pending")]])
    return [{"community": c, "members": counts[(c.id, "active")], "pending": counts[(c.id, "pending")],
             "queue": queues.get(c.id), "events": events.get(c.id, [])} for c in communities]


def requests_queue_urls(request, communities) -> dict[int, str]:
    """{community id: its queue of membership requests} for those of ``communities`` whose
    requests the signed-in agent decides (where its référent decides, the queue answers 403:
    the requests are shown unlinked). No query; one permission check per community, however
    many of its requests are listed."""
    from vvs_core.accounts.security import CommunityContext

    return {c.id: request.route_path("community_requests", community_id=c.id)
            for c in {c.id: c for c in communities}.values()
            if request.has_permission("membership.decide", CommunityContext(request, c))}


PENDING_SHOWN = 20  # requests listed by the dashboard's widget, oldest first


def pending_requests_read(commune_id: int):
    """The commune's pending membership requests, oldest first (community, who, since when),
    as ``json_rows``: the dashboard reads them with its other widgets and the menu."""
    from vvs_core.web.batch import json_rows

    return json_rows(
        select(Community.id.label("community_id"), Community.name.label("community"),
               User.first_name.label("first_name"), User.last_name.label("last_name"),
               User.pseudonym.label("pseudonym"), User.status.label("status"),
               Membership.requested_at.label("requested_at"))
        .join(Community, Community.id == Membership.community_id).join(User, User.id == Membership.user_id)
        .where(Community.commune_id == commune_id, Membership.status == "pending")
        .order_by(Membership.requested_at, Membership.id))


def map_features(dbsession, commune_id: int, communities=None) -> dict:
    """``communities``: the commune's communities when the caller has them already."""
    communities = communities_of(dbsession, commune_id) if communities is None else communities
    # Coordinates to 6 decimals (11 cm): the map of 150 communities weighed 57 KB of the page.
    features = [{"type": "Feature", "geometry": shapely.geometry.mapping(shapely.set_precision(c.boundary, 1e-6)),
                 "properties": {"id": c.id, "name": c.name}} for c in communities]
    return {"type": "FeatureCollection", "features": features}


# --- Counts over time, drawn as SVG -------------------------------------------------

def week_starts(weeks: int, now=None) -> list[datetime]:
    """Mondays at midnight where the commune is (``vvs.timezone``), oldest first."""
    today = dates.local(now or utcnow()).date()
    monday = today - timedelta(days=today.weekday())
    return [datetime.combine(monday - timedelta(weeks=weeks - 1 - i), time(0), tzinfo=dates.zone)
            for i in range(weeks)]


def weekly_counts(moments, starts) -> list[int]:
    counts = [0] * len(starts)
    for when in moments:
        when = aware(when)
        if when is None or when < starts[0]:
            continue
        index = min(len(starts) - 1, int((when - starts[0]).days // 7))
        counts[index] += 1
    return counts


def new_members_read(commune_id: int, since, until=None):
    """When each new member of the commune's communities was accepted since ``since`` (and
    before ``until``): read community by community in ix_memberships_community_status_decided."""
    stmt = (select(Membership.decided_at).join(Community, Community.id == Membership.community_id)
            .where(Community.commune_id == commune_id, Membership.status == "active", Membership.decided_at >= since))
    return stmt if until is None else stmt.where(Membership.decided_at < until)


def new_members_dates(dbsession, commune_id: int, since) -> list[datetime]:
    return list(dbsession.scalars(new_members_read(commune_id, since)))


def svg_bar_chart(title: str, starts, values, colour="#0b5394") -> str:
    """A small accessible bar chart (role=img, a title and a text description)."""
    width, height, pad = 360, 140, 22
    peak = max(values or [0]) or 1
    bar = (width - 2 * pad) / max(1, len(values))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>']
    for i, value in enumerate(values):
        h = (height - 2 * pad) * value / peak
        x, y = pad + i * bar + 2, height - pad - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 4:.1f}" height="{h:.1f}" fill="{colour}">'
                     f'<title>semaine du {dates.day_month(starts[i])} : {value}</title></rect>')
        if value:
            parts.append(f'<text x="{x + (bar - 4) / 2:.1f}" y="{y - 3:.1f}" font-size="10" text-anchor="middle">{value}</text>')
    parts.append(f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#4a5360"/>')
    if starts:
        parts.append(f'<text x="{pad}" y="{height - 6}" font-size="10">{dates.day_month(starts[0])}</text>')
        parts.append(f'<text x="{width - pad}" y="{height - 6}" font-size="10" text-anchor="end">{dates.day_month(starts[-1])}</text>')
    parts.append("</svg>")
    return "".join(parts)


CHART_WEEKS = 12


def charts(request, commune, weeks: int = CHART_WEEKS, activity=None) -> list[dict]:
    """``activity``: ``commune_activity`` since ``week_starts(weeks)[0]`` or earlier, when the caller has it."""
    starts = week_starts(weeks)
    members = weekly_counts(new_members_dates(request.dbsession, commune.id, starts[0]), starts)
    if activity is None:
        activity = commune_activity(request, commune, starts[0])
    alerts = weekly_counts([i["created_at"] for i in activity if i["kind"] == "alert" and i["created_at"] >= starts[0]],
                           starts)
    return [
        {"title": "Nouveaux membres par semaine", "svg": svg_bar_chart("Nouveaux membres par semaine", starts, members),
         "total": sum(members)},
        {"title": "Alertes des habitants par semaine", "svg": svg_bar_chart("Alertes des habitants par semaine", starts, alerts, "#a4161a"),
         "total": sum(alerts)},
    ]
