"""Messagerie: inbox, new conversation, a conversation, block, report, moderators' list."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config

from vvs_core.web.forms import make_form, posted, read, typed
from vvs_core.models import User, row_id
from vvs_core.web.pagination import paginate

from . import conversations as conv
from . import reports
from .audience import choices, label_for, shown_as
from .forms import ReplySchema, ReportSchema, ResolveSchema, new_conversation_schema
from .models import Message, MessageReport

FORM_PAGE = "vvs_core:web/templates/form_page.pt"
REPORTS_PAGE = 20  # reports of « Messages signalés » per page


def assets(request) -> dict:
    """The page's own style sheet (the one way a page names its assets: docs/architecture.md)."""
    return {"extra_css": [request.static_path("vvs_messaging:static/messaging.css")]}


@view_config(route_name="messaging_inbox", renderer="vvs_messaging:templates/inbox.pt", permission="messaging")
def inbox_view(request):
    page = conv.inbox_page(request, request.user)
    return {**assets(request), "title": "Messagerie", "rows": page.items, "pagination": page}


@view_config(route_name="messaging_new", renderer=FORM_PAGE, permission="messaging")
def new_view(request):
    options = choices(request, request.user)
    form = make_form(request, new_conversation_schema(options), "Envoyer", formid="new-conversation")
    page = {**assets(request), "title": "Nouveau message",
            "intro": "Vos voisins vous voient sous votre nom ; les membres d'autres communautés, "
                     "sous votre pseudonyme seulement."}
    if request.method != "POST":
        wanted = request.params.get("a", "")
        preset = {"recipients": [wanted]} if wanted in {v for v, _ in options} else {}
        return {**page, "form": form.render(preset)}
    data, rendered = posted(request, form)  # errors: 400
    if data is None:
        return {**page, "form": rendered}
    try:
        conversation = conv.start_conversation(request, request.user, [int(i) for i in data["recipients"]],
                                               data["subject"], data["text"])
    except conv.NotAllowed as exc:
        request.response.status = 400
        return {**page, "form": form.render(data), "error": str(exc)}  # what was typed stays
    request.flash("Message envoyé.", "success")
    return HTTPSeeOther(request.route_path("messaging_conversation", conversation_id=conversation.id))


@view_config(route_name="messaging_conversation", renderer="vvs_messaging:templates/conversation.pt",
             permission="account")
def conversation_view(request):
    found = conv.find_conversation(request.dbsession, request.matchdict["conversation_id"], request.user)
    if found is None:
        raise HTTPNotFound()
    conversation, me = found
    form = make_form(request, ReplySchema(), "Envoyer", formid="reply")
    rendered, error = None, None
    if request.method == "POST":
        data, rendered = posted(request, form)  # errors: 400
        if data is not None:
            try:
                conv.post_message(request, conversation, request.user, data["text"])
                return HTTPSeeOther(request.route_path("messaging_conversation", conversation_id=conversation.id))
            except conv.NotAllowed as exc:
                request.response.status = 400
                error, rendered = str(exc), form.render(data)
    people = shown_as(request, request.user, [p.user for p in conversation.participants if p.user is not None])
    blocked = conv.blocked_ids(request.dbsession, request.user.id)
    others = [{"id": p.user_id, "label": label_for(p.user, people.get(p.user_id)), "blocked": p.user_id in blocked}
              for p in conversation.participants if p.user_id != request.user.id]
    labels = {p.user_id: label_for(p.user, people.get(p.user_id)) for p in conversation.participants}
    labels[request.user.id] = "Vous"
    messages = conv.messages_for(request.dbsession, conversation, request.user, blocked)
    conv.mark_read(me)
    return {**assets(request), "title": conversation.subject or "Conversation", "conversation": conversation, "others": others,
            "messages": messages, "labels": labels, "form": rendered or form.render(), "error": error,
            "csrf": request.session.get_csrf_token()}


def _user_id(request) -> int:
    if not (found := row_id(request.matchdict["user_id"])) or request.dbsession.get(User, found) is None:
        raise HTTPNotFound()
    return found


def _back(request):
    target = typed(request, "back")["back"]  # a file sent for it counts as empty
    if target.startswith("/messagerie") and "//" not in target:
        return HTTPSeeOther(target)
    return HTTPSeeOther(request.route_path("messaging_inbox"))


@view_config(route_name="messaging_block", request_method="POST", permission="account")
def block_view(request):
    conv.block(request.dbsession, request.user, _user_id(request))
    request.flash("Cette personne ne pourra plus vous écrire.", "success")
    return _back(request)


@view_config(route_name="messaging_unblock", request_method="POST", permission="account")
def unblock_view(request):
    conv.unblock(request.dbsession, request.user, _user_id(request))
    request.flash("Cette personne peut de nouveau vous écrire.", "success")
    return _back(request)


@view_config(route_name="messaging_report", renderer=FORM_PAGE, permission="account")
def report_view(request):
    found = row_id(request.matchdict["message_id"])
    message = request.dbsession.get(Message, found) if found else None
    if message is None or conv.participant(request.dbsession, message.conversation_id, request.user.id) is None:
        raise HTTPNotFound()
    form = make_form(request, ReportSchema(), "Signaler", formid="report-message")
    page = {**assets(request), "title": "Signaler un message",
            "intro": "L'équipe de modération lira ce message pour décider de la suite."}
    data, rendered = posted(request, form)
    if data is None:
        return {**page, "form": rendered}
    reports.report_message(request.dbsession, message, request.user, data["reason"])
    request.flash("Merci : votre signalement est transmis à la modération.", "success")
    return HTTPSeeOther(request.route_path("messaging_conversation", conversation_id=message.conversation_id))


@view_config(route_name="messaging_reports", renderer="vvs_messaging:templates/reports.pt", permission="moderate")
def reports_view(request):
    rows = paginate(request, reports.open_reports(), REPORTS_PAGE, label="Pages des signalements")
    senders = {u.id: u for u in request.dbsession.query(User).filter(
        User.id.in_({m.sender_id for _r, m in rows if m.sender_id}))} if rows else {}
    return {**assets(request), "title": "Messages signalés", "rows": rows, "senders": senders,
            "csrf": request.session.get_csrf_token()}


@view_config(route_name="messaging_report_resolve", request_method="POST", permission="moderate")
def report_resolve_view(request):
    found = row_id(request.matchdict["report_id"])
    report = request.dbsession.get(MessageReport, found) if found else None
    if report is None or report.resolved_at is not None:
        raise HTTPNotFound()
    data, error = read(request, ResolveSchema())
    if error:
        raise HTTPBadRequest(error)
    reports.resolve(request, report, request.user, delete_message=data["action"] == "remove")
    request.flash("Signalement traité.", "success")
    return HTTPSeeOther(request.route_path("messaging_reports"))
