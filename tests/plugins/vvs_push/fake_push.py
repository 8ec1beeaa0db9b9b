"""A fake Web Push service on ``FakeHTTPService`` for ``PushSenderContract``: it knows
devices with real browser keys, decrypts each notification (RFC 8291, aes128gcm) as the
browser would, and notes the text that arrived."""
from __future__ import annotations

import json
import uuid

import http_ece

from push_keys import browser_keypair
from vvs_core.testing import FakeHTTPService


class FakePushService(FakeHTTPService):
    def __init__(self):
        self.keys = {}  # device name → (private key, auth secret, subscription keys)
        super().__init__()

    def _device(self, name: str, number: int) -> dict:
        if name not in self.keys:
            keys, private, auth = browser_keypair()
            self.keys[name] = (private, auth, keys)
        _private, _auth, keys = self.keys[name]
        return {"id": number, "endpoint": f"{self.url}/push/{name}", **keys}

    def device(self, n: int) -> dict:
        return self._device(f"appareil-{n}", n + 1)

    def gone_device(self) -> dict:
        return self._device(f"parti-{uuid.uuid4().hex[:8]}", 9000)

    def handle(self, call):
        name = call.path.rsplit("/", 1)[-1]
        if name.startswith("parti-"):
            return 410, ""
        if name not in self.keys or call.method != "POST":
            return 404, ""
        private, auth, _keys = self.keys[name]
        payload = json.loads(http_ece.decrypt(call.body, private_key=private, auth_secret=auth,
                                              version="aes128gcm").decode("utf-8"))
        self.accept(f"{self.url}/push/{name}", payload["body"])
        return 201, ""
