"""The mairie names and removes the référents of its commune's communities (the seeds:
the police municipale selects them). The rule and the journal are the core's
(``vvs_core.communities.membership.set_referent``); these pages read the request and pick a template."""
from __future__ import annotations

from types import SimpleNamespace as Person

import colander
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select
from vvs_core.web.french import de
from vvs_core.communities.members import member_counts, referent_counts
from vvs_core.communities.membership import REFERENT_REASON_MAX, MembershipError, set_referent
from vvs_core.models import Community, Membership, User, row_id
from vvs_core.web.forms import Schema, StrippedString, read, text_node, typed
from vvs_core.web.pagination import paginate
from vvs_core.web.textsearch import sql_matches

from . import dashboard

T = "vvs_mairie:templates/"
ACTIONS = {"nommer": True, "retirer": False}
CHOOSE = "Choisissez « Nommer » ou « Retirer »."
MEMBERS_PAGE = 50  # members offered per page (a commune-wide community holds 100,000)


class ReferentChangeSchema(Schema):
    action = colander.SchemaNode(StrippedString(), missing_msg=CHOOSE,
                                 validator=colander.OneOf(list(ACTIONS), msg_err=CHOOSE))
    user_id = colander.SchemaNode(StrippedString(), missing="")  # checked by set_referent
    reason = text_node("Motif", max=REFERENT_REASON_MAX, required=False,
                       too_long="Le motif est trop long ({max} caractères au plus).")


def _assets(request):
    return {"extra_css": [request.static_path("vvs_mairie:static/mairie.css")]}


@view_config(route_name="mairie_referents", permission="mairie", renderer=T + "referents.pt")
def referents_view(context, request):
    commune = context.commune
    communities = dashboard.communities_of(request.dbsession, commune.id)
    ids = [c.id for c in communities]
    return {"title": f"Référents des communautés {de(commune.name)}", "commune": commune,
            "communities": communities, "referents": referent_counts(request.dbsession, ids),
            "members": member_counts(request.dbsession, ids), **_assets(request)}


def _community(request, commune) -> Community:
    found = row_id(request.matchdict.get("community_id"))
    community = request.dbsession.get(Community, found) if found else None
    if community is None or community.commune_id != commune.id or community.archived_at is not None:
        raise HTTPNotFound()
    return community


def community_people(request, community: Community, query: str = "", size: int = 50):
    """(référents, ``web.pagination`` page of the other active members, searched by name) of
    ``community``, by name, each as ``id`` and ``full_name``: a commune-wide one holds 100,000."""
    people = (select(User.id, User.first_name, User.last_name, User.pseudonym).join(Membership, Membership.user_id == User.id)
              .where(Membership.community_id == community.id, Membership.status == "active", User.status != "closed")
              .order_by(User.last_name_key, User.first_name_key, User.id))
    person = lambda r: Person(id=r[0], full_name=f"{r[1] or ''} {r[2] or ''}".strip() or r[3] or "membre")  # noqa: E731
    referents = [person(r) for r in request.dbsession.execute(people.where(Membership.role == "referent"))]
    found = sql_matches((query or "").strip()[:80], User.first_name, User.last_name, User.pseudonym, User.first_name + " " + User.last_name)
    others = people.where(Membership.role != "referent")
    return referents, paginate(request, others if found is None else others.where(found), size, row=person)


def _page(request, commune, community, error=None, values=None) -> dict:
    query = str(request.GET.get("q", "")).strip()[:80]
    referents, members = community_people(request, community, query, MEMBERS_PAGE)
    return {"title": f"Référents : {community.name}", "commune": commune, "community": community,
            "referents": referents, "members": members, "query": query, "error": error, "values": values or {},
            **_assets(request)}


@view_config(route_name="mairie_community_referents", permission="mairie", renderer=T + "community_referents.pt")
def community_referents_view(context, request):
    commune = context.commune
    community = _community(request, commune)
    if request.method != "POST":
        return _page(request, commune, community)
    data, error = read(request, ReferentChangeSchema())
    if error is None:
        try:
            user = set_referent(request, community, data["user_id"], ACTIONS[data["action"]], request.user,
                                data["reason"], by="mairie")
        except MembershipError as exc:
            error = str(exc)
    if error is not None:
        request.response.status = 400
        return _page(request, commune, community, error, typed(request, "action", "user_id", "reason"))
    done = "est désormais référent" if ACTIONS[data["action"]] else "n'est plus référent"
    request.flash(f"{user.full_name} {done} {de(community.name)} ; un e-mail l'en informe.", "success")
    return HTTPSeeOther(request.route_path("mairie_community_referents", insee=commune.insee,
                                           community_id=community.id))
