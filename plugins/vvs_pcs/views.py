"""The agents' pages of the Plan communal de sauvegarde: the plan (cell, prepared
messages, past crises), « Activer le PCS », the crisis page (main courante, one-click
messages, notes, « fin de crise ») and the main courante's PDF. Logic is in ``crisis``."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from vvs_core.models import row_id
from vvs_core.web import french
from vvs_core.accounts.phones import display_phone, normalise_phone
from vvs_core.web.forms import clean_text, read_fields, typed

from . import PERMISSION, crisis as service, forms
from .logpdf import log_pdf
from .models import BODY_MAX, FUNCTION_MAX, NAME_MAX, NOTE_MAX, TITLE_MAX, PcsCellMember, PcsCrisis, PcsTemplate

T = "vvs_pcs:templates/"
END_DEFAULT = "Fin de crise : la situation est revenue à la normale. Merci à toutes et à tous de votre vigilance."
ACTIVATE_DEFAULT = ""


def _id(request, key: str) -> int:
    if (found := row_id(request.matchdict.get(key))) is None:
        raise HTTPNotFound()
    return found


def _own(context, request, model, key):
    row = request.dbsession.get(model, _id(request, key))
    if row is None or row.commune_id != context.commune.id:
        raise HTTPNotFound()
    return row


def _done(context, request, route: str, message: str) -> HTTPSeeOther:
    """Back to the commune's list ``route``, saying ``message``."""
    request.flash(message, "success")
    return HTTPSeeOther(request.route_path(route, insee=context.commune.insee))


def _remove(context, request, model, key: str, route: str, said) -> HTTPSeeOther:
    """Deletes the commune's own ``model`` row named by ``key``, and back to ``route`` saying ``said(row)``."""
    row = _own(context, request, model, key)
    request.dbsession.delete(row)
    return _done(context, request, route, said(row))


def _home_url(request, context) -> str:
    return request.route_path("pcs_home", insee=context.commune.insee)


def _crisis_url(request, context, crisis) -> str:
    return request.route_path("pcs_crisis", insee=context.commune.insee, crisis_id=crisis.id)


# --- The plan -----------------------------------------------------------------------

def _home_page(context, request, errors=None, values=None):
    db, commune = request.dbsession, context.commune
    return {"title": f"Plan communal de sauvegarde {french.de(commune.name)}", "commune": commune,
            "current": service.open_crisis(db, commune.id), "cell": service.cell_of(db, commune.id),
            "templates": service.templates_of(db, commune.id), "crises": service.crises_of(db, commune.id),
            "errors": errors or {}, "values": values or {"title": ACTIVATE_DEFAULT, "exercise": False},
            "title_max": TITLE_MAX, "display_phone": display_phone}


@view_config(route_name="pcs_home", permission=PERMISSION, renderer=T + "home.pt")
def home_view(context, request):
    return _home_page(context, request)


@view_config(route_name="pcs_activate", permission=PERMISSION, request_method="POST", renderer=T + "home.pt")
def activate_view(context, request):
    data, errors = read_fields(request, forms.ActivateSchema())
    title, exercise = data.get("title", _shown(request, "title")), data.get("exercise") == "1"
    if errors:
        request.response.status = 400
        return _home_page(context, request, errors, {"title": title, "exercise": exercise})
    try:
        crisis = service.activate(request, context.commune, request.user, title, exercise)
    except service.CrisisRefused as refused:
        request.flash(str(refused), "info")
        return HTTPSeeOther(_home_url(request, context))
    request.flash(("Exercice du PCS lancé" if exercise else "PCS activé") + " : la cellule de crise est prévenue.",
                  "success")
    return HTTPSeeOther(_crisis_url(request, context, crisis))


# --- The crisis cell ------------------------------------------------------------------

def _cell_page(context, request, errors=None, values=None):
    return {"title": f"Cellule de crise {french.de(context.commune.name)}", "commune": context.commune,
            "cell": service.cell_of(request.dbsession, context.commune.id), "display_phone": display_phone,
            "errors": errors or {}, "values": values or {}, "name_max": NAME_MAX, "function_max": FUNCTION_MAX}


def _shown(request, name: str) -> str:
    """What was typed in ``name``, to show beside its error (control characters dropped)."""
    return clean_text(typed(request, name)[name])


def check_member(request) -> tuple[dict, dict, dict]:
    """(clean values, errors by field, values to show again) of a member of the cell."""
    data, errors = read_fields(request, forms.MemberSchema())
    values = {k: data[k] if k in data else _shown(request, k) for k in ("name", "function", "phone", "email")}
    clean = dict(values)
    clean["phone"], problem = normalise_phone(values["phone"]) if "phone" not in errors else (None, None)
    if problem:
        errors["phone"] = "Numéro de téléphone invalide (par exemple 06 12 34 56 78)."
    if not errors and not clean["phone"] and not clean["email"]:
        errors["phone"] = "Indiquez au moins un téléphone ou une adresse e-mail : la cellule doit pouvoir être jointe."
    return clean, errors, values


@view_config(route_name="pcs_cell", permission=PERMISSION, renderer=T + "cell.pt")
def cell_view(context, request):
    if request.method != "POST":
        return _cell_page(context, request)
    clean, errors, values = check_member(request)
    if errors:
        request.response.status = 400
        return _cell_page(context, request, errors, values)
    request.dbsession.add(PcsCellMember(commune_id=context.commune.id, name=clean["name"], function=clean["function"],
                                        phone=clean["phone"] or "", email=clean["email"], added_by_id=request.user.id))
    return _done(context, request, "pcs_cell", f"{clean['name']} fait partie de la cellule de crise.")


@view_config(route_name="pcs_cell_remove", permission=PERMISSION, request_method="POST")
def cell_remove_view(context, request):
    return _remove(context, request, PcsCellMember, "member_id", "pcs_cell",
                   lambda member: f"{member.name} ne fait plus partie de la cellule de crise.")


# --- The prepared messages -------------------------------------------------------------

def _templates_page(context, request, errors=None, values=None):
    return {"title": f"Messages préparés {french.de(context.commune.name)}", "commune": context.commune,
            "templates": service.templates_of(request.dbsession, context.commune.id), "errors": errors or {},
            "values": values or {}, "title_max": TITLE_MAX, "body_max": BODY_MAX}


@view_config(route_name="pcs_templates", permission=PERMISSION, renderer=T + "templates.pt")
def templates_view(context, request):
    if request.method != "POST":
        return _templates_page(context, request)
    data, errors = read_fields(request, forms.TemplateSchema())
    values = {k: data[k] if k in data else _shown(request, k) for k in ("title", "body")}
    if errors:
        request.response.status = 400
        return _templates_page(context, request, errors, values)
    request.dbsession.add(PcsTemplate(commune_id=context.commune.id, title=values["title"], body=values["body"],
                                      added_by_id=request.user.id))
    return _done(context, request, "pcs_templates", f"Message « {values['title']} » prêt à être envoyé en cas de crise.")


@view_config(route_name="pcs_template_remove", permission=PERMISSION, request_method="POST")
def template_remove_view(context, request):
    return _remove(context, request, PcsTemplate, "template_id", "pcs_templates",
                   lambda template: f"Message « {template.title} » retiré.")


# --- The crisis --------------------------------------------------------------------------

def _crisis_page(context, request, crisis, errors=None, values=None):
    db = request.dbsession
    mark = "Exercice du PCS" if crisis.exercise else "Crise"
    return {"title": f"{mark} : {crisis.title}", "commune": context.commune, "crisis": crisis,
            "entries": service.log_of(db, crisis.id), "templates": service.templates_of(db, context.commune.id),
            "errors": errors or {}, "values": values or {"note": "", "end": END_DEFAULT}, "note_max": NOTE_MAX,
            "body_max": BODY_MAX}


@view_config(route_name="pcs_crisis", permission=PERMISSION, renderer=T + "crisis.pt")
def crisis_view(context, request):
    return _crisis_page(context, request, _own(context, request, PcsCrisis, "crisis_id"))


def _reach_lines(reach: dict | None) -> list[str]:
    """« 2 SMS », « 3 e-mails »… of a reach (``crisis.cell_reach`` or ``crisis.population_reach``)."""
    words = {"sms": ("SMS", "SMS"), "email": ("e-mail", "e-mails"), "push": ("notification", "notifications"),
             "voice": ("appel", "appels")}
    channels = (reach or {}).get("channels") or {}
    return [french.count(channels[c], *words[c]) for c in words if channels.get(c)]


def _confirm_page(context, request, crisis, what: dict):
    """The step before anything leaves: exactly what will be sent and to whom, then one button."""
    request.response.status = 200
    return render_to_response(T + "confirm.pt", {
        "title": what["title"], "commune": context.commune, "crisis": crisis, "what": what,
        "cell_lines": _reach_lines(what.get("cell")), "population_lines": _reach_lines(what.get("population")),
        "back": _crisis_url(request, context, crisis)}, request=request)


@view_config(route_name="pcs_message", permission=PERMISSION, request_method="POST", renderer=T + "crisis.pt")
def message_view(context, request):
    """First post: the confirmation page (the message, the reach by channel); the second, with ``confirm``
    and the number of messages already sent when the page was shown, sends — once."""
    crisis = _own(context, request, PcsCrisis, "crisis_id")
    found = row_id(read_fields(request, forms.MessageSchema())[0]["template_id"])
    template = request.dbsession.get(PcsTemplate, found) if found else None
    if template is None or template.commune_id != context.commune.id:
        request.response.status = 400
        return _crisis_page(context, request, crisis, {"message": "Choisissez un des messages préparés."})
    sent_before, confirm = (typed(request, "sent_before", "confirm")[k] for k in ("sent_before", "confirm"))
    if confirm != "1" or not (sent_before.isascii() and sent_before.isdigit()) or len(sent_before) > 6:
        if not crisis.is_open:
            request.response.status = 400
            return _crisis_page(context, request, crisis, {"message": "Cette crise est close : aucun message ne "
                                                                      "peut plus être envoyé."})
        return _confirm_page(context, request, crisis, {
            "kind": "message", "title": f"Envoyer « {template.title} » ?", "subject": template.title,
            "body": template.body, "template_id": template.id, "sent_before": len(crisis.alert_ids or []),
            "population": service.population_reach(request, context.commune, {
                "title": template.title, "body": template.body, "exercise": crisis.exercise})})
    try:
        answer = service.send_message(request, context.commune, crisis, request.user, template, int(sent_before))
    except service.CrisisRefused as refused:
        if str(refused) == service.ALREADY_SENT:
            request.flash(str(refused), "info")
            return HTTPSeeOther(_crisis_url(request, context, crisis) + "#main-courante")
        request.response.status = 400
        return _crisis_page(context, request, crisis, {"message": str(refused)})
    request.flash(f"« {template.title} » envoyé à la population : {answer.get('reach', '')}.", "success")
    return HTTPSeeOther(_crisis_url(request, context, crisis))


@view_config(route_name="pcs_note", permission=PERMISSION, request_method="POST", renderer=T + "crisis.pt")
def note_view(context, request):
    crisis = _own(context, request, PcsCrisis, "crisis_id")
    data, errors = read_fields(request, forms.NoteSchema())
    note = data.get("note", _shown(request, "note"))
    values = {"note": note, "end": END_DEFAULT}
    error = errors.get("note")
    if error is None:
        try:
            service.add_note(request, crisis, request.user, note)
        except service.CrisisRefused as refused:
            error = str(refused)
    if error:
        request.response.status = 400
        return _crisis_page(context, request, crisis, {"note": error}, values)
    request.flash("Inscrit à la main courante.", "success")
    return HTTPSeeOther(_crisis_url(request, context, crisis) + "#main-courante")


@view_config(route_name="pcs_end", permission=PERMISSION, request_method="POST", renderer=T + "crisis.pt")
def end_view(context, request):
    crisis = _own(context, request, PcsCrisis, "crisis_id")
    data, errors = read_fields(request, forms.EndSchema())
    body = data.get("end", _shown(request, "end"))
    values = {"note": "", "end": body}
    error = errors.get("end")
    if error is None and typed(request, "confirm")["confirm"] != "1":
        if not crisis.is_open:
            request.flash("Cette crise a déjà été close.", "info")
            return HTTPSeeOther(_crisis_url(request, context, crisis))
        return _confirm_page(context, request, crisis, {
            "kind": "end", "title": "Annoncer la fin de crise ?", "subject": "Fin de crise", "body": body,
            "cell_sms": service.cell_sms(request, context.commune, crisis, "fin de crise", body),
            "cell": service.cell_reach(request, context.commune),
            "population": service.population_reach(request, context.commune, {
                "title": "", "body": body, "exercise": crisis.exercise}, crisis.alert_ids) if crisis.alert_ids else None})
    if error is None:
        try:
            service.end(request, context.commune, crisis, request.user, body)
        except service.CrisisRefused as refused:
            request.flash(str(refused), "info")
            return HTTPSeeOther(_crisis_url(request, context, crisis))
    if error:
        request.response.status = 400
        return _crisis_page(context, request, crisis, {"end": error}, values)
    request.flash("Fin de crise annoncée : la main courante est close et disponible en PDF.", "success")
    return HTTPSeeOther(_crisis_url(request, context, crisis))


@view_config(route_name="pcs_log_pdf", permission=PERMISSION)
def log_pdf_view(context, request):
    crisis = _own(context, request, PcsCrisis, "crisis_id")
    body = crisis.log_pdf or log_pdf(request, context.commune, crisis, service.log_of(request.dbsession, crisis.id))
    return Response(body=body, content_type="application/pdf", content_disposition=(
        f'attachment; filename="main-courante-{context.commune.insee}-{crisis.id}.pdf"'))


def dashboard_read(commune_id: int):
    """The commune's open crisis (if any) and its number of crises, as one scalar expression."""
    from vvs_core.web.batch import json_rows

    return json_rows(select(PcsCrisis.id.label("id"), PcsCrisis.title.label("title"),
                            PcsCrisis.exercise.label("exercise"), PcsCrisis.started_at.label("started_at"))
                     .where(PcsCrisis.commune_id == commune_id, PcsCrisis.ended_at.is_(None)))
