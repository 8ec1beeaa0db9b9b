"""What a proof-of-address upload must be: a PDF, JPEG or PNG, recognised from its
content (never from its name or the browser's Content-Type), whose name agrees with
it, within the size, page and pixel limits, and that parses whole.

Every refusal is a ``DocumentRejected`` carrying a French sentence for the form.
"""
from __future__ import annotations

import io
import re
import warnings
import zlib
from dataclasses import dataclass


from vvs_core.web.french import number

KINDS = {
    "pdf": ("application/pdf", "un document PDF", (".pdf",)),
    "jpeg": ("image/jpeg", "une image JPEG", (".jpg", ".jpeg")),
    "png": ("image/png", "une image PNG", (".png",)),
}
_PDF_HEADER = re.compile(rb"^%PDF-[12]\.\d")
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia)(?![A-Za-z])")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
# Compressed object streams are inflated to count pages; this bounds the work a
# crafted PDF (a "zip bomb" inside) may cause.
_PDF_INFLATE_BUDGET = 32 * 1024 * 1024
_NOT_ACCEPTED = ("Ce fichier n'est ni un PDF, ni une image JPEG ou PNG : envoyez une photo ou un scan "
                 "de votre justificatif dans l'un de ces formats.")


class DocumentRejected(ValueError):
    """The upload is refused; the message is French, for the form."""


@dataclass(frozen=True)
class CheckedDocument:
    kind: str            # "pdf", "jpeg" or "png"
    content_type: str
    pages: int | None    # PDF only
    width: int | None = None
    height: int | None = None


def sniff_kind(data: bytes) -> str | None:
    """The kind the first bytes announce, or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None


def check_document(data: bytes, filename: str, *, max_bytes: int, max_pages: int, max_pixels: int) -> CheckedDocument:
    """Return what the file is, or raise DocumentRejected."""
    if not data:
        raise DocumentRejected("Le fichier est vide : choisissez votre justificatif.")
    if len(data) > max_bytes:
        raise DocumentRejected(f"Le fichier est trop lourd ({_megabytes(max_bytes)} au plus) : "
                               "envoyez une photo moins lourde ou un scan en qualité normale.")
    kind = sniff_kind(data)
    if kind is None:
        raise DocumentRejected(_NOT_ACCEPTED)
    _check_name(filename, kind)
    if kind == "pdf":
        return CheckedDocument("pdf", KINDS["pdf"][0], _check_pdf(data, max_pages))
    return _check_image(data, kind, max_pixels)


def _megabytes(n: int) -> str:
    return f"{number(n / (1024 * 1024))} Mo" if n >= 1024 * 1024 else f"{number(n // 1024)} Ko"


def _check_name(filename: str, kind: str) -> None:
    name = (filename or "").strip().lower()
    _type, what, extensions = KINDS[kind]
    if not name or "." not in name:
        return  # a phone's camera may send no name: the content decides
    ext = name[name.rfind("."):]
    if ext not in extensions:
        shown = (filename or "").strip()[-80:]
        raise DocumentRejected(
            f"Le contenu de « {shown} » ne correspond pas à son nom : c'est {what}. "
            "Envoyez le fichier sous son vrai nom (ou le bon fichier).")


def _check_image(data: bytes, kind: str, max_pixels: int) -> CheckedDocument:
    from PIL import Image, UnidentifiedImageError  # loaded by the first document checked, not by every web worker

    fmt = "JPEG" if kind == "jpeg" else "PNG"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
                width, height = probe.size  # read from the header: nothing decoded yet
                if width * height > max_pixels:
                    raise DocumentRejected(_too_many_pixels(max_pixels))
                probe.load()  # the whole image must decode
    except DocumentRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DocumentRejected(_too_many_pixels(max_pixels)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise DocumentRejected("L'image est illisible ou endommagée : prenez une nouvelle photo de votre justificatif.") from None
    return CheckedDocument(kind, KINDS[kind][0], None, width, height)


def _too_many_pixels(max_pixels: int) -> str:
    return (f"L'image est trop grande ({max_pixels // 1_000_000} mégapixels au plus) : "
            "envoyez une photo de taille normale.")


def _check_pdf(data: bytes, max_pages: int) -> int:
    broken = "Ce PDF est incomplet ou endommagé : enregistrez-le à nouveau depuis le site de votre fournisseur."
    if not _PDF_HEADER.match(data):
        raise DocumentRejected(broken)
    if b"%%EOF" not in data[-2048:]:
        raise DocumentRejected(broken)
    # Stream contents (images, fonts) are binary: a byte pattern there means nothing.
    texts = [_PDF_STREAM.sub(b"stream endstream", data)] + _object_streams(data)
    if any(_PDF_ACTIVE.search(t) for t in texts):
        raise DocumentRejected("Ce PDF contient du code ou des fichiers joints : envoyez un PDF simple, "
                               "ou une photo de votre justificatif.")
    pages = sum(len(_PDF_PAGE.findall(t)) for t in texts)
    if pages == 0:
        raise DocumentRejected(broken)
    if pages > max_pages:
        raise DocumentRejected(f"Ce PDF a {pages} pages ; un justificatif en a {max_pages} au plus : "
                               "envoyez seulement la page où figurent votre nom et votre adresse.")
    return pages


def _object_streams(data: bytes) -> list[bytes]:
    """The compressed object streams (``/Type /ObjStm``) of a PDF, where PDF 1.5+
    writers put page objects, inflated within a fixed budget."""
    out, budget = [], _PDF_INFLATE_BUDGET
    for match in _PDF_STREAM.finditer(data):
        if budget <= 0:
            break
        head = data[max(0, match.start() - 400):match.start()]
        if b"/ObjStm" not in head[head.rfind(b"<<"):]:
            continue
        try:
            chunk = zlib.decompressobj().decompress(match.group(1), budget)
        except zlib.error:
            continue
        budget -= len(chunk)
        out.append(chunk)
    return out
