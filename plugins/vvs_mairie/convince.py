"""« Convaincre ma mairie »: what a resident of a commune that is not subscribed can
send or print to convince the town hall."""
from __future__ import annotations

import io

from vvs_core.web.french import de

POINTS = (
    "Disposer d'un outil de communication pour alerter et informer la population en temps réel.",
    "Avoir une vision en temps réel de l'activité des voisins vigilants et solidaires de la commune.",
    "Recevoir les alertes des habitants et les marquer « pris en compte ».",
    "Alerter toute la commune, des quartiers choisis ou une zone de la carte : météo, travaux, grève…",
    "Publier les communications non urgentes dans la gazette de chaque quartier.",
    "Imposer la validation des nouveaux membres par la mairie ou la police municipale.",
)


def email_template(commune_name: str, site_name: str, site_url: str) -> tuple[str, str]:
    subject = f"Proposition : {commune_name}, « Mairie vigilante et solidaire »"
    body = (f"Madame, Monsieur,\n\nHabitant(e) {de(commune_name)}, je participe à {site_name}, le réseau d'entraide "
            "et de vigilance entre voisins.\n\nLa commune pourrait rejoindre le dispositif « Mairie vigilante et "
            "solidaire » :\n" + "".join(f"- {p}\n" for p in POINTS)
            + f"\nPour en savoir plus : {site_url}\n\nJe vous prie d'agréer mes salutations distinguées.\n")
    return subject, body


def presentation_pdf(commune_name: str, site_name: str, contact: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer

    from vvs_core.web.pdf import para, stylesheet

    styles = stylesheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title="Mairie vigilante et solidaire", author=site_name)
    story = [Paragraph(para("Mairie vigilante et solidaire"), styles["Title"]),
             Paragraph(para(f"Une proposition des habitants de {commune_name}"), styles["Heading2"]),
             Paragraph(para("La municipalité joue un rôle de pivot dans la prévention : elle relie les voisins vigilants "
                       "et solidaires, la police municipale et les forces de l'ordre."), styles["Normal"]),
             Spacer(1, 12),
             ListFlowable([ListItem(Paragraph(para(p), styles["Normal"])) for p in POINTS], bulletType="bullet"),
             Spacer(1, 12),
             Paragraph(para("En cas d'urgence ou de flagrant délit, appelez le 17."), styles["Normal"])]
    if contact:
        story += [Spacer(1, 12), Paragraph(para(f"À l'attention de : {contact}"), styles["Normal"])]
    doc.build(story)
    return buffer.getvalue()
