"""A local fake of the BAN geocoding API (Géoplateforme ``/search`` and ``/reverse``),
answering like the real one, on 127.0.0.1 in a thread (``FakeHTTPService``)."""
from __future__ import annotations

import time

from vvs_core.testing import FakeHTTPService

# Addresses the fake knows: label → (lon, lat, score, citycode, postcode, city).
ADDRESSES = {
    "12 Rue de Lagny 77700 Serris": (2.78702, 48.84571, 0.93, "77449", "77700", "Serris"),
    "3 Cours du Danube 77700 Serris": (2.78110, 48.85240, 0.88, "77449", "77700", "Serris"),
    "12 Rue de Lagny 77400 Lagny-sur-Marne": (2.70710, 48.87270, 0.71, "77243", "77400", "Lagny-sur-Marne"),
    "Rue Lointaine 77700 Serris": (2.78900, 48.84700, 0.31, "77449", "77700", "Serris"),
}


def feature(label, lon, lat, score, citycode, postcode, city):
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"label": label, "score": score, "housenumber": label.split()[0], "id": f"{citycode}_0001_00012",
                       "name": " ".join(label.split()[:4]), "postcode": postcode, "citycode": citycode,
                       "x": 669000.0, "y": 6860000.0, "city": city, "context": "77, Seine-et-Marne, Île-de-France",
                       "type": "housenumber", "importance": 0.6, "street": "Rue de Lagny", "_type": "address"},
    }


class BANContractFake(FakeHTTPService):
    """The same API on ``FakeHTTPService``, for ``GeocoderContract``: addresses added by
    the suite, the texts searched, and the failures the suite drives."""

    def __init__(self):
        self.addresses = {}
        self.searched: list[str] = []
        super().__init__()

    @property
    def api_url(self) -> str:
        return self.url + "/geocodage"

    def add_address(self, result) -> None:
        self.addresses[result.label] = (result.lon, result.lat, result.score, result.citycode, result.postcode,
                                        result.city)

    def queries(self) -> list[str]:
        with self.lock:
            return list(self.searched)

    def handle(self, call):
        if call.path == "/geocodage/search":
            with self.lock:
                self.searched.append(call.query.get("q", ""))
            return 200, _search(self.addresses, call.query)
        if call.path == "/geocodage/reverse":
            return 200, _reverse(self.addresses, call.query)
        return 404, {"code": 404, "message": "Not Found"}


class FakeBAN(BANContractFake):
    """The same fake knowing the addresses above, with each call in ``requests`` as (path,
    query), and ``mode``: "ok", "error" (HTTP 500), "slow" (answers after 2 s), "garbage"."""

    def __init__(self):
        super().__init__()
        self.addresses = dict(ADDRESSES)
        self.requests: list[tuple[str, dict]] = []
        self.mode = "ok"

    def handle(self, call):
        self.requests.append((call.path, call.query))
        if self.mode == "error":
            return 500, {"code": 500, "message": "Internal Server Error"}
        if self.mode == "slow":
            time.sleep(2)
        if self.mode == "garbage":
            return 200, "<html>maintenance</html>"
        return super().handle(call)


def _search(addresses, params):
    q = params.get("q", "")
    if not 3 <= len(q) <= 200:
        return {"code": 400, "message": "q must contain between 3 and 200 chars"}
    words = {w.lower() for w in q.split()}
    hits = [feature(label, *values) for label, values in addresses.items()
            if words & {w.lower() for w in label.split()} and (not params.get("citycode") or values[3] == params["citycode"])]
    hits.sort(key=lambda f: f["properties"]["score"], reverse=True)
    hits = hits[: int(params.get("limit", 5))]
    return {"type": "FeatureCollection", "version": "draft", "features": hits,
            "attribution": "BAN", "licence": "ETALAB-2.0", "query": q, "limit": int(params.get("limit", 5))}


def _reverse(addresses, params):
    lon, lat = float(params["lon"]), float(params["lat"])
    if not addresses:
        return {"type": "FeatureCollection", "features": []}
    label, values = min(addresses.items(), key=lambda kv: (kv[1][0] - lon) ** 2 + (kv[1][1] - lat) ** 2)
    return {"type": "FeatureCollection", "features": [feature(label, *values)]}
