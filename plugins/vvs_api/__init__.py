"""vvs_api: the JSON API's core resources under /api/v1 — the signed-in resident,
their community, its directory (same privacy rules as the pages, through
``vvs_core.directory.directory_entry``) and their notifications.

The shared machinery (authentication, errors, pagination, rate limits, the OpenAPI
document) is ``vvs_core.api``; alerts, gazette and conversations publish their own
API views from their plugins' ``api.py``.
"""
from __future__ import annotations


def includeme(config):
    from . import views

    views.declare(config)
