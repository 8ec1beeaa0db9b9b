"""Pre- or post-moderation, per commune and per community.

The mode of an alert's community is its own choice if it made one, else its commune's,
else the server's default (``vvs.alerts.moderation``). In pre-moderation, the commune
may let an urgent alert (severity « Élevée ») from a trusted author go out at once:
``trusted_urgent`` = ``none``, ``referents`` (the community's référents) or ``verified``
(référents and residents whose proof of address or identity passed, as the
``vvs_verification_methods`` answers say). Chosen by the commune's mairie agents and
by moderators (``/alertes/moderation/commune/{insee}``)."""
from __future__ import annotations

import colander
import sqlalchemy as sa

from vvs_core.clock import utcnow
from vvs_core.communities.events import record_event
from vvs_core.models import Community, Membership
from vvs_core.web.forms import Schema, StrippedString, read_fields

from .models import ModerationPolicy

MODES = {"pre": "pré-modération : chaque alerte attend une validation",
         "post": "post-modération : les alertes partent aussitôt, la modération peut les retirer"}
TRUSTED = {"none": "aucune exception : toutes les alertes attendent",
           "referents": "les alertes urgentes des référents partent aussitôt",
           "verified": "les alertes urgentes des référents et des habitants vérifiés partent aussitôt"}
URGENT = "severe"


class PolicyRefused(Exception):
    """A value that is not one of the choices (French message); nothing changed."""


def _policy(dbsession, *, commune_id=None, community_id=None) -> ModerationPolicy | None:
    column = ModerationPolicy.commune_id if commune_id is not None else ModerationPolicy.community_id
    return dbsession.scalar(sa.select(ModerationPolicy).where(column == (commune_id or community_id)))


def commune_policy(dbsession, commune_id) -> ModerationPolicy | None:
    return _policy(dbsession, commune_id=commune_id)


def community_modes(dbsession, community_ids) -> dict[int, str]:
    rows = dbsession.scalars(sa.select(ModerationPolicy).where(
        ModerationPolicy.community_id.in_(list(community_ids) or [-1])))
    return {r.community_id: r.mode for r in rows if r.mode}


MODE_NAMES = {"pre": "pré-modération", "post": "post-modération"}
MODE_SOURCES = {"community": "choix de la communauté", "commune": "choix de la commune", "server": "réglage du serveur"}


def effective_modes(dbsession, settings, communities) -> dict[int, tuple[str, str]]:
    """The mode of each community and whose choice it is (a key of ``MODE_SOURCES``):
    its own, else its commune's, else the server's. One statement for all of them."""
    communities = list(communities)
    rows = dbsession.scalars(sa.select(ModerationPolicy).where(ModerationPolicy.mode.is_not(None), sa.or_(
        ModerationPolicy.community_id.in_([c.id for c in communities] or [-1]),
        ModerationPolicy.commune_id.in_({c.commune_id for c in communities} or {-1})))).all()
    own = {r.community_id: r.mode for r in rows if r.community_id is not None}
    by_commune = {r.commune_id: r.mode for r in rows if r.commune_id is not None}
    modes = {}
    for c in communities:
        if c.id in own:
            modes[c.id] = own[c.id], "community"
        elif c.commune_id in by_commune:
            modes[c.id] = by_commune[c.commune_id], "commune"
        else:
            modes[c.id] = settings["vvs.alerts.moderation"], "server"
    return modes


def mode_for(dbsession, settings, community) -> str:
    return effective_modes(dbsession, settings, [community])[community.id][0]


def is_trusted(request, author, community, rule: str) -> bool:
    if rule not in ("referents", "verified"):
        return False
    referent = request.dbsession.scalar(sa.select(Membership.id).where(
        Membership.user_id == author.id, Membership.community_id == community.id,
        Membership.status == "active", Membership.role == "referent"))
    if referent is not None:
        return True
    if rule != "verified":
        return False
    for answer in request.registry.vvs_plugins.hook.vvs_verification_methods(request=request, user=author):
        for method in answer or []:
            if method.status(author) == "passed":
                return True
    return False


def must_hold(request, author, community, severity) -> bool:
    """Whether a new alert of ``author`` in ``community`` waits for a validation."""
    db = request.dbsession
    if mode_for(db, request.registry.settings, community) != "pre":
        return False
    if severity == URGENT:
        commune = commune_policy(db, community.commune_id)
        rule = commune.trusted_urgent if commune is not None else "none"
        if is_trusted(request, author, community, rule):
            return False
    return True


def _choice(name: str, choices, message: str, missing: str = ""):
    return colander.SchemaNode(StrippedString(), name=name, missing=missing,
                               validator=colander.OneOf(list(choices), msg_err=message))


def policy_schema(communities) -> colander.Schema:
    """The commune's form (written in policy.pt): its mode (empty: the server's), its rule
    for urgent alerts, and each community's mode (empty: the commune's)."""
    schema = Schema()
    schema.add(_choice("mode", MODES, "Choisissez pré-modération, post-modération ou le réglage du serveur."))
    schema.add(_choice("trusted_urgent", TRUSTED, "Choisissez une règle pour les alertes urgentes parmi celles proposées.",
                       missing="none"))
    for community in communities:
        schema.add(_choice(f"community-{community.id}", MODES, f"Mode inconnu pour la communauté {community.name}."))
    return schema


def save_policy(request, commune, user, params) -> None:
    """Apply the commune's form (read with ``read_fields``): its mode, its rule, each
    community's mode; every wrong value is named in one ``PolicyRefused``."""
    db = request.dbsession
    communities = list(db.scalars(sa.select(Community).where(Community.commune_id == commune.id,
                                                              Community.archived_at.is_(None))))
    data, errors = read_fields(params, policy_schema(communities))
    if errors:
        raise PolicyRefused(" ".join(errors.values()))
    mode, rule = data["mode"], data["trusted_urgent"]
    chosen = {community.id: data[f"community-{community.id}"] or None for community in communities}
    now = utcnow()
    row = commune_policy(db, commune.id) or ModerationPolicy(commune_id=commune.id)
    row.mode, row.trusted_urgent, row.updated_at, row.updated_by_id = mode or None, rule, now, user.id
    db.add(row)
    for community_id, value in chosen.items():
        existing = _policy(db, community_id=community_id)
        if existing is None and value is None:
            continue
        existing = existing or ModerationPolicy(community_id=community_id, trusted_urgent="none")
        existing.mode, existing.updated_at, existing.updated_by_id = value, now, user.id
        db.add(existing)
    record_event(db, "alert_moderation_policy", actor=user, public=False,
                 data={"commune": commune.insee, "mode": mode or None, "trusted_urgent": rule,
                       "communities": {str(k): v for k, v in chosen.items() if v}})
    db.flush()
