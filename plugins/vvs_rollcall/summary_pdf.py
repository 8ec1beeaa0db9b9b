"""The summary of a closed roll-call as a PDF, for the commune's agents: the counts, then,
wave by wave, who answered (safe or needs help) with the time, and who stayed silent or
could not be reached, named to whom. Times are Paris time (``vvs_core.web.timefmt``); the
text goes through ``vvs_core.web.pdf`` (one font for every PDF, emoji dropped cleanly)."""
from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from vvs_core.web.french import count, de
from vvs_core.web.pdf import fonts, para, stylesheet
from vvs_core.web.timefmt import dates

from .models import RollCallLog, RollCallPerson
from .service import QUESTION


def windows(rollcall) -> list[tuple[str, object, object]]:
    """(title, start, end) of each stretch of the roll-call: before the first wave sent,
    between two waves, after the last one, up to the closing."""
    sent = [rollcall.created_at + timedelta(minutes=int(w["minutes"])) for w in (rollcall.waves or [])]
    sent = [at for at in sent[:rollcall.waves_done] if at < rollcall.closed_at]
    bounds = [rollcall.created_at, *sent, rollcall.closed_at]
    out = []
    for n, (start, end) in enumerate(zip(bounds, bounds[1:])):
        title = ("Pendant l'appel" if not sent else "Avant la relance 1" if n == 0 else
                 f"Après la relance {n}" if n == len(sent) else f"Entre les relances {n} et {n + 1}")
        out.append((f"{title} (de {dates.time(start)} à {dates.time(end)})", start, end))
    return out


def summary_pdf(request, commune, rollcall, summary: dict, author) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    db = request.dbsession
    styles = stylesheet()
    small = styles["BodyText"].clone("small", fontSize=8.5, leading=10.5)
    people, totals = summary["people"], summary["counts"]
    times = dict(db.execute(select(RollCallPerson.id, RollCallPerson.answered_at)
                            .where(RollCallPerson.rollcall_id == rollcall.id)).all())
    waves = [e.text for e in db.scalars(select(RollCallLog).where(RollCallLog.rollcall_id == rollcall.id,
                                                                   RollCallLog.action == "wave")
                                        .order_by(RollCallLog.at, RollCallLog.id))]
    mark = "EXERCICE · " if rollcall.exercise else ""
    site = request.registry.settings["vvs.site_name"]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=f"Bilan de l'appel de sécurité n° {rollcall.id}",
                            author=site, leftMargin=15 * mm, rightMargin=15 * mm)

    def table(header, rows, widths):
        grid = Table([[Paragraph(para(h), small) for h in header]]
                     + [[Paragraph(para(c), small) for c in row] for row in rows], colWidths=widths, repeatRows=1)
        grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (-1, -1), fonts()[0]),
                                  ("LINEBELOW", (0, 0), (-1, -1), 0.25, "#999999"),
                                  ("BACKGROUND", (0, 0), (-1, 0), "#e8e8e8")]))
        return grid

    def who(p):
        return p["name"] + (" (prioritaire)" if p.get("priority") else "")

    story = [Paragraph(para(f"{mark}Bilan de l'appel « {QUESTION} » {de(commune.name)}"), styles["Title"]),
             Paragraph(para(f"Lancé le {dates.datetime(rollcall.created_at)}"
                            f"{' par ' + author.full_name if author else ''}, clos le "
                            f"{dates.datetime(rollcall.closed_at)} (heures de Paris)."), styles["Normal"]),
             Paragraph(para(f"{count(totals['total'], 'personne interrogée', 'personnes interrogées')} : "
                            f"{totals['safe']} en sécurité, {totals['help']} besoin d'aide, "
                            f"{totals['unreachable']} injoignables, {totals['waiting']} sans réponse "
                            f"({totals['percent']} % de réponses)."), styles["Normal"])]
    for n, (title, start, end) in enumerate(windows(rollcall)):
        story += [Spacer(1, 6), Paragraph(para(title), styles["Heading3"])]
        if n and n - 1 < len(waves):
            story.append(Paragraph(para(waves[n - 1]), small))
        answered = sorted(((times[p["id"]], p) for p in people if p["answer"] and times.get(p["id"])
                           and (start <= times[p["id"]] < end or times[p["id"]] == end == rollcall.closed_at)),
                          key=lambda pair: pair[0])
        if not answered:
            story.append(Paragraph(para("Aucune réponse."), small))
            continue
        story.append(table(["Heure", "Personne", "Réponse", "Par", "Message"],
                           [[dates.time(at), who(p), p["answer_label"], p["via"], p["note"]] for at, p in answered],
                           [16 * mm, 48 * mm, 28 * mm, 30 * mm, 58 * mm]))
    silent = [p for p in people if p["state"] in ("unreachable", "waiting")]
    story += [Spacer(1, 6), Paragraph(para(f"Sans réponse à la clôture ({len(silent)})"), styles["Heading3"])]
    story.append(table(["Personne", "Situation", "Adresse et téléphone", "Relances"],
                       [[who(p), p["state_label"], f"{p['address'] or '—'} {p['phone']}".strip(),
                         str(p["escalations"])] for p in silent], [48 * mm, 28 * mm, 86 * mm, 18 * mm])
                 if silent else Paragraph(para("Tout le monde a répondu."), small))
    story += [Spacer(1, 8), Paragraph(para(f"Document produit par {site}. Confidentiel : données personnelles "
                                           "réservées aux agents de la commune."), small)]
    doc.build(story)
    return buffer.getvalue()
