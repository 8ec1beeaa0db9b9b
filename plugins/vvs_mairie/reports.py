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
from vvs_core.web.french import count
from vvs_core.web.timefmt import dates

from . import dashboard
from .commune_alerts import PREFIXES, reach_reports
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
    mairie_alerts = list(db.scalars(select(MairieAlert).where(  # exercises are not real alerts: their own report
        MairieAlert.commune_id == commune.id, MairieAlert.created_at >= start, MairieAlert.created_at < end,
        MairieAlert.exercise.is_(False)).order_by(MairieAlert.created_at)))
    sent = []
    reaches = reach_reports(db, mairie_alerts)
    for alert in mairie_alerts:
        reach = reaches[alert.id]
        sent.append({"alert": alert, "category": alert.category_label, "reach": reach["text"], "people": reach["people"],
                     "title": PREFIXES[alert.kind] + alert.title})
    return {
        "commune": commune, "year": year, "month": month, "label": dates.month(start),
        "members": sum(c["members"] for c in communities), "new_members": new_members,
        "pending": sum(c["pending"] for c in communities), "communities": communities,
        "resident_alerts": len(activity), "not_counted": not_counted_text(not_counted), "alerts_by_category": sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0])),
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


def report_csv(report: dict) -> str:
    out = io.StringIO()
    w = csv.writer(out, delimiter=";")
    w.writerow(["section", "libellé", "valeur"])
    w.writerow(["commune", report["commune"].name, report["commune"].insee])
    w.writerow(["mois", report["label"], f"{report['year']}-{report['month']:02d}"])
    w.writerow(["membres", "membres actifs", report["members"]])
    w.writerow(["membres", "nouveaux membres du mois", report["new_members"]])
    w.writerow(["membres", "demandes en attente", report["pending"]])
    for row in report["communities"]:
        w.writerow(["communauté", row["community"].name, row["members"]])
    for category, n in report["alerts_by_category"]:
        w.writerow(["alertes des habitants", category, n])
    if report["not_counted"]:
        w.writerow(["alertes des habitants", "non comptées", report["not_counted"]])
    w.writerow(["prise en compte", "alertes prises en compte par la mairie", report["acks"]["acknowledged"]])
    w.writerow(["prise en compte", "taux de prise en compte", report["ack_rate"]])
    w.writerow(["prise en compte", "délai médian de prise en compte", report["ack_median"]])
    for row in report["mairie_alerts"]:
        w.writerow(["alertes de la mairie", f"{dates.datetime(row['alert'].created_at)} · {row['category']} · "
                    f"{row['title']}", row["reach"]])
    return out.getvalue()


def report_pdf(report: dict, site_name: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    from vvs_core.web.pdf import fonts, para, plain, stylesheet

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
                               f"{row['reach']}"), styles["Normal"]))
    doc.build(story)
    return buffer.getvalue()
