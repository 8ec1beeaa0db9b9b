"""The development server (development.ini's ``[server:main]``) is vvs_devtools'."""
from __future__ import annotations


def test_development_server_port_comes_from_pserve_then_port_then_6543(monkeypatch):
    import waitress

    from vvs_devtools.server import waitress_server

    served = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: served.append(kw["port"]))
    monkeypatch.setenv("PORT", "7001")
    waitress_server({"http_port": "7002"})(None)
    waitress_server({})(None)
    monkeypatch.delenv("PORT")
    waitress_server({})(None)
    assert served == [7002, 7001, 6543]
