"""A fake Web Push service on 127.0.0.1 that keeps what it receives, and the
application served with the ``webpush`` provider pointed at nothing else: shared by the
browser tests of push (residents' devices, followers without an account)."""
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import start_server, stop_server

sys.path.insert(0, str(Path(__file__).parent.parent / "plugins" / "vvs_push"))
from push_keys import vapid_keypair  # noqa: E402


class FakePushService(ThreadingHTTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), PushHandler)
        self.received = []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class PushHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append({"path": self.path, "headers": self.headers, "body": body})  # case-insensitive
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def push_service():
    server = FakePushService()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def push_server(live_server):
    """The same database as live_server, served with the webpush provider."""
    private, public = vapid_keypair()
    env = {"VVS_PUSH_PROVIDER": "webpush", "VVS_PUSH_VAPID_PRIVATE_KEY": private,
           "VVS_PUSH_VAPID_PUBLIC_KEY": public, "VVS_PUSH_SUBJECT": "mailto:equipe@vvs.invalid",
           "VVS_PUSH_ALLOW_HTTP_ENDPOINTS": "true"}
    server = start_server(live_server.db_url, live_server.maildir, env=env, what="the push-enabled server")
    yield server
    stop_server(server)


