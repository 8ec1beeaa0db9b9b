"""The register's pages. Residents: register themself, someone they legally represent,
or — with a written request — someone else; see and withdraw their entries. The person
a third party registered: the objection page (a link sent to them, no account needed).
The CCAS (agents with the role « CCAS », second factor passed): the register, each
entry, the review, the removal, the exports for the préfet, the log of readings. Every
reading of personal data writes its line in that log."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import or_, select

from vvs_core.models import row_id
from vvs_core.web import french
from vvs_core.web.forms import confirmed
from vvs_core.clock import utcnow
from vvs_core.accounts.phones import display_phone
from vvs_core.web.french import sort_key

from . import READ
from . import register as service
from .exports import register_csv, register_pdf
from .forms import LIMITS, check_form
from .models import ORIGINS, SITUATIONS, STATES, VulnerableEntry, VulnerablePriorityList, VulnerableReading
from .sealing import unseal

T = "vvs_vulnerable:templates/"


def _entry_id(request) -> int:
    if (found := row_id(request.matchdict.get("entry_id"))) is None:
        raise HTTPNotFound()
    return found


# --- Residents ----------------------------------------------------------------------------

def _signup_page(request, commune, errors=None, values=None):
    user = request.user
    defaults = {"origin": "self", "name": user.full_name, "address": user.address_label,
                "phone": display_phone(user.mobile) if user.mobile else "", "email": "", "situations": [],
                "needs": "", "contact": "", "quality": "", "relationship": "", "written_request": ""}
    return {"title": "M’inscrire au registre des personnes vulnérables", "commune": commune, "origins": ORIGINS,
            "situations": SITUATIONS, "errors": errors or {}, "values": values or defaults, "limits": LIMITS}


@view_config(route_name="vulnerable_signup", permission="resident", renderer=T + "signup.pt")
def signup_view(request):
    commune = service.home_commune(request.dbsession, request.user)
    if commune is None:
        raise HTTPNotFound()
    if request.method != "POST":
        return _signup_page(request, commune)
    origin, data, errors, values = check_form(request)
    if errors:
        request.response.status = 400
        return _signup_page(request, commune, errors, values)
    entry, _token = service.register(request, commune, request.user, origin, data)
    if origin == "third_party":
        told = "elle a été prévenue (SMS, appel ou e-mail)" if entry.informed_at else "le CCAS la préviendra par courrier"
        request.flash(f"Demande enregistrée : {data['name']} sera inscrite dans 8 jours sauf opposition de sa part "
                      f"({told}).", "success")
    else:
        request.flash(f"{data['name']} est inscrite au registre : le CCAS {french.de(commune.name)} pourra la contacter en "
                      "cas de canicule, de grand froid ou de crise.", "success")
    return HTTPSeeOther(request.route_path("vulnerable_mine"))


def _own_entries(request):
    user_id = request.user.id
    return list(request.dbsession.scalars(select(VulnerableEntry).where(
        or_(VulnerableEntry.user_id == user_id, VulnerableEntry.created_by_id == user_id))
        .order_by(VulnerableEntry.id.desc())))


@view_config(route_name="vulnerable_mine", permission="resident", renderer=T + "mine.pt")
def mine_view(request):
    now = utcnow()
    settings = request.registry.settings
    rows = [(e, unseal(settings, e.sealed), e.state(now)) for e in _own_entries(request)]
    return {"title": "Mes inscriptions au registre des personnes vulnérables", "rows": rows, "states": STATES,
            "origins": ORIGINS}


@view_config(route_name="vulnerable_withdraw", permission="resident", request_method="POST")
def withdraw_view(request):
    entry_id = _entry_id(request)
    entry = next((e for e in _own_entries(request) if e.id == entry_id), None)
    if entry is None:
        raise HTTPNotFound()
    if entry.status == "active":
        name = unseal(request.registry.settings, entry.sealed).get("name") or "cette personne"
        page = confirmed(request, f"Retirer l'inscription de {name} ?",
                         "Ses informations seront effacées du registre : le CCAS ne pourra plus la contacter en cas "
                         "de canicule, de grand froid ou de crise. Vous pourrez l'inscrire à nouveau.",
                         "Retirer l'inscription", request.route_path("vulnerable_mine"))
        if page is not None:
            return page
        service.close(entry, "withdrawn")
        request.flash("Inscription retirée : les informations sont effacées du registre.", "success")
    return HTTPSeeOther(request.route_path("vulnerable_mine"))


@view_config(route_name="vulnerable_object", permission="public", renderer=T + "object.pt")
def object_view(request):
    entry = service.entry_by_token(request.dbsession, str(request.matchdict.get("token", "")))
    page = {"title": "Opposition à une inscription au registre des personnes vulnérables", "entry": entry,
            "done": False}
    if entry is None or entry.status != "active":
        request.response.status = 404 if entry is None else 200
        return {**page, "entry": None, "done": entry is not None}
    if request.method == "POST":
        service.close(entry, "objected")
        return {**page, "done": True}
    return page


# --- The CCAS -----------------------------------------------------------------------------

def _entry(context, request) -> tuple[VulnerableEntry, dict]:
    entry = request.dbsession.get(VulnerableEntry, _entry_id(request))
    if entry is None or entry.commune_id != context.commune.id:
        raise HTTPNotFound()
    return entry, unseal(request.registry.settings, entry.sealed)


@view_config(route_name="vulnerable_list", permission=READ, renderer=T + "list.pt")
def list_view(context, request):
    commune = context.commune
    rows = service.entries_of(request, commune.id, states=("active", "waiting"))
    now = utcnow()
    service.log_reading(request, commune.id, "consultation du registre", detail=french.count(len(rows), "fiche affichée", "fiches affichées"))
    return {"title": f"Registre des personnes vulnérables {french.de(commune.name)}", "commune": commune, "rows": rows,
            "states": STATES, "now": now, "situation_labels": service.situation_labels, "display_phone": display_phone}


@view_config(route_name="vulnerable_entry", permission=READ, renderer=T + "entry.pt")
def entry_view(context, request):
    entry, data = _entry(context, request)
    service.log_reading(request, context.commune.id, "lecture d'une fiche", entry.id)
    return {"title": f"Fiche : {data.get('name') or 'effacée'}", "commune": context.commune, "entry": entry,
            "data": data, "state": STATES[entry.state(utcnow())], "origin": ORIGINS.get(entry.origin, entry.origin),
            "situation_labels": service.situation_labels, "display_phone": display_phone,
            "review_due": entry.next_review_at <= utcnow()}


@view_config(route_name="vulnerable_review", permission=READ, request_method="POST")
def review_view(context, request):
    entry, _data = _entry(context, request)
    if entry.status == "active":
        now = utcnow()
        entry.reviewed_at, entry.next_review_at = now, now + service.review_delta(request.registry.settings)
        service.log_reading(request, context.commune.id, "revue d'une fiche", entry.id)
        request.flash("Fiche revue : prochaine revue dans un an.", "success")
    return HTTPSeeOther(request.route_path("vulnerable_entry", insee=context.commune.insee, entry_id=entry.id))


@view_config(route_name="vulnerable_remove", permission=READ, request_method="POST")
def remove_view(context, request):
    entry, data = _entry(context, request)
    if entry.status == "active":
        page = confirmed(request, f"Radier {data.get('name') or 'cette personne'} du registre ?",
                         "Ses informations seront effacées : elle ne figurera plus dans le registre ni dans les "
                         "exports pour le préfet. C'est définitif ; pour la réinscrire, il faudra une nouvelle "
                         "inscription.", "Radier du registre",
                         request.route_path("vulnerable_entry", insee=context.commune.insee, entry_id=entry.id))
        if page is not None:  # it shows the name: a reading
            service.log_reading(request, context.commune.id, "lecture d'une fiche", entry.id)
            return page
        service.close(entry, "removed")
        service.log_reading(request, context.commune.id, "radiation d'une fiche", entry.id)
        request.flash("Personne radiée du registre : ses informations sont effacées.", "success")
    return HTTPSeeOther(request.route_path("vulnerable_list", insee=context.commune.insee))


def _export(context, request, kind: str):
    commune = context.commune
    rows = service.entries_of(request, commune.id)
    service.log_reading(request, commune.id, f"export {kind.upper()} pour le préfet", detail=french.count(len(rows), "fiche", "fiches"))
    return commune, rows


@view_config(route_name="vulnerable_export_csv", permission=READ)
def export_csv_view(context, request):
    commune, rows = _export(context, request, "csv")
    return Response(body=register_csv(rows).encode("utf-8-sig"), content_type="text/csv", charset="utf-8",
                    content_disposition=f'attachment; filename="registre-vulnerables-{commune.insee}.csv"')


@view_config(route_name="vulnerable_export_pdf", permission=READ)
def export_pdf_view(context, request):
    commune, rows = _export(context, request, "pdf")
    return Response(body=register_pdf(request, commune, rows), content_type="application/pdf",
                    content_disposition=f'attachment; filename="registre-vulnerables-{commune.insee}.pdf"')


@view_config(route_name="vulnerable_priority", permission=READ, renderer=T + "priority.pt")
def priority_view(context, request):
    """A list of registered people to reach first (a roll-call, a crisis): its reading is logged."""
    found = row_id(request.matchdict.get("list_id"))
    listed = request.dbsession.get(VulnerablePriorityList, found) if found else None
    if listed is None or listed.commune_id != context.commune.id:
        raise HTTPNotFound()
    entries = request.dbsession.scalars(select(VulnerableEntry).where(VulnerableEntry.id.in_(listed.entry_ids or [-1])))
    now, settings = utcnow(), request.registry.settings
    rows = sorted([(e, unseal(settings, e.sealed), e.state(now)) for e in entries],
                  key=lambda row: (row[2] != "active", sort_key(row[1].get("name"))))
    service.log_reading(request, context.commune.id, "lecture d'une liste prioritaire",
                        detail=f"liste n° {listed.id}, {french.count(len(rows), 'personne', 'personnes')}")
    return {"title": f"Personnes inscrites à joindre en priorité ({len(rows)})", "commune": context.commune,
            "listed": listed, "rows": rows, "states": STATES, "situation_labels": service.situation_labels,
            "display_phone": display_phone}


@view_config(route_name="vulnerable_journal", permission=READ, renderer=T + "journal.pt")
def journal_view(context, request):
    readings = request.dbsession.scalars(select(VulnerableReading).where(
        VulnerableReading.commune_id == context.commune.id).order_by(VulnerableReading.at.desc(),
                                                                       VulnerableReading.id.desc()).limit(500))
    return {"title": f"Journal des lectures du registre {french.de(context.commune.name)}",
            "commune": context.commune, "readings": list(readings)}
