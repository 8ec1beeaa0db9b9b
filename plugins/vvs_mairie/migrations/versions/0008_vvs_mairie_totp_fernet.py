"""The agents' TOTP secrets re-sealed with the core's encryption at rest (MultiFernet
under ``vvs.mairie.totp_encryption_key``) instead of the cipher keyed from ``vvs.secret``.

The old cipher (HMAC-SHA256 in counter mode, values ``v1:…``) is written out here, the
only place it still lives: this revision opens each value with ``vvs.secret`` and seals it
with the new keys. It needs the application's settings (``vvs db upgrade INI`` and the
test fixtures hand them over); without them, it refuses to run over sealed secrets.

Revision ID: 0008_vvs_mairie_totp_fernet
Revises: 0007_vvs_mairie_proof_retention
Create Date: 2026-12-06
"""
import base64
import hashlib
import hmac
import logging
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0008_vvs_mairie_totp_fernet"
down_revision = "0007_vvs_mairie_proof_retention"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.vvs_mairie")
agents = sa.table("mairie_agents", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String))


def _legacy_keys(app_secret):
    root = hashlib.sha256(("vvs_mairie.totp:" + app_secret).encode()).digest()
    return hmac.new(root, b"enc", hashlib.sha256).digest(), hmac.new(root, b"mac", hashlib.sha256).digest()


def _legacy_stream(key, nonce, length):
    out, counter = b"", 0
    while len(out) < length:
        out += hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        counter += 1
    return out[:length]


def legacy_unseal(app_secret, sealed):
    raw = base64.urlsafe_b64decode(sealed[3:].encode())
    nonce, tag, cipher = raw[:16], raw[16:32], raw[32:]
    enc_key, mac_key = _legacy_keys(app_secret)
    if not hmac.compare_digest(tag, hmac.new(mac_key, nonce + cipher, hashlib.sha256).digest()[:16]):
        return None
    return bytes(a ^ b for a, b in zip(cipher, _legacy_stream(enc_key, nonce, len(cipher)))).decode()


def legacy_seal(app_secret, plaintext):
    enc_key, mac_key = _legacy_keys(app_secret)
    nonce, data = secrets.token_bytes(16), plaintext.encode()
    cipher = bytes(a ^ b for a, b in zip(data, _legacy_stream(enc_key, nonce, len(data))))
    tag = hmac.new(mac_key, nonce + cipher, hashlib.sha256).digest()[:16]
    return "v1:" + base64.urlsafe_b64encode(nonce + tag + cipher).decode()


def _rows(legacy):
    bind = op.get_bind()
    rows = bind.execute(sa.select(agents.c.id, agents.c.totp_secret).where(agents.c.totp_secret.is_not(None))).all()
    rows = [(id_, value) for id_, value in rows if value.startswith("v1:") == legacy]
    if not rows:
        return bind, [], None
    settings = op.get_context().config.attributes.get("settings")
    if not settings or not settings.get("vvs.secret"):
        raise RuntimeError("re-sealing the mairie agents' TOTP secrets needs the settings: run `vvs db upgrade INI`")
    return bind, rows, settings


def upgrade():
    from vvs_core.encryption import keyring, seal_text

    bind, rows, settings = _rows(legacy=True)
    if not rows:
        return
    ring = keyring(settings, "vvs.mairie.totp_encryption_key", "vvs_mairie.totp")
    for id_, value in rows:
        plain = legacy_unseal(settings["vvs.secret"], value)
        if plain is None:  # sealed under an earlier vvs.secret: nobody could read it already
            log.warning("mairie agent %s: TOTP secret not sealed with this vvs.secret, left as it is", id_)
            continue
        bind.execute(agents.update().where(agents.c.id == id_).values(totp_secret=seal_text(ring, plain)))


def downgrade():
    from vvs_core.encryption import keyring, unseal_text

    bind, rows, settings = _rows(legacy=False)
    if not rows:
        return
    ring = keyring(settings, "vvs.mairie.totp_encryption_key", "vvs_mairie.totp")
    for id_, value in rows:
        plain = unseal_text(ring, value)
        if plain is not None:
            bind.execute(agents.update().where(agents.c.id == id_).values(
                totp_secret=legacy_seal(settings["vvs.secret"], plain)))
