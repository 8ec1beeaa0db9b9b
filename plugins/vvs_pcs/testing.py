"""Test support for vvs_pcs: the text of a main courante PDF."""
from __future__ import annotations

import base64
import re
import zlib


def pdf_text(pdf: bytes) -> str:
    """The page streams of a reportlab PDF (ASCII85 then Flate), decoded (the standard
    fonts write cp1252)."""
    out = b""
    for raw in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        data = raw.strip()
        if data.endswith(b"~>"):
            data = base64.a85decode(data[:-2])
        try:
            out += zlib.decompress(data)
        except zlib.error:
            out += data
    out = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), out)  # PDF strings' octal escapes
    out = re.sub(rb"\\([()\\])", rb"\1", out)
    return out.decode("cp1252", errors="replace")
