"""Every plugin's PDF text through vvs_core.web.pdf: French typography drawn by one font
(DejaVu Sans when the machine has it), emoji dropped cleanly — no « ? », no double space."""
from __future__ import annotations

import io

import pytest

from vvs_core.web.pdf import fonts, para, plain, stylesheet
from vvs_core.testing import pdf_text


@pytest.mark.parametrize("text, drawn", [
    ("chien Filou 🐕", "chien Filou"),
    ("chien Filou 🐕, 3 ans.", "chien Filou, 3 ans."),
    ("🐕 Filou", "Filou"),
    ("Alerte 🔥 !", "Alerte !"),
    ("Crue 🌊🌊 de la Marne 👍🏽", "Crue de la Marne"),
    ("une famille 👨‍👩‍👧 ici", "une famille ici"),
    ("Oxygène 🫁\nsuite", "Oxygène\nsuite"),
    ("« l’Église » — 23 h 30 … œuf, 12 €", "« l’Église » — 23 h 30 … œuf, 12 €"),
    ("a\tb  c", "a b c"),
])
def test_plain(text, drawn):
    assert plain(text) == drawn


def test_para_escapes_markup_and_keeps_line_breaks():
    assert para("<b>gras</b> & « x »\ny 🐈") == "&lt;b&gt;gras&lt;/b&gt; &amp; « x »<br/>y"


def test_a_pdf_reads_back_in_french_without_question_marks():
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    styles = stylesheet()
    assert styles["Title"].fontName == fonts()[1] and styles["Normal"].fontName == fonts()[0]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer).build([Paragraph(para("Besoins : chien Filou 🐕, oxygène 🫁 — « l’Église » à 23\u202fh"),
                                               styles["Normal"])])
    text = pdf_text(buffer.getvalue())
    assert "chien Filou, oxygène — « l’Église » à 23" in text and "?" not in text and "  " not in text
