"""The platform team's pages to create a community (``/admin/communautes/nouvelle``, linked
from a commune's page; the commune found first by a search, ``commune_search_page``) and to change a community's name, description and boundary
(``/admin/communautes/{id}/modifier``). The boundary is drawn on the référents' map editor;
the rules live in ``vvs_admin.communities``; these views read the forms and show the pages.
An archived community's edit page answers 403 like its other pages (``vvs_admin.archived``)."""
from __future__ import annotations

import json

import colander
import deform
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.renderers import render
from pyramid.view import view_config
from sqlalchemy.orm import defer

from vvs_admin.accounts import AdminActionRefused, ChangedMeanwhile
from vvs_admin.communes import mode_names
from vvs_admin.communities import (community_state, create_community, edit_community, first_referent,
                                   name_problem, new_community_standin, read_drawing, starting_boundary)
from vvs_core import geo
from vvs_core.accounts.security import community_factory
from vvs_core.communities.members import member_count
from vvs_core.communities.views import leaflet_assets, neighbours_outlines, outline
from vvs_core.accounts.registration import commune_search
from vvs_core.models import Commune, row_id
from vvs_core.web.forms import (Schema, choice_node, email_node, make_form, reason_node, state_node, text_node,
                                typed, validate)
from vvs_core.web.french import a

FORMID = "boundary-form"  # the form boundary-editor.js fills on submit


def includeme(config):
    config.add_route("admin_community_new", "/admin/communautes/nouvelle")
    config.add_route("admin_community_edit", "/admin/communautes/{community_id}/modifier", factory=community_factory)
    config.scan(".communities_views")


# --- Forms --------------------------------------------------------------------

def name_and_description(schema: Schema) -> None:
    schema.add(text_node("Nom de la communauté", name="name", min=3, max=120,
                         too_short="Donnez un nom à la communauté (3 caractères au moins), par exemple le nom du quartier.",
                         too_long="Le nom compte 120 caractères au plus ({length} saisis).",
                         widget=deform.widget.TextInputWidget(attributes={"maxlength": "120", "autocomplete": "off"})))
    schema.add(text_node("Description (facultative)", name="description", max=1000, required=False,
                         too_long="La description compte 1 000 caractères au plus ({length} saisis).",
                         widget=deform.widget.TextAreaWidget(rows=3, attributes={"maxlength": "1000"})))
    schema.add(text_node("Adresse repère (facultative)", name="address_label", max=255, required=False,
                         too_long="L'adresse repère compte 255 caractères au plus ({length} saisis).",
                         description="Montrée aux habitants sous le nom de la communauté, à l'inscription : par "
                                     "exemple « rue des Œillets, 77700 Serris ».",
                         widget=deform.widget.TextInputWidget(attributes={"maxlength": "255"})))


def new_community_form(request, commune: Commune, map_html: str) -> deform.Form:
    schema = Schema()
    schema.add(colander.SchemaNode(colander.String(), name="commune", missing="", widget=deform.widget.HiddenWidget()))
    name_and_description(schema)
    schema.add(choice_node("mode", "Qui valide les adhésions", list(mode_names(request).items())))
    schema.add(email_node("Premier référent (facultatif) : adresse e-mail de son compte", existing=True, name="referent",
                          missing=""))
    schema.add(reason_node())
    return make_form(request, schema, "Créer la communauté", formid=FORMID, before_buttons=map_html,
                     action=request.route_path("admin_community_new"))


def edit_community_form(request, community, map_html: str) -> deform.Form:
    schema = Schema()
    name_and_description(schema)
    schema.add(reason_node())
    schema.add(state_node())
    return make_form(request, schema, "Enregistrer", formid=FORMID, before_buttons=map_html,
                     action=request.route_path("admin_community_edit", community_id=community.id))


def map_html(request, start, drawing=None, name: str = "", community=None, around=None) -> str:
    """The map editor put in the form before its button: ``start`` (the boundary « Recommencer »
    goes back to), the drawing sent back with its errors (as read: what was sent is never
    echoed), the neighbours in grey (``around``, else those of ``community``)."""
    settings = request.registry.settings
    shown = (drawing.outline if drawing is not None else None) or outline(start)
    neighbours = ([{"name": c.name, "outline": outline(c.boundary)} for c in around] if around is not None
                  else neighbours_outlines(request.dbsession, community))
    return render("vvs_admin:templates/admin_boundary_map.pt", {
        "map": {"boundary": json.dumps(outline(start)),
                "proposed": json.dumps(drawing.outline) if drawing is not None and drawing.outline else "",
                "neighbours": json.dumps(neighbours)},
        "errors": drawing.errors if drawing is not None else [], "drawn": json.dumps(shown), "name": name,
        "area_ha": geo.area_m2(start) / 10000, "members": community is not None,
        "min_ha": float(settings["vvs.community.min_area_m2"]) / 10000,
        "max_ha": float(settings["vvs.community.max_area_m2"]) / 10000}, request=request)


def page(request, title: str, form_html: str, error: str | None = None, **extra) -> dict:
    assets = leaflet_assets(request, "boundary-editor.js") if form_html else {}
    return {"title": title, "form": form_html, "error": error, "back": None, "community": None, "search": None,
            "chosen": None, **assets, **extra}


# --- Creating ---------------------------------------------------------------

def commune_search_page(request, error: str | None = None) -> dict:
    """The first step, a search (GET ``?q=``, ``vvs_core.accounts.registration.commune_search``): the
    matching communes offered as links to the form (``?commune=<id>``). One statement."""
    search = commune_search(request, "admin_community_new")
    if not search["found"] and not search["query"]:
        return page(request, "Nouvelle communauté", "", error="Ajoutez d'abord une commune : une communauté est "
                                                               "toujours dans une commune.")
    return page(request, "Nouvelle communauté", "", error=error, back=request.route_path("admin_communes"),
                back_label="Communes", extra_js=[request.layout.static("js/commune-search.js")],
                extra_css=[request.layout.static("css/resident.css")], search=search)


@view_config(route_name="admin_community_new", request_method=("GET", "POST"),
             renderer="vvs_admin:templates/admin_community_form.pt", permission="platform")
def admin_community_new_view(request):
    """GET ``?q=``: the search for the commune (``commune_search_page``). GET ``?commune=<id>``: the
    form, its map near that commune's town hall. POST: every field and the boundary checked in
    one pass; the community created, or the form again with each problem beside its field
    (nothing created)."""
    db = request.dbsession
    posting = request.method == "POST"
    asked = request.POST.get("commune") if posting else request.GET.get("commune")
    wanted = row_id(asked)
    commune = db.get(Commune, wanted, options=[defer(Commune.boundary)]) if wanted is not None else None
    if commune is None:
        if posting:
            request.response.status = 400
            return commune_search_page(request, "Choisissez la commune dans la recherche : celle qui a été envoyée n'existe "
                                           "pas (ou plus). Rien n'a été créé.")
        return commune_search_page(request, "Cette commune n'existe pas (ou plus) : cherchez-la ci-dessous."
                              if asked is not None else None)
    start, around = starting_boundary(request, commune)
    drawing = None
    if posting:
        drawing = read_drawing(request, typed(request, "boundary")["boundary"], new_community_standin(), commune)
    form = new_community_form(request, commune, map_html(request, start, drawing, around=around))
    back = {"back": request.route_path("admin_commune", insee=commune.insee), "back_label": commune.name,
            "chosen": commune}
    title = f"Nouvelle communauté {a(commune.name)}"
    if not posting:
        return page(request, title, form.render({"commune": str(commune.id), "mode": "referent"}), **back)
    found = {}

    def check(data):
        problems = {"name": "name" in data and name_problem(db, commune, data["name"])}
        if data.get("referent") and drawing.polygon is not None:
            try:
                found["referent"] = first_referent(db, data["referent"], drawing.polygon)
            except AdminActionRefused as exc:
                problems["referent"] = str(exc)
        return problems
    data, rendered = validate(request, form, check=check)
    if data is None or drawing.errors:
        request.response.status = 400
        return page(request, title, rendered or form.render(data), **back)
    referent = found.get("referent")
    try:
        community = create_community(request, commune, data, drawing.polygon, referent)
    except AdminActionRefused as exc:
        request.response.status = 409 if isinstance(exc, ChangedMeanwhile) else 400
        return page(request, title, form.render(data), error=str(exc), **back)
    request.flash(f"La communauté « {community.name} » est créée" + (
        f", avec {referent.full_name} pour référent." if referent else " : les habitants dont le domicile est dans sa "
        "délimitation peuvent la rejoindre ; nommez ensuite l'un d'eux référent."),
        "success")
    return HTTPSeeOther(request.route_path("admin_commune", insee=commune.insee, _anchor=f"communaute-{community.id}"))


# --- Editing ------------------------------------------------------------------

@view_config(route_name="admin_community_edit", request_method=("GET", "POST"),
             renderer="vvs_admin:templates/admin_community_form.pt", permission="platform")
def admin_community_edit_view(request):
    community = request.context.community
    commune = community.commune
    db = request.dbsession
    drawing = None
    if request.method == "POST":
        drawing = read_drawing(request, typed(request, "boundary")["boundary"], community, commune,
                               current=community.boundary)
    form = edit_community_form(request, community,
                               map_html(request, community.boundary, drawing, community.name, community))
    extra = {"back": request.route_path("admin_commune", insee=commune.insee, _anchor=f"communaute-{community.id}"),
             "back_label": commune.name, "community": community, "members": member_count(db, community.id)}
    title = f"Modifier « {community.name} »"
    if request.method != "POST":
        values = {"name": community.name, "description": community.description or "",
                  "address_label": community.address_label or "", "etat": community_state(community)}
        return page(request, title, form.render(values), **extra)
    data, rendered = validate(request, form, check=lambda data: {
        "name": "name" in data and name_problem(db, commune, data["name"], renaming=community)})
    if data is None or drawing.errors:
        request.response.status = 400
        return page(request, title, rendered or form.render(data), **extra)
    try:
        changed = edit_community(request, community, data, drawing.polygon)
    except AdminActionRefused as exc:
        request.response.status = 409 if isinstance(exc, ChangedMeanwhile) else 400
        if isinstance(exc, ChangedMeanwhile):  # the form shows the community as it is now
            fresh = edit_community_form(request, community, map_html(request, community.boundary, name=community.name,
                                                                     community=community))
            return page(request, title, fresh.render({"name": community.name, "description": community.description,
                                                      "address_label": community.address_label or "",
                                                      "etat": community_state(community), "reason": data["reason"]}),
                        error=str(exc), **extra)
        return page(request, title, form.render(data), error=str(exc), **extra)
    request.flash(f"« {community.name} » est enregistrée ({', '.join(c.split(' :')[0] for c in changed)}).", "success")
    return HTTPSeeOther(extra["back"])
