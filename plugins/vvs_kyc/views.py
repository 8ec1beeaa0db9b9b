"""Pages of vvs_kyc: the resident's proofs, attestations, the back office (queue,
viewer, decision, audit trail) and a commune's rule. Logic is in the services."""
from __future__ import annotations

import colander
from pyramid.httpexceptions import HTTPForbidden, HTTPGone, HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config

from vvs_core.communities.membership import current_membership
from vvs_core.models import Community, Membership
from vvs_core.web.forms import Schema, StrippedString, read_fields, text_node, typed
from vvs_core.web.ratelimit import limiter
from vvs_core.web.french import elided

from . import attestation, documents, geolocation, partners, rules
from .checks import KycError, method_status
from .document_checks import DocumentRejected
from .kyc_settings import parse_required
from .methods import NAMES, all_methods, labels
from .models import STATUS_LABELS

T = "vvs_kyc:templates/"
UPLOAD_RATE = "10/3600"
READING_RATE = "10/3600"


def assets(request, *js):
    return {"extra_css": [request.static_path("vvs_kyc:static/kyc.css")],
            "extra_js": [request.static_path(f"vvs_kyc:static/{name}") for name in js]}


def _page(request, title, **values):
    from .methods import has_commune_agents

    return {"title": title, "with_agents": has_commune_agents(request.registry), **assets(request), **values}


# --- Proof of address -----------------------------------------------------------------

@view_config(route_name="kyc_document", renderer=T + "document.pt", permission="account")
def document_view(request):
    user = request.user
    settings = request.registry.settings
    page = _page(request, "Justificatif de domicile", error=None,
                 membership=current_membership(request.dbsession, user),
                 max_mb=settings["vvs.kyc.max_upload_bytes"] / (1024 * 1024),
                 max_pages=settings["vvs.kyc.max_pdf_pages"], retention_days=settings["vvs.kyc.retention_days"])
    if request.method == "POST":
        limiter(request, "kyc-upload", rate=UPLOAD_RATE).check(
            str(user.id), "Trop d'envois en peu de temps : réessayez dans une heure.")
        try:
            data, filename = documents.read_upload(request.POST.get("document"), settings["vvs.kyc.max_upload_bytes"])
            documents.upload(request, user, data, filename)
        except DocumentRejected as exc:
            request.response.status = 400
            page["error"] = str(exc)
        else:
            request.session.flash("Votre justificatif est envoyé : il sera vérifié puis détruit. "
                                  "Vous recevrez un e-mail dès la décision.", queue="success")
            return HTTPSeeOther(request.route_path("kyc_document"))
    page["latest"] = documents.latest_document_check(request.dbsession, user.id)
    return page


# --- Geolocation ----------------------------------------------------------------------

@view_config(route_name="kyc_geolocation", renderer=T + "geolocation.pt", permission="account")
def geolocation_view(request):
    user = request.user
    page = {**_page(request, "Géolocalisation"), **assets(request, "geolocation.js"), "error": None, "result": None,
            "has_home": user.home is not None, "max_m": request.registry.settings["vvs.kyc.geolocation_max_m"]}
    if request.method == "POST":
        limiter(request, "kyc-geolocation", rate=READING_RATE).check(
            str(user.id), "Trop d'essais en peu de temps : réessayez dans une heure.")
        post = request.POST
        try:
            page["result"] = geolocation.record_reading(request, user, post.get("lon"), post.get("lat"),
                                                        post.get("accuracy"))
        except KycError as exc:
            request.response.status = 400
            page["error"] = str(exc)
        page["membership"] = current_membership(request.dbsession, user)
    return page


# --- Identity partner -----------------------------------------------------------------

@view_config(route_name="kyc_partner", renderer=T + "partner.pt", permission="account")
def partner_view(request):
    partner = partners.configured_partner(request)
    if partner is None:
        raise HTTPNotFound()
    if request.method == "POST":
        try:
            return HTTPSeeOther(partners.start(request, request.user))
        except KycError as exc:
            request.session.flash(str(exc), queue="error")
    return _page(request, partner.label, partner=partner,
                 status=method_status(request.dbsession, request.user.id, "partner"))


@view_config(route_name="kyc_partner_return", renderer=T + "partner.pt", permission="account")
def partner_return_view(request):
    partner = partners.configured_partner(request)
    if partner is None:
        raise HTTPNotFound()
    try:
        check = partners.handle_return(request, request.user)
    except KycError as exc:
        request.response.status = 400
        return _page(request, partner.label, partner=partner, error=str(exc),
                     status=method_status(request.dbsession, request.user.id, "partner"))
    message = {"passed": ("Votre vérification par le partenaire a réussi.", "success"),
               "failed": ("Le partenaire n'a pas pu vérifier votre identité : essayez un autre moyen.", "error"),
               "pending": ("Le partenaire termine la vérification : revenez dans quelques minutes.", "info")}
    text, queue = message[check.status]
    request.session.flash(text, queue=queue)
    return HTTPSeeOther(request.route_path("activation"))


# --- Attestation ----------------------------------------------------------------------

@view_config(route_name="kyc_attestations", renderer=T + "attestations.pt", permission="account")
def attestations_view(request):
    return _page(request, "Attester un voisin", entries=attestation.vouchable(request, request.user),
                 status=method_status(request.dbsession, request.user.id, "attestation"))


@view_config(route_name="kyc_attest", request_method="POST", permission="account")
def attest_view(request):
    membership = request.dbsession.get(Membership, int(request.matchdict["membership_id"]))
    if membership is None:
        raise HTTPNotFound()
    try:
        check = attestation.vouch(request, request.user, membership)
    except PermissionError:
        raise HTTPForbidden() from None
    except KycError as exc:
        request.session.flash(str(exc), queue="error")
    else:
        name = check.user.full_name
        request.session.flash(f"Merci : votre attestation pour {name} est enregistrée.", queue="success")
    return HTTPSeeOther(request.route_path("kyc_attestations"))


# --- Back office ----------------------------------------------------------------------

@view_config(route_name="kyc_review", renderer=T + "review_queue.pt", permission="account")
def review_queue_view(request):
    if "role:admin" not in request.principals and not documents.agent_communes(request):
        raise HTTPForbidden()
    return _page(request, "Justificatifs à vérifier", items=documents.review_queue(request),
                 is_admin="role:admin" in request.principals)


@view_config(route_name="kyc_review_proof", renderer=T + "review_proof.pt", permission="kyc.review",
             request_method="GET")
def review_proof_view(request, error=None):
    check = request.context.check
    document = check.document
    community = request.dbsession.get(Community, check.community_id) if check.community_id else None
    return _page(request, "Vérifier un justificatif", check=check, document=document, resident=check.user,
                 community=community, error=error, kept_reason=typed(request, "reason")["reason"][:1000] if error else "",
                 others={m.name: (m.label, STATUS_LABELS[m.status(request, check.user)])
                         for m in all_methods(request) if m.name != "document"})


@view_config(route_name="kyc_review_file", permission="kyc.review", request_method="GET")
def review_file_view(request):
    check = request.context.check
    try:
        data, content_type = documents.open_document(request, check)
    except KycError:
        return HTTPGone("Ce document a été détruit après la décision ou le délai de conservation.")
    response = Response(body=data, content_type=content_type)
    inline = content_type.startswith("image/") and request.params.get("telecharger") is None
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[content_type]
    response.content_disposition = f'{"inline" if inline else "attachment"}; filename="justificatif-{check.id}.{extension}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


CHOOSE = "Choisissez « Accepter » ou « Refuser »."


class DecisionSchema(Schema):
    """A decision on a proof and its motive, required for a refusal (``decide_document`` checks it)."""
    decision = colander.SchemaNode(StrippedString(), missing_msg=CHOOSE,
                                   validator=colander.OneOf(["accept", "refuse"], msg_err=CHOOSE))
    reason = text_node("Motif", max=1000, required=False, too_long="Le motif est trop long (1000 caractères au plus).")


@view_config(route_name="kyc_review_decide", renderer=T + "review_proof.pt", permission="kyc.review",
             request_method="POST")
def review_decide_view(request):
    check = request.context.check
    data, errors = read_fields(request, DecisionSchema())
    choice = data.get("decision")
    try:
        if errors:  # all of them at once
            raise KycError(" ".join(errors.values()))
        documents.decide_document(request, check, choice == "accept", data["reason"], request.user)
    except KycError as exc:
        request.response.status = 400
        return review_proof_view(request, error=str(exc))
    done = "accepté" if choice == "accept" else "refusé"
    request.session.flash(f"Le justificatif {elided('de', check.user.full_name)} est {done} ; le fichier est détruit.",
                          queue="success")
    return HTTPSeeOther(request.route_path("kyc_review"))


@view_config(route_name="kyc_audit", renderer=T + "audit.pt", permission="platform")
def audit_view(request):
    return _page(request, "Journal des justificatifs", openings=documents.openings(request.dbsession),
                 destroyed=documents.destructions(request.dbsession))


# --- A commune's rule -----------------------------------------------------------------

class CommuneRuleSchema(Schema):
    """The rule a mairie chooses (commune_rule.pt): ``mode``, and for « list » the ``methods`` ticked."""
    mode = colander.SchemaNode(StrippedString(), missing_msg="Choisissez une règle.", validator=colander.OneOf(
        ["default", "none", "any", "list"], msg_err="Choisissez une règle."))
    methods = colander.SchemaNode(colander.Sequence(), colander.SchemaNode(StrippedString(), missing=""), missing=[])


@view_config(route_name="kyc_commune_rule", renderer=T + "commune_rule.pt", permission="kyc.commune")
def commune_rule_view(request):
    commune = request.context.commune
    names = [n for n in labels(request)]
    error = None
    if request.method == "POST":
        data, errors = read_fields(request, CommuneRuleSchema())
        choice = data.get("mode")
        try:
            if errors:
                raise ValueError(next(iter(errors.values())))
            if choice == "default":
                rules.clear_commune_rule(request, commune)
            elif choice in ("none", "any"):
                rules.set_commune_rule(request, commune, choice, request.user)
            else:  # "list"
                chosen = [n for n in data["methods"] if n in names]
                if not chosen:
                    raise ValueError("Cochez au moins une preuve, ou choisissez une autre règle.")
                rules.set_commune_rule(request, commune, parse_required(chosen), request.user)
        except ValueError as exc:
            request.response.status = 400
            error = str(exc)
        else:
            request.session.flash("La règle de votre commune est enregistrée.", queue="success")
            return HTTPSeeOther(request.route_path("kyc_commune_rule", insee=commune.insee))
    rule = rules.commune_rule(request.dbsession, commune.id)
    current = parse_required(rule.required) if rule else None
    default = request.registry.settings["vvs.kyc.required"]
    return _page(request, f"Preuves d'adresse · {commune.name}", commune=commune, rule=rule, current=current,
                 labels=labels(request), default_text=rules.describe(default, labels(request)),
                 current_text=rules.describe(current, labels(request)) if rule else None, error=error,
                 all_names=[n for n in NAMES if n in names])
