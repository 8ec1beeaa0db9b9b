"""The text of every plugin's PDF (reportlab): one font that draws French typography
(DejaVu Sans, Debian's fonts-dejavu-core, installed by ``make test``; Helvetica where it is
missing) and what it cannot draw (emoji…) dropped cleanly: never a « ? » nor two spaces."""

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


def plain(text) -> str:
    """``text`` as the font draws it: other characters dropped with the space they leave
    (« chien Filou 🐕, 3 ans » → « chien Filou, 3 ans »); a space the font lacks is a plain one."""
    out = "".join(c if c == "\n" or (c.isprintable() or c.isspace()) and _drawable(c) else " " if c.isspace()
                  else "" if unicodedata.category(c) in ("Cf", "Mn", "Me", "Sk") else "\0" for c in str(text or ""))
    out = re.sub(r"\0[\0 \t]*\0", "\0", re.sub(r"([ \t])[ \t]+", r"\1", out))
    return re.sub(r"(.?)[ \t]*\0[ \t]*(.?)", lambda m: m[1] + (
        "" if m[1] in ("", "\n", "(", "\0") or m[2] in ("", "\n", ",", ".", ")") else " ") + m[2], out)


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
