"""Validation of new members: the pending resident's "Activation du compte" page and
the queues of the référents, of a plugin's mode (same community route) and of the platform team."""

from datetime import timedelta

import colander
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config

from vvs_core.clock import aware, utcnow
from vvs_core.communities.membership import (
    MembershipBlocked, MembershipError, blockers, current_membership, decide, member_count, pending_queue, verification_methods,
)
from vvs_core.models import Community, Membership, row_id
from vvs_core.web.pagination import paginate_list
from vvs_core.accounts.security import CommunityContext, community_factory
from vvs_core.communities.modes import effective_validation_mode, mode_of
from vvs_core.web.french import elided
from vvs_core.web.forms import Schema, StrippedString, read_fields, text_node, typed

# The seeds: "Si votre demande d'adhésion n'est pas traitée dans un délai de 15 jours,
# il est possible de faire une demande à notre service support."
CONTACT_AFTER_DAYS = 15
CHOOSE = "Choisissez « Accepter » ou « Refuser »."


class DecisionSchema(Schema):  # a refusal's need of a reason is decide()'s
    decision = colander.SchemaNode(StrippedString(), missing_msg=CHOOSE,
                                   validator=colander.OneOf(["accept", "refuse"], msg_err=CHOOSE))
    reason = text_node("Motif", max=1000, required=False, too_long="Le motif est trop long (1000 caractères au plus).")


def includeme(config):
    config.add_route("activation", "/activation")
    config.add_route("community_requests", "/communaute/{community_id}/demandes", factory=community_factory)
    config.add_route("community_request_decide", "/communaute/{community_id}/demandes/{membership_id}",
                     factory=community_factory)
    config.add_route("admin_requests", "/admin/demandes")
    config.add_route("admin_request_decide", "/admin/demandes/{membership_id}")
    config.scan(".validation_views")
    config.include("vvs_core.communities.membership_tasks")


def _css(request) -> list[str]:
    return [request.layout.static("css/signup.css")]


# --- The pending resident ------------------------------------------------------

@view_config(route_name="activation", renderer="vvs_core:communities/templates/validation_activation.pt", permission="account")
def activation_view(request):
    user = request.user
    dbsession = request.dbsession
    membership = current_membership(dbsession, user)
    values = {"title": "Activation du compte", "extra_css": _css(request), "membership": membership,
              "methods": [], "contact": False, "platform_email": request.registry.settings["vvs.platform_email"]}
    if membership is None:
        return values
    community = dbsession.get(Community, membership.community_id)
    mode = mode_of(request.registry, effective_validation_mode(request, community))
    waited = utcnow() - aware(membership.requested_at)
    values.update(
        community=community, members=member_count(dbsession, community.id), mode=mode.key, explanation=mode.explanation,
        methods=[{"method": m, "status": m.status(user)} for m in verification_methods(request, user)],
        contact=membership.status == "pending" and waited >= timedelta(days=CONTACT_AFTER_DAYS), waited_days=waited.days,
        blockers=blockers(request, membership) if membership.status == "pending" else [],
        can_draw_boundary=membership.status == "pending"
        and request.has_permission("community.boundary", CommunityContext(request, community)),
    )
    return values


# --- Queues --------------------------------------------------------------------

QUEUE_PAGE = 25


def _queue_page(request, entries, action, title, community=None, errors=None) -> dict:
    page = paginate_list(request, entries, QUEUE_PAGE)
    return {"title": title, "extra_css": _css(request), "entries": page.items, "pagination": page, "action": action,
            "community": community, "mode_of": lambda key: mode_of(request.registry, key),
            "errors": {k: v for k, v in (errors or {}).items() if not isinstance(v, MembershipBlocked)},
            "blocked": {k: v for k, v in (errors or {}).items() if isinstance(v, MembershipBlocked)},
            "kept_reason": typed(request, "reason")["reason"][:1000] if errors else ""}  # given back beside the error


def _community_action(request, community):
    return lambda membership: request.route_path(
        "community_request_decide", community_id=community.id, membership_id=membership.id)


@view_config(route_name="community_requests", request_method="GET",
             renderer="vvs_core:communities/templates/validation_queue.pt", permission="membership.decide")
def community_queue_view(request, errors=None):
    community = request.context.community
    entries = pending_queue(request, effective_validation_mode(request, community), community)
    return _queue_page(request, entries, _community_action(request, community),
                       f"Demandes d'adhésion · {community.name}", community, errors)


@view_config(route_name="admin_requests", request_method="GET",
             renderer="vvs_core:communities/templates/validation_queue.pt", permission="platform")
def platform_queue_view(request, errors=None):
    return _queue_page(request, pending_queue(request, "platform"),
                       lambda membership: request.route_path("admin_request_decide", membership_id=membership.id),
                       "Demandes d'adhésion · équipe de la plateforme", errors=errors)


def _membership(request, community=None) -> Membership:
    found = row_id(request.matchdict.get("membership_id"))
    membership = request.dbsession.get(Membership, found) if found else None
    if membership is None or (community is not None and membership.community_id != community.id):
        raise HTTPNotFound()
    return membership


def _decide(request, membership, back: str, queue_view):
    """Apply the posted decision and go ``back`` to the queue, or show the queue with the
    French errors (all of the form's at once) beside that request."""
    data, errors = read_fields(request, DecisionSchema())
    try:
        if errors:
            raise MembershipError(" ".join(errors.values()))
        decide(request, membership, data["decision"] == "accept", data["reason"], request.user)
    except MembershipError as exc:  # blocked by the resident's proofs: shown above the decision
        request.response.status = 400
        return queue_view(request, {membership.id: exc if isinstance(exc, MembershipBlocked) else str(exc)})
    who = request.dbsession.get(type(request.user), membership.user_id).full_name
    done = "acceptée" if data["decision"] == "accept" else "refusée"
    request.session.flash(f"La demande {elided('de', who)} est {done} ; un e-mail l'en informe.", queue="success")
    return HTTPSeeOther(back)


@view_config(route_name="community_request_decide", request_method="POST",
             renderer="vvs_core:communities/templates/validation_queue.pt", permission="membership.decide")
def community_decide_view(request):
    community = request.context.community
    return _decide(request, _membership(request, community),
                   request.route_path("community_requests", community_id=community.id), community_queue_view)


@view_config(route_name="admin_request_decide", request_method="POST",
             renderer="vvs_core:communities/templates/validation_queue.pt", permission="platform")
def platform_decide_view(request):
    return _decide(request, _membership(request), request.route_path("admin_requests"), platform_queue_view)
