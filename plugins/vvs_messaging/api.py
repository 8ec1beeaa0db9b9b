"""Conversations in the JSON API: the inbox, starting a conversation, reading one
(which marks it read) and replying. Same rules as the pages (``conversations``,
``audience``): people are shown by name or pseudonym exactly as there."""
from __future__ import annotations


from . import conversations as conv
from .audience import label_for, shown_as
from vvs_core.web.timefmt import dates

API = "/api/v1/conversations"

SUMMARY_SCHEMA = {
    "type": "object", "required": ["id", "subject", "with", "unread", "last_message_at"],
    "properties": {"id": {"type": "integer"}, "subject": {"type": "string"}, "with": {"type": "string"},
                   "unread": {"type": "integer"}, "last_message_at": {"type": "string", "format": "date-time"}},
}
CONVERSATION_SCHEMA = {
    "type": "object", "required": ["id", "subject", "participants", "messages"],
    "properties": {
        "id": {"type": "integer"}, "subject": {"type": "string"},
        "participants": {"type": "array", "items": {
            "type": "object", "required": ["id", "label"],
            "properties": {"id": {"type": "integer"}, "label": {"type": "string"}}}},
        "messages": {"type": "array", "items": {
            "type": "object", "required": ["id", "sender", "mine", "text", "created_at"],
            "properties": {"id": {"type": "integer"}, "sender": {"type": "string"}, "mine": {"type": "boolean"},
                           "text": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"}}}},
    },
}
NEW_CONVERSATION_SCHEMA = {
    "type": "object", "required": ["recipients", "text"], "additionalProperties": False,
    "properties": {
        "recipients": {"type": "array", "minItems": 1, "maxItems": 50,
                       "items": {"type": "integer", "minimum": 1, "maximum": 2147483647}},
        "subject": {"type": "string", "maxLength": 150},
        "text": {"type": "string", "minLength": 1, "maxLength": 5000},
    },
}
MESSAGE_SCHEMA = {
    "type": "object", "required": ["text"], "additionalProperties": False,
    "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 5000}},
}


def declare(api):
    api.schema("ConversationSummary", SUMMARY_SCHEMA)
    api.schema("Conversation", CONVERSATION_SCHEMA)
    full = {"$ref": "#/components/schemas/Conversation"}
    api.route("api_conversations", API)
    api.route("api_conversation", API + r"/{conversation_id:\d{1,9}}")
    api.route("api_conversation_messages", API + r"/{conversation_id:\d{1,9}}/messages")
    api.view(list_conversations, "api_conversations", method="GET", permission="resident",
             tags=["messagerie"], summary="Mes conversations, les plus récentes d'abord",
             paginated=True, response_schema={"$ref": "#/components/schemas/ConversationSummary"})
    api.view(start, "api_conversations", method="POST", permission="resident", tags=["messagerie"],
             summary="Écrire à un ou plusieurs voisins", request_schema=NEW_CONVERSATION_SCHEMA,
             response_schema=full, status=201)
    api.view(read, "api_conversation", method="GET", permission="account", tags=["messagerie"],
             summary="Une conversation et ses messages (la marque comme lue)", response_schema=full)
    api.view(send, "api_conversation_messages", method="POST", permission="account",
             tags=["messagerie"], summary="Répondre dans une conversation", request_schema=MESSAGE_SCHEMA,
             response_schema=full, status=201)


def conversation_json(request, conversation) -> dict:
    user = request.user
    people = shown_as(request, user, [p.user for p in conversation.participants if p.user is not None])
    labels = {p.user_id: label_for(p.user, people.get(p.user_id)) for p in conversation.participants}
    labels[user.id] = "Vous"
    messages = conv.messages_for(request.dbsession, conversation, user)
    return {
        "id": conversation.id, "subject": conversation.subject or "",
        "participants": [{"id": p.user_id, "label": labels[p.user_id]} for p in conversation.participants
                         if p.user_id != user.id],
        "messages": [{"id": m.id, "sender": labels.get(m.sender_id, "ancien membre"), "mine": m.sender_id == user.id,
                      "text": m.text, "created_at": dates.utc_iso(m.created_at, None)} for m in messages],
    }


def list_conversations(request):
    page = request.api.page_params(request)
    rows = [{"id": r["conversation"].id, "subject": r["conversation"].subject or "", "with": r["with"],
             "unread": int(r["unread"]), "last_message_at": dates.utc_iso(r["when"], None)} for r in conv.inbox(request, request.user)]
    return request.api.paginate_list(request, rows, page)


def _found(request):
    found = conv.find_conversation(request.dbsession, request.matchdict["conversation_id"], request.user)
    if found is None:
        raise request.api.Error(404, "not_found", "Conversation introuvable.")
    return found


def start(request):
    body = request.api.read_json(request, NEW_CONVERSATION_SCHEMA)
    if not body["text"].strip():
        raise request.api.Error(422, "validation_failed", "Le message ne peut pas être vide.", fields={"text": "Obligatoire."})
    try:
        conversation = conv.start_conversation(request, request.user, body["recipients"],
                                               body.get("subject", "").strip(), body["text"].strip())
    except conv.NotAllowed as exc:
        raise request.api.Error(403, "recipient_not_allowed", str(exc)) from None
    return conversation_json(request, conversation)


def read(request):
    conversation, me = _found(request)
    answer = conversation_json(request, conversation)
    conv.mark_read(me)
    return answer


def send(request):
    body = request.api.read_json(request, MESSAGE_SCHEMA)
    if not body["text"].strip():
        raise request.api.Error(422, "validation_failed", "Le message ne peut pas être vide.", fields={"text": "Obligatoire."})
    conversation, _me = _found(request)
    try:
        conv.post_message(request, conversation, request.user, body["text"].strip())
    except conv.NotAllowed as exc:
        raise request.api.Error(403, "recipient_not_allowed", str(exc)) from None
    return conversation_json(request, conversation)
