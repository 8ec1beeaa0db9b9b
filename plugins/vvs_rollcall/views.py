"""The pages of the mairie (and of a référent allowed to launch): the list, launching,
the commune's settings, the live page and its JSON, an answer noted by an agent,
closing, and the summary with its CSV."""
from __future__ import annotations

import json

from markupsafe import escape
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from vvs_core.clock import utcnow
from vvs_core.web.french import count
from vvs_core.models import Community, User, row_id
from vvs_core.web.forms import typed
from vvs_core.web.timefmt import dates
from vvs_core.web.textsearch import folded

from . import CONFIGURE, EXPORT, LAUNCH, VIEW, audience, forms
from .models import DUTIES, MAX_WAVES, TARGETS, RollCall, RollCallPerson, to_duties
from .service import AnswerRefused, close, launch, log, log_of, record_answer, settings_of
from .summary import STATES, counts, people_state, summary_csv

T = "vvs_rollcall:templates/"


def assets(request, *scripts, map=False):
    js = [request.static_path("vvs_core:static/js/area-field.js") if s == "area-field.js"
          else request.static_path(f"vvs_rollcall:static/{s}") for s in scripts]
    css = [request.static_path("vvs_rollcall:static/rollcall.css")]
    if map:
        return request.layout.map_assets(*js, css=css)
    return {"extra_js": js, "extra_css": css}


def is_agent(request, commune) -> bool:
    return f"commune:{commune.insee}:agent" in request.principals


def referent_communities(request, context) -> list[Community]:
    """The communities of the commune whose référent the viewer is."""
    ids = [i for i in context.community_ids if f"community:{i}:referent" in request.principals]
    return list(request.dbsession.scalars(select(Community).where(Community.id.in_(ids or [-1]))
                                          .order_by(folded(Community.name))))


def map_centre(commune) -> str:
    return json.dumps([round(commune.centre.x, 6), round(commune.centre.y, 6)]) if commune.centre is not None else "null"


def communities_geojson(dbsession, commune_id) -> str:
    import shapely

    rows = dbsession.execute(select(Community.id, Community.name, Community.boundary)
                             .where(Community.commune_id == commune_id, Community.archived_at.is_(None))
                             .order_by(folded(Community.name))).all()
    features = [{"type": "Feature", "properties": {"id": i, "name": name},
                 "geometry": json.loads(shapely.to_geojson(boundary))} for i, name, boundary in rows if boundary is not None]
    return json.dumps({"type": "FeatureCollection", "features": features})


# --- List, launch, settings -------------------------------------------------------------

@view_config(route_name="rollcall_index", permission=LAUNCH, renderer=T + "index.pt")
def index_view(context, request):
    commune = context.commune
    stmt = select(RollCall).where(RollCall.commune_id == commune.id)
    if not is_agent(request, commune):
        mine = {c.id for c in referent_communities(request, context)}
        rows = [r for r in request.dbsession.scalars(stmt.where(RollCall.launched_as == "referent")
                                                    .order_by(RollCall.created_at.desc()).limit(200))
                if set(r.community_ids or []) & mine]
    else:
        rows = list(request.dbsession.scalars(stmt.order_by(RollCall.created_at.desc()).limit(50)))
    return {"title": "Appels « Êtes-vous en sécurité ? »", "commune": commune, "rollcalls": rows,
            "agent": is_agent(request, commune), **assets(request)}


@view_config(route_name="rollcall_new", permission=LAUNCH, renderer=T + "new.pt")
def new_view(context, request):
    commune = context.commune
    agent = is_agent(request, commune)
    if agent:
        communities = list(request.dbsession.scalars(select(Community).where(Community.commune_id == commune.id,
                                                                              Community.archived_at.is_(None))
                                                     .order_by(folded(Community.name))))
    else:
        communities = referent_communities(request, context)
    chosen = request.params.get("communaute", "")
    page = {"title": "Lancer « Êtes-vous en sécurité ? »", "commune": commune, "agent": agent, "targets": TARGETS,
            "communities": communities, "errors": {}, "estimate": None,
            "values": {"target": "commune" if agent else "communities",
                       "community_ids": [found] if (found := row_id(chosen)) else [],
                       "area_json": "", "message": "", "exercise": False},
            "map_centre": map_centre(commune), "map_data": communities_geojson(request.dbsession, commune.id),
            "waves": settings_of(request.dbsession, commune.id).waves, "to_duties": to_duties,
            **assets(request, "area-field.js", "launch.js", map=True)}
    if request.method != "POST":
        return page
    data, errors = forms.parse_launch(request.POST, [c.id for c in communities], referent=not agent)
    values = {**page["values"], **data}
    if errors:
        request.response.status = 400
        return {**page, "values": values, "errors": errors}
    asked = audience.people(request.dbsession, commune.id, data["target"], data["community_ids"], data["area"])
    estimate = count(len(asked), "personne sera interrogée", "personnes seront interrogées")
    if not asked:
        request.response.status = 400
        return {**page, "values": values, "estimate": estimate,
                "errors": {"target": "Personne n'habite là : élargissez la zone ou choisissez d'autres communautés."}}
    if typed(request, "confirm")["confirm"] != "1":
        return {**page, "values": values, "estimate": estimate}
    rollcall = launch(request, commune, request.user, data, launched_as="mairie" if agent else "referent")
    request.flash(f"Appel lancé : {estimate}.", "success")
    return HTTPSeeOther(request.route_path("rollcall_live", insee=commune.insee, rollcall_id=rollcall.id))


@view_config(route_name="rollcall_settings", permission=CONFIGURE, renderer=T + "settings.pt")
def settings_view(context, request):
    commune = context.commune
    row = settings_of(request.dbsession, commune.id)
    waves = list(row.waves or []) + [{"minutes": "", "to": []}] * (MAX_WAVES - len(row.waves or []))
    page = {"title": "Réglages des appels de sécurité", "commune": commune, "duties": DUTIES, "errors": {},
            "waves": waves, "referents_may_launch": row.referents_may_launch,
            "retention_days": "" if row.retention_days is None else str(row.retention_days),
            "site_retention": int(request.registry.settings["vvs.rollcall.retention_days"]), **assets(request)}
    if request.method != "POST":
        return page
    data, errors = forms.parse_settings(request.POST)
    if errors:
        request.response.status = 400
        shown = typed(request, "retention_days", *(f"minutes_{n}" for n in range(1, MAX_WAVES + 1)))
        posted = [{"minutes": shown[f"minutes_{n}"], "to": request.POST.getall(f"to_{n}")} for n in range(1, MAX_WAVES + 1)]
        return {**page, "errors": errors, "waves": posted, "referents_may_launch": data["referents_may_launch"],
                "retention_days": shown["retention_days"][:20]}
    row = settings_of(request.dbsession, commune.id, create=True)
    row.waves, row.referents_may_launch = data["waves"], data["referents_may_launch"]
    row.retention_days = data["retention_days"]
    row.updated_at, row.updated_by_id = utcnow(), request.user.id
    request.flash("Réglages enregistrés : ils valent pour les prochains appels.", "success")
    return HTTPSeeOther(request.route_path("rollcall_settings", insee=commune.insee))


# --- Live page -----------------------------------------------------------------------

def live_data(request, context) -> dict:
    rollcall = context.rollcall
    people = people_state(request.dbsession, rollcall) if rollcall.is_open else rollcall.summary["people"]
    figures = counts(people)
    return {"people": people, "counts": figures}


@view_config(route_name="rollcall_live", permission=VIEW, renderer=T + "live.pt")
def live_view(context, request):
    rollcall, commune = context.rollcall, context.commune
    data = live_data(request, context)
    author = request.dbsession.get(User, rollcall.author_id) if rollcall.author_id else None
    return {"title": "Appel « Êtes-vous en sécurité ? »", "commune": commune, "rollcall": rollcall, "author": author,
            "states": STATES, "log": log_of(request.dbsession, rollcall.id), "map_centre": map_centre(commune),
            "duties": DUTIES, "map_data": communities_geojson(request.dbsession, commune.id),
            "people_json": json.dumps(data["people"]), **data,
            **assets(request, "live.js", map=True)}


@view_config(route_name="rollcall_state", permission=VIEW, renderer="json")
def state_view(context, request):
    data = live_data(request, context)
    rollcall = context.rollcall
    return {"open": rollcall.is_open, "counts": data["counts"], "people": data["people"],
            "log": [{"at": dates.datetime_seconds(entry.at), "text": entry.text, "who": user.full_name if user else "système"}
                    for entry, user in log_of(request.dbsession, rollcall.id)[-20:]]}


@view_config(route_name="rollcall_mark", permission=VIEW, request_method="POST")
def mark_view(context, request):
    """An agent (or the référent) reached the person another way and notes their answer."""
    rollcall = context.rollcall
    live = request.route_path("rollcall_live", insee=context.commune.insee, rollcall_id=rollcall.id)
    raw = request.matchdict["person_id"]
    person = request.dbsession.get(RollCallPerson, int(raw)) if len(raw) < 12 else None
    if person is None or person.rollcall_id != rollcall.id:
        raise HTTPNotFound()
    data, errors = forms.parse_answer(request.POST)
    if errors:
        if "answer" in errors:
            errors["answer"] = "Choisissez « en sécurité » ou « besoin d'aide »."
        request.flash(" ".join(errors.values()), "error")
        return HTTPSeeOther(live)
    try:
        record_answer(request, person.id, data["answer"], "agent", note=data["note"], actor=request.user)
    except AnswerRefused:
        request.flash("Cet appel est clos : rien n'a été changé.", "error")
        return HTTPSeeOther(live)
    request.flash("Réponse notée.", "success")
    return HTTPSeeOther(live + f"#personne-{person.id}")


@view_config(route_name="rollcall_close", permission=VIEW, request_method="POST")
def close_view(context, request):
    rollcall = context.rollcall
    if close(request, rollcall.id, request.user):
        request.flash("Appel clos : voici son bilan.", "success")
    else:
        request.flash("Cet appel était déjà clos.", "info")
    return HTTPSeeOther(request.route_path("rollcall_summary", insee=context.commune.insee, rollcall_id=rollcall.id))


# --- Summary --------------------------------------------------------------------------

def _closed(context):
    if context.rollcall.is_open:
        return None
    return context.rollcall.summary


@view_config(route_name="rollcall_summary", permission=VIEW, renderer=T + "summary.pt")
def summary_view(context, request):
    rollcall, commune = context.rollcall, context.commune
    summary = _closed(context)
    if summary is None:
        return HTTPSeeOther(request.route_path("rollcall_live", insee=commune.insee, rollcall_id=rollcall.id))
    author = request.dbsession.get(User, rollcall.author_id) if rollcall.author_id else None
    return {"title": "Bilan de l'appel « Êtes-vous en sécurité ? »", "commune": commune, "rollcall": rollcall,
            "author": author, "may_export": request.has_permission(EXPORT, context), "summary": summary, "counts": summary["counts"], "people": summary["people"],
            "log": log_of(request.dbsession, rollcall.id), "states": STATES, **assets(request)}


@view_config(route_name="rollcall_summary_csv", permission=VIEW)
def summary_csv_view(context, request):
    summary = _closed(context)
    if summary is None:
        raise HTTPNotFound()
    log(request.dbsession, context.rollcall, "export", "Bilan téléchargé (CSV).", request.user)
    name = f"appel-securite-{context.commune.insee}-{context.rollcall.id}.csv"
    return Response(summary_csv(summary["people"]), content_type="text/csv", charset="utf-8",
                    content_disposition=f'attachment; filename="{name}"')


@view_config(route_name="rollcall_summary_pdf", permission=EXPORT)
def summary_pdf_view(context, request):
    from .summary_pdf import summary_pdf

    summary = _closed(context)
    if summary is None:
        raise HTTPNotFound()
    rollcall = context.rollcall
    author = request.dbsession.get(User, rollcall.author_id) if rollcall.author_id else None
    body = summary_pdf(request, context.commune, rollcall, summary, author)
    log(request.dbsession, rollcall, "export", "Bilan téléchargé (PDF).", request.user)
    name = f"appel-securite-{context.commune.insee}-{rollcall.id}.pdf"
    return Response(body=body, content_type="application/pdf", content_disposition=f'attachment; filename="{name}"')


# --- The mairie's dashboard -------------------------------------------------------------

def dashboard_read(commune_id: int):
    """The commune's open roll-calls (the latest five), as one scalar expression read with
    the dashboard's other widgets (vvs_core.web.batch: no statement of its own)."""
    from vvs_core.web.batch import json_rows

    return json_rows(select(RollCall.id.label("id"), RollCall.created_at.label("created_at"))
                     .where(RollCall.commune_id == commune_id, RollCall.status == "open")
                     .order_by(RollCall.created_at.desc()).limit(5))


def dashboard_panel(request, commune, rows) -> str:
    items = "".join(f'<li><a href="{escape(request.route_path("rollcall_live", insee=commune.insee, rollcall_id=r.id))}">'
                    f'Appel en cours depuis le {escape(dates.day_time(r.created_at))}</a></li>' for r in rows)
    launch_link = escape(request.route_path("rollcall_new", insee=commune.insee))
    listing = escape(request.route_path("rollcall_index", insee=commune.insee))
    return (f'<ul class="plain">{items}</ul>' if items else '<p class="muted">Aucun appel en cours.</p>') + \
        f'<p><a class="btn secondary" href="{launch_link}">Lancer un appel</a> <a href="{listing}">Tous les appels</a></p>'
