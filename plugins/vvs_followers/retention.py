"""Requests to follow that nobody confirmed are deleted once expired (``vvs purge``)."""
from __future__ import annotations

from vvs_core.hooktypes import RetentionRule

from .models import Follower


def expired_requests(session, now):
    return (Follower.status == "pending") & (Follower.secret_expires_at < now)


def rules() -> list[RetentionRule]:
    return [RetentionRule("demandes d'abonnement non confirmées", Follower, expired_requests)]
