"""Validation modes: who decides who joins a community, declared at start-up (``vvs_register_validation_modes``)
and kept on the registry (``vvs_validation_modes``, by key); the core's are "platform" and "referent". A stored
mode no enabled plugin declares falls to the platform team."""

from vvs_core.accounts.principals import community_principal
from vvs_core.hooktypes import ValidationMode

CORE_VALIDATION_MODES = (
    ValidationMode("platform", "Validation par l'équipe de la plateforme", "Équipe de la plateforme",
                   "l'équipe de la plateforme", "l'équipe de la plateforme"),
    ValidationMode("referent", "Validation par le référent", "Référent", "le référent de votre communauté",
                   "un référent", "Votre demande d'adhésion a été envoyée au référent de la communauté. Une fois "
                   "votre demande acceptée par le référent, votre compte sera activé.",
                   deciders=lambda community: [community_principal(community.id, "referent")]),
)


def validation_modes(registry) -> dict[str, ValidationMode]:
    """The modes this site offers, by key, in the order declared."""
    return getattr(registry, "vvs_validation_modes", None) or {m.key: m for m in CORE_VALIDATION_MODES}


def mode_of(registry, key: str | None) -> ValidationMode:
    """The declared mode ``key``; the platform team's for a key nobody declares."""
    modes = validation_modes(registry)
    return modes.get(key or "") or modes["platform"]


def imposed_mode(request, community) -> str | None:
    return request.registry.vvs_plugins.hook.vvs_validation_mode_imposed(request=request, community=community)


def effective_validation_mode(request, community) -> str:
    """Who decides who joins ``community``: what a plugin imposes, else its own choice."""
    return mode_of(request.registry, imposed_mode(request, community) or community.validation_mode).key
