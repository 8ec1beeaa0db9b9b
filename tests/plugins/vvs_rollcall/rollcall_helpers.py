"""Helpers of the roll-call tests (a module of its own: another directory's conftest has the same name)."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

from vvs_core.models import Notification

TOKEN = "jeton-des-rappels-appel-" + "s" * 32
NAME = "rappels"


def send_sms(testapp, sender, text, ident):
    return testapp.post(f"/fournisseurs/{NAME}/{TOKEN}/sms-recu", json.dumps({"from": sender, "text": text, "id": ident}),
                        content_type="application/json")


def rows(dbsession, **where):
    dbsession.expire_all()
    stmt = select(Notification)
    for key, value in where.items():
        stmt = stmt.where(getattr(Notification, key) == value)
    return list(dbsession.scalars(stmt.order_by(Notification.id)))


def answer_link(dbsession, user):
    [sms] = rows(dbsession, kind="rollcall", recipient_id=user.id, channel="sms")
    return re.search(r"/securite/r/[0-9]+-[A-Za-z0-9_-]+", sms.body).group(0)
