"""SMS lengths (GSM 03.38): which alphabet a text needs, how many segments it costs,
and how to cut it to fit without losing the "appelez le 17" line.

GSM-7: 160 septets in one SMS, 153 per segment once concatenated; the extension
characters (``^ { } \\ [ ] ~ | €`` and form feed) cost two septets and an escape is
never split across segments. UCS-2: 70 UTF-16 units alone, 67 per segment; a
character outside the BMP (an emoji) is two units and a pair is never split.
One character outside GSM-7 (``ê``, ``«``, ``’``) turns the whole SMS into UCS-2,
so typographic punctuation with a plain GSM-7 twin is replaced first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[]~|€\f"
_BASIC = frozenset(GSM7_BASIC)
_EXTENSION = frozenset(GSM7_EXTENSION)

# Punctuation that reads the same in GSM-7: keeping ’ or « » would cost an alert
# more than half of its room (70 characters instead of 160).
TYPOGRAPHIC_TO_GSM7 = str.maketrans({
    "’": "'", "‘": "'", "«": '"', "»": '"', "“": '"', "”": '"',
    "–": "-", "—": "-", "\u00a0": " ", "\u202f": " ", "…": "...",
})

MANDATORY_NOTICE = re.compile(r"(?:en cas d'urgence[^.!?\n]*?)?appelez le 17\b[^.!?\n]*[.!?]?", re.IGNORECASE)
ELLIPSIS_GSM7 = "..."   # "…" is not GSM-7: it would turn the SMS into UCS-2
ELLIPSIS_UCS2 = "…"


@dataclass(frozen=True)
class SMSLength:
    encoding: str      # "gsm7" | "ucs2"
    units: int         # septets (GSM-7) or UTF-16 units (UCS-2)
    segments: int

    @property
    def coding(self) -> str:
        """The OVH API's ``coding`` value."""
        return "7bit" if self.encoding == "gsm7" else "8bit"


_FRENCH_QUOTES = re.compile(r"«[ \u00a0\u202f]*|[ \u00a0\u202f]*»")


def to_gsm7_punctuation(text: str) -> str:
    return _FRENCH_QUOTES.sub('"', text).translate(TYPOGRAPHIC_TO_GSM7)


def is_gsm7(text: str) -> bool:
    return all(c in _BASIC or c in _EXTENSION for c in text)


def _char_units(text: str, encoding: str) -> list[int]:
    if encoding == "gsm7":
        return [2 if c in _EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def _limits(encoding: str) -> tuple[int, int]:
    return (160, 153) if encoding == "gsm7" else (70, 67)


def _segments(units: list[int], encoding: str) -> int:
    single, per_segment = _limits(encoding)
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for u in units:  # greedy packing: an escape or a surrogate pair stays whole
        if used + u > per_segment:
            segments += 1
            used = 0
        used += u
    return segments


def measure(text: str) -> SMSLength:
    encoding = "gsm7" if is_gsm7(text) else "ucs2"
    units = _char_units(text, encoding)
    return SMSLength(encoding, sum(units), _segments(units, encoding))


def fit(text: str, max_segments: int = 1) -> str:
    """``text`` with GSM-7 punctuation, cut to at most ``max_segments`` segments.

    A cut text ends its first part with an ellipsis and keeps the notice saying
    "appelez le 17" (the emergency number must survive every truncation).
    """
    text = to_gsm7_punctuation(text)
    if measure(text).segments <= max_segments:
        return text
    head, tail = split_mandatory(text)
    encoding = "gsm7" if is_gsm7(head + tail) else "ucs2"
    ellipsis = ELLIPSIS_GSM7 if encoding == "gsm7" else ELLIPSIS_UCS2
    # Shorten the head until the whole fits; binary search on its length.
    low, high = 0, len(head)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(head[:middle].rstrip() + ellipsis + tail).segments <= max_segments:
            low = middle
        else:
            high = middle - 1
    cut = head[:low].rstrip()
    candidate = (cut + ellipsis + tail) if cut else tail.lstrip("\n")
    if measure(candidate).segments > max_segments:  # the mandatory line alone is too long
        return _hard_cut(candidate, max_segments)
    return candidate


def split_mandatory(text: str) -> tuple[str, str]:
    """(text without the "appelez le 17" notice, that notice with its separator).

    The notice is "[En cas d'urgence …,] appelez le 17[…]." and may share a line
    with the alert or stand on its own line.
    """
    match = MANDATORY_NOTICE.search(text)
    if match is None:
        return text, ""
    start, end = match.span()
    on_own_line = start == 0 or text[start - 1] == "\n"
    head = (text[:start].rstrip() + " " + text[end:].lstrip()).strip()
    return head, ("\n" if on_own_line and head else " ") + match.group(0).strip()


def _hard_cut(text: str, max_segments: int) -> str:
    while text and measure(text).segments > max_segments:
        text = text[:-1]
    return text
