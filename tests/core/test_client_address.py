"""The real client address (issue 15.2): ``X-Forwarded-For`` is read from the right,
past the trusted proxies (``vvs.trusted_proxies``); what the client writes itself is
never believed. Behind a proxy that appends like nginx, failed logins with a header that
changes at each attempt still get their 429 at the limit."""
from __future__ import annotations

import re
import threading
from types import SimpleNamespace

import pytest
import requests
from pyramid.request import Request

from vvs_core.web.ratelimit import client_address
from vvs_core.settings import parse_trusted_proxies


def address(trusted, header=None, peer="10.0.0.2"):
    request = Request.blank("/", remote_addr=peer)
    if header is not None:
        request.headers["X-Forwarded-For"] = header
    request.registry = SimpleNamespace(settings={"vvs.trusted_proxies": parse_trusted_proxies(trusted)})
    return client_address(request)


@pytest.mark.parametrize("trusted, header, expected", [
    ("0", "1.2.3.4", "10.0.0.2"),                         # no proxy: the header is the client's word
    ("", None, "10.0.0.2"),
    ("1", "198.51.100.7", "198.51.100.7"),                # nginx overwrote the header
    ("1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),       # nginx appended to the client's header
    ("1", "6.6.6.6,198.51.100.7", "198.51.100.7"),
    ("1", None, "10.0.0.2"),                              # no header at all: the peer
    ("2", "6.6.6.6, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
    ("1", "6.6.6.6, pas-une-adresse", "10.0.0.2"),       # garbage where nginx writes: the proxy's word
    ("1", "6.6.6.6, 2001:db8::1", "2001:db8::1"),
    ("10.0.0.0/8", "6.6.6.6, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
    ("10.0.0.0/8 127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),
    ("10.0.0.0/8", "10.1.1.1, 10.2.2.2", "10.1.1.1"),     # every hop trusted: the leftmost
])
def test_the_client_is_read_from_the_right(trusted, header, expected):
    assert address(trusted, header) == expected


def test_an_untrusted_peer_is_the_client_whatever_the_header_says():
    assert address("10.0.0.0/8", "198.51.100.7", peer="203.0.113.5") == "203.0.113.5"


def test_a_huge_header_is_cut():
    assert address("1", "1.1.1.1, " * 50_000 + "198.51.100.7") == "198.51.100.7"


@pytest.mark.parametrize("bad", ["beaucoup", "11", "10.0.0.0/33", "1.2.3"])
def test_a_wrong_setting_is_refused(bad):
    with pytest.raises(ValueError):
        parse_trusted_proxies(bad)


def serve(wsgi):
    from waitress import create_server

    server = create_server(wsgi, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.effective_port}"


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "te",
              "upgrade", "proxy-authenticate", "proxy-authorization", "trailer"}


def appending_proxy(upstream):
    """A reverse proxy that does what nginx's `$proxy_add_x_forwarded_for` does."""
    http = requests.Session()

    def app(environ, start_response):
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
        headers.pop("Host", None)
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        seen = headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{seen}, {environ['REMOTE_ADDR']}" if seen else environ["REMOTE_ADDR"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        url = upstream + environ.get("PATH_INFO", "") + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
        answer = http.request(environ["REQUEST_METHOD"], url, headers=headers, data=body, allow_redirects=False,
                              cookies={})
        out = [(k, v) for k, v in answer.raw.headers.items() if k.lower() not in HOP_BY_HOP]
        start_response(f"{answer.status_code} {answer.reason}", out)
        return [answer.content]

    return app


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory):
    from vvs_core import make_config
    from vvs_core.testing import base_settings, migrated_url

    url = migrated_url("sqlite", tmp_path_factory.mktemp("proxy-db"))
    app = make_config(base_settings(url, **{"vvs.trusted_proxies": "1"})).make_wsgi_app()
    server, upstream = serve(app)
    proxy, front = serve(appending_proxy(upstream))
    try:
        yield front
    finally:
        proxy.close()
        server.close()


def failed_login(front, email, forged):
    browser = requests.Session()
    page = browser.get(front + "/connexion", headers={"X-Forwarded-For": forged}, timeout=60)
    fields = dict(re.findall(r'name="(__formid__|_charset_|csrf_token)" value="([^"]*)"', page.text))
    fields.update(email=email, password="mauvais mot de passe « rotatif »", submit="submit")
    return browser.post(front + "/connexion", data=fields, headers={"X-Forwarded-For": forged},
                        allow_redirects=False, timeout=60)


def test_a_rotating_header_behind_a_trusting_proxy_still_gets_its_429(behind_proxy):
    statuses = [failed_login(behind_proxy, f"inconnu{i}@example.test", f"203.0.113.{i}, 10.9.{i}.1").status_code
                for i in range(50)]  # vvs.ratelimit.login_address: 50 failures in 5 minutes
    assert statuses == [400] * 50
    blocked = failed_login(behind_proxy, "encore-un@example.test", "192.0.2.250")
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"]
    assert "Trop de tentatives" in blocked.text
