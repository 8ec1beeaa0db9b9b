"""The platform team's communes pages: /admin/communes (list, create) and a commune's
page (settings; its communities' validation mode and référents). The rules live in
``vvs_admin.communes``; these views read forms and show pages."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from vvs_admin.accounts import AdminActionRefused, ChangedMeanwhile
from vvs_admin.communes import (
    INSEE, CommunityPeople, communities_people_summary, member_by_email, change_validation_mode, mode_name, mode_names, communes_overview, create_commune, edit_commune, archive_community, archive_preview, commune_name_problem, commune_ties, withdraw_commune, merge_choices, merge_communities, merge_preview, parse_coordinate, parse_postcodes, set_referent,
)
from vvs_core.web.french import de
from vvs_core.web.forms import (Schema, StrippedString, act, choice_node, email_node, make_form, reason_node, refusing,
                                 typed, validate)
from vvs_core.models import Commune, Community
from vvs_core.web.pagination import paginate
from vvs_core.accounts.phones import display_phone, normalise_phone
from vvs_core.accounts.security import commune_from_matchdict, community_factory
from vvs_core.communities.modes import mode_of
from vvs_core.web.textsearch import folded
from vvs_core.web.timefmt import DEFAULT_ZONE


def includeme(config):
    config.add_route("admin_communes", "/admin/communes")
    config.add_route("admin_commune", "/admin/communes/{insee}")
    config.add_route("admin_commune_withdraw", "/admin/communes/{insee}/retrait")
    config.add_route("admin_community_mode", "/admin/communautes/{community_id}/validation", factory=community_factory)
    config.add_route("admin_community_referents", "/admin/communautes/{community_id}/referents",
                     factory=community_factory)
    config.add_route("admin_community_merge", "/admin/communautes/{community_id}/fusion", factory=community_factory)
    config.add_route("admin_community_archive", "/admin/communautes/{community_id}/archivage",
                     factory=community_factory)
    config.scan(".communes_views")


COMMUNES_PAGE = 50  # communes per page of the platform's list (700 at national size)
FRENCH_ZONES = {  # where French communes live, for a commune's own zone (issue 13.1)
    DEFAULT_ZONE: "France métropolitaine et Corse (UTC+1, UTC+2 en été)", "America/Cayenne": "Guyane (UTC−3)",
    "America/Guadeloupe": "Guadeloupe (UTC−4)", "America/Martinique": "Martinique (UTC−4)",
    "Indian/Mayotte": "Mayotte (UTC+3)", "Indian/Reunion": "La Réunion (UTC+4)",
    "America/Miquelon": "Saint-Pierre-et-Miquelon (UTC−3, UTC−2 en été)",
    "America/St_Barthelemy": "Saint-Barthélemy (UTC−4)", "America/Marigot": "Saint-Martin (UTC−4)",
    "Pacific/Wallis": "Wallis-et-Futuna (UTC+12)", "Pacific/Tahiti": "Polynésie française, Tahiti (UTC−10)",
    "Pacific/Noumea": "Nouvelle-Calédonie (UTC+11)"}


def _css(request) -> list[str]:
    return [request.layout.static("css/resident.css")]


# --- Forms --------------------------------------------------------------------

def text_node(name, title, max_length, required=True, validator=None, **kw):
    def check(node, value):
        if len(value) > max_length:  # refused, never cut silently
            raise colander.Invalid(node, f"{max_length} caractères au plus ({len(value)} saisis).")
        if validator is not None:
            validator(node, value)

    return colander.SchemaNode(
        StrippedString(), name=name, title=title, validator=check,
        missing=colander.required if required else "",
        missing_msg=f"Indiquez : {title.lower()}.", **kw)


def coordinate_node(name, title, low, high, example):
    def check(node, value):
        if parse_coordinate(value, low, high) is None:
            raise colander.Invalid(node, f"Un nombre décimal entre {low} et {high}, par exemple {example}.")

    return colander.SchemaNode(StrippedString(), name=name, title=title, validator=check,
                               missing_msg=f"Indiquez : {title.lower()}.")


def time_zone_node(request):
    """The commune's time zone; empty: the server's (``vvs.timezone``), followed if it changes."""
    choices = [("", f"Celui du serveur ({zone_label(request)})"), *FRENCH_ZONES.items()]

    def one_of(node, value):
        if value not in dict(choices):
            raise colander.Invalid(node, "Choisissez un fuseau horaire de la liste.")

    return colander.SchemaNode(colander.String(), name="time_zone", title="Fuseau horaire", missing="",
                               validator=one_of, widget=deform.widget.SelectWidget(values=choices))


def commune_schema(creating: bool, request=None) -> Schema:
    schema = Schema()
    if creating:
        def insee_check(node, value):
            if not INSEE.match(value):
                raise colander.Invalid(node, "Le code INSEE compte cinq caractères : cinq chiffres, ou 2A / 2B "
                                             "suivis de trois chiffres en Corse.")

        schema.add(colander.SchemaNode(
            StrippedString(), name="insee", title="Code INSEE", validator=insee_check,
            missing_msg="Indiquez le code INSEE de la commune.",
            widget=deform.widget.TextInputWidget(attributes={"autocomplete": "off"})))
    schema.add(text_node("name", "Nom de la commune", 120, validator=refusing(
        lambda _node, value: (None, commune_name_problem(value)))))
    schema.add(colander.SchemaNode(StrippedString(), name="postcodes", title="Codes postaux (séparés par des espaces)",
                                   validator=refusing(lambda _node, value: parse_postcodes(value)),
                                   missing_msg="Indiquez au moins un code postal."))
    if creating:
        schema.add(coordinate_node("lat", "Latitude de la mairie", -90, 90, "48,8453"))
        schema.add(coordinate_node("lon", "Longitude de la mairie", -180, 180, "2,7861"))
    schema.add(time_zone_node(request))
    schema.add(text_node("contact_name", "Contact à la mairie (nom et fonction)", 120, required=False))
    schema.add(email_node("Adresse e-mail du contact", name="contact_email", missing=""))
    schema.add(colander.SchemaNode(StrippedString(), name="contact_phone", title="Téléphone du contact",
                                   validator=refusing(lambda _node, value: normalise_phone(value)), missing=""))
    schema.add(reason_node())
    return schema


def commune_values(data: dict) -> dict:
    values = {"name": data["name"], "postcodes": parse_postcodes(data["postcodes"])[0],
              "contact_name": data["contact_name"], "contact_email": data["contact_email"] or "",
              "contact_phone": normalise_phone(data["contact_phone"])[0] or "", "time_zone": data["time_zone"] or None}
    if "lat" in data:
        values.update(insee=data["insee"], lat=parse_coordinate(data["lat"], -90, 90),
                      lon=parse_coordinate(data["lon"], -180, 180))
    return values


NAME_BY_EMAIL = "nommer"


def _email_when_naming_by_email(form, value):
    if value.get("change") == NAME_BY_EMAIL and not value.get("email"):
        exc = colander.Invalid(form, "")
        exc["email"] = "Indiquez l'adresse e-mail du membre à nommer."
        raise exc


def community_forms(request, community: Community, people: CommunityPeople | None = None) -> dict:
    """The mode and référents forms of ``community``. The référents form lists the members
    of a small community; in any community a member is also named by e-mail (a
    commune-wide community's 100,000 members are neither loaded nor listed)."""
    if people is None:
        people = communities_people_summary(request.dbsession, [community.id])[community.id]
    referents, members = people.referents, people.listed
    mode = Schema()
    mode.add(choice_node("mode", "Qui valide les adhésions", list(mode_names(request).items())))
    mode.add(reason_node())
    mode.add(colander.SchemaNode(colander.String(), name="seen", missing="", widget=deform.widget.HiddenWidget()))
    forms = {"mode": make_form(request, mode, "Changer le mode", formid=f"mode-{community.id}",
                               action=request.route_path("admin_community_mode", community_id=community.id))}
    naming = Schema(validator=_email_when_naming_by_email)
    choices = [(NAME_BY_EMAIL, "Nommer référent le membre dont l'adresse e-mail suit")]
    choices += [(f"nommer:{u.id}", f"Nommer référent : {u.full_name}") for u in members]
    choices += [(f"retirer:{u.id}", f"Retirer le rôle de référent : {u.full_name}") for u in referents]
    naming.add(choice_node("change", "Référents", choices))
    naming.add(email_node("Adresse e-mail du membre à nommer", existing=True, name="email", missing=""))
    naming.add(reason_node())
    forms["referents"] = make_form(request, naming, "Appliquer", formid=f"referents-{community.id}",
                                   action=request.route_path("admin_community_referents", community_id=community.id))
    return {"forms": forms, "referents": referents, "members": people.count}


# --- Pages --------------------------------------------------------------------

def communes_page(request, form_html: str | None = None, error: str | None = None) -> dict:
    form = make_form(request, commune_schema(True, request), "Créer la commune", formid="commune",
                     action=request.route_path("admin_communes"))
    communes = paginate(request, communes_overview(), COMMUNES_PAGE, row=lambda r: {"commune": r[0], "communities": r[1]})
    return {"title": "Communes", "extra_css": _css(request), "communes": communes,
            "form": form_html or form.render(), "error": error, "zone": zone_label(request)}


@view_config(route_name="admin_communes", request_method="GET", renderer="vvs_admin:templates/admin_communes.pt",
             permission="platform")
def admin_communes_view(request):
    return communes_page(request)


@view_config(route_name="admin_communes", request_method="POST", renderer="vvs_admin:templates/admin_communes.pt",
             permission="platform")
def admin_commune_create_view(request):
    form = make_form(request, commune_schema(True, request), "Créer la commune", formid="commune",
                     action=request.route_path("admin_communes"))

    def apply(data):
        commune = create_commune(request, commune_values(data), data["reason"])
        return f"La commune {commune.name} est créée.", request.route_path("admin_commune", insee=commune.insee)
    return act(request, form, apply, lambda rendered=None, error=None: communes_page(
        request, rendered or form.render(dict(request.POST)), error=error))


def commune_page(request, commune: Commune, rendered: dict | None = None, error: str | None = None) -> dict:
    form = make_form(request, commune_schema(False, request), "Enregistrer", formid="commune",
                     action=request.route_path("admin_commune", insee=commune.insee))
    communities = []
    every = list(request.dbsession.scalars(select(Community).where(Community.commune_id == commune.id)
                                           .order_by(folded(Community.name))))
    rows = [c for c in every if c.archived_at is None]
    people = communities_people_summary(request.dbsession, [c.id for c in rows])
    for community in rows:
        parts = community_forms(request, community, people[community.id])
        html = {"mode": parts["forms"]["mode"].render({"mode": mode_of(request.registry, community.validation_mode).key,
                                                       "seen": community.validation_mode}),
                "referents": parts["forms"]["referents"].render()}
        corrected = (rendered or {}).get(community.id, {})
        html.update(corrected)
        communities.append({"community": community, "mode": mode_name(request, community.validation_mode),
                            "referents": parts["referents"], "members": parts["members"],
                            "forms": html, "opened": set(corrected)})  # a form sent back with its errors shows
    values = {"name": commune.name, "postcodes": " ".join(commune.postcodes or []),
              "contact_name": commune.contact_name, "contact_email": commune.contact_email,
              "contact_phone": display_phone(commune.contact_phone), "time_zone": commune.time_zone or ""}
    answers = request.registry.vvs_plugins.hook.vvs_admin_commune_panels(request=request, commune=commune)
    panels = sorted((p for ps in answers for p in (ps or []) if p is not None), key=lambda p: p.order)
    return {"title": commune.name, "extra_css": _css(request), "commune": commune, "communities": communities,
            "panels": panels, "archived": [c for c in every if c.archived_at is not None],
            "form": (rendered or {}).get("commune") or form.render(values), "error": error,
            "contact_phone": display_phone(commune.contact_phone), "zone": zone_label(request),
            "commune_zone": FRENCH_ZONES.get(commune.time_zone, commune.time_zone)}


def zone_label(request) -> str:
    """The instance's time zone (``vvs.timezone``): the zone of a commune that has none."""
    return request.registry.settings["vvs.timezone"]


@view_config(route_name="admin_commune", request_method="GET", renderer="vvs_admin:templates/admin_commune.pt",
             permission="platform")
def admin_commune_view(request):
    return commune_page(request, commune_from_matchdict(request))


@view_config(route_name="admin_commune", request_method="POST", renderer="vvs_admin:templates/admin_commune.pt",
             permission="platform")
def admin_commune_edit_view(request):
    commune = commune_from_matchdict(request)
    form = make_form(request, commune_schema(False, request), "Enregistrer", formid="commune",
                     action=request.route_path("admin_commune", insee=commune.insee))

    def apply(data):
        edit_commune(request, commune, commune_values(data), data["reason"])
        return f"La commune {commune.name} est enregistrée.", request.route_path("admin_commune", insee=commune.insee)
    return act(request, form, apply, lambda rendered=None, error=None: commune_page(
        request, commune, rendered and {"commune": rendered}, error))


def _community_action(request, key: str, apply):
    community = request.context.community
    commune = community.commune
    back = request.route_path("admin_commune", insee=commune.insee, _anchor=f"communaute-{community.id}")
    return act(request, community_forms(request, community)["forms"][key], lambda data: (apply(community, data), back),
               lambda rendered=None, error=None: commune_page(request, commune, rendered and {community.id: {key: rendered}},
                                                              error and f"{community.name} : rien n'a été changé. {error}"))


@view_config(route_name="admin_community_mode", request_method="POST",
             renderer="vvs_admin:templates/admin_commune.pt", permission="platform")
def admin_community_mode_view(request):
    def apply(community, data):
        change_validation_mode(request, community, data["mode"], data["seen"], data["reason"])
        return f"{community.name} : adhésions validées désormais — {mode_names(request)[data['mode']].lower()}."
    return _community_action(request, "mode", apply)


@view_config(route_name="admin_community_referents", request_method="POST",
             renderer="vvs_admin:templates/admin_commune.pt", permission="platform")
def admin_community_referents_view(request):
    def apply(community, data):
        verb, _sep, user_id = data["change"].partition(":")
        if data["change"] == NAME_BY_EMAIL:
            user_id = member_by_email(request.dbsession, community, data["email"])
        user = set_referent(request, community, int(user_id), verb == "nommer", data["reason"])
        return (f"{user.full_name} est référent {de(community.name)}." if verb == "nommer"
                else f"{user.full_name} n'est plus référent {de(community.name)}.")
    return _community_action(request, "referents", apply)


# --- Merging two communities (a form, a confirmation page, the merge) ---------------

def merge_form(request, community: Community, confirming: bool = False) -> deform.Form:
    schema = Schema()
    target = choice_node("cible", "Fusionner dans la communauté", merge_choices(request.dbsession, community))
    if confirming:  # the community the confirmation page described, not another one
        target.widget = deform.widget.HiddenWidget()
    schema.add(target)
    schema.add(reason_node())
    if confirming:
        schema.add(colander.SchemaNode(colander.String(), name="confirme", missing="",
                                       widget=deform.widget.HiddenWidget()))
    return make_form(request, schema, "Confirmer la fusion" if confirming else "Voir ce que la fusion changera",
                     formid="fusion", action=request.route_path("admin_community_merge", community_id=community.id))


def merge_page(request, community: Community, form_html: str | None = None, preview: dict | None = None,
               error: str | None = None) -> dict:
    return {"title": f"Fusionner {community.name}", "extra_css": _css(request), "community": community,
            "commune": community.commune, "form": form_html or merge_form(request, community).render(),
            "preview": preview, "error": error}


@view_config(route_name="admin_community_merge", request_method="GET", renderer="vvs_admin:templates/admin_merge.pt",
             permission="platform")
def admin_community_merge_view(request):
    return merge_page(request, request.context.community)


@view_config(route_name="admin_community_merge", request_method="POST", renderer="vvs_admin:templates/admin_merge.pt",
             permission="platform")
def admin_community_merge_post(request):
    """First POST: the confirmation page (what would change, nothing changed); the
    confirmation's POST (``confirme``): the merge."""
    community = request.context.community
    confirming = typed(request, "confirme")["confirme"] == "1"
    form = merge_form(request, community, confirming)
    data, rendered = validate(request, form)
    if data is None:
        if confirming:  # back to the first step, where every field shows its error
            _data, rendered = validate(request, merge_form(request, community))
        request.response.status = 400
        return merge_page(request, community, rendered)
    target = request.dbsession.get(Community, int(data["cible"]))
    if not confirming:
        preview = merge_preview(request, community, target)
        if preview["problem"]:
            request.response.status = 400
            return merge_page(request, community, form.render(data), error=preview["problem"])
        confirm = merge_form(request, community, confirming=True).render({**data, "confirme": "1"})
        return merge_page(request, community, confirm, preview=preview)
    name, commune = community.name, community.commune
    try:
        merge_communities(request, community.id, target.id, data["reason"])
    except AdminActionRefused as exc:
        request.response.status = 409 if isinstance(exc, ChangedMeanwhile) else 400
        return merge_page(request, community, form.render(data), error=str(exc))
    request.flash(f"« {name} » est fusionnée dans « {target.name} » : ses membres, ses publications et sa "
                  "délimitation y sont réunis.", "success")
    return HTTPSeeOther(request.route_path("admin_commune", insee=commune.insee, _anchor=f"communaute-{target.id}"))


# --- Archiving a community (a confirmation page, then the archive) ------------------

def reason_only_form(request, button: str, formid: str, action: str) -> deform.Form:
    """A confirmation's form: the reason alone (archive, withdrawal)."""
    schema = Schema()
    schema.add(reason_node())
    return make_form(request, schema, button, formid=formid, action=action)


def archive_form(request, community: Community) -> deform.Form:
    return reason_only_form(request, "Archiver définitivement", "archivage",
                            request.route_path("admin_community_archive", community_id=community.id))


def archive_page(request, community: Community, form_html: str | None = None, error: str | None = None) -> dict:
    return {"title": f"Archiver {community.name}", "extra_css": _css(request), "community": community,
            "commune": community.commune, "preview": archive_preview(request.dbsession, community),
            "form": None if community.archived_at else form_html or archive_form(request, community).render(),
            "error": error}


@view_config(route_name="admin_community_archive", request_method="GET",
             renderer="vvs_admin:templates/admin_archive.pt", permission="platform")
def admin_community_archive_view(request):
    return archive_page(request, request.context.community)


@view_config(route_name="admin_community_archive", request_method="POST",
             renderer="vvs_admin:templates/admin_archive.pt", permission="platform")
def admin_community_archive_post(request):
    community = request.context.community

    def apply(data):
        archive_community(request, community.id, data["reason"])
        return (f"« {community.name} » est archivée : elle n'est plus sur la carte ; ses membres et les personnes "
                "qui attendaient d'y entrer sont prévenus par e-mail, avec votre motif. Son historique est gardé.", request.route_path("admin_commune", insee=community.commune.insee,
                                                                 _anchor=f"communaute-{community.id}"))

    def page(rendered=None, error=None):
        if error:
            request.dbsession.refresh(community)
        return archive_page(request, community, rendered, error)
    return act(request, archive_form(request, community), apply, page)


# --- Withdrawing a commune created by mistake (a confirmation page, then the removal) ----

def withdraw_form(request, commune: Commune) -> deform.Form:
    return reason_only_form(request, "Retirer la commune", "retrait",
                            request.route_path("admin_commune_withdraw", insee=commune.insee))


def withdraw_page(request, commune: Commune, form_html: str | None = None, error: str | None = None) -> dict:
    ties = commune_ties(request, commune)
    return {"title": f"Retirer {commune.name}", "extra_css": _css(request), "commune": commune, "ties": ties,
            "form": None if ties else form_html or withdraw_form(request, commune).render(), "error": error}


@view_config(route_name="admin_commune_withdraw", request_method=("GET", "POST"),
             renderer="vvs_admin:templates/admin_commune_withdraw.pt", permission="platform")
def admin_commune_withdraw_view(request):
    """The confirmation page (GET), then the withdrawal with its reason (POST)."""
    commune = commune_from_matchdict(request)
    if request.method == "GET":
        return withdraw_page(request, commune)

    def apply(data):
        name = withdraw_commune(request, commune.insee, data["reason"])
        return (f"La commune {name} est retirée : elle n'apparaît plus nulle part ; le journal garde le motif.",
                request.route_path("admin_communes"))
    return act(request, withdraw_form(request, commune), apply,
               lambda rendered=None, error=None: withdraw_page(request, commune, rendered, error))
