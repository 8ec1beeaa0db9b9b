"""Errors the core raises at start-up or in the domain, mapped to clear messages."""


class ConfigurationError(Exception):
    """A setting, a plugin name or a provider is wrong: one line says which and how to fix it."""


class DeliveryError(Exception):
    """A provider could not deliver a message."""


class TransientDeliveryError(DeliveryError):
    """Worth retrying later (network, 5xx, rate limit)."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (invalid number, rejected address)."""
