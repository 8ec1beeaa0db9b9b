"""What the mairie's PDFs (the month's report, the proof of warning) write of what people
typed: every emoji drawn when the font has it, else said in words on its own — « Incendie
🔥 » gives « Incendie (feu) », « Brocante 🎉 » « Brocante (émoji) » — even where a word next
to it says the same (the core's ``plain`` leaves such an emoji out, as the SMS does): an
official document keeps a trace of every character, the CSV keeps them as typed."""
from __future__ import annotations

import unicodedata

from vvs_core.web.pdf import para, plain

_JOINERS = "\u200d\ufe0f"  # a joiner and the emoji presentation selector, inside one emoji


def _emoji_part(char: str, in_emoji: bool) -> bool:
    return unicodedata.category(char) == "So" or in_emoji and (char in _JOINERS or "\U0001f3fb" <= char <= "\U0001f3ff")


def every_character_said(text) -> str:
    """``text`` as the PDF font draws it, each run of emoji said apart from the words around it."""
    pieces: list[list] = []
    for char in str(text or ""):
        emoji = _emoji_part(char, bool(pieces) and pieces[-1][0])
        if pieces and pieces[-1][0] == emoji:
            pieces[-1][1] += char
        else:
            pieces.append([emoji, char])
    return "".join(plain(piece) for _emoji, piece in pieces)


def paragraph(text) -> str:
    """``every_character_said`` for a reportlab Paragraph (escaped, line breaks kept)."""
    return para(every_character_said(text))
