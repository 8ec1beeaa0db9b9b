"""Sign-up, as the seeds show it: address and e-mail → the home on a map → confirm
the position → a short form → "Ma communauté" (join the community around the home,
choose a nearby one, or create one). Each step checks the session state again."""

import colander
import deform
from pyramid.httpexceptions import HTTPFound, HTTPNotFound, HTTPSeeOther
from pyramid.renderers import get_renderer
from pyramid.security import remember
from pyramid.view import view_config

from vvs_core import geo
from vvs_core.web.forms import (Schema, email_node, field_error, make_form, name_node, new_password_node, posted,
                                 pseudonym_node, text_node, typed)
from vvs_core.communities.membership import (
    MembershipError, commune_for_point, communities_by_id, community_name_problem, create_community,
    current_membership, decider_label, join_or_request, member_count, member_counts,
)
from vvs_core.models import Commune, Community, row_id
from vvs_core.web.ratelimit import client_address, limiter
from vvs_core.accounts.registration import (
    SESSION_KEY, AccountData, commune_search, communes_matching, confirm_email, create_account, email_taken, locate_address, phones,
    point_problem,
)
from vvs_core.web.links import absolute_url
from vvs_core.accounts.security import password_problem

NEW_COMMUNITY_KEY = "signup_new_community"
PLACE_THE_MARKER = ("Placez le marqueur sur votre domicile : touchez la carte à l'endroit de votre maison "
                    "(ou, au clavier, « Placer le marqueur au centre de la carte »).")
TOO_MANY = "Trop d'inscriptions depuis cette adresse. Réessayez dans une heure."
ACCOUNT_EXISTS = "Un compte existe déjà avec cette adresse e-mail : connectez-vous (ou utilisez « Mot de passe oublié »)."


def includeme(config):
    config.add_route("signup", "/inscription")
    config.add_route("signup_map", "/inscription/position")
    config.add_route("signup_confirm", "/inscription/confirmation")
    config.add_route("signup_account", "/inscription/compte")
    config.add_route("signup_email_confirm", "/inscription/confirmer/{token}")
    config.add_route("signup_community", "/inscription/communaute")
    config.add_route("signup_communities_json", "/inscription/communautes.json")
    config.add_route("signup_join", "/inscription/rejoindre")
    config.add_route("signup_create", "/inscription/creer")
    config.add_route("signup_referent", "/inscription/referent")
    config.scan(".signup")


# --- Page helpers -------------------------------------------------------------

def page(request, step: int, title: str, **values) -> dict:
    macros = get_renderer("vvs_core:accounts/templates/signup_macros.pt").implementation().macros
    return {"title": title, "step": step, "macros": macros, "extra_css": [request.layout.static("css/signup.css")],
            **values}


def map_assets(request) -> dict:
    layout = request.layout
    return layout.map_assets(layout.static("js/signup-map.js"), css=[layout.static("css/signup.css")])


def state_of(request) -> dict:
    return dict(request.session.get(SESSION_KEY) or {})


def save_state(request, **changes) -> dict:
    state = {**state_of(request), **changes}
    request.session[SESSION_KEY] = state  # a new dict: the session sees the change
    return state


def state_commune(request, state) -> Commune | None:
    commune_id = state.get("commune_id")
    return request.dbsession.get(Commune, commune_id) if isinstance(commune_id, int) else None


def restart(request, message="Recommencez votre inscription en indiquant votre adresse."):
    request.session.flash(message, queue="warning")
    return HTTPSeeOther(request.route_path("signup"))


# --- Step 1: address and e-mail -----------------------------------------------

class AddressSchema(Schema):
    address = text_node("Adresse postale", min=5, max=200, too_short="Indiquez votre adresse (numéro et rue).",
                        too_long="L'adresse est trop longue.", description="Numéro et rue, par exemple « 12 rue de Lagny ».",
                        widget=deform.widget.TextInputWidget(attributes={"autocomplete": "street-address"}), missing_msg="Ce champ est obligatoire.")
    email = email_node()
    commune = colander.SchemaNode(colander.String(), missing="", widget=deform.widget.HiddenWidget())  # the view checks it


@view_config(route_name="signup", renderer="vvs_core:accounts/templates/signup_address.pt", permission="public")
def signup_address_view(request):
    if request.user is not None:
        return HTTPFound(request.route_path("signup_community"))
    few, title = communes_matching(request.dbsession, "", 2), "Inscription"
    if not few:
        return page(request, 1, title, form=None)
    asked = request.POST.get("commune", "") if request.method == "POST" else request.GET.get("commune")
    commune = few[0] if len(few) == 1 else request.dbsession.get(Commune, row_id(asked)) if row_id(asked) else None
    if commune is None:  # several communes: the resident's is searched first (France has 35,000)
        request.response.status = 400 if request.method == "POST" else 200
        return page(request, 1, title, form=None, search=commune_search(request, "signup"), extra_js=[
            request.layout.static("js/commune-search.js")], error=None if asked is None else (
            "Choisissez votre commune dans la recherche : celle qui a été envoyée n'existe pas (ou plus). Rien n'a "
            "été enregistré." if request.method == "POST" else "Cette commune n'existe pas (ou plus) : cherchez-la."))
    form = make_form(request, AddressSchema(), "Continuer", formid="signup-address")
    state = state_of(request)
    data, rendered = posted(request, form, values={"commune": str(commune.id), **{
        k: state[k] for k in ("email", "address") if k in state}})
    if data is None:
        return page(request, 1, title, form=rendered, chosen=len(few) > 1 and commune)
    rate = request.registry.settings["vvs.ratelimit.signup"]
    count, _, window = rate.partition("/")
    # Geocoding costs an outside call: allow ten look-ups per sign-up allowed.
    limiter(request, "signup-geocode", rate=f"{int(count) * 10}/{window or 3600}").check(client_address(request), TOO_MANY)
    # Known or not, the e-mail goes on to the next step: the page must not tell whether an
    # account exists (issue 15.3); the owner of an existing account is told by e-mail.
    tell_owner_of_signup_attempt(request, data["email"])
    located = locate_address(request, data["address"], commune)
    request.session[SESSION_KEY] = {
        "email": data["email"].lower(), "address": located.label, "commune_id": commune.id,
        "lon": located.lon, "lat": located.lat, "found": located.found, "confirmed": False,
    }
    return HTTPSeeOther(request.route_path("signup_map"))


def tell_owner_of_signup_attempt(request, email: str) -> None:
    """An e-mail to the owner of the account with this address, if there is one."""
    from vvs_core.notify.outbox import notify_user
    from vvs_core.accounts.login import find_user_by_email

    user = find_user_by_email(request.dbsession, email)
    if user is None or user.status == "closed":
        return
    site = request.registry.settings["vvs.site_name"]
    notify_user(request, user, kind="account", title="Une inscription a été commencée avec votre adresse",
                body=f"Bonjour,\n\nQuelqu'un, peut-être vous, vient de commencer une inscription sur {site} avec "
                     f"cette adresse e-mail. Vous avez déjà un compte : connectez-vous ici :\n"
                     f"{absolute_url(request, 'login')}\n\nMot de passe oublié ? Choisissez-en un nouveau ici :\n"
                     f"{absolute_url(request, 'password_forgot')}\n\n"
                     "Si vous n'avez rien demandé, ignorez ce message : aucun compte n'est créé.",
                channels=("email",))


# --- Step 2: the marker on the home ------------------------------------------

@view_config(route_name="signup_map", renderer="vvs_core:accounts/templates/signup_map.pt", permission="public")
def signup_map_view(request):
    state = state_of(request)
    commune = state_commune(request, state)
    if commune is None or request.user is not None:
        return restart(request) if request.user is None else HTTPFound(request.route_path("signup_community"))
    error = None
    if request.method == "POST":
        lon, lat = (typed(request, "lon", "lat")[k] for k in ("lon", "lat"))
        if not lon and not lat:
            error = PLACE_THE_MARKER
        else:
            lon, lat = lon.replace(",", "."), lat.replace(",", ".")
            error = point_problem(commune, lon, lat)
        if error is None:
            moved = typed(request, "moved")["moved"] == "1" or (float(lon), float(lat)) != (state["lon"], state["lat"])
            save_state(request, lon=float(lon), lat=float(lat), confirmed=False, placed=True, moved=moved)
            return HTTPSeeOther(request.route_path("signup_confirm"))
        request.response.status = 400
    return page(request, 1, "Position de votre domicile", state=state, commune=commune, error=error, **map_assets(request))


# --- Step 3: confirm the position ----------------------------------------------

@view_config(route_name="signup_confirm", renderer="vvs_core:accounts/templates/signup_confirm.pt", permission="public")
def signup_confirm_view(request):
    state = state_of(request)
    commune = state_commune(request, state)
    if commune is None or "lon" not in state:
        return restart(request)
    if not (state.get("found") or state.get("placed")):
        # Nothing to confirm: the map opened on the commune and no marker was placed yet.
        request.session.flash(PLACE_THE_MARKER, queue="warning")
        return HTTPSeeOther(request.route_path("signup_map"))
    if request.method == "POST":
        # Checked again: the state may be older than a change of the rules.
        problem = point_problem(commune, state["lon"], state["lat"])
        if problem:
            request.session.flash(problem, queue="error")
            return HTTPSeeOther(request.route_path("signup_map"))
        save_state(request, confirmed=True)
        return HTTPSeeOther(request.route_path("signup_account"))
    return page(request, 1, "Validation de la position de votre domicile", state=state, commune=commune,
                **map_assets(request))


# --- Step 4: the account -------------------------------------------------------

def account_problems(request, data) -> dict:
    """The rules of the account form that colander cannot hold, checked with its fields
    (``validate(…, check=…)``): every error shows in one pass."""
    problems = {}
    if "password" in data:
        context = (data.get("first_name") or "", data.get("last_name") or "", (data.get("email") or "").split("@")[0])
        problems["password"] = password_problem(data["password"], request.registry.settings["vvs.password_min_length"],
                                                context=context)
    if "mobile" in data and "landline" in data:
        _numbers, phone_errors = phones(data["mobile"] or "", data["landline"] or "")
        problems.update(phone_errors)
    return problems


def _phone_node(title, example, autocomplete):
    return text_node(title, max=30, required=False, too_long="{max} caractères au plus.", description=f"Par exemple {example}.",
                     widget=deform.widget.TextInputWidget(attributes={"type": "tel", "autocomplete": autocomplete}))


class AccountSchema(Schema):
    first_name = name_node("Prénom", "given-name")
    last_name = name_node("Nom", "family-name")
    email = email_node()
    password = new_password_node("Mot de passe")
    mobile = _phone_node("Téléphone portable", "06 12 34 56 78", "tel-national")
    landline = _phone_node("Téléphone fixe", "01 23 45 67 89", "tel")
    pseudonym = pseudonym_node()
    charter = colander.SchemaNode(
        colander.Boolean(), title="J'ai lu et j'accepte la charte de bonne conduite",
        validator=colander.Function(lambda value: value is True, msg="Acceptez la charte de bonne conduite pour vous inscrire."),
        widget=deform.widget.CheckboxWidget())


@view_config(route_name="signup_account", renderer="vvs_core:accounts/templates/signup_account.pt", permission="public")
def signup_account_view(request):
    if request.user is not None:
        return HTTPFound(request.route_path("signup_community"))
    state = state_of(request)
    commune = state_commune(request, state)
    if commune is None or not state.get("confirmed"):
        return restart(request, "Confirmez d'abord la position de votre domicile.") if commune else restart(request)
    charter = get_renderer("vvs_core:accounts/templates/charter.pt").implementation().macros["text"]
    form = make_form(request, AccountSchema(), "Créer mon compte", formid="signup-account")
    title = "Formulaire d'inscription"
    data, rendered = posted(request, form, check=lambda data: account_problems(request, data),
                            values={"email": state.get("email", "")})
    if data is None:
        return page(request, 1, title, form=rendered, charter=charter, state=state)
    limiter(request, "signup", "vvs.ratelimit.signup").check(client_address(request), TOO_MANY)
    if email_taken(request.dbsession, data["email"]):  # after the limit: no free account discovery
        request.response.status = 400
        return page(request, 1, title, form=field_error(form, "email", ACCOUNT_EXISTS), charter=charter, state=state)
    numbers, _errors = phones(data["mobile"], data["landline"])
    user = create_account(request, AccountData(
        first_name=data["first_name"], last_name=data["last_name"], email=data["email"], password=data["password"],
        mobile=numbers["mobile"], landline=numbers["landline"], pseudonym=data["pseudonym"]), state)
    # Case 1 of the seeds: a home inside a community asks to join it at once.
    inside = geo.find_community_at(request.dbsession, user.home)
    if inside is not None:
        join_or_request(request, user, inside)
    headers = remember(request, user.id)
    request.session.flash("Votre compte est créé. Un lien de confirmation vient d'être envoyé à votre adresse e-mail.",
                          queue="success")
    return HTTPSeeOther(request.route_path("signup_community"), headers=headers)


@view_config(route_name="signup_email_confirm", permission="public")
def signup_email_confirm_view(request):
    user, me = confirm_email(request.dbsession, request.matchdict["token"]), request.user
    if user is None and me is not None and me.email_confirmed_at is not None:  # a link opened twice: no error
        request.session.flash("Votre adresse e-mail est déjà confirmée : ce lien a déjà servi.", queue="success")
    elif user is None:
        request.session.flash("Ce lien de confirmation a déjà servi ou n'est plus valable. Connectez-vous : si votre "
                              "adresse n'est pas encore confirmée, vous pourrez en recevoir un autre.", queue="error")
    else:
        request.session.flash("Votre adresse e-mail est confirmée. Merci !", queue="success")
    target = "activation" if request.user is not None else "login"
    return HTTPSeeOther(request.route_path(target))


# --- Step 5: "Ma communauté" ---------------------------------------------------

def community_page(request, **extra) -> dict:
    user = request.user
    dbsession = request.dbsession
    values = page(request, 2, "Ma communauté", **map_assets(request))
    membership = current_membership(dbsession, user)
    if membership is not None:
        community = dbsession.get(Community, membership.community_id)
        values.update(case="member", membership=membership, community=community,
                      members=member_count(dbsession, community.id), decider=decider_label(request, community))
        return {**values, **extra}
    commune = commune_for_point(dbsession, user.home)
    inside = geo.find_community_at(dbsession, user.home)
    near = geo.communities_near(dbsession, user.home, request.registry.settings["vvs.community.nearby_m"])
    distances = {n.community_id: n.distance_m for n in near}
    listing = []
    if commune is not None:
        communities = [c for c in commune.communities if c.archived_at is None]  # an archived one takes nobody
        counts = member_counts(dbsession, [c.id for c in communities])
        for community in communities:
            listing.append({"community": community, "members": counts[community.id],
                            "distance": distances.get(community.id)})
        listing.sort(key=lambda row: (row["distance"] is None, row["distance"] or 0, row["community"].name))
    case = "inside" if inside is not None else ("near" if near else "none")
    values.update(case=case, inside=inside, listing=listing, commune=commune, home=user.home,
                  inside_members=member_count(dbsession, inside.id) if inside else 0,
                  name=request.session.get(NEW_COMMUNITY_KEY, ""), name_error=None)
    return {**values, **extra}


@view_config(route_name="signup_community", renderer="vvs_core:accounts/templates/signup_community.pt", permission="account")
def signup_community_view(request):
    if request.user.home is None:
        request.session.flash("Votre compte n'a pas de domicile : il ne peut pas rejoindre de communauté.", queue="warning")
        return HTTPFound(request.route_path("home"))
    return community_page(request)


@view_config(route_name="signup_communities_json", renderer="json", permission="account")
def signup_communities_json(request):
    """The communities near the resident's home, as GeoJSON (the red zones of the map)."""
    user = request.user
    if user.home is None:
        return {"type": "FeatureCollection", "features": []}
    dbsession = request.dbsession
    metres = max(request.registry.settings["vvs.community.nearby_m"], request.registry.settings["vvs.community.default_size_m"])
    features = []
    nearest = geo.communities_near(dbsession, user.home, metres)[:50]
    communities = communities_by_id(dbsession, [n.community_id for n in nearest])
    counts = member_counts(dbsession, list(communities))
    for near in nearest:
        community = communities[near.community_id]
        features.append({
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [[list(xy) for xy in community.boundary.exterior.coords]]},
            "properties": {"id": community.id, "name": community.name,
                           "members": counts[community.id], "distance_m": round(near.distance_m)},
        })
    return {"type": "FeatureCollection", "features": features}


def _user_commune_community(request, raw_id) -> Community:
    community = request.dbsession.get(Community, found) if (found := row_id(raw_id)) else None
    commune = commune_for_point(request.dbsession, request.user.home) if request.user.home is not None else None
    if community is None or commune is None or community.commune_id != commune.id:
        raise HTTPNotFound()
    return community


@view_config(route_name="signup_join", request_method="POST", permission="account")
def signup_join_view(request):
    community = _user_commune_community(request, typed(request, "community_id")["community_id"])
    try:
        join_or_request(request, request.user, community)
    except MembershipError as exc:
        request.session.flash(str(exc), queue="error")
        return HTTPSeeOther(request.route_path("signup_community"))
    request.session.flash(f"Votre demande d'adhésion à la communauté « {community.name} » est envoyée.", queue="success")
    return HTTPSeeOther(request.route_path("activation"))


@view_config(route_name="signup_create", request_method="POST", renderer="vvs_core:accounts/templates/signup_community.pt",
             permission="account")
def signup_create_view(request):
    user = request.user
    if user.home is None or current_membership(request.dbsession, user) is not None:
        return HTTPSeeOther(request.route_path("signup_community"))
    commune = commune_for_point(request.dbsession, user.home)
    name = typed(request, "name")["name"]
    problem = community_name_problem(request.dbsession, commune, name) if commune else "Aucune commune n'est ouverte."
    if problem:
        request.response.status = 400
        return community_page(request, name=name[:120], name_error=problem)
    request.session[NEW_COMMUNITY_KEY] = " ".join(name.split())
    return HTTPSeeOther(request.route_path("signup_referent"))


@view_config(route_name="signup_referent", renderer="vvs_core:accounts/templates/signup_referent.pt", permission="account")
def signup_referent_view(request):
    user = request.user
    name = request.session.get(NEW_COMMUNITY_KEY)
    if not name or user.home is None:
        return HTTPSeeOther(request.route_path("signup_community"))
    error = None
    if request.method == "POST":
        answer = typed(request, "referent")["referent"]
        if answer not in ("oui", "non"):
            error = "Répondez « Oui » ou « Non »."
            request.response.status = 400
        else:
            try:
                community, _m = create_community(request, user, name, user.home, answer == "oui")
            except MembershipError as exc:
                request.session.flash(str(exc), queue="error")
                return HTTPSeeOther(request.route_path("signup_community"))
            request.session.pop(NEW_COMMUNITY_KEY, None)
            request.session.flash(
                f"La communauté « {community.name} » est créée. L'équipe de la plateforme va valider votre compte "
                "et la communauté.", queue="success")
            return HTTPSeeOther(request.route_path("activation"))
    return page(request, 2, "Souhaitez-vous être le référent ?", name=name, error=error)
