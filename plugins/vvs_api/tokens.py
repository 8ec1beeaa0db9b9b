"""Personal API tokens: issue, list, revoke, and authenticate a Bearer request.

A token reads ``vvs_`` followed by 43 URL-safe characters; only its SHA-256 is
stored. Tokens authenticate requests under ``/api/`` only (never the HTML pages,
whose forms rely on the session's CSRF token).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from vvs_core.clock import aware, utcnow
from vvs_core.hooktypes import Authenticated
from vvs_core.models import User
from vvs_core.accounts.security import CLOSED_STATUSES

from .models import ApiToken

TOKEN_PREFIX = "vvs_"
MAX_ACTIVE_TOKENS = 20
# last_used_at is written at most this often: a busy script must not turn every
# API read into a database write.
LAST_USED_GRANULARITY = timedelta(minutes=5)


class TokenRefused(Exception):
    """A token cannot be created; the message is French."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(dbsession, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token named ``name`` for ``user``: (row, the token shown once)."""
    name = " ".join((name or "").split())[:80]
    if not name:
        raise TokenRefused("Donnez un nom au jeton (par exemple « Mon application »).")
    active = dbsession.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    if active >= MAX_ACTIVE_TOKENS:
        raise TokenRefused(f"Vous avez déjà {MAX_ACTIVE_TOKENS} jetons actifs : révoquez-en un d'abord.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=token_digest(token), prefix=token[:8],
                   created_at=utcnow())
    dbsession.add(row)
    dbsession.flush()
    return row, token


def user_tokens(dbsession, user: User) -> list[ApiToken]:
    return list(dbsession.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                                  .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())))


def revoke_api_token(dbsession, user: User, token_id: int) -> bool:
    """Revoke one of ``user``'s tokens; False when it is not theirs or already revoked."""
    row = dbsession.get(ApiToken, token_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True


def revoke_every_token(dbsession, user: User) -> None:
    """Closing or erasing an account: its tokens stop working (kept revoked, as a record)."""
    dbsession.execute(sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                      .values(revoked_at=utcnow()).execution_options(synchronize_session=False))


def export_tokens(user: User):
    """The user's tokens for « Mes données » (name, beginning, dates; never the hash), as
    SQL read with the archive's other sections (``json_rows``)."""
    from vvs_core.web.batch import json_rows

    return json_rows(sa.select(ApiToken.name.label("nom"), ApiToken.prefix.label("debut"),
                               ApiToken.created_at.label("cree_le"), ApiToken.last_used_at.label("utilise_le"),
                               ApiToken.revoked_at.label("revoque_le"))
                     .where(ApiToken.user_id == user.id).order_by(ApiToken.id))


def bearer_token(request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if any ("" when malformed)."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return value.strip()


def authenticate_token(dbsession, token: str) -> tuple[User, ApiToken] | None:
    """(user, token row) for a valid, unrevoked token of an active account."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    row = dbsession.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = dbsession.get(User, row.user_id)
    if user is None or user.status in CLOSED_STATUSES:
        return None
    now = utcnow()
    if row.last_used_at is None or aware(row.last_used_at) < now - LAST_USED_GRANULARITY:
        row.last_used_at = now
    return user, row


def token_user(request, token: str) -> User | None:
    """The user of a Bearer request; notes on the request how it was authenticated."""
    found = authenticate_token(request.dbsession, token)
    if found is None:
        request.environ["vvs.auth"] = "invalid_token"
        return None
    user, row = found
    request.environ["vvs.auth"] = "token"
    request.environ["vvs.api_token_id"] = row.id
    return user


def authenticate_api_request(request) -> Authenticated | None:
    """``vvs_authenticate``: a Bearer token, on API paths only (never the HTML pages)."""
    if not request.path_info.startswith("/api/"):
        return None
    token = bearer_token(request)
    if token is None:
        return None
    return Authenticated(token_user(request, token))
