"""Contexts of the routes with an object: a proof under review, a commune's rule."""
from __future__ import annotations

from pyramid.authorization import ALL_PERMISSIONS, Allow
from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import select

from vvs_core.models import Commune, row_id

from .models import KycCheck


class ProofContext:
    """A proof of address: only its reviewers (``kyc.review``) may open or decide it."""

    def __init__(self, request, check):
        self.request = request
        self.check = check

    @property
    def __acl__(self):
        from .documents import reviewer_role

        acl = [(Allow, "role:admin", ALL_PERMISSIONS)]
        if reviewer_role(self.request, self.check) == "mairie":
            acl.append((Allow, f"user:{self.request.user.id}", "kyc.review"))
        return acl


def proof_factory(request):
    found = row_id(request.matchdict.get("check_id"))
    check = request.dbsession.get(KycCheck, found) if found else None
    if check is None or check.method != "document":
        raise HTTPNotFound()
    return ProofContext(request, check)


class CommuneRuleContext:
    """A commune's proof rule: its mairie agents and the platform team (``kyc.commune``)."""

    def __init__(self, request, commune):
        self.request = request
        self.commune = commune

    @property
    def __acl__(self):
        return [(Allow, "role:admin", ALL_PERMISSIONS),
                (Allow, f"commune:{self.commune.insee}:agent", "kyc.commune")]


def commune_rule_factory(request):
    insee = request.matchdict.get("insee", "")
    if len(insee) != 5 or not insee.isalnum():
        raise HTTPNotFound()
    commune = request.dbsession.scalar(select(Commune).where(Commune.insee == insee))
    if commune is None:
        raise HTTPNotFound()
    return CommuneRuleContext(request, commune)
