"""Every plugin's PDF text through vvs_core.web.pdf: French typography drawn by one font
(DejaVu Sans when the machine has it), emoji it cannot draw said in words (as the SMS says them) — no box, no « ? »,
no double space, no character gone without a trace."""
from __future__ import annotations

import io

import pytest

from vvs_core.web.pdf import fonts, para, plain, stylesheet
from vvs_core.testing import pdf_text


@pytest.mark.parametrize("text, drawn", [
    ("Coupure d’eau 💧 rue de l’Église", "Coupure d’eau rue de l’Église"),  # « eau » said: not twice
    ("Fuite 💧 rue de l’Église", "Fuite (eau) rue de l’Église"),
    ("chien Filou 🐕", "chien Filou"),
    ("Filou 🐕", "Filou (chien)"),
    ("chien Filou 🐕, 3 ans.", "chien Filou, 3 ans."),
    ("Incendie 🔥\n🐕 chien", "Incendie\nchien"),
    ("🐕 Filou", "(chien) Filou"),
    ("Alerte 🔥 !", "Alerte (feu) !"),
    ("Crue 🌊🌊 de la Marne 👍🏽", "Crue de la Marne (émoji)"),
    ("Rue 🌊🌊 de la Marne 👍🏽", "Rue (inondation) de la Marne (émoji)"),
    ("une famille 👨‍👩‍👧 ici", "une famille (émoji) ici"),
    ("Oxygène 🫁\nsuite", "Oxygène (émoji)\nsuite"),
    ("Inondation 🚨🌊 !", "Inondation (!) !"),
    ("Crue 🚨🚒🌊 !", "Crue (!, pompiers) !"),
    ("Tokyo 東京", "Tokyo (caractère)"),
    ("« l’Église » — 23 h 30 … œuf, 12 €", "« l’Église » — 23 h 30 … œuf, 12 €"),
    ("a\tb  c", "a b c"),
])
def test_plain(text, drawn):
    assert plain(text) == drawn


@pytest.mark.parametrize("text, drawn", [
    ("Coupure d’eau 💧 rue de l’Église", "Coupure d’eau (eau) rue de l’Église"),
    ("chien Filou 🐕🐕, 3 ans.", "chien Filou (chien), 3 ans."),
    ("Incendie 🔥\n🐕 chien", "Incendie (feu)\n(chien) chien"),
    ("Brocante 🎉 place « Émile-Zola »", "Brocante (émoji) place « Émile-Zola »"),
])
def test_every_emoji_said_even_beside_its_word(text, drawn):
    """An official document (the mairie's proof of warning) keeps a trace of every emoji."""
    assert plain(text, every=True) == drawn
    assert para(text + " <b>", every=True) == drawn.replace("\n", "<br/>") + " &lt;b&gt;"


def test_para_escapes_markup_and_keeps_line_breaks():
    assert para("<b>gras</b> & « x »\ny 🐈") == "&lt;b&gt;gras&lt;/b&gt; &amp; « x »<br/>y (chat)"


def test_a_pdf_reads_back_in_french_without_question_marks():
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    styles = stylesheet()
    assert styles["Title"].fontName == fonts()[1] and styles["Normal"].fontName == fonts()[0]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer).build([Paragraph(para("Besoins : Filou 🐕, oxygène 🫁 — « l’Église » à 23\u202fh"),
                                               styles["Normal"])])
    text = pdf_text(buffer.getvalue())
    assert "Filou (chien), oxygène (émoji) — « l’Église » à 23" in text and "?" not in text and "  " not in text
