"""vvs_kyc: proof of address and identity, with documents destroyed after review.

Methods (``methods``): a proof of address reviewed by the platform team or the
mairie (``documents``, encrypted at rest by ``storage``, checked by
``document_checks``), the browser's geolocation (``geolocation``), a neighbour's
attestation (``attestation``) and the identity partner chosen by
``vvs.identity.provider`` (``partners``). The validation of memberships asks this
plugin for blockers (``rules``); a passed proof accepts a membership validated by
the platform team (``checks``). Other plugins are met only through hooks.
"""
from __future__ import annotations

from vvs_core.hooktypes import MenuItem
from vvs_core.plugins import hookimpl
from vvs_core.hooktypes import EventKind, NotificationKind

PREFIX = "/kyc"


@hookimpl
def vvs_register_settings():
    from .kyc_settings import SETTINGS

    return SETTINGS


@hookimpl
def vvs_verification_methods(request, user):
    from .methods import BoundMethod, available_methods

    return [BoundMethod(m, request) for m in available_methods(request, user)]


@hookimpl
def vvs_membership_blockers(request, membership):
    from .rules import blockers

    return blockers(request, membership)


@hookimpl
def vvs_membership_badges(request, memberships):
    """Where each resident's proof of address stands, on the validation queues."""
    from .badges import proof_badges

    return proof_badges(request, memberships)


@hookimpl
def vvs_menu_items(request):
    user = request.user
    if user is None:
        return []
    items = []
    if user.is_admin:
        from .documents import pending_count_for_admin_sql

        items.append(MenuItem("Justificatifs", request.route_path("kyc_review"), order=84,
                              badge=pending_count_for_admin_sql(), work=True))
    elif any(p.endswith(":agent") and p.startswith("commune:") for p in request.principals):
        items.append(MenuItem("Justificatifs", request.route_path("kyc_review"), order=72, work=True))
    if "role:referent" in request.principals or any(p.startswith("commune:") for p in request.principals):
        items.append(MenuItem("Attester un voisin", request.route_path("kyc_attestations"), order=73, work=True))
    return items


@hookimpl
def vvs_export_user_data(request, user):
    from .documents import export_user

    rows = export_user(request, user)
    return {"Vérifications d'adresse": rows} if rows else {}


@hookimpl
def vvs_erase_user_data(request, user):
    from .documents import erase_user

    erase_user(request, user)


@hookimpl(optionalhook=True)  # vvs_demo's hook
def vvs_demo_data(dbsession, commune):
    """The demo's residents are verified: each active member got a référent's attestation."""
    from .demo_data import attest_demo_members

    attest_demo_members(dbsession, commune)


@hookimpl
def vvs_reseal_secrets(dbsession, settings):
    from .storage import reseal_all

    return ("proof-of-address files", reseal_all(settings))


@hookimpl
def vvs_startup(registry):
    """Refuse a bad key or a required method that does not exist, at start-up."""
    from vvs_core.errors import ConfigurationError

    from .methods import NAMES
    from .storage import cipher

    settings = registry.settings
    cipher(settings)
    required = settings["vvs.kyc.required"]
    if isinstance(required, list):
        unknown = [n for n in required if n not in NAMES]
        if unknown:
            raise ConfigurationError(f"vvs.kyc.required names {unknown[0]!r}; methods: {', '.join(NAMES)}")
        if "partner" in required and settings.get("vvs.identity.provider", "none") == "none":
            raise ConfigurationError("vvs.kyc.required names partner but vvs.identity.provider = none")
    if not settings.get("vvs.kyc.encryption_key"):
        import logging

        logging.getLogger(__name__).warning(
            "vvs.kyc.encryption_key is not set: proof files are encrypted with a key derived from vvs.secret; "
            "set VVS_KYC_ENCRYPTION_KEY in production")


def includeme(config):
    from .access import commune_rule_factory, proof_factory
    from .tasks import follow_current_broker, sweep_kyc_documents

    add = config.add_route
    add("kyc_document", PREFIX + "/justificatif")
    add("kyc_geolocation", PREFIX + "/geolocalisation")
    add("kyc_partner", PREFIX + "/partenaire")
    add("kyc_partner_return", PREFIX + "/partenaire/retour")
    add("kyc_attestations", PREFIX + "/attestations")
    add("kyc_attest", PREFIX + r"/attestations/{membership_id:\d+}")
    add("kyc_review", PREFIX + "/revue")
    add("kyc_audit", PREFIX + "/revue/journal")
    add("kyc_review_proof", PREFIX + r"/revue/{check_id:\d+}", factory=proof_factory)
    add("kyc_review_file", PREFIX + r"/revue/{check_id:\d+}/document", factory=proof_factory)
    add("kyc_review_decide", PREFIX + r"/revue/{check_id:\d+}/decision", factory=proof_factory)
    add("kyc_commune_rule", PREFIX + "/commune/{insee}", factory=commune_rule_factory)
    config.add_static_view("static_kyc", "vvs_kyc:static", cache_max_age=3600)
    config.scan(".views")
    follow_current_broker()
    config.add_periodic_task(sweep_kyc_documents, config.registry.settings["vvs.kyc.sweep_interval"])


# --- What the identity checks declare ---------------------------------------------------

@hookimpl
def vvs_register_notification_kinds():
    return [NotificationKind("kyc", "Vérification de votre adresse ou identité", in_settings=False)]


@hookimpl
def vvs_register_event_kinds():
    return [
        EventKind("kyc_attested", "Adresse attestée par un voisin"),
        EventKind("kyc_document_uploaded", "Justificatif déposé"),
        EventKind("kyc_document_decided", "Justificatif examiné"),
        EventKind("kyc_document_expired", "Justificatif effacé (délai de conservation)"),
        EventKind("kyc_geolocation", "Vérification par géolocalisation"),
        EventKind("kyc_partner_result", "Résultat de la vérification d'identité"),
    ]


@hookimpl(optionalhook=True)
def vvs_communities_merging(request, source, target):
    """Verifications made for a membership in ``source`` now name ``target``."""
    import sqlalchemy as sa

    from .models import KycCheck

    request.dbsession.execute(sa.update(KycCheck).where(KycCheck.community_id == source.id)
                              .values(community_id=target.id).execution_options(synchronize_session=False))
