"""Sessions that end on the server (issue 15.1).

The session cookie is signed but kept by the browser, so clearing it at logout does not
end a copy taken before. Each login therefore records a session on the server: a random
identifier in the cookie (``sid``), its SHA-256 in a ``tokens`` row of purpose
``session`` (expiring with ``vvs.session_max_age``); every request checks that the row
is still open (``session_alive``, cached by the page cache until the next write).

- logout ends this session (``end_session``); so does the absolute timeout;
- a password change or reset, the closure of the account, a ban and an administrator's
  "end all sessions" end every session of the user (``end_all_sessions``: the row of
  each is closed and ``users.session_epoch`` moves, which the cookie also carries).

What the session holds — a commune agent's second factor included — dies with it: a
replayed cookie is a visitor who is not signed in.
"""

import hashlib
import secrets
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import delete, or_, select, update

from vvs_core.clock import aware, utcnow
from vvs_core.models import Token, User

SESSION_ID = "sid"
PURPOSE = "session"


def token_digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def start_session(request, user: User) -> str:
    """Record a new session of ``user``; the identifier goes into the cookie."""
    db = request.dbsession
    db.execute(delete(Token).where(Token.user_id == user.id, Token.purpose == PURPOSE,
                                   or_(Token.used_at.is_not(None), Token.expires_at < utcnow()))
               .execution_options(synchronize_session=False))
    sid = issue_token(db, user, PURPOSE, hours=request.registry.settings["vvs.session_max_age"] / 3600)
    db.flush()
    return sid


def issue_token(dbsession, user: User, purpose: str, hours: float = 24, data: dict | None = None) -> str:
    token = secrets.token_urlsafe(32)
    dbsession.add(Token(user_id=user.id, purpose=purpose, token_hash=token_digest(token),
                        data=data or {}, expires_at=utcnow() + timedelta(hours=hours)))
    return token


def valid_token(dbsession, token: str, purpose: str, use: bool = False) -> Token | None:
    """The token's row if valid, unexpired and unused; marked used when ``use``."""
    row = dbsession.execute(select(Token).where(Token.token_hash == token_digest(token))).scalar_one_or_none() \
        if token and len(token) <= 100 else None
    if row is None or row.purpose != purpose or row.used_at is not None or aware(row.expires_at) < utcnow():
        return None
    if use:
        row.used_at = utcnow()
    return row


def session_alive(request, user_id: int, sid) -> bool:
    """Whether the session ``sid`` of ``user_id`` is still open on the server."""
    if (digest := session_digest(sid)) is None:
        return False

    def load():
        read = request.__dict__.pop("_vvs_loaded_session", None)  # read with the user's row
        if read is not None and read[0] == digest:
            user_id, purpose, used_at, expires_at = read[1]
            row = None if user_id is None else SimpleNamespace(user_id=user_id, purpose=purpose, used_at=used_at,
                                                                expires_at=expires_at)
        else:
            row = request.dbsession.execute(
                select(Token.user_id, Token.purpose, Token.used_at, Token.expires_at)
                .where(Token.token_hash == digest)).first()
        if row is None or row.purpose != PURPOSE or row.used_at is not None:
            return None
        return row.user_id, aware(row.expires_at).timestamp()

    # Its row may have been read with the user's (then no statement here): tokens, declared.
    found = request.cached(("session", digest), load, tables=("tokens",))
    return found is not None and found[0] == user_id and found[1] > utcnow().timestamp()


def session_digest(sid) -> str | None:
    """The stored digest of the session id ``sid`` (None for a malformed one)."""
    return token_digest(sid) if isinstance(sid, str) and 20 <= len(sid) <= 100 else None


def end_session(request) -> None:
    """Close the session of this request on the server (logout)."""
    if (digest := session_digest(request.session.get(SESSION_ID))) is not None:
        request.dbsession.execute(
            update(Token).where(Token.token_hash == digest, Token.purpose == PURPOSE, Token.used_at.is_(None))
            .values(used_at=utcnow()).execution_options(synchronize_session=False))


def end_all_sessions(dbsession, user: User) -> None:
    """Close every session of ``user`` (password change, closure, ban, administrator)."""
    user.session_epoch = (user.session_epoch or 0) + 1
    dbsession.execute(
        update(Token).where(Token.user_id == user.id, Token.purpose == PURPOSE, Token.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
