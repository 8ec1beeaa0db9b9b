"""Ways a resident proves their address, each a small class behind one interface.

A method has a ``name`` (what ``vvs.kyc.required`` lists), a French ``label`` and
``description``, ``start_url(request)`` (where the resident begins it) and
``status(request, user)`` → "none", "pending", "passed" or "failed". The core's
``vvs_verification_methods`` hook expects ``url`` and ``status(user)``: the
hookimpl hands out ``BoundMethod`` wrappers that carry the request.

Built in: the proof of address (``document``), the browser's geolocation
(``geolocation``), a neighbour's attestation (``attestation``) and the identity
partner chosen by ``vvs.identity.provider`` (``partner``, see ``partners``).
"""
from __future__ import annotations

from vvs_core.accounts.principals import commune_agent

from .checks import method_status

ANY_MISSING = ("Adresse non vérifiée : aucune preuve n'a encore abouti (justificatif de domicile, "
               "géolocalisation ou attestation d'un voisin par un référent, menu « Attester un voisin »)")


def any_missing_to_resident(with_agents: bool) -> str:
    """The same, told to the resident themself (the menu named above is the référents'); the
    commune's agents are named only where there are some (an enabled plugin declares them)."""
    who = "d'un référent ou un agent de la mairie" if with_agents else "d'un référent"
    return ("Adresse non vérifiée : aucune preuve n'a encore abouti (un justificatif de domicile, "
            f"la géolocalisation à votre domicile, ou l'attestation {who} qui vous connaît)")


class VerificationMethod:
    name = ""
    label = ""
    description = ""
    missing = ""  # the blocker's sentence while this proof is required and not passed

    def available(self, request, user) -> bool:
        return True

    def start_url(self, request) -> str:
        raise NotImplementedError

    def status(self, request, user) -> str:
        return method_status(request.dbsession, user.id, self.name)


class DocumentMethod(VerificationMethod):
    name = "document"
    label = "Justificatif de domicile"
    description = ("Envoyez un justificatif de domicile de moins de 3 mois (facture d'électricité, de téléphone, "
                   "d'eau ou de gaz) en PDF, JPEG ou PNG. Une fois la validation effectuée, nous détruirons ce document.")
    missing = "Justificatif de domicile non vérifié"

    def start_url(self, request) -> str:
        return request.route_path("kyc_document")


class GeolocationMethod(VerificationMethod):
    name = "geolocation"
    label = "Géolocalisation"
    description = ("La position de votre téléphone ou ordinateur est comparée à l'adresse de votre inscription. "
                   "Faites-le depuis votre domicile ; seul le résultat est gardé, jamais votre position.")
    missing = "Géolocalisation au domicile non réussie"

    def available(self, request, user) -> bool:
        return user.home is not None

    def start_url(self, request) -> str:
        return request.route_path("kyc_geolocation")


class AttestationMethod(VerificationMethod):
    name = "attestation"
    label = "Attestation d'un voisin"
    description = "Un référent de votre communauté qui vous connaît atteste que vous habitez bien à cette adresse."
    missing = "Aucune attestation d'un voisin"

    def __init__(self, with_agents: bool = False):
        if with_agents:
            self.description = ("Un référent de votre communauté ou un agent de votre mairie qui vous connaît "
                                "atteste que vous habitez bien à cette adresse.")

    def start_url(self, request) -> str:
        return request.route_path("kyc_attestations")


class PartnerMethod(VerificationMethod):
    name = "partner"
    description = ("Notre partenaire vérifie votre identité et votre adresse en ligne, gratuitement, "
                   "en quelques clics.")
    missing = "Vérification par le partenaire non réussie"

    def __init__(self, partner):
        self.partner = partner
        self.label = getattr(partner, "label", "") or "Vérification en ligne"

    def start_url(self, request) -> str:
        return request.route_path("kyc_partner")

    def status(self, request, user) -> str:
        from .partners import refresh_pending

        refresh_pending(request, user, self.partner)
        return super().status(request, user)


class BoundMethod:
    """A method with its request, as the core's hook contract reads it."""

    def __init__(self, method: VerificationMethod, request):
        self.method, self.request = method, request
        self.name, self.label, self.description = method.name, method.label, method.description

    @property
    def url(self) -> str:
        return self.method.start_url(self.request)

    def start_url(self, request) -> str:
        return self.method.start_url(request)

    def status(self, user, *args) -> str:
        # status(user) for the core; status(request, user) like the methods themselves.
        if args:
            user = args[0]
        return self.method.status(self.request, user)


BUILT_IN = (DocumentMethod, GeolocationMethod, AttestationMethod)
NAMES = ("document", "geolocation", "attestation", "partner")
MISSING = {cls.name: cls.missing for cls in (*BUILT_IN, PartnerMethod)}


def has_commune_agents(registry) -> bool:
    """Whether an enabled plugin grants the commune's agents their principal (then they attest too)."""
    kinds = getattr(registry, "vvs_principal_kinds", None)
    return kinds is not None and kinds.declared(commune_agent("00000"))


def all_methods(request) -> list[VerificationMethod]:
    from .partners import configured_partner

    methods = [DocumentMethod(), GeolocationMethod(), AttestationMethod(has_commune_agents(request.registry))]
    partner = configured_partner(request)
    if partner is not None:
        methods.append(PartnerMethod(partner))
    return methods


def available_methods(request, user) -> list[VerificationMethod]:
    return [m for m in all_methods(request) if m.available(request, user)]


def labels(request) -> dict[str, str]:
    return {m.name: m.label for m in all_methods(request)}


def missing_sentence(name: str) -> str:
    return MISSING.get(name, f"Preuve « {name} » non vérifiée")
