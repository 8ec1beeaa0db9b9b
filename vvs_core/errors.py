"""Errors the core raises at start-up or in the domain, mapped to clear messages."""


class ConfigurationError(Exception):
    """A setting, a plugin name or a provider is wrong: one line says which and how to fix it."""


class DeliveryError(Exception):
    """A provider could not deliver a message."""


class TransientDeliveryError(DeliveryError):
    """Worth retrying later (network, 5xx, rate limit)."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (invalid number, rejected address)."""


class PartnerUnavailable(Exception):
    """An identity partner did not answer as it should (timeout, refused, 4xx, 5xx): nothing started."""


class ActionRefused(Exception):
    """A user's action does not apply (the French message tells them why): answered with 400."""


class ChangedMeanwhile(ActionRefused):
    """Someone changed the row since the page was shown (answered with 409 and the row as it is now)."""
