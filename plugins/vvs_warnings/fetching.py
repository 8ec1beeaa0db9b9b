"""Fetching a feed: requests, a connect and read timeout, a size limit counted while
reading (a server that lies about Content-Length or never stops is cut), no
redirection to a scheme other than http or https."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import requests

from .documents import HostileDocument

log = logging.getLogger(__name__)
KINDS = ("cap-atom", "vigicrues-geojson")
CHUNK = 64 * 1024


class FetchFailed(Exception):
    """The source could not be read this time (network, HTTP status)."""


@dataclass(frozen=True)
class Feed:
    kind: str
    url: str
    name: str


def parse_feeds(value) -> list[Feed]:
    """``vvs.warnings.feeds``: one feed per line, "KIND URL NAME…" (the name, in French,
    is how the source is named on everything sent)."""
    feeds = []
    for line in str(value or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3 or parts[0] not in KINDS or not parts[1].startswith(("http://", "https://")):
            raise ValueError(f"{line!r}: write KIND URL NAME, KIND being {' or '.join(KINDS)}, "
                             "for example: cap-atom https://… Météo-France (MeteoAlarm)")
        feeds.append(Feed(parts[0], parts[1], parts[2].strip()[:120]))
    return feeds


def fetch(url: str, timeout: float, max_bytes: int, session=None) -> bytes:
    """The body at ``url``, at most ``max_bytes`` (HostileDocument beyond)."""
    http = session or requests
    try:
        with http.get(url, timeout=(timeout, timeout), stream=True, allow_redirects=True,
                      headers={"Accept": "application/atom+xml, application/cap+xml, application/geo+json, "
                                         "application/json, application/xml;q=0.9"}) as response:
            if response.status_code != 200:
                raise FetchFailed(f"HTTP {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
                raise HostileDocument(f"document of {declared} bytes announced, above the limit of {max_bytes}")
            body = bytearray()
            for chunk in response.iter_content(CHUNK):
                body += chunk
                if len(body) > max_bytes:
                    raise HostileDocument(f"document above the limit of {max_bytes} bytes")
            return bytes(body)
    except requests.RequestException as error:
        raise FetchFailed(type(error).__name__) from None
