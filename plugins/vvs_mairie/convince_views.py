"""« Convaincre ma mairie »: for residents whose commune is not subscribed."""
from __future__ import annotations

from urllib.parse import quote

from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from vvs_core.models import Community, Membership
from vvs_core.web.links import absolute_url

from . import agents as agent_service
from . import convince


def resident_commune(request, user):
    community = request.dbsession.scalar(
        select(Community).join(Membership, Membership.community_id == Community.id)
        .where(Membership.user_id == user.id, Membership.status == "active").order_by(Membership.id).limit(1))
    return community.commune if community is not None else None


NO_COMMUNE = ("Cette page aide les habitants membres d'une communauté à présenter le service à leur mairie. "
              "Votre compte n'est membre d'aucune communauté : rejoignez d'abord celle de votre domicile.")


def _page(request):
    from vvs_core.web.errorpages import render_error_page

    from .views import assets

    commune = resident_commune(request, request.user)
    if commune is None:  # an administrator, an agent: no commune of their own
        raise NoCommune(render_error_page(request, 404, title="Convaincre ma mairie", message=NO_COMMUNE))
    mairie = agent_service.mairie_of(request.dbsession, commune.id) if commune is not None else None
    return commune, mairie, assets(request)


class NoCommune(Exception):
    def __init__(self, response):
        self.response = response


@view_config(route_name="mairie_convince", permission="resident", renderer="vvs_mairie:templates/convince.pt")
def convince_view(request):
    try:
        commune, mairie, extra = _page(request)
    except NoCommune as no:
        return no.response
    settings = request.registry.settings
    subject, body = convince.email_template(commune.name, settings["vvs.site_name"], absolute_url(request, "home"))
    to = commune.contact_email  # the town hall's contact the platform team keeps (vvs_core.communes)
    from vvs_core.accounts.phones import display_phone

    return {"title": "Convaincre ma mairie", "commune": commune, "phone": display_phone, "subject": subject, "body": body,
            "subscribed": bool(mairie and mairie.subscribed), "points": convince.POINTS,
            "mailto": f"mailto:{quote(to)}?subject={quote(subject)}&body={quote(body)}", **extra}


@view_config(route_name="mairie_convince_pdf", permission="resident")
def convince_pdf_view(request):
    try:
        commune, mairie, _extra = _page(request)
    except NoCommune as no:
        return no.response
    pdf = convince.presentation_pdf(commune.name, request.registry.settings["vvs.site_name"], commune.contact_name)
    return Response(body=pdf, content_type="application/pdf",
                    content_disposition='inline; filename="mairie-vigilante.pdf"')
