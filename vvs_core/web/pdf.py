"""The text of every plugin's PDF (reportlab): one font that draws French typography
(DejaVu Sans, Debian's fonts-dejavu-core, installed by ``make test``; Helvetica where it is
missing) and what it cannot draw (emoji…) said in words: never a box, a « ? » nor a gap."""

import functools
import re
import unicodedata
from xml.sax.saxutils import escape

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans{}.ttf"


@functools.lru_cache(maxsize=1)
def fonts() -> tuple[str, str]:
    """(regular, bold): the font names to give reportlab (registered once per process)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    try:
        for name, suffix in (("VVSSans", ""), ("VVSSans-Bold", "-Bold")):
            pdfmetrics.registerFont(TTFont(name, DEJAVU.format(suffix)))
    except Exception:  # reportlab's TTFError, or no such file: the standard fonts (cp1252)
        return "Helvetica", "Helvetica-Bold"
    pdfmetrics.registerFontFamily("VVSSans", normal="VVSSans", bold="VVSSans-Bold", italic="VVSSans",
                                  boldItalic="VVSSans-Bold")
    return "VVSSans", "VVSSans-Bold"


@functools.lru_cache(maxsize=4096)
def _drawable(char: str) -> bool:
    from reportlab.pdfbase import pdfmetrics

    if fonts()[0] == "Helvetica":
        return char.encode("cp1252", "ignore") != b""
    return ord(char) in pdfmetrics.getFont(fonts()[0]).face.charToGlyph


def _in_words(run: str) -> str:
    """Characters the font lacks, said as the SMS says them (« 🔥🚒 » → « (feu, pompiers) »), else « (émoji) »."""
    from vvs_core.notify.sms import EMOJI_WORDS

    return "({})".format(", ".join(dict.fromkeys(EMOJI_WORDS.get(c, "émoji" if unicodedata.category(c) == "So" else
                                                                  "caractère").strip("()") for c in run)))


def plain(text) -> str:
    """``text`` as the font draws it: what it lacks said in words, a run of emoji at once
    (« chien Filou 🐕🐕, 3 ans » → « chien Filou (chien), 3 ans »; unknown: « (émoji) »,
    another script: « (caractère) »); a space the font lacks is a plain one."""
    out = "".join(c if c == "\n" or (c.isprintable() or c.isspace()) and _drawable(c) else " " if c.isspace()
                  else "" if unicodedata.category(c) in ("Cf", "Mn", "Me", "Sk") else f"\0{c}" for c in str(text or ""))
    return re.sub(r"([ \t])[ \t]+", r"\1", re.sub(r"(?:\0.)+", lambda m: _in_words(m[0][1::2]), out))


def para(text) -> str:
    """``text`` for a reportlab Paragraph: drawable, escaped, its line breaks kept."""
    return escape(plain(text)).replace("\n", "<br/>")


def stylesheet():
    """reportlab's sample styles, in the font above."""
    from reportlab.lib.styles import getSampleStyleSheet

    styles, (regular, bold) = getSampleStyleSheet(), fonts()
    for style in styles.byName.values():
        if hasattr(style, "fontName"):
            style.fontName = bold if "Bold" in style.fontName else regular
    return styles
