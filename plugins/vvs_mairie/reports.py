"""The monthly activity report of a commune: figures, then HTML (template), PDF
(reportlab) and CSV renderings of the same dict."""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import datetime

from sqlalchemy import func, select

from vvs_core.clock import utcnow
from vvs_core.web.french import count, number
from vvs_core.web.timefmt import dates

from . import dashboard
from .commune_alerts import reach_reports
from .follow_up import acknowledgement_figures, format_minutes
from .models import ALERT_CATEGORIES, MairieAlert

def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The month as the commune lives it: from the 1st at midnight, local time (``vvs.timezone``)."""
    start = datetime(year, month, 1, tzinfo=dates.zone)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=dates.zone)
    return start, end


def parse_month(text: str) -> tuple[int, int] | None:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", text or ""):
        return None
    year, month = (int(p) for p in text.split("-"))
    return (year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


def has_started(year: int, month: int, now=None) -> bool:
    """A report exists for the current month (so far) and the past ones, not for the future."""
    today = dates.local(now or utcnow())
    return (year, month) <= (today.year, today.month)


def residents_alerts_of_month(request, commune, year: int, month: int) -> list[dict]:
    """The residents' alerts a month's report counts: published ones (held and withdrawn
    alerts are not counted), created that month."""
    return [i for i in alerts_of_month(request, commune, year, month) if i.get("state") in (None, "active", "ended")]


def alerts_of_month(request, commune, year: int, month: int) -> list[dict]:
    """Every residents' alert of the month as the dashboard lists it (held and withdrawn included)."""
    start, end = month_bounds(year, month)
    return [i for i in dashboard.commune_activity(request, commune, start)
            if i["created_at"] < end and i["kind"] == "alert"]


def monthly_report(request, commune, year: int, month: int) -> dict:
    db = request.dbsession
    start, end = month_bounds(year, month)
    communities = dashboard.community_figures(request, commune.id, with_events=False)
    new_members = db.scalar(select(func.count()).select_from(dashboard.new_members_read(commune.id, start, end).subquery())) or 0
    every = alerts_of_month(request, commune, year, month)
    activity = [i for i in every if i.get("state") in (None, "active", "ended")]
    not_counted = Counter(i.get("state") for i in every if i not in activity)
    acks = acknowledgement_figures(db, commune.id, activity)
    by_category = Counter(i.get("category") or "autre" for i in activity)
    mairie_alerts, follow_ups = alerts_with_follow_ups(db, commune.id, start, end)
    reaches = reach_reports(db, mairie_alerts)
    sent = [{"alert": alert, "category": alert.category_label, "title": alert.title, "reach": reaches[alert.id]["text"],
             "people": reaches[alert.id]["people"], "by_channel": channel_figures(reaches[alert.id]["summary"]),
             "calls": reaches[alert.id]["summary"].get("voice") or {},
             "updates": sum(f.kind == "update" for f in follow_ups.get(alert.id, [])),
             "ended_at": next((f.created_at for f in follow_ups.get(alert.id, []) if f.kind == "all_clear"), None)}
            for alert in mairie_alerts]
    for row in sent:
        row["comment"] = alert_comment(row)
    return {
        "commune": commune, "year": year, "month": month, "label": dates.month(start),
        "members": sum(c["members"] for c in communities), "new_members": new_members,
        "pending": sum(c["pending"] for c in communities), "communities": communities,
        "resident_alerts": len(activity), "not_counted": not_counted_text(not_counted),
        "not_counted_by_state": sorted(not_counted.items()), "alerts_by_category": sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0])),
        "mairie_alerts": sent, "acks": acks, "ack_rate": "—" if acks["rate"] is None else f"{acks['rate']} %",
        "ack_median": format_minutes(acks["median_minutes"]),
        "mairie_alerts_by_category": sorted(Counter(ALERT_CATEGORIES.get(a.category, a.category) for a in mairie_alerts).items()),
    }


NOT_COUNTED = {"withdrawn": ("retirée par la modération", "retirées par la modération"),
               "held": ("en attente de validation", "en attente de validation")}


def not_counted_text(states: Counter) -> str:
    """« Non comptée : 1 alerte retirée par la modération. » — why the dashboard shows more."""
    parts = [f"{count(n, 'alerte', 'alertes')} {NOT_COUNTED.get(state, (state, state))[n > 1]}"
             for state, n in sorted(states.items())]
    total = sum(states.values())
    return f"{'Non comptée' if total == 1 else 'Non comptées'} : {', '.join(parts)}." if parts else ""


def alerts_with_follow_ups(dbsession, commune_id: int, start, end) -> tuple[list[MairieAlert], dict[int, list]]:
    """(the commune's alerts sent from ``start`` to ``end``, exercises left out: their own
    report; ``{alert id: its updates and end, oldest first}``, whenever they came), in one
    statement. An alert is counted once: its follow-ups belong to it."""
    from sqlalchemy import or_

    month = select(MairieAlert.id).where(
        MairieAlert.commune_id == commune_id, MairieAlert.created_at >= start, MairieAlert.created_at < end,
        MairieAlert.parent_id.is_(None), MairieAlert.exercise.is_(False))
    alerts, follow_ups = [], {}
    for row in dbsession.scalars(select(MairieAlert).where(or_(MairieAlert.id.in_(month),
                                                              MairieAlert.parent_id.in_(month)))
                                 .order_by(MairieAlert.created_at, MairieAlert.id)):
        if row.parent_id is None:
            alerts.append(row)
        else:
            follow_ups.setdefault(row.parent_id, []).append(row)
    return alerts, follow_ups


REPORT_CHANNELS = ("sms", "email", "push", "voice")
# The outbox's statuses, as the CSV's columns count them ("planned": a call held for the morning).
SENT, WAITING, FAILED, CANCELLED = ("sent", "delivered"), ("pending", "sending", "planned"), ("failed",), ("cancelled",)


def channel_figures(summary: dict) -> dict:
    """Of a ``reach_summaries`` entry: the messages sent (or delivered) per channel, and
    across channels those waiting, failed and cancelled: numbers for the CSV's columns."""
    def total(statuses, channels=REPORT_CHANNELS):
        return sum((summary.get(c) or {}).get(s, 0) for c in channels for s in statuses)

    return {**{c: total(SENT, (c,)) for c in REPORT_CHANNELS},
            "waiting": total(WAITING), "failed": total(FAILED), "cancelled": total(CANCELLED)}


def alert_comment(row: dict) -> str:
    """What the report says of a mairie alert besides its reach: its updates and its end."""
    parts = [count(row["updates"], "mise à jour", "mises à jour")] if row["updates"] else []
    parts.append(f"terminée le {dates.datetime(row['ended_at'])}" if row["ended_at"] else "pas de fin d'alerte envoyée")
    return " · ".join(parts)


def planned_calls(calls: dict) -> str:
    """The calls held for the morning, with their hour as the pages say it (the CSV's
    « en attente » column counts them without it)."""
    n = calls.get("planned")
    return f"{count(n, 'appel prévu', 'appels prévus')} à {dates.hour(calls['planned_at'])}" if n else ""


CSV_COLUMNS = ["section", "libellé", "date", "nombre", "destinataires", "SMS envoyés", "e-mails envoyés",
               "notifications envoyées", "appels passés", "en attente", "en échec", "annulés", "commentaire"]


def report_csv(report: dict) -> str:
    """One table: numbers only in the numeric columns (« nombre », one column per channel…),
    words in « commentaire »; dates in the commune's time."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=";")
    blank = [""] * (len(CSV_COLUMNS) - 5)

    def row(section, label, number="", date="", comment=""):
        w.writerow([section, label, date, number, *blank, comment])

    w.writerow(CSV_COLUMNS)
    row("commune", report["commune"].name, comment=f"code INSEE {report['commune'].insee}")
    row("mois", report["label"], date=f"{report['year']}-{report['month']:02d}")
    row("membres", "membres actifs", report["members"])
    row("membres", "nouveaux membres du mois", report["new_members"])
    row("membres", "demandes en attente", report["pending"])
    for c in report["communities"]:
        row("communauté", c["community"].name, c["members"], comment=f"{c['pending']} en attente" if c["pending"] else "")
    row("alertes des habitants", "total", report["resident_alerts"])
    for category, n in report["alerts_by_category"]:
        row("alertes des habitants", category, n)
    for state, n in report["not_counted_by_state"]:
        row("alertes des habitants", NOT_COUNTED.get(state, (state, state))[1], n, comment="non comptées dans le total")
    acks = report["acks"]
    row("prise en compte", "alertes prises en compte par la mairie", acks["acknowledged"])
    row("prise en compte", "taux de prise en compte (%)", "" if acks["rate"] is None else acks["rate"],
        comment="" if acks["rate"] is not None else "aucune alerte des habitants")
    median = acks["median_minutes"]
    row("prise en compte", "délai médian de prise en compte (minutes)", "" if median is None else number(median, 1),
        comment="" if median is None else report["ack_median"])
    row("alertes de la mairie", "total", len(report["mairie_alerts"]), comment="hors exercices ; les fins d'alerte "
                                                                              "et mises à jour comptent avec leur alerte")
    for a in report["mairie_alerts"]:
        figures = a["by_channel"]
        w.writerow(["alertes de la mairie", f"{a['category']} · {a['title']}",
                    dates.datetime_seconds(a["alert"].created_at), 1, a["people"],
                    *(figures[c] for c in REPORT_CHANNELS), figures["waiting"], figures["failed"], figures["cancelled"],
                    " · ".join(filter(None, (planned_calls(a["calls"]), a["comment"])))])
    return out.getvalue()


def report_pdf(report: dict, site_name: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    from functools import partial

    from vvs_core.web import pdf
    from vvs_core.web.pdf import fonts, stylesheet

    plain, para = partial(pdf.plain, every=True), partial(pdf.para, every=True)  # every emoji of what people typed said

    styles = stylesheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=f"Rapport d'activité {report['label']}", author=site_name)
    story = [Paragraph(para(f"Mairie vigilante de {report['commune'].name}"), styles["Title"]),
             Paragraph(para(f"Rapport d'activité — {report['label']}"), styles["Heading2"]),
             Paragraph(para(f"Membres actifs : {report['members']} · nouveaux ce mois : {report['new_members']} · "
                       f"demandes en attente : {report['pending']}"), styles["Normal"]),
             Spacer(1, 12), Paragraph(para("Communautés"), styles["Heading3"])]
    font = [("FONTNAME", (0, 0), (-1, -1), fonts()[0])]
    story.append(Table([["Communauté", "Membres", "En attente"]]
                       + [[plain(c["community"].name), c["members"], c["pending"]] for c in report["communities"]],
                       style=font))
    story += [Spacer(1, 12), Paragraph(para(f"Alertes des habitants : {report['resident_alerts']}"), styles["Heading3"])]
    if report["not_counted"]:
        story.append(Paragraph(para(report["not_counted"]), styles["Normal"]))
    if report["alerts_by_category"]:
        story.append(Table([["Catégorie", "Nombre"]] + [[plain(k), v] for k, v in report["alerts_by_category"]],
                           style=font))
    story.append(Paragraph(para(f"Prises en compte par la mairie : {report['acks']['acknowledged']} "
                           f"({report['ack_rate']}) · délai médian : {report['ack_median']}"), styles["Normal"]))
    story += [Spacer(1, 12), Paragraph(para(f"Alertes de la mairie : {len(report['mairie_alerts'])}"), styles["Heading3"])]
    for row in report["mairie_alerts"]:
        story.append(Paragraph(para(f"{dates.day_time(row['alert'].created_at)} · {row['category']} · {row['title']} — "
                               f"{row['reach']} — {row['comment']}"), styles["Normal"]))
    doc.build(story)
    return buffer.getvalue()
