"""The main courante as a PDF (reportlab, in the font of vvs_core.web.pdf): each
step with its time (Paris, to the second) and its author. Made once when the crisis
closes and kept; an open crisis' PDF is made on demand and says it is provisional."""
from __future__ import annotations

import io

from vvs_core.web.french import count
from vvs_core.web.french import de
from vvs_core.web.pdf import para as pdf_safe
from vvs_core.web.pdf import stylesheet
from vvs_core.web.timefmt import dates

HEADER = ["Heure", "Auteur", "Étape", "Détail"]


def log_pdf(request, commune, crisis, entries) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = stylesheet()
    small = styles["BodyText"].clone("small", fontSize=8.5, leading=10.5)
    buffer = io.BytesIO()
    site = request.registry.settings["vvs.site_name"]
    mark = "EXERCICE · " if crisis.exercise else ""
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=f"Main courante du PCS {de(commune.name)} n° {crisis.id}",
                            author=site, leftMargin=15 * mm, rightMargin=15 * mm)
    state = (f"Close le {dates.datetime_seconds(crisis.ended_at)}" if crisis.ended_at
             else "Crise en cours : état provisoire de la main courante")
    story = [Paragraph(pdf_safe(f"{mark}Main courante du Plan communal de sauvegarde {de(commune.name)}"),
                       styles["Title"]),
             Paragraph(pdf_safe(f"{crisis.title}"), styles["Heading2"]),
             Paragraph(pdf_safe(f"Ouverte le {dates.datetime_seconds(crisis.started_at)} · {state} · "
                                f"heures de Paris"), styles["Normal"]), Spacer(1, 6)]
    rows = [[Paragraph(h, small) for h in HEADER]]
    rows += [[Paragraph(dates.datetime_seconds(e.at), small), Paragraph(pdf_safe(e.author_name), small),
              Paragraph(pdf_safe(e.kind_label), small), Paragraph(pdf_safe(e.text), small)] for e in entries]
    table = Table(rows, colWidths=[36 * mm, 35 * mm, 30 * mm, 79 * mm], repeatRows=1)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.25, "#999999"),
                               ("BACKGROUND", (0, 0), (-1, 0), "#e8e8e8")]))
    story += [table, Spacer(1, 8),
              Paragraph(pdf_safe(f"{count(len(entries), 'ligne', 'lignes')}. Document produit par {site}."), styles["Normal"])]
    doc.build(story)
    return buffer.getvalue()
