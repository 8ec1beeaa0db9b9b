"""Uploaded pictures: type checked from the content, size-limited, re-encoded without
EXIF (no GPS position of a resident's home leaks), resized."""

import io

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_SOURCE_PIXELS = 40_000_000  # refuses decompression bombs before decoding


class ImageRejected(ValueError):
    """The upload is not an acceptable picture; the message is French, for the form."""


def clean_image(data: bytes, max_side: int = 1024) -> tuple[bytes, str]:
    """Return (JPEG or PNG bytes without metadata, mime type), or raise ImageRejected."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageRejected("L'image est trop lourde (8 Mo au plus).")
    from PIL import Image, ImageOps, UnidentifiedImageError  # loaded by the first upload, not by every web worker

    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ImageRejected("Ce fichier n'est pas une image JPEG, PNG ou WebP.") from None
    if fmt not in ALLOWED_FORMATS:
        raise ImageRejected("Ce fichier n'est pas une image JPEG, PNG ou WebP.")
    if width * height > MAX_SOURCE_PIXELS:
        raise ImageRejected("L'image est trop grande (40 mégapixels au plus).")
    try:
        with Image.open(io.BytesIO(data)) as img:
            img = ImageOps.exif_transpose(img)
            img.thumbnail((max_side, max_side))
            out = io.BytesIO()
            if img.mode in ("RGBA", "LA", "P"):
                img.convert("RGBA").save(out, "PNG", optimize=True)
                return out.getvalue(), "image/png"
            img.convert("RGB").save(out, "JPEG", quality=85)
            return out.getvalue(), "image/jpeg"
    except (OSError, Image.DecompressionBombError, ValueError):
        raise ImageRejected("L'image est illisible ou endommagée.") from None
