"""The page where a commune chooses pre- or post-moderation, per community, and its rule
for urgent alerts of trusted authors."""
from __future__ import annotations

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy.exc import IntegrityError

from vvs_core.models import Community
from vvs_core.web.textsearch import folded

from .policy import MODES, TRUSTED, PolicyRefused, commune_policy, community_modes, save_policy


@view_config(route_name="alerts_moderation_policy", renderer="vvs_alerts:templates/policy.pt",
             permission="alerts.policy")
def policy_view(request):
    commune = request.context.commune
    db = request.dbsession
    error = None
    if request.method == "POST":
        try:
            with db.begin_nested():
                save_policy(request, commune, request.user, request.POST)
        except PolicyRefused as refused:
            error = str(refused)
        except IntegrityError:
            error = ("Quelqu'un vient d'enregistrer ces réglages en même temps que vous. "
                     "Rien n'a été changé de votre côté : relisez-les ci-dessous.")
        else:
            request.flash("Réglages de modération enregistrés.", "success")
            return HTTPSeeOther(request.route_path("alerts_moderation_policy", insee=commune.insee))
        request.response.status = 400
    communities = list(db.scalars(sa.select(Community).where(Community.commune_id == commune.id, Community.archived_at.is_(None))
                                  .order_by(folded(Community.name))))
    policy = commune_policy(db, commune.id)
    return {"title": f"Modération des alertes : {commune.name}", "commune": commune, "error": error,
            "modes": MODES, "trusted": TRUSTED, "policy": policy, "communities": communities,
            "community_modes": community_modes(db, [c.id for c in communities]),
            "server_mode": request.registry.settings["vvs.alerts.moderation"]}
