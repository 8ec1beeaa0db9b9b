"""Which proofs a resident needs before their membership may be accepted:
``vvs.kyc.required`` for the deployment, overridden per commune by the mairie
(``KycCommuneRule``)."""
from __future__ import annotations

from sqlalchemy import select

from vvs_core.clock import utcnow
from vvs_core.models import Community, User

from .kyc_settings import parse_required
from .models import KycCommuneRule


def commune_rule(dbsession, commune_id: int) -> KycCommuneRule | None:
    return dbsession.scalar(select(KycCommuneRule).where(KycCommuneRule.commune_id == commune_id))


def required_for(request, community) -> str | list[str]:
    # Read once per request and commune: a queue of requests asks it for each of them.
    memo = request.__dict__.setdefault("_vvs_kyc_rules", {})
    if community.commune_id not in memo:
        memo[community.commune_id] = commune_rule(request.dbsession, community.commune_id)
    rule = memo[community.commune_id]
    if rule is not None:
        return parse_required(rule.required)
    return request.registry.settings["vvs.kyc.required"]


def set_commune_rule(request, commune, required: str | list[str], agent) -> KycCommuneRule:
    request.__dict__.get("_vvs_kyc_rules", {}).pop(commune.id, None)
    rule = commune_rule(request.dbsession, commune.id)
    if rule is None:
        rule = KycCommuneRule(commune_id=commune.id)
        request.dbsession.add(rule)
    rule.required = required if isinstance(required, str) else " ".join(required)
    rule.updated_by_id = agent.id
    rule.updated_at = utcnow()
    request.dbsession.flush()
    return rule


def clear_commune_rule(request, commune) -> None:
    request.__dict__.get("_vvs_kyc_rules", {}).pop(commune.id, None)
    rule = commune_rule(request.dbsession, commune.id)
    if rule is not None:
        request.dbsession.delete(rule)
        request.dbsession.flush()


def describe(required, labels: dict[str, str]) -> str:
    if required == "none":
        return "aucune preuve exigée (la personne qui valide décide seule)"
    if required == "any":
        return "une preuve au choix du résident"
    return "toutes ces preuves : " + ", ".join(labels.get(n, n) for n in required)


def blockers(request, membership) -> list[str]:
    """French sentences naming the proofs ``membership``'s resident still lacks."""
    from .methods import ANY_MISSING, any_missing_to_resident, available_methods, has_commune_agents, missing_sentence

    community = request.dbsession.get(Community, membership.community_id)  # loaded with the queue: no statement
    required = required_for(request, community)
    if required == "none":
        return []
    from .checks import queue_statuses

    user = request.dbsession.get(User, membership.user_id)
    queue = queue_statuses(request, membership.community_id) if membership.status == "pending" else {}
    known = queue.get(user.id)  # None: not waiting there (asked outside a queue), read one by one
    statuses = {m.name: m.status(request, user) if known is None or m.name == "partner" else known.get(m.name, "none")
                for m in available_methods(request, user)}
    if required == "any":
        own = request.user is not None and request.user.id == user.id
        told = any_missing_to_resident(has_commune_agents(request.registry)) if own else ANY_MISSING
        return [] if "passed" in statuses.values() else [told]
    return [missing_sentence(name) for name in required if statuses.get(name) != "passed"]
