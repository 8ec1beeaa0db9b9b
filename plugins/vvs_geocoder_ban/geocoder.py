"""The BAN client: GeoJSON features → ``GeocodeResult``; any failure → no result.

A failure (network, timeout, 4xx, 5xx, a body that is not the expected GeoJSON)
gives an empty answer: the sign-up then opens the map on the commune and the
resident places the marker by hand. Logs never contain the address searched.
"""
from __future__ import annotations

import logging

from vvs_core.interfaces import GeocodeResult

log = logging.getLogger(__name__)

MIN_SCORE = 0.5  # below this BAN's best guess is usually another street


class BANGeocoder:
    name = "ban"

    def __init__(self, base_url: str, timeout: float = 5.0, session=None):
        """``session``: a ``requests.Session`` (made at the first search when not given:
        requests costs a web worker 5 MB that most never need, issue 16.7)."""
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = session

    @property
    def session(self):
        if self._session is None:
            import requests

            self._session = requests.Session()
        self._session.headers.setdefault("User-Agent", "vvs (voisins vigilants et solidaires)")
        return self._session

    @classmethod
    def from_settings(cls, settings):
        from urllib.parse import urlsplit

        url = settings.get("vvs.geocoder.ban.url") or ""
        try:
            host = urlsplit(url).hostname if url.startswith(("http://", "https://")) else None
        except ValueError:  # « http://[::1 »
            host = None
        if not host or any(c.isspace() for c in url):
            raise ValueError(f"vvs.geocoder.ban.url = {url!r} must start with http:// or https:// "
                             "and name a host, without spaces")
        return cls(url, float(settings.get("vvs.geocoder.ban.timeout") or 5.0))

    def search(self, query, *, limit=5, citycode=None, near=None):
        """Addresses matching ``query``, best first; ``near`` is (lon, lat) to favour."""
        query = " ".join(str(query or "").split())
        if len(query) < 3 or not query[0].isalnum():
            return []  # the API refuses such queries with a 400
        params = {"q": query[:200], "limit": max(1, min(int(limit), 20))}
        if citycode:
            params["citycode"] = citycode
        if near is not None:
            params["lon"], params["lat"] = f"{near[0]:.6f}", f"{near[1]:.6f}"
        return self._features("search", params)[:limit]

    def reverse(self, lon, lat):
        results = self._features("reverse", {"lon": f"{float(lon):.6f}", "lat": f"{float(lat):.6f}", "limit": 1})
        return results[0] if results else None

    HEALTH_QUERY = "mairie"
    WITHOUT_IT = ("les adresses tapées ne sont plus trouvées, les résidents placent la leur à la main sur la carte "
                  "; le serveur fonctionne sans lui.")

    def health(self) -> str | None:
        """One search (« mairie », one result), as a sign-up would: None when the API answers
        with GeoJSON, an ``Outage`` when it is out of reach or down (5xx, 408, 429), else a
        French sentence saying the URL is wrong. The address of nobody is sent."""
        import requests

        from vvs_core.providers import Outage

        where = f"Le service d'adresses (Base adresse nationale, {self.base_url})"
        try:
            response = self.session.get(f"{self.base_url}/search", params={"q": self.HEALTH_QUERY, "limit": 1},
                                        timeout=min(self.timeout, 5.0))
        except (requests.ConnectionError, requests.Timeout) as exc:
            return Outage(f"{where} est injoignable ({type(exc).__name__}) : {self.WITHOUT_IT}")
        except requests.RequestException as exc:
            return f"{where} : adresse refusée ({type(exc).__name__}), vérifiez vvs.geocoder.ban.url."
        status = response.status_code
        if status >= 500 or status in (408, 429):
            return Outage(f"{where} répond mal (code {status}) : {self.WITHOUT_IT}")
        if status != 200:
            return f"{where} répond mal (code {status}) : vérifiez vvs.geocoder.ban.url."
        try:
            response.json()["features"]
        except (ValueError, KeyError, TypeError):
            return f"{where} ne répond pas en GeoJSON : vérifiez vvs.geocoder.ban.url."
        return None

    def _features(self, endpoint: str, params: dict) -> list[GeocodeResult]:
        import requests

        try:
            response = self.session.get(f"{self.base_url}/{endpoint}", params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            log.warning("BAN %s unreachable: %s", endpoint, type(exc).__name__)
            return []
        if response.status_code != 200:
            log.warning("BAN %s answered HTTP %s", endpoint, response.status_code)
            return []
        try:
            features = response.json().get("features") or []
            results = [parse_feature(f) for f in features]
        except (ValueError, AttributeError, TypeError, KeyError, IndexError):
            log.warning("BAN %s answered something that is not GeoJSON", endpoint)
            return []
        good = [r for r in results if r is not None and r.score >= MIN_SCORE]
        return sorted(good, key=lambda r: r.score, reverse=True)


def parse_feature(feature: dict) -> GeocodeResult | None:
    geometry = feature.get("geometry") or {}
    if geometry.get("type") != "Point":
        return None
    lon, lat = (float(v) for v in geometry["coordinates"][:2])  # GeoJSON order: lon, lat
    props = feature.get("properties") or {}
    return GeocodeResult(
        label=str(props.get("label") or ""), lon=lon, lat=lat, score=float(props.get("score") or 0),
        citycode=props.get("citycode"), postcode=props.get("postcode"), city=props.get("city"),
    )
