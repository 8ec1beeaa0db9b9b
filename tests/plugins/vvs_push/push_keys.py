"""Keys a browser would create for a push subscription (P-256 key pair and a 16-byte
auth secret), so tests can subscribe a fake device and decrypt what it receives."""
import base64
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def browser_keypair():
    """(keys for the subscription JSON, private key, auth secret)."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
    auth = os.urandom(16)
    return {"p256dh": b64url(public), "auth": b64url(auth)}, private, auth


def browser_keys() -> dict:
    return browser_keypair()[0]


def vapid_keypair() -> tuple[str, str]:
    """(private, public) VAPID keys in the base64url forms the settings take."""
    private = ec.generate_private_key(ec.SECP256R1())
    raw_private = private.private_numbers().private_value.to_bytes(32, "big")
    public = private.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
    return b64url(raw_private), b64url(public)
