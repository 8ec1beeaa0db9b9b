"""A local HTTP server on the warnings' ports (6780-6789) serving feeds, and the sample
feeds of tests/plugins/vvs_warnings/samples: for the plugin's tests and the browser test
(a module of tests/, on the path of every test)."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent / "plugins" / "vvs_warnings" / "samples"
PORTS = range(6780, 6790)


def read_sample(name: str, **values) -> bytes:
    text = (SAMPLES / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text.encode("utf-8")


class FeedServer:
    """Files by path; a value may be bytes or a callable writing to the handler."""

    def __init__(self):
        self.files: dict = {}
        self.hits: list[str] = []
        self.server = None
        self.base = ""

    def start(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.hits.append(self.path)
                body = owner.files.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if callable(body):
                    body(self)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        for port in PORTS:
            try:
                self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
                break
            except OSError:
                continue
        else:
            pytest.fail("no free port in 6780-6789 for the feed server")
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
