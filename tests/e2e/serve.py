"""Serve the real application for browser tests: ``python serve.py DB_URL PORT MAILDIR SMS_LOG``.

Runs in its own process with the inline broker and its worker threads, like
``make run``, so e-mails and SMS are really produced by the outbox: e-mails are
written to MAILDIR, and the console SMS provider's lines (what ``make run`` prints in
the terminal) to the file SMS_LOG, which the tests read as a resident reads a phone.
"""
import logging
import os
import sys

from waitress import serve

from vvs_core import main
from vvs_core.testing import app_settings

CONSOLE_CALLBACK_TOKEN = "e2e-console-callback-token-0123456789abcdef"

if __name__ == "__main__":
    db_url, port, maildir, sms_log = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    console_sms = logging.getLogger("vvs_dev_providers.providers")
    console_sms.addHandler(logging.FileHandler(sms_log, encoding="utf-8"))
    console_sms.setLevel(logging.INFO)
    # Every browser test comes from 127.0.0.1: per-address limits would stop the
    # suite, not an attacker (the limits themselves are tested through WebTest).
    settings = app_settings(db_url, **{"vvs.email.folder": maildir, "vvs.public_url": f"http://127.0.0.1:{port}",
                                        "vvs.ratelimit.login": "1000/300", "vvs.ratelimit.login_address": "1000/300", "vvs.ratelimit.signup": "1000/3600",
                                        "vvs.ratelimit.reset": "1000/3600", "vvs.alerts.max_per_hour": "100",
                                        # The development number takes SMS "received" (STOP…) from the tests.
                                        "vvs.sms.console.callback_token": CONSOLE_CALLBACK_TOKEN,
                                        "vvs.followers.rate": "1000/3600", "vvs.followers.destination_rate": "1000/3600"})
    # The tests also write to the database from their own process: the page cache must
    # hear of it, through the shared generation in Redis (see tests/e2e/conftest.py).
    if os.environ.get("VVS_TEST_REDIS_URL"):
        settings["vvs.cache_url"] = os.environ["VVS_TEST_REDIS_URL"]
    app = main({}, **settings)
    serve(app, host="127.0.0.1", port=port, threads=4, _quiet=True)
