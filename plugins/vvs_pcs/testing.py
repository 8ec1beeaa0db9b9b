"""Test support for the PDFs of vvs (the main courante and the others): their text."""
from __future__ import annotations

import io


def pdf_text(pdf: bytes) -> str:
    """The text of every page, as a reader copies it (pypdf reads the fonts' Unicode maps)."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
