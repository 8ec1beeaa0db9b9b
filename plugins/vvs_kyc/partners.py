"""Identity-check partners: the interface a provider plugin implements, and how
vvs_kyc drives it.

A partner is a provider of kind ``"identity"``: a plugin answers
``vvs_register_providers()`` with ``ProviderSpec("identity", "<name>", factory,
settings=[...secrets marked...])`` and the .ini chooses it with
``vvs.identity.provider = <name>`` (default ``none``: the built-in
``NullIdentityVerifier``, nothing offered). The core validates its settings, builds
it once and registers it as the ``vvs_core.interfaces.IIdentityVerifier`` service.
A provider plugin needs only vvs_core (plugins never import each other).

The object the factory returns has:

``name`` (str), ``label`` (French, shown to residents), ``available`` (True).

``start(request, user, return_url) -> str``
    Begin a check of ``user`` (or give back the one still open for them) and return the
    URL to send their browser to (the partner's page); the partner sends the browser back
    to ``return_url`` (vvs_kyc's ``kyc_partner_return``) with whatever its protocol
    carries. ``vvs_core.errors.PartnerUnavailable`` when the partner does not answer.

``callback(request) -> IdentityResult | None``
    Called on that return URL (GET, the resident signed in). Check the request's
    authenticity (a signature with the partner's secret, compared in constant
    time) and return ``vvs_core.interfaces.IdentityResult(user_id, status,
    reference, detail)``, status "passed", "failed" or "pending"; None when the
    request is not authentic (never an exception). ``reference`` is unique per check:
    a replayed callback finds it recorded and changes nothing.

``result(user) -> IdentityResult | None``
    The partner's latest result for ``user`` (asked while a check is pending, for
    partners that answer later), or None.

``health() -> str | None`` (optional)
    None when the partner answers, else a French sentence (« PartenaireTest ne répond
    pas… »): ``/admin/extensions`` and ``vvs check`` show it. A few seconds at most,
    starts no check (``vvs_core.interfaces``; docs/providers.md, « Health »).

vvs_kyc records each result as a ``KycCheck`` (method ``partner``), never the
partner's data itself, and a passed check counts like any other proof. The test
partner in ``tests/fixtures/kyc_partner/`` is a complete small example, with the fake of
its API; ``vvs_core.testing.IdentityVerifierContract`` is what every partner must pass.
"""
from __future__ import annotations

from sqlalchemy import select

from vvs_core.errors import PartnerUnavailable
from vvs_core.interfaces import IIdentityVerifier, IdentityResult  # noqa: F401  (re-exported for readers)
from vvs_core.web.links import absolute_url

from .checks import KycError, after_pass, new_check, record
from .models import KycCheck

STATUSES = ("passed", "failed", "pending")


def configured_partner(request):
    """The identity partner of this deployment, or None (provider ``none``)."""
    try:
        partner = request.find_service(IIdentityVerifier)
    except LookupError:
        return None
    return partner if getattr(partner, "available", False) else None


def start(request, user) -> str:
    partner = configured_partner(request)
    if partner is None:
        raise KycError("Aucun partenaire de vérification n'est proposé sur ce service.")
    try:
        return partner.start(request, user, absolute_url(request, "kyc_partner_return"))
    except PartnerUnavailable:
        raise KycError("Le partenaire de vérification ne répond pas : réessayez dans quelques minutes.") from None


def handle_return(request, user) -> KycCheck:
    """Record the partner's answer carried by ``request``; KycError when it is not valid."""
    partner = configured_partner(request)
    if partner is None:
        raise KycError("Aucun partenaire de vérification n'est proposé sur ce service.")
    result = partner.callback(request)
    if result is None or result.status not in STATUSES or not result.reference:
        raise KycError("La réponse du partenaire n'a pas pu être authentifiée : recommencez la vérification.")
    if result.user_id != user.id:
        raise KycError("Cette vérification concerne un autre compte : recommencez-la avec le vôtre.")
    reference = str(result.reference)[:100]
    existing = request.dbsession.scalar(
        select(KycCheck).where(KycCheck.method == "partner", KycCheck.reference == reference))
    if existing is not None:
        return existing  # a replayed or reloaded return: already recorded
    check = new_check(request, user, "partner", result.status, reference=reference,
                      details={"partner": partner.name, "detail": result.detail[:300]})
    record(request, check, "kyc_partner_result", status=result.status, partner=partner.name)
    if result.status == "passed":
        after_pass(request, user)
    return check


def refresh_pending(request, user, partner) -> None:
    """Ask the partner about a check still pending on our side."""
    check = request.dbsession.scalar(
        select(KycCheck).where(KycCheck.user_id == user.id, KycCheck.method == "partner",
                               KycCheck.status == "pending").order_by(KycCheck.id.desc()).limit(1))
    if check is None:
        return
    result = partner.result(user)
    if result is None or str(result.reference) != check.reference or result.status not in ("passed", "failed"):
        return
    from vvs_core.clock import utcnow

    check.status, check.decided_at = result.status, utcnow()
    record(request, check, "kyc_partner_result", status=result.status, partner=partner.name)
    if result.status == "passed":
        after_pass(request, user)
