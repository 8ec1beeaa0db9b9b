"""Gazette pages. Every route is under /gazette/communaute/{community_id} with a
GazetteContext; posts of another community answer 404."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config

from vvs_core.models import row_id
from vvs_core.web.images import ImageRejected
from vvs_core.web.forms import confirmed, make_form, posted, read_fields
from vvs_core.web.french import de, number
from vvs_core.web.links import absolute_url, public_host
from vvs_core.web.batch import read_later
from vvs_core.web.pagination import Pagination, page_number, page_url, paginate
from vvs_core.web.timefmt import dates

from . import calendar, moderation, posts
from .forms import MODERATE_WRONG, ModerateSchema, ReplySchema, ReportSchema, post_schema
from .models import CATEGORIES, GazetteReply

FORM_PAGE = "vvs_core:web/templates/form_page.pt"
MODERATION_PAGE = 20  # lines of each list of the moderation page


def mairie_items(request, community, query: str):
    """The ``vvs_gazette_items`` matching ``query``, when called (a ``ReadThen`` answer is read
    with the page's other reads)."""
    items = read_later(request, request.registry.vvs_plugins.hook.vvs_gazette_items(request=request, community=community))
    q = query.strip().lower()
    return lambda: [i for i in items() if not q or q in str(i.get("title", "")).lower() or q in str(i.get("text", "")).lower()]




def assets(request) -> dict:
    """The page's own style sheet (the one way a page names its assets: docs/architecture.md)."""
    return {"extra_css": [request.static_path("vvs_gazette:static/gazette.css")]}


@view_config(route_name="gazette_index", renderer="vvs_gazette:templates/index.pt", permission="gazette.view")
def gazette_index(request):
    community = request.context.community
    query = request.params.get("q", "")[:100]
    page = page_number(request)
    entries, total = page_entries(request, community, page, query)
    pagination = Pagination(entries, page, posts.PAGE_SIZE, total, lambda n: page_url(request, n))
    feed = None
    if request.has_permission("gazette.post"):
        feed = absolute_url(request, "gazette_ical", community_id=community.id, _query={
            "t": calendar.feed_token(request, community.id, request.user.id)})
    return {**assets(request), "title": f"La Gazette · {community.name}", "community": community, "entries": entries,
            "query": query, "pagination": pagination, "categories": CATEGORIES, "feed_url": feed,
            "can_post": request.has_permission("gazette.post"), "post_path": post_path(request, community.id),
            "can_moderate": request.has_permission("gazette.moderate")}


def post_path(request, community_id: int) -> str:
    """The path of the community's posts but their id (the last segment): one route_path for
    the page's twenty links (it costs 14 µs each, issue 16)."""
    return request.route_path("gazette_post", community_id=community_id, post_id=0)[:-1]


def page_entries(request, community, page: int, query: str) -> tuple[list[dict], int]:
    """The page's posts (and, on the first, the mairie's items) as plain data, and how many
    posts the list holds; cached until the next write to the database (not searches: any
    text makes a new key, and they are rare)."""
    def load():
        (read, count), params = posts.counted_page_read(community.id, page, query)
        found, counted = request.page_reads.add(read, **params), request.page_reads.add(count)
        mairie = mairie_items(request, community, query) if page == 1 else list
        request.layout.menu  # noqa: B018 (the header's badges, when not cached, join the same statement)
        rows, total = posts.counted_page_rows(found.value, counted.value)
        entries = [{"kind": "post", "when": r.post.created_at, "row": r} for r in rows]
        if page == 1:
            for item in mairie():
                entries.append({"kind": "mairie", "when": item.get("created_at"), "item": item})
            entries.sort(key=lambda e: _sortable(e["when"]), reverse=True)
        return entries, total

    if query.strip():
        return load()
    # A write in another community's gazette leaves this page cached (vvs_core.web.cache scopes).
    return request.cached(("gazette", community.id, page, dates.today()), load, scope=("community", community.id))


def _sortable(value):
    from vvs_core.clock import aware

    from datetime import datetime, timezone
    return aware(value) if isinstance(value, datetime) else datetime.min.replace(tzinfo=timezone.utc)


def _post_form(request, editing=False):
    schema = post_schema(allow_mairie=request.has_permission("community.oversee"), editing=editing)
    return make_form(request, schema, "Enregistrer" if editing else "Publier", formid="gazette-post")


class PostChecks:
    """The rules of the post form that colander cannot hold (dates, photos), run by
    ``validate`` with the fields so that every error shows in one pass; keeps the
    cleaned photos for the view."""

    def __init__(self, request, kept=None):
        self.request, self.kept, self.photos = request, kept, []

    def __call__(self, data) -> dict:
        problems = posts.date_problems(data, kept=self.kept)
        sent = [n for n in (1, 2, 3) if data.get(f"photo{n}")]
        try:
            self.photos = posts.clean_photos([data[f"photo{n}"]["fp"].read() for n in sent])
        except ImageRejected as exc:
            problems[f"photo{sent[0]}"] = str(exc)
        return problems


@view_config(route_name="gazette_new", renderer=FORM_PAGE, permission="gazette.post")
def gazette_new(request):
    community = request.context.community
    form = _post_form(request)
    page = {**assets(request), "title": "Ajouter une information", "intro": f"Dans la Gazette {de(community.name)}."}
    if request.method != "POST":
        return {**page, "form": form.render()}
    checks = PostChecks(request)
    data, rendered = posted(request, form, check=checks)  # errors: 400
    if data is None:
        return {**page, "form": rendered}
    photos = checks.photos
    post = posts.create_post(request.dbsession, community, request.user, category=data["category"],
                             title=data["title"], text=data["text"], event_at=data["event_at"],
                             expires_on=data["expires_on"], photos=photos)
    request.flash("Votre information est publiée dans la Gazette.", "success")
    return HTTPSeeOther(request.route_path("gazette_post", community_id=community.id, post_id=post.id))


def _post_or_404(request):
    post = posts.find_post(request.dbsession, request.context.community.id, request.matchdict["post_id"])
    if post is None:
        raise HTTPNotFound()
    if post.hidden and post.author_id != request.user.id and not request.has_permission("gazette.moderate"):
        raise HTTPNotFound()
    return post


@view_config(route_name="gazette_post", renderer="vvs_gazette:templates/post.pt", permission="gazette.view")
def gazette_post(request):
    post = _post_or_404(request)
    form = make_form(request, ReplySchema(), "Répondre", formid="gazette-reply")
    rendered = None
    if request.method == "POST":
        if not request.has_permission("gazette.post"):
            raise HTTPForbidden()
        data, rendered = posted(request, form)  # errors: 400
        if data is not None:
            posts.add_reply(request.dbsession, post, request.user, data["text"])
            request.flash("Votre réponse est publiée.", "success")
            return HTTPSeeOther(request.route_path("gazette_post", community_id=post.community_id, post_id=post.id))
    moderator = request.has_permission("gazette.moderate")
    replies = [r for r in post.replies if not r.hidden or moderator or r.author_id == request.user.id]
    return {**assets(request), "title": post.title, "post": post, "community": request.context.community,
            "author": posts.user_label(post.author), "label": posts.user_label, "replies": replies,
            "category": CATEGORIES.get(post.category, post.category),
            "reply_form": (rendered or form.render()) if request.has_permission("gazette.post") else None,
            "is_author": post.author_id == request.user.id, "can_moderate": moderator,
            "csrf": request.session.get_csrf_token()}


def _require_author(request, post):
    if post.author_id != request.user.id:
        raise HTTPForbidden()


@view_config(route_name="gazette_edit", renderer=FORM_PAGE, permission="gazette.post")
def gazette_edit(request):
    post = _post_or_404(request)
    _require_author(request, post)
    form = _post_form(request, editing=True)
    page = {**assets(request), "title": "Modifier mon information"}
    if request.method != "POST":
        return {**page, "form": form.render({
            "category": post.category, "title": post.title, "text": post.text,
            "event_at": post.event_at, "expires_on": post.expires_on})}
    checks = PostChecks(request, kept=post)
    data, rendered = posted(request, form, check=checks)  # errors: 400
    if data is None:
        return {**page, "form": rendered}
    photos = checks.photos
    posts.update_post(post, category=data["category"], title=data["title"], text=data["text"],
                      event_at=data["event_at"], expires_on=data["expires_on"], photos=photos,
                      remove_photos=data.get("remove_photos", False))
    request.flash("Votre information est modifiée.", "success")
    return HTTPSeeOther(request.route_path("gazette_post", community_id=post.community_id, post_id=post.id))


@view_config(route_name="gazette_delete", request_method="POST", permission="gazette.post")
def gazette_delete(request):
    post = _post_or_404(request)
    _require_author(request, post)
    community_id = post.community_id
    going = " et ".join(f"sa {noun}" if n == 1 else f"ses {number(n)} {noun}s"
                        for n, noun in ((len(post.replies), "réponse"), (post.photo_count, "photo")) if n)
    page = confirmed(request, f"Supprimer « {post.title} » ?",
                     f"Elle disparaîtra de la Gazette{' avec ' + going if going else ''}. C'est définitif.",
                     "Supprimer définitivement", request.route_path("gazette_post", community_id=community_id,
                                                                   post_id=post.id), **assets(request))
    if page is not None:
        return page
    request.dbsession.delete(post)
    request.flash("Votre information est supprimée.", "success")
    return HTTPSeeOther(request.route_path("gazette_index", community_id=community_id))


def _reply_of(request, post) -> GazetteReply | None:
    raw = request.params.get("reply_id", "")
    if not raw:
        return None
    reply_id = row_id(raw)
    reply = request.dbsession.get(GazetteReply, reply_id) if reply_id is not None else None
    if reply is None or reply.post_id != post.id:
        raise HTTPNotFound()
    return reply


@view_config(route_name="gazette_report", renderer=FORM_PAGE, permission="gazette.post")
def gazette_report(request):
    post = _post_or_404(request)
    reply = _reply_of(request, post)
    schema = ReportSchema()
    form = make_form(request, schema, "Signaler", formid="gazette-report",
                     action=request.path_qs)
    page = {**assets(request), "title": "Signaler un contenu",
            "intro": "Un référent ou un modérateur examinera votre signalement. "
                     "Votre nom n'est pas communiqué à l'auteur."}
    if request.method != "POST":
        return {**page, "form": form.render()}
    data, rendered = posted(request, form)  # errors: 400
    if data is None:
        return {**page, "form": rendered}
    moderation.report(request.dbsession, post, request.user, data["reason"], reply)
    request.flash("Merci : votre signalement est transmis.", "success")
    return HTTPSeeOther(request.route_path("gazette_post", community_id=post.community_id, post_id=post.id))


@view_config(route_name="gazette_moderate", request_method="POST", permission="gazette.moderate")
def gazette_moderate(request):
    post = posts.find_post(request.dbsession, request.context.community.id, request.matchdict["post_id"])
    if post is None:
        raise HTTPNotFound()
    reply = _reply_of(request, post)
    data, errors = read_fields(request, ModerateSchema())
    if errors:  # the action's own message says nothing of the reason
        said = MODERATE_WRONG if "action" in errors else " ".join(
            f"Motif : {m}" if name == "reason" else m for name, m in errors.items())
        request.flash(f"{said} Rien n'a été changé.", "error")
    else:
        was_hidden = (reply or post).hidden
        moderation.moderate(request.dbsession, post, request.user, data["action"], data["reason"], reply)
        if (data["action"] == "hide") != was_hidden:  # « Laisser visible » a visible post: nothing to tell
            moderation.tell_author(request, post, data["action"], data["reason"], reply)
        request.flash("Contenu masqué." if data["action"] == "hide" else "Contenu rétabli.", "success")
    return HTTPSeeOther(data.get("back") == "moderation"
                        and request.route_path("gazette_moderation", community_id=post.community_id)
                        or request.route_path("gazette_post", community_id=post.community_id, post_id=post.id))


@view_config(route_name="gazette_moderation", renderer="vvs_gazette:templates/moderation.pt",
             permission="gazette.moderate")
def gazette_moderation(request):
    community = request.context.community
    lists = {"reports": (moderation.open_reports, "Pages des signalements"),
             "hidden_posts": (moderation.hidden_posts, "Pages des annonces masquées"),
             "hidden_replies": (moderation.hidden_replies, "Pages des réponses masquées")}
    pages = {name: paginate(request, statement(community.id), MODERATION_PAGE, param=f"page_{name}", label=label)
             for name, (statement, label) in lists.items()}
    return {**assets(request), "title": f"Modération de la Gazette · {community.name}", "community": community, **pages,
            "label": posts.user_label, "csrf": request.session.get_csrf_token()}


@view_config(route_name="gazette_reports", renderer="vvs_gazette:templates/reports.pt", permission="moderate")
def gazette_reports(request):
    """The platform team's way in: each community whose gazette has reports waiting."""
    return {**assets(request), "title": "Annonces signalées",
            "waiting": moderation.communities_with_open_reports(request.dbsession)}


@view_config(route_name="gazette_photo", permission="gazette.view")
def gazette_photo(request):
    post = _post_or_404(request)
    photo = posts.photo_of(request.dbsession, post, request.matchdict["position"])
    if photo is None:
        raise HTTPNotFound()
    response = Response(body=photo.data, content_type=photo.mime)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@view_config(route_name="gazette_ical", permission="public")
def gazette_ical(request):
    community = request.context.community
    ok = calendar.check_feed_access(request, community.id, request.params.get("u", ""), request.params.get("t", ""))
    if not ok:
        raise HTTPNotFound()
    host = public_host(request)
    body = calendar.render_ical(
        calendar.upcoming_events(request.dbsession, community.id), f"Gazette · {community.name}", host,
        lambda p: absolute_url(request, "gazette_post", community_id=community.id, post_id=p.id))
    response = Response(body=body.encode(), content_type="text/calendar", charset="utf-8")
    response.headers["Cache-Control"] = "private, max-age=900"
    return response
