"""Mes paramètres › Jetons d'accès: personal tokens for the JSON API (created with a
name, shown once, revoked at any time)."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config

from vvs_core.web.forms import Schema, StrippedString, field_error, make_form, validate
from vvs_core.accounts.views import settings_section_page

from .tokens import TokenRefused, issue_api_token, revoke_api_token, user_tokens


def includeme(config):
    config.add_route("settings_api_tokens", "/parametres/jetons")
    config.add_route("settings_api_token_revoke", r"/parametres/jetons/{token_id:\d+}/revoquer")
    config.scan(".token_views")


class TokenSchema(Schema):
    name = colander.SchemaNode(
        StrippedString(), title="Nom du jeton", description="Pour vous y retrouver : « Application du téléphone », « Mon script »…",
        validator=colander.Length(max=80, max_err="80 caractères au plus."),
        missing_msg="Donnez un nom au jeton.",
        widget=deform.widget.TextInputWidget(attributes={"maxlength": "80", "autocomplete": "off"}))


def token_page(request, form_html, new_token=None):
    return settings_section_page(request, "Jetons d'accès", form=form_html, new_token=new_token,
                                 tokens=user_tokens(request.dbsession, request.user),
                                 docs_url=request.route_path("api_openapi"))


@view_config(route_name="settings_api_tokens", renderer="vvs_api:templates/api_tokens.pt", permission="account")
def api_tokens_view(request):
    form = make_form(request, TokenSchema(), "Créer le jeton", formid="jeton")
    if request.method != "POST":
        return token_page(request, form.render())
    data, rendered = validate(request, form)
    if data is None:
        request.response.status = 400
        return token_page(request, rendered)
    try:
        row, token = issue_api_token(request.dbsession, request.user, data["name"])
    except TokenRefused as refused:
        request.response.status = 400
        return token_page(request, field_error(form, "name", str(refused)))
    request.registry.vvs_plugins.hook.vvs_api_token_issued(request=request, token_id=row.id, user=request.user)
    request.response.headers["Cache-Control"] = "no-store"
    return token_page(request, form.render(), new_token=token)


@view_config(route_name="settings_api_token_revoke", request_method="POST", permission="account")
def api_token_revoke_view(request):
    if not revoke_api_token(request.dbsession, request.user, int(request.matchdict["token_id"])):
        raise HTTPNotFound()
    request.flash("Le jeton est révoqué : il ne donne plus accès à votre compte.", "success")
    return HTTPSeeOther(request.route_path("settings_api_tokens"))
