"""JSON from outside, read within limits (issue 15.3).

``json.loads`` recurses once per nesting level: a body of 2,000 ``[`` raises
``RecursionError`` (a 500) and a few megabytes cost memory before anything is checked.
``loads_limited`` refuses first, without parsing: too many bytes (``TooLarge``), then too
deep (``TooDeep``, counted on the raw text, brackets inside strings ignored), then
invalid JSON (``Invalid``); every refusal is a ``JSONRefused`` with a French message.
"""

import json

MAX_DEPTH = 32


class JSONRefused(ValueError):
    """The JSON is refused; ``str(exc)`` is the French reason."""


class TooLarge(JSONRefused):
    pass


class TooDeep(JSONRefused):
    pass


class Invalid(JSONRefused):
    pass


def depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text`` (strings skipped)."""
    deepest = level = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            level += 1
            if level > deepest:
                deepest = level
        elif char in "]}":
            level -= 1
    return deepest


def loads_limited(raw, max_bytes: int, max_depth: int = MAX_DEPTH):
    """Parse ``raw`` (bytes or str) after checking its size and depth."""
    size = len(raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw)
    if size > max_bytes:
        raise TooLarge(f"Données trop volumineuses ({f'{max_bytes // 1024} Kio' if max_bytes >= 1024 else f'{max_bytes} octets'} au plus).")
    text = raw
    if isinstance(raw, (bytes, bytearray)):
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise Invalid("Les données ne sont pas du JSON valide (UTF-8 attendu).") from None
    if depth(text) > max_depth:
        raise TooDeep(f"Données trop imbriquées ({max_depth} niveaux au plus).")
    if "\\u0000" in text or "\x00" in text:  # no text column takes it (PostgreSQL refuses it)
        raise Invalid("Les données contiennent un caractère nul (\\u0000), refusé.")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise Invalid("Les données ne sont pas du JSON valide.") from None
