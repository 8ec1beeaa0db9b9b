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


def _in_words(run: str, before: str, after: str) -> str:
    """Characters the font lacks, said as the SMS says them (« 🔥🚒 » → « (feu, pompiers) »), else « (émoji) »;
    nothing for one whose word stands next to it (« Coupure d’eau 💧 », ``sms.emoji_word``)."""
    from vvs_core.notify.sms import EMOJI_WORDS, emoji_word

    words = dict.fromkeys(w.strip("()") for w in (emoji_word(c, before, after) if c in EMOJI_WORDS else
                                                  "émoji" if unicodedata.category(c) == "So" else "caractère"
                                                  for c in run) if w)
    return "({})".format(", ".join(words)) if words else "\x01"


def plain(text, every: bool = False) -> str:
    """``text`` as the font draws it: what it lacks said in words, a run of emoji at once
    (« Filou 🐕🐕, 3 ans » → « Filou (chien), 3 ans », « chien Filou 🐕 » → « chien Filou »; unknown: « (émoji) »,
    another script: « (caractère) »); a space the font lacks is a plain one. ``every``: each emoji
    said even where a word next to it says it (« chien Filou (chien) »: an official document's trace)."""
    out = "".join(c if c == "\n" or (c.isprintable() or c.isspace()) and _drawable(c) else " " if c.isspace()
                  else "" if unicodedata.category(c) in ("Cf", "Mn", "Me", "Sk") else f"\0{c}" for c in str(text or ""))
    parts = re.split(r"((?:\0.)+)", out)  # text, a run the font lacks, text…: each run said after what precedes it
    for i in range(1, len(parts), 2):
        parts[i] = _in_words(parts[i][1::2], *(("", "") if every else ("".join(parts[:i]), parts[i + 1])))
    out = "".join(parts)
    said = r"(?:^|(?<=\n))\x01[ \t]*|[ \t]*\x01(?=[.,;)\n]|$)|\x01"  # \x01: an emoji said already, gone with its space
    return re.sub(r"([ \t])[ \t]+", r"\1", re.sub(said, "", out))


def para(text, every: bool = False) -> str:
    """``text`` for a reportlab Paragraph: drawable, escaped, its line breaks kept."""
    return escape(plain(text, every)).replace("\n", "<br/>")


def stylesheet():
    """reportlab's sample styles, in the font above."""
    from reportlab.lib.styles import getSampleStyleSheet

    styles, (regular, bold) = getSampleStyleSheet(), fonts()
    for style in styles.byName.values():
        if hasattr(style, "fontName"):
            style.fontName = bold if "Bold" in style.fontName else regular
    return styles
