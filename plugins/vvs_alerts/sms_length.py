"""How many SMS a text costs: GSM-7 (160 characters, 153 per part when split) or
UCS-2 (70, 67 per part) as soon as one character is outside the GSM alphabet.

``static/sms_length.js`` is a port of this module for the counter shown while the
resident types; ``tests/plugins/vvs_alerts/test_sms_length.py`` keeps them in step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

# GSM 03.38 basic character set (one septet each).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: an escape septet plus one, so two septets each.
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SMSLength:
    encoding: str     # "GSM-7" or "UCS-2"
    units: int        # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # capacity of one part at this length
    remaining: int    # units left before one more part is needed


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text)


def sms_length(text: str) -> SMSLength:
    text = text or ""
    if is_gsm7(text):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        single, part, encoding = GSM7_SINGLE, GSM7_PART, "GSM-7"
    else:
        # Characters outside the BMP (emoji) take two UTF-16 code units.
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = UCS2_SINGLE, UCS2_PART, "UCS-2"
    if units <= single:
        return SMSLength(encoding, units, 1 if units else 0, single, single - units)
    segments = math.ceil(units / part)
    return SMSLength(encoding, units, segments, part, segments * part - units)


def fit_sms(text: str, max_segments: int, keep_end: str = "") -> str:
    """``text`` + ``keep_end`` cut so that the whole fits in ``max_segments`` parts.

    ``keep_end`` (the "appelez le 17" line) is never cut; the body is shortened and
    ends with "…" instead.
    """
    whole = text + keep_end
    if sms_length(whole).segments <= max_segments:
        return whole
    low, high = 0, len(text)
    while low < high:  # longest prefix that fits, by bisection
        middle = (low + high + 1) // 2
        if sms_length(text[:middle].rstrip() + "…" + keep_end).segments <= max_segments:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…" + keep_end
