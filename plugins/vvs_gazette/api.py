"""The gazette in the JSON API: list and search a community's posts, read one with
its replies, publish a post (without photos), reply. Same context and services as
the pages (``GazetteContext``, ``posts``)."""
from __future__ import annotations

from datetime import date, datetime

from vvs_core.web.links import absolute_url

from . import posts
from .context import gazette_factory
from .models import CATEGORIES
from vvs_core.web.timefmt import dates

API = r"/api/v1/communities/{community_id:\d{1,9}}/gazette"

POST_SCHEMA = {
    "type": "object",
    "required": ["id", "community_id", "category", "category_label", "title", "text", "author", "event_at",
                 "expires_on", "photo_count", "reply_count", "created_at", "url"],
    "properties": {
        "id": {"type": "integer"}, "community_id": {"type": "integer"},
        "category": {"type": "string"}, "category_label": {"type": "string"},
        "title": {"type": "string"}, "text": {"type": "string"}, "author": {"type": "string"},
        "event_at": {"type": "string", "format": "date-time", "nullable": True},
        "expires_on": {"type": "string", "format": "date", "nullable": True},
        "photo_count": {"type": "integer"}, "reply_count": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"}, "url": {"type": "string"},
        "replies": {"type": "array", "items": {
            "type": "object", "required": ["id", "text", "author", "created_at"],
            "properties": {"id": {"type": "integer"}, "text": {"type": "string"}, "author": {"type": "string"},
                           "created_at": {"type": "string", "format": "date-time"}}}},
    },
}
NEW_POST_SCHEMA = {
    "type": "object", "required": ["category", "title", "text"], "additionalProperties": False,
    "properties": {
        "category": {"type": "string", "enum": [k for k in CATEGORIES if k != "mairie"]},
        "title": {"type": "string", "minLength": 1, "maxLength": 150},
        "text": {"type": "string", "minLength": 1, "maxLength": 5000},
        "event_at": {"type": "string", "format": "date-time",
                     "description": "Obligatoire pour un événement (ISO 8601 avec fuseau)."},
        "expires_on": {"type": "string", "format": "date"},
    },
}
REPLY_SCHEMA = {
    "type": "object", "required": ["text"], "additionalProperties": False,
    "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 3000}},
}


def declare(api):
    ref = {"$ref": "#/components/schemas/GazettePost"}
    api.schema("GazettePost", POST_SCHEMA)
    api.route("api_gazette", API, factory=gazette_factory)
    api.route("api_gazette_post", API + r"/{post_id:\d{1,9}}", factory=gazette_factory)
    api.route("api_gazette_replies", API + r"/{post_id:\d{1,9}}/replies", factory=gazette_factory)
    api.view(list_posts, "api_gazette", method="GET", permission="gazette.view", tags=["gazette"],
             summary="La Gazette d'une communauté, la plus récente d'abord", paginated=True,
             response_schema=ref,
             query=[{"name": "q", "in": "query", "required": False, "description": "Recherche.",
                     "schema": {"type": "string", "maxLength": 100}}])
    api.view(create_post, "api_gazette", method="POST", permission="gazette.post", tags=["gazette"],
             summary="Publier une information dans la Gazette", request_schema=NEW_POST_SCHEMA,
             response_schema=ref, status=201)
    api.view(read_post, "api_gazette_post", method="GET", permission="gazette.view", tags=["gazette"],
             summary="Une information de la Gazette et ses réponses", response_schema=ref)
    api.view(reply, "api_gazette_replies", method="POST", permission="gazette.post", tags=["gazette"],
             summary="Répondre à une information", request_schema=REPLY_SCHEMA,
             response_schema=ref, status=201)


def post_json(request, post, author: str, reply_count: int, replies=None) -> dict:
    out = {
        "id": post.id, "community_id": post.community_id, "category": post.category,
        "category_label": CATEGORIES.get(post.category, post.category), "title": post.title, "text": post.text,
        "author": author, "event_at": dates.utc_iso(post.event_at, None),
        "expires_on": post.expires_on.isoformat() if post.expires_on else None,
        "photo_count": post.photo_count or 0, "reply_count": reply_count, "created_at": dates.utc_iso(post.created_at, None),
        "url": absolute_url(request, "gazette_post", community_id=post.community_id, post_id=post.id),
    }
    if replies is not None:
        out["replies"] = [{"id": r.id, "text": r.text, "author": posts.user_label(r.author),
                           "created_at": dates.utc_iso(r.created_at, None)} for r in replies]
    return out


def list_posts(request):
    page = request.api.page_params(request, default_per_page=posts.PAGE_SIZE)
    query = request.GET.get("q", "")
    if len(query) > 100:
        raise request.api.Error(400, "invalid_parameter", "La recherche fait 100 caractères au plus.")
    rows = rows_between(request.dbsession, request.context.community.id, query, page.offset,
                        page.offset + page.per_page + 1)
    items = [post_json(request, r.post, r.author, r.reply_count) for r in rows[:page.per_page]]
    return request.api.paginated(request, items, page, len(rows) > page.per_page)


def rows_between(dbsession, community_id: int, query: str, start: int, end: int) -> list:
    """Rows ``start``…``end`` (exclusive) of the gazette, read through its own
    fixed-size pages (``posts.page_of_posts``) so both list the same posts."""
    size = posts.PAGE_SIZE
    first = start // size + 1
    rows: list = []
    for number in range(first, (end - 1) // size + 2):
        chunk, more = posts.page_of_posts(dbsession, community_id, number, query)
        rows += chunk
        if not more:
            break
    skip = start - (first - 1) * size
    return rows[skip:skip + (end - start)]


def _visible_post(request):
    post = posts.find_post(request.dbsession, request.context.community.id, request.matchdict["post_id"])
    if post is None or (post.hidden and post.author_id != request.user.id
                        and not request.has_permission("gazette.moderate")):
        raise request.api.Error(404, "not_found", "Information introuvable dans cette Gazette.")
    return post


def _visible_replies(request, post):
    moderator = request.has_permission("gazette.moderate")
    return [r for r in post.replies if not r.hidden or moderator or r.author_id == request.user.id]


def read_post(request):
    post = _visible_post(request)
    replies = _visible_replies(request, post)
    return post_json(request, post, posts.user_label(post.author), len(replies), replies)


def _parse_when(request, body):
    event_at = expires_on = None
    try:
        if body.get("event_at"):
            event_at = datetime.fromisoformat(body["event_at"].replace("Z", "+00:00"))
            if event_at.tzinfo is None:
                raise ValueError
        if body.get("expires_on"):
            expires_on = date.fromisoformat(body["expires_on"])
    except ValueError:
        raise request.api.Error(422, "validation_failed", "Date invalide : utilisez le format ISO 8601 (avec fuseau).",
                       fields={"event_at" if body.get("event_at") and event_at is None else "expires_on":
                               "Date invalide."}) from None
    problems = posts.date_problems({"category": body["category"], "event_at": event_at, "expires_on": expires_on})
    if problems:
        fields = {name: "Obligatoire pour un événement." if message == posts.EVENT_NEEDS_DATE else message
                  for name, message in problems.items()}
        raise request.api.Error(422, "validation_failed", " ".join(problems.values()), fields=fields)
    return event_at, expires_on


def create_post(request):
    body = request.api.read_json(request, NEW_POST_SCHEMA)
    title, text = body["title"].strip(), body["text"].strip()
    if not title or not text:
        raise request.api.Error(422, "validation_failed", "Le titre et le texte ne peuvent pas être vides.",
                       fields={"title" if not title else "text": "Obligatoire."})
    event_at, expires_on = _parse_when(request, body)
    post = posts.create_post(request.dbsession, request.context.community, request.user,
                             category=body["category"], title=title, text=text, event_at=event_at,
                             expires_on=expires_on)
    return post_json(request, post, posts.user_label(request.user), 0, [])


def reply(request):
    body = request.api.read_json(request, REPLY_SCHEMA)
    if not body["text"].strip():
        raise request.api.Error(422, "validation_failed", "La réponse ne peut pas être vide.", fields={"text": "Obligatoire."})
    post = _visible_post(request)
    posts.add_reply(request.dbsession, post, request.user, body["text"].strip())
    request.dbsession.refresh(post)
    replies = _visible_replies(request, post)
    return post_json(request, post, posts.user_label(post.author), len(replies), replies)
