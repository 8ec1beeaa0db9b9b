"""The register exported for the préfet (CASF R121-10: on request, in a crisis): CSV
(semicolons, UTF-8 with BOM, for a spreadsheet) and PDF (reportlab, as the other
documents of vvs)."""
from __future__ import annotations

import csv
import io

from vvs_core.web.french import count, de
from vvs_core.accounts.phones import display_phone
from vvs_core.web.pdf import para as _pdf_text
from vvs_core.web.pdf import stylesheet
from vvs_core.web.timefmt import dates

from .models import ORIGINS, SITUATIONS

HEADER = ["Nom", "Adresse", "Téléphone", "E-mail", "Situation", "Besoins", "Personne à prévenir", "Origine",
          "Inscrite depuis", "Prochaine revue"]


def _line(entry, data) -> list[str]:
    situations = ", ".join(SITUATIONS[k] for k in data.get("situations", []) if k in SITUATIONS)
    return [data.get("name", ""), data.get("address", ""), display_phone(data.get("phone")) if data.get("phone") else "",
            data.get("email", ""), situations, data.get("needs", ""), data.get("contact", ""),
            ORIGINS.get(entry.origin, entry.origin), dates.date(entry.active_from), dates.date(entry.next_review_at)]


def _cell(value: str) -> str:
    """A spreadsheet never runs what a resident typed (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def register_csv(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    writer.writerows([[_cell(v) for v in _line(entry, data)] for entry, data, _state in rows])
    return out.getvalue()


def register_pdf(request, commune, rows) -> bytes:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from vvs_core.clock import utcnow

    styles = stylesheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    buffer = io.BytesIO()
    site = request.registry.settings["vvs.site_name"]
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), title=f"Registre des personnes vulnérables {de(commune.name)}",
                            author=site, leftMargin=10 * mm, rightMargin=10 * mm)
    story = [Paragraph(_pdf_text(f"Registre des personnes vulnérables — {commune.name} ({commune.insee})"),
                       styles["Title"]),
             Paragraph(_pdf_text(f"Extrait le {dates.datetime_seconds(utcnow())} (heure de Paris) par "
                                 f"{request.user.full_name} · {count(len(rows), 'personne', 'personnes')} · document confidentiel "
                                 f"(CASF L121-6-1)"), styles["Normal"]), Spacer(1, 6)]
    table = Table([[Paragraph(h, small) for h in HEADER]]
                  + [[Paragraph(_pdf_text(v), small) for v in _line(e, d)] for e, d, _s in rows],
                  colWidths=[30 * mm, 40 * mm, 24 * mm, 30 * mm, 28 * mm, 38 * mm, 28 * mm, 20 * mm, 19 * mm, 19 * mm],
                  repeatRows=1)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.25, "#999999"),
                               ("BACKGROUND", (0, 0), (-1, 0), "#e8e8e8")]))
    story.append(table)
    doc.build(story)
    return buffer.getvalue()
