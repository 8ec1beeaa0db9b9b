"""The agents' second factor: TOTP secrets (sealed at rest), QR codes, recovery codes,
and the session flag that opens the mairie's principals.

The TOTP secret is sealed at rest the core's one way (``vvs_core.encryption``: MultiFernet
under the keys of ``vvs.mairie.totp_encryption_key``, rotatable without locking anyone
out): a database dump alone does not give an attacker the agents' second factor, and
changing ``vvs.secret`` leaves it readable. The secret never reaches a log line
(``MairieAgent.__repr__`` omits it).
"""
from __future__ import annotations

import hashlib
import hmac
import io
import logging
import secrets

import pyotp
from cryptography.fernet import InvalidToken
from sqlalchemy import delete, or_, select, update

from vvs_core.clock import timestamp, utcnow
from vvs_core.encryption import keyring, reseal, seal_text, unseal_text

from .models import MairieAgent, RecoveryCode, SecondFactorToken

log = logging.getLogger(__name__)
SESSION_FLAG = "vvs_mairie.2fa"   # holds the user id whose second factor passed
RECOVERY_CODE_COUNT = 10
ISSUER = "Mairie vigilante"


# --- Sealing the secret ---------------------------------------------------------

KEY_SETTING = "vvs.mairie.totp_encryption_key"
PURPOSE = "vvs_mairie.totp"  # what the development key is derived for (vvs_core.encryption)


def totp_keyring(settings):
    """The keys of ``vvs.mairie.totp_encryption_key`` (the first seals, every one unseals)."""
    return keyring(settings, KEY_SETTING, PURPOSE)


def seal(settings, plaintext: str) -> str:
    return seal_text(totp_keyring(settings), plaintext)


def unseal(settings, sealed: str) -> str | None:
    """The plaintext, or None when no key of the setting sealed it."""
    return unseal_text(totp_keyring(settings), sealed)


def reseal_all(dbsession, settings) -> int:
    """Seal every agent's secret again with the first key (after a new key was put first);
    returns how many. A secret no key opens is left as it is (and counted out)."""
    ring, count = totp_keyring(settings), 0
    for agent in dbsession.scalars(select(MairieAgent).where(MairieAgent.totp_secret.is_not(None))):
        try:
            agent.totp_secret = reseal(ring, agent.totp_secret)
            count += 1
        except InvalidToken:
            log.warning("the second-factor secret of mairie agent %s opens with no key of %s", agent.id, KEY_SETTING)
    dbsession.flush()
    return count


# --- TOTP -------------------------------------------------------------------------

def start_enrolment(request, agent: MairieAgent) -> str:
    """Give ``agent`` a fresh (unconfirmed) secret; returns it in clear for display."""
    secret = pyotp.random_base32()
    agent.totp_secret = seal(request.registry.settings, secret)
    agent.totp_confirmed_at = None
    return secret


def agent_secret(request, agent: MairieAgent) -> str | None:
    return unseal(request.registry.settings, agent.totp_secret or "")


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(text: str) -> str:
    """The QR code of ``text`` as an inline SVG document (rendered here, no image host)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg"):]  # drop the XML declaration: it is embedded in HTML


def matching_step(secret: str | None, code: str, now: float | None = None) -> int | None:
    """The time step (30 s) whose code is ``code``, among the previous, current and next
    one (phones drift), or None. Full-width digits (« １２３４５６ ») are no code:
    ``compare_digest`` refuses non-ASCII text."""
    code = (code or "").replace(" ", "").strip()
    if not secret or not (code.isascii() and code.isdigit()) or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    step = int((timestamp() if now is None else now) // totp.interval)
    for candidate in (step - 1, step, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def accept_totp(dbsession, agent: MairieAgent, secret: str | None, code: str, now: float | None = None) -> bool:
    """Whether ``code`` is valid and later than the last code this agent used: a code
    seen once (over the shoulder, by a keylogger) cannot open a second session
    (RFC 6238 §5.2). One conditional UPDATE, so two requests cannot both use it."""
    step = matching_step(secret, code, now)
    if step is None:
        return False
    used = dbsession.execute(
        update(MairieAgent)
        .where(MairieAgent.id == agent.id,
               or_(MairieAgent.totp_last_step.is_(None), MairieAgent.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if used:
        agent.totp_last_step = step
        return True
    return False


def is_enrolled(agent: MairieAgent) -> bool:
    return agent.totp_confirmed_at is not None and bool(agent.totp_secret)


def confirm_enrolment(dbsession, agent: MairieAgent) -> list[str]:
    """The secret is confirmed: mark it and return new recovery codes (shown once)."""
    agent.totp_confirmed_at = utcnow()
    return new_recovery_codes(dbsession, agent)


# --- Recovery codes ---------------------------------------------------------------

def _code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def new_recovery_codes(dbsession, agent: MairieAgent) -> list[str]:
    dbsession.query(RecoveryCode).filter(RecoveryCode.agent_id == agent.id).delete()
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)  # 10 hex characters, shown as xxxxx-xxxxx
        codes.append(f"{raw[:5]}-{raw[5:]}")
        dbsession.add(RecoveryCode(agent_id=agent.id, code_hash=_code_hash(raw)))
    dbsession.flush()
    return codes


def use_recovery_code(dbsession, agent: MairieAgent, code: str) -> bool:
    """True, and the code is spent, when ``code`` is one of the agent's unused codes."""
    if len(normalise_code(code)) != 10:
        return False
    row = dbsession.scalar(select(RecoveryCode).where(
        RecoveryCode.agent_id == agent.id, RecoveryCode.code_hash == _code_hash(code),
        RecoveryCode.used_at.is_(None)))
    if row is None:
        return False
    row.used_at = utcnow()
    return True


def remaining_recovery_codes(dbsession, agent: MairieAgent) -> int:
    return len(dbsession.scalars(select(RecoveryCode.id).where(
        RecoveryCode.agent_id == agent.id, RecoveryCode.used_at.is_(None))).all())


# --- The session flag ---------------------------------------------------------------

def mark_passed(request, user) -> None:
    request.session[SESSION_FLAG] = user.id
    request.__dict__.pop("principals", None)  # recomputed with the agent's principals


def has_passed(request, user) -> bool:
    """Whether this request's user passed the second factor: in this session, or, for an
    API request with a personal token, when the token was created by a session that had
    (``remember_token``)."""
    if user is None:
        return False
    if getattr(request, "environ", {}).get("vvs.auth") == "token":
        return token_passed(request, user)
    return request.session.get(SESSION_FLAG) == user.id


def token_passed(request, user) -> bool:
    token_id = request.environ.get("vvs.api_token_id")
    memo = request.__dict__.setdefault("_vvs_mairie_token_passed", {})
    if token_id not in memo:
        memo[token_id] = token_id is not None and request.dbsession.scalar(
            select(SecondFactorToken.id).where(SecondFactorToken.token_id == token_id,
                                               SecondFactorToken.user_id == user.id)) is not None
    return memo[token_id]


def remember_token(request, token_id: int, user) -> bool:
    """``vvs_api_token_issued``: a token created by an agent whose session passed the
    second factor carries it. False (nothing recorded) otherwise."""
    if request.environ.get("vvs.auth") == "token" or not has_passed(request, user):
        return False
    request.dbsession.add(SecondFactorToken(token_id=token_id, user_id=user.id))
    return True


def forget_tokens(dbsession, user_id: int) -> None:
    """The agent's second factor was reset or the agent removed: their tokens carry it no more."""
    dbsession.execute(delete(SecondFactorToken).where(SecondFactorToken.user_id == user_id))
