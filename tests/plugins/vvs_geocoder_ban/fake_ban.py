"""A local fake of the BAN geocoding API (Géoplateforme ``/search`` and ``/reverse``),
answering like the real one, on 127.0.0.1 in a thread."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

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


class FakeBAN:
    def __init__(self):
        self.requests: list[tuple[str, dict]] = []
        self.mode = "ok"  # "ok", "error" (HTTP 500), "slow" (answers after 2 s), "garbage"
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                fake.requests.append((parts.path, params))
                if fake.mode == "error":
                    return self.answer(500, {"code": 500, "message": "Internal Server Error"})
                if fake.mode == "slow":
                    time.sleep(2)
                if fake.mode == "garbage":
                    return self.answer(200, "<html>maintenance</html>")
                if parts.path == "/geocodage/search":
                    return self.answer(200, fake.search(params))
                if parts.path == "/geocodage/reverse":
                    return self.answer(200, fake.reverse(params))
                self.answer(404, {"code": 404, "message": "Not Found"})

            def answer(self, status, body):
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/geocodage"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def search(self, params):
        return _search(ADDRESSES, params)

    def reverse(self, params):
        return _reverse(ADDRESSES, params)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


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
