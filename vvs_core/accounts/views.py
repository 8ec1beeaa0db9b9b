"""The resident's own space: profile seen by the community (/profil) and settings
(/parametres): account, password, e-mail, notifications, newsletter, data, closing."""

import colander
import deform
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.security import forget, remember
from pyramid.view import view_config

from vvs_core.clock import utcnow
from vvs_core.web.forms import (Schema, StrippedString, act, email_node, make_form, name_node, new_password_node, password_node, posted,
                                 pseudonym_node, refusing, text_node, typed)
from vvs_core.hooktypes import SettingsSection
from vvs_core.web.images import ImageRejected, clean_image
from vvs_core.models import User, row_id
from vvs_core.notify.outreach import send_to_address
from vvs_core.accounts.personal_data import close_account, export_zip
from vvs_core.accounts.phones import display_phone, normalise_phone
from vvs_core.notify.kinds import address_on, kinds_of, wanted_channels
from vvs_core.accounts.principals import commune_agent
from vvs_core.accounts.registration import email_taken
from vvs_core.providers import channels_with_provider
from vvs_core.notify.prefs_form import CHANNEL_LABELS, add_delivery_nodes, delivery_prefs, delivery_values, quiet_hours_problems
from vvs_core.accounts.security import valid_token, hash_password, issue_token, password_problem, verify_password
from vvs_core.accounts.sessions import end_all_sessions
from vvs_core.web.links import absolute_url

INTERESTS = (
    "Gastronomie", "L’œnologie", "La cuisine", "La culture", "La musique", "La photographie",
    "Électronique", "Pop rock", "Techno", "Variétés", "Bowling", "Football", "La marche",
    "Randonnée", "Running", "Jardinage", "Bricolage", "Lecture",
)

# The core's pages of « Mes paramètres »; plugins add theirs (``vvs_settings_sections``).
CORE_SETTINGS_SECTIONS = (
    SettingsSection("settings_account", "Mon compte", "Paramétrez les informations générales de votre compte", 10),
    SettingsSection("settings_password", "Mot de passe", "Modifiez votre mot de passe", 20),
    SettingsSection("settings_email", "Adresse e-mail", "Changez l'adresse e-mail de votre compte", 30),
    SettingsSection("settings_notifications", "Notifications", "Choisissez la façon dont vous souhaitez être prévenu", 40),
    SettingsSection("settings_newsletter", "Abonnement newsletter", "Gérez l'abonnement ou le désabonnement à la newsletter", 70),
    SettingsSection("settings_data", "Mes données", "Téléchargez toutes les données que nous détenons sur vous", 80),
    SettingsSection("settings_close", "Fermeture du compte", "Fermez votre compte sur le site", 90),
)


def settings_sections(request) -> list[SettingsSection]:
    """The pages of « Mes paramètres », the core's and the plugins', in their order."""
    sections = [*CORE_SETTINGS_SECTIONS, *(s for answer in request.registry.vvs_plugins.hook.vvs_settings_sections(
        request=request) for s in answer or [])]
    return sorted(sections, key=lambda s: s.order)


def settings_section_page(request, title: str, **values) -> dict:
    """What every page of « Mes paramètres » gives its template (the core's and the
    plugins'): its title, the sections' menu with this page marked, its style sheet."""
    return {"title": title, "sections": settings_sections(request), "current": request.matched_route.name,
            **resident_page(request), **values}


def resident_page(request) -> dict:
    """The assets of a resident's page (resident.css), in the view's answer: the one way a
    page names its assets (docs/architecture.md, "Page assets")."""
    return {"extra_css": [request.layout.static("css/resident.css")]}


_STAFF = "les agents communaux de votre commune et les administrateurs du site"  # who see a hidden number too
MOBILE_HELP = ("Ce numéro permettra à vos voisins de vous joindre, et à vous de recevoir les alertes par SMS. "
               f"Il est vu par les membres de votre communauté, {_STAFF}.")
HIDE_MOBILE_HELP = f"Vos voisins ne verront pas votre numéro ({_STAFF} le voient toujours) ; vous recevrez tout de même les alertes par SMS."
LANDLINE_HELP = f"Ce numéro permettra à vos voisins de vous joindre. Il est vu par les membres de votre communauté, {_STAFF}."
HIDE_LANDLINE_HELP = f"Vos voisins ne verront pas votre numéro ({_STAFF} le voient toujours)."


def includeme(config):
    config.add_route("profile", "/profil")
    config.add_route("profile_photo", "/profil/photo")
    config.add_route("profile_housing", "/profil/habitation")
    config.add_route("member_photo", "/photo/{user_id}")
    config.add_route("settings", "/parametres")
    config.add_route("settings_account", "/parametres/compte")
    config.add_route("settings_password", "/parametres/mot-de-passe")
    config.add_route("settings_email", "/parametres/adresse-email")
    config.add_route("settings_email_confirm", "/parametres/adresse-email/confirmer/{token}")
    config.add_route("settings_notifications", "/parametres/notifications")
    config.add_route("settings_newsletter", "/parametres/newsletter")
    config.add_route("settings_data", "/parametres/mes-donnees")
    config.add_route("settings_data_zip", "/parametres/mes-donnees.zip")
    config.add_route("settings_close", "/parametres/fermeture")
    config.scan(".views")


def settings_page(request, title, form, intro=None, **extra):
    return settings_section_page(request, title, form=form, intro=intro, **{"danger": False, **extra})


# --- Profile seen by the community --------------------------------------------

class ProfileSchema(Schema):
    presentation = text_node("Présentation", max=2000, required=False, too_long="{max} caractères au plus ({length} saisis).",
                             description="Quelques mots pour vos voisins : depuis quand vous habitez le quartier, ce que vous aimez partager…",
                             widget=deform.widget.TextAreaWidget(rows=5))
    interests = colander.SchemaNode(
        colander.Set(), title="Centres d'intérêt", missing=(), validator=colander.ContainsOnly(INTERESTS),
        widget=deform.widget.CheckboxChoiceWidget(values=[(i, i) for i in INTERESTS], inline=True),
    )


def housing_schema():
    schema = Schema()
    for name, title, choices in User.HOUSING:
        schema.add(colander.SchemaNode(colander.String(), name=name, title=title, missing="",
                                       validator=colander.OneOf([v for v, _ in choices]),
                                       widget=deform.widget.SelectWidget(values=[("", "— non renseigné —"), *choices])))
    return schema


def profile_forms(request, user):
    profile = make_form(request, ProfileSchema(), "Enregistrer mon profil", formid="profil")
    housing = make_form(request, housing_schema(), "Enregistrer mon habitation", formid="habitation",
                        action=request.route_path("profile_housing"), focus="off")  # one autofocus a page
    return profile, housing


def profile_values(user):
    return {"presentation": user.presentation or "", "interests": set(user.interests or ())}


def profile_page(request, user, profile_html, housing_html, photo_error=None):
    return {**resident_page(request), "title": "Mon profil", "user": user, "profile_form": profile_html, "housing_form": housing_html,
            "photo_error": photo_error, "has_photo": bool(user.has_photo),
            "photo_url": request.route_path("member_photo", user_id=user.id, _query={"v": int(utcnow().timestamp())})}


@view_config(route_name="profile", renderer="vvs_core:accounts/templates/account_profile.pt", permission="account")
def profile_view(request):
    user = request.user
    profile, housing = profile_forms(request, user)
    housing_html = housing.render(dict(user.housing or {}))
    data, rendered = posted(request, profile, values=profile_values(user))
    if data is None:
        return profile_page(request, user, rendered, housing_html)
    user.presentation = data["presentation"].strip()
    user.interests = [i for i in INTERESTS if i in data["interests"]]
    request.flash("Votre profil est enregistré.", "success")
    return HTTPSeeOther(request.route_path("profile"))


@view_config(route_name="profile_housing", request_method="POST",
             renderer="vvs_core:accounts/templates/account_profile.pt", permission="account")
def profile_housing_view(request):
    user = request.user
    profile, housing = profile_forms(request, user)
    def apply(data):
        user.housing = {k: v for k, v in data.items() if k != "csrf_token" and v}
        return ("Les informations sur votre habitation sont enregistrées (elles ne sont pas visibles par vos voisins).",
                request.route_path("profile"))
    return act(request, housing, apply, lambda rendered: profile_page(request, user, profile.render(profile_values(user)), rendered))


@view_config(route_name="profile_photo", request_method="POST",
             renderer="vvs_core:accounts/templates/account_profile.pt", permission="account")
def profile_photo_view(request):
    user = request.user
    if typed(request, "remove")["remove"]:
        user.photo = None
        request.flash("Votre photo est supprimée.", "success")
        return HTTPSeeOther(request.route_path("profile"))
    upload = request.POST.get("photo")
    error = None
    if upload is None or not hasattr(upload, "file"):
        error = "Choisissez une photo (JPEG, PNG ou WebP)."
    else:
        try:
            data, _mime = clean_image(upload.file.read(8 * 1024 * 1024 + 1), max_side=512)
        except ImageRejected as exc:
            error = str(exc)
    if error:
        request.response.status = 400
        profile, housing = profile_forms(request, user)
        return profile_page(request, user, profile.render(profile_values(user)),
                            housing.render(dict(user.housing or {})), photo_error=error)
    user.photo = data
    request.flash("Votre photo est enregistrée.", "success")
    return HTTPSeeOther(request.route_path("profile"))


def may_see_member(request, viewer, member) -> bool:
    """The member themself, a neighbour of the same community, an agent of their commune, the team."""
    if viewer.id == member.id or "role:admin" in request.principals:
        return True
    principals = set(request.principals)
    return any(f"community:{m.community_id}:member" in principals or commune_agent(m.community.commune.insee) in principals
               for m in member.memberships if m.status == "active")


@view_config(route_name="member_photo", permission="account")
def member_photo_view(request):
    member = request.dbsession.get(User, found) if (found := row_id(request.matchdict["user_id"])) else None
    if member is None or member.is_closed or not may_see_member(request, request.user, member):
        raise HTTPNotFound()
    photo = member.photo
    if not photo:
        raise HTTPNotFound()
    mime = "image/png" if photo[:4] == b"\x89PNG" else "image/jpeg"
    response = Response(body=photo, content_type=mime)
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


# --- Settings: Mon compte -------------------------------------------------------

def _digits(text) -> str:
    return "".join(c for c in (text or "") if c.isdigit())


def keep_or_normalise(value: str, stored: str | None, kind: str):
    """(number, problem): the number already on the account is kept as it is, even
    when the numbering plan no longer knows it (the demo's fictional range)."""
    if stored and _digits(value) in (_digits(stored), _digits(display_phone(stored))):
        return stored, None
    return normalise_phone(value, kind)


def phone_validator(kind):
    return refusing(lambda node, value: keep_or_normalise(value, getattr(node.bindings["request"].user, node.name), kind))


def at_least_one_phone(data) -> dict:
    """A ``validate`` check: one number at least (when both fields were readable)."""
    if "mobile" in data and "landline" in data and not data["mobile"] and not data["landline"]:
        return {"mobile": "Indiquez au moins un numéro de téléphone (portable ou fixe)."}
    return {}


class AccountSchema(Schema):
    last_name = name_node("Nom", "family-name")
    first_name = name_node("Prénom", "given-name")
    mobile = colander.SchemaNode(StrippedString(), title="Téléphone portable", missing="", description=MOBILE_HELP,
                                 validator=phone_validator("mobile"),
                                 widget=deform.widget.TextInputWidget(attributes={"type": "tel", "autocomplete": "tel"}))
    hide_mobile = colander.SchemaNode(colander.Boolean(), title="Masquer le téléphone portable", missing=False,
                                      description=HIDE_MOBILE_HELP, widget=deform.widget.CheckboxWidget())
    landline = colander.SchemaNode(StrippedString(), title="Téléphone fixe", missing="", description=LANDLINE_HELP,
                                   validator=phone_validator("landline"),
                                   widget=deform.widget.TextInputWidget(attributes={"type": "tel"}))
    hide_landline = colander.SchemaNode(colander.Boolean(), title="Masquer le téléphone fixe", missing=False,
                                        description=HIDE_LANDLINE_HELP, widget=deform.widget.CheckboxWidget())
    pseudonym = pseudonym_node()


def account_values(user):
    return {"last_name": user.last_name, "first_name": user.first_name, "mobile": display_phone(user.mobile),
            "hide_mobile": user.hide_mobile, "landline": display_phone(user.landline),
            "hide_landline": user.hide_landline, "pseudonym": user.pseudonym}


@view_config(route_name="settings", renderer="vvs_core:accounts/templates/account_settings.pt", permission="account")
def settings_view(request):
    user = request.user
    return settings_section_page(request, "Mes paramètres", user=user, mobile=display_phone(user.mobile),
                                 landline=display_phone(user.landline))


@view_config(route_name="settings_account", renderer="vvs_core:accounts/templates/account_form.pt", permission="account")
def settings_account_view(request):
    user = request.user
    form = make_form(request, AccountSchema(), "Enregistrer", formid="compte")
    data, rendered = posted(request, form, check=at_least_one_phone, values=account_values(user))
    if data is None:
        return settings_page(request, "Mon compte", rendered)
    user.last_name, user.first_name, user.pseudonym = data["last_name"], data["first_name"], data["pseudonym"]
    user.mobile = keep_or_normalise(data["mobile"], user.mobile, "mobile")[0]
    user.landline = keep_or_normalise(data["landline"], user.landline, "landline")[0]
    user.hide_mobile, user.hide_landline = bool(data["hide_mobile"]), bool(data["hide_landline"])
    request.flash("Vos informations sont enregistrées.", "success")
    return HTTPSeeOther(request.route_path("settings"))


# --- Password and e-mail ----------------------------------------------------------

WRONG_PASSWORD = "Mot de passe actuel incorrect."


class PasswordSchema(Schema):
    current = password_node()
    password = new_password_node()


@view_config(route_name="settings_password", renderer="vvs_core:accounts/templates/account_form.pt", permission="account")
def settings_password_view(request):
    user = request.user
    title = "Mot de passe"
    intro = "Modifiez ici votre mot de passe. Veillez à ne pas communiquer votre mot de passe."
    form = make_form(request, PasswordSchema(), "Modifier mon mot de passe", formid="motdepasse")
    context = (user.email or "", user.first_name, user.last_name)
    min_length = request.registry.settings["vvs.password_min_length"]
    data, rendered = posted(request, form, check=lambda data: {
        "current": "current" in data and not verify_password(user, data["current"]) and WRONG_PASSWORD,
        "password": "password" in data and password_problem(data["password"], min_length, context)})
    if data is None:
        return settings_page(request, title, rendered, intro)
    user.password_hash = hash_password(data["password"])
    end_all_sessions(request.dbsession, user)  # every other session ends…
    headers = remember(request, user.id)                  # …but this one goes on
    request.flash("Votre mot de passe est modifié. Vos autres sessions sont fermées.", "success")
    return HTTPSeeOther(request.route_path("settings"), headers=headers)


class EmailSchema(Schema):
    email = email_node(title="Nouvelle adresse e-mail")
    current = password_node()


@view_config(route_name="settings_email", renderer="vvs_core:accounts/templates/account_form.pt", permission="account")
def settings_email_view(request):
    user = request.user
    title = "Adresse e-mail"
    intro = f"Votre adresse e-mail actuellement renseignée est : {user.email}"
    form = make_form(request, EmailSchema(), "Changer mon adresse", formid="email")
    def problems(data) -> dict:
        out = {"current": "current" in data and not verify_password(user, data["current"]) and WRONG_PASSWORD}
        if "email" in data:
            new = data["email"].lower()
            if new == (user.email or "").lower():
                out["email"] = "C'est déjà l'adresse de votre compte."
            elif email_taken(request.dbsession, new, user.id):
                out["email"] = "Cette adresse est déjà utilisée par un autre compte."
        return out

    data, rendered = posted(request, form, check=problems)
    if data is None:
        return settings_page(request, title, rendered, intro)
    new = data["email"].lower()
    token = issue_token(request.dbsession, user, "email_change", hours=24, data={"email": new})
    link = absolute_url(request, "settings_email_confirm", token=token)
    send_to_address(
        request, channel="email", address=new, kind="account", recipient_id=user.id,
        title="Confirmez votre nouvelle adresse e-mail",
        body=(f"Bonjour,\n\nPour confirmer que cette adresse devient celle de votre compte, ouvrez ce lien "
              f"(valable 24 heures) :\n{link}\n\nSi vous n'avez rien demandé, ignorez ce message."),
        dedupe_key=f"email_change:{user.id}:{token[:16]}",
    )
    request.flash(f"Un lien de confirmation vient d'être envoyé à {new}. Votre adresse changera quand vous l'aurez ouvert.",
                  "success")
    return HTTPSeeOther(request.route_path("settings"))


@view_config(route_name="settings_email_confirm", renderer="vvs_core:accounts/templates/account_message.pt", permission="public")
def settings_email_confirm_view(request):
    token = valid_token(request.dbsession, request.matchdict["token"], "email_change", use=True)
    user = request.dbsession.get(User, token.user_id) if token is not None else None
    if user is None or user.is_closed:
        request.response.status = 400
        return {**resident_page(request), "title": "Lien expiré", "message": "Ce lien n'est plus valable : refaites la demande depuis vos paramètres."}
    new = token.data.get("email", "")
    if email_taken(request.dbsession, new, user.id):
        request.response.status = 409
        return {**resident_page(request), "title": "Adresse déjà utilisée", "message": "Cette adresse est maintenant utilisée par un autre compte."}
    user.email = new
    user.email_confirmed_at = utcnow()
    return {**resident_page(request), "title": "Adresse e-mail confirmée", "message": f"Votre compte utilise désormais l'adresse {new}."}


# --- Notifications and newsletter ---------------------------------------------------

def _keep_one(kind):
    return f"Gardez au moins un moyen d'être prévenu : {kind.label[:1].lower()}{kind.label[1:]}."


def notifications_schema(kinds, channels):
    """One row of checkboxes per kind declared for the settings page (``vvs_core.notify.kinds``)."""
    schema, keep = Schema(), bool(set(channels) - {"push"})  # nothing to keep for who has no phone nor e-mail
    for kind in kinds.in_settings():
        values = [(c, CHANNEL_LABELS.get(c, c)) for c in channels if c != "voice" or kind.voice] + list(kind.extra_choices)
        validator = colander.ContainsOnly([v for v, _ in values])
        if kind.always_reach and keep:
            validator = colander.All(validator, colander.Length(min=1, min_err=_keep_one(kind)))
        schema.add(colander.SchemaNode(
            colander.Set(), name=kind.key, title=kind.label,
            missing=colander.required if kind.always_reach and keep else set(), missing_msg=_keep_one(kind),
            validator=validator, widget=deform.widget.CheckboxChoiceWidget(values=values, inline=True),
        ))
    add_delivery_nodes(schema, channels, kinds)  # quiet hours, severity per channel
    return schema


def current_prefs(user, kinds, channels):
    """The boxes ticked: the channels really used (a call stands for the SMS of a
    resident with only a landline, ``wanted_channels``)."""
    prefs = user.notification_prefs or {}
    return {kind.key: set(wanted_channels(user, kind) + [c for c in prefs.get(kind.key, ()) if c not in CHANNEL_LABELS])
            & (set(channels) | {v for v, _ in kind.extra_choices}) for kind in kinds.in_settings()}


@view_config(route_name="settings_notifications", renderer="vvs_core:accounts/templates/account_form.pt", permission="account")
def settings_notifications_view(request):
    user = request.user
    title = "Notifications"
    kinds = kinds_of(request.registry)
    intro = "Choisissez la façon dont vous souhaitez être prévenu."
    always = [k.label for k in kinds.in_settings() if k.always_reach]
    if always:
        intro += f" Toujours par au moins un moyen : {', '.join(always)}."
    channels = [c for c in channels_with_provider(request) or ["sms", "email"] if address_on(user, c)]  # no box for a phone they lack
    if "voice" in channels and "sms" not in channels:
        intro += " Sans téléphone portable, vous êtes appelé sur votre téléphone fixe au lieu de recevoir un SMS."
    form = make_form(request, notifications_schema(kinds, channels), "Enregistrer", formid="notifications")
    data, rendered = posted(request, form, check=quiet_hours_problems, values={**current_prefs(user, kinds, channels),
                                                                                **delivery_values(user, channels, kinds)})
    if data is None:
        return settings_page(request, title, rendered, intro)
    user.notification_prefs = {**(user.notification_prefs or {}), **delivery_prefs(data, channels, kinds), **{  # the boxes ticked
        kind.key: [c for c in (*channels, *(v for v, _ in kind.extra_choices)) if c in data[kind.key]] for kind in kinds.in_settings()}}
    request.flash("Vos préférences de notification sont enregistrées.", "success")
    return HTTPSeeOther(request.route_path("settings"))


class NewsletterSchema(Schema):
    newsletter = colander.SchemaNode(
        colander.Boolean(), title="Je souhaite recevoir la newsletter", missing=False,
        description="Une lettre d'information par e-mail, quelques fois par an. Vous pouvez vous désabonner à tout moment.",
        widget=deform.widget.CheckboxWidget())


@view_config(route_name="settings_newsletter", renderer="vvs_core:accounts/templates/account_form.pt", permission="account")
def settings_newsletter_view(request):
    user = request.user
    form = make_form(request, NewsletterSchema(), "Enregistrer", formid="newsletter")
    data, rendered = posted(request, form, values={"newsletter": user.newsletter})
    if data is None:
        return settings_page(request, "Abonnement newsletter", rendered)
    user.newsletter = bool(data["newsletter"])
    request.flash("Vous êtes abonné à la newsletter." if user.newsletter else "Vous êtes désabonné de la newsletter.",
                  "success")
    return HTTPSeeOther(request.route_path("settings"))


# --- My data and closing the account --------------------------------------------------

@view_config(route_name="settings_data", renderer="vvs_core:accounts/templates/account_data.pt", permission="account")
def settings_data_view(request):
    return settings_section_page(request, "Mes données", zip_url=request.route_path("settings_data_zip"))


@view_config(route_name="settings_data_zip", permission="account")
def settings_data_zip_view(request):
    body = export_zip(request, request.user)
    response = Response(body=body, content_type="application/zip")
    response.content_disposition = 'attachment; filename="mes-donnees.zip"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


class CloseSchema(Schema):
    current = password_node("Votre mot de passe, pour confirmer")


@view_config(route_name="settings_close", renderer="vvs_core:accounts/templates/account_form.pt", permission="account")
def settings_close_view(request):
    user = request.user
    title = "Fermeture du compte"
    intro = ("La fermeture est définitive : vos nom, téléphones, adresse, e-mail, photo et présentation sont effacés, "
             "et vous quittez votre communauté. L'historique de la communauté garde la trace de votre passage "
             "sous la mention « ancien membre ». Pensez à télécharger vos données avant.")
    form = make_form(request, CloseSchema(), "Fermer définitivement mon compte", formid="fermeture")
    data, rendered = posted(request, form, check=lambda data: {"current": "current" in data and not verify_password(
        user, data["current"]) and "Mot de passe incorrect : le compte n'est pas fermé."})
    if data is None:
        return settings_page(request, title, rendered, intro, danger=True)
    close_account(request, user)
    headers = forget(request)
    request.flash("Votre compte est fermé et vos données personnelles sont effacées. Merci d'avoir veillé sur vos voisins.",
                  "success")
    return HTTPSeeOther(request.route_path("login"), headers=headers)

