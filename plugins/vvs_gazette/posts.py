"""Gazette posts: the page query, creation, edition, deletion, replies, photos."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from types import SimpleNamespace

import sqlalchemy as sa

from vvs_core.clock import utcnow
from vvs_core.web.images import clean_image
from vvs_core.models import User, row_id
from vvs_core.web.timefmt import dates

from .models import MAX_PHOTOS, GazettePhoto, GazettePost, GazetteReply

PAGE_SIZE = 20


def author_label(first_name: str, last_name: str, pseudonym: str, status: str) -> str:
    """'Marie D.': neighbours know each other, but the gazette needs no full surname."""
    if status == "closed":
        return "ancien membre"
    if first_name:
        return f"{first_name} {last_name[:1]}.".strip() if last_name else first_name
    return pseudonym or "membre"


def user_label(user: User) -> str:
    return author_label(user.first_name, user.last_name, user.pseudonym, user.status)


@dataclass
class PostRow:
    post: GazettePost
    author: str
    reply_count: int


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def visible_posts_filter(community_id: int, today: date):
    return sa.and_(
        GazettePost.community_id == community_id,
        GazettePost.hidden.is_(False),
        sa.or_(GazettePost.expires_on.is_(None), GazettePost.expires_on >= today),
    )


def search_filter(query: str):
    pattern = f"%{escape_like(query.strip())}%"
    return sa.or_(GazettePost.title.ilike(pattern, escape="\\"), GazettePost.text.ilike(pattern, escape="\\"))


def page_of_posts(dbsession, community_id: int, page: int = 1, query: str = "",
                  today: date | None = None) -> tuple[list[PostRow], bool]:
    """One page of visible posts, newest first, with author and reply count, in one
    query; and whether a next page exists (one row more than a page is asked for)."""
    stmt = _posts_statement(community_id, query, today).limit(PAGE_SIZE + 1).offset((max(page, 1) - 1) * PAGE_SIZE)
    rows = [PostRow(post, author_label(f, l, p, s), n) for post, f, l, p, s, n in dbsession.execute(stmt)]
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _posts_statement(community_id: int, query: str = "", today: date | None = None):
    today = today or dates.today()
    replies = (sa.select(sa.func.count(GazetteReply.id))
               .where(GazetteReply.post_id == GazettePost.id, GazetteReply.hidden.is_(False))
               .correlate(GazettePost).scalar_subquery())
    stmt = (sa.select(GazettePost, User.first_name, User.last_name, User.pseudonym, User.status, replies)
            .join(User, User.id == GazettePost.author_id)
            .where(visible_posts_filter(community_id, today)))
    if query.strip():
        stmt = stmt.where(search_filter(query))
    return stmt.order_by(GazettePost.created_at.desc(), GazettePost.id.desc())


def counted_page_of_posts(dbsession, community_id: int, page: int = 1, query: str = "",
                          today: date | None = None) -> tuple[list[PostRow], int]:
    """``page_of_posts`` with how many posts the list holds in all (for "Page 2 sur 14"),
    counted in the same statement."""
    stmt = (_posts_statement(community_id, query, today).add_columns(sa.func.count().over())
            .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE))
    found = dbsession.execute(stmt).all()
    rows = [PostRow(post, author_label(f, l, p, s), n) for post, f, l, p, s, n, _total in found]
    return rows, (found[0][-1] if found else 0)


def counted_page_read(community_id: int, page: int = 1, query: str = ""):
    """``counted_page_of_posts``' statement as two scalar expressions the page reads with its
    others (the header's badges): the page's posts as ``json_rows`` and how many posts the list
    holds; and their parameters. ``counted_page_rows`` makes the answer of their values.
    Without a search they are built once per process."""
    params = {"gz_community": community_id, "gz_today": dates.today(), "gz_offset": (max(page, 1) - 1) * PAGE_SIZE}
    return (_counted_page_read(query) if query.strip() else _counted_page_read_cached()), params


@cache
def _counted_page_read_cached():
    return _counted_page_read("")


def _counted_page_read(query: str):
    from vvs_core.web.batch import json_rows

    visible = visible_posts_filter(sa.bindparam("gz_community"), sa.bindparam("gz_today", type_=sa.Date))
    if query.strip():
        visible = sa.and_(visible, search_filter(query))
    page = (sa.select(*(column.label(key) for key, column in _post_columns()), User.first_name.label("a_first"),
                      User.last_name.label("a_last"), User.pseudonym.label("a_pseudonym"), User.status.label("a_status"))
            .join(User, User.id == GazettePost.author_id).where(visible)
            .order_by(GazettePost.created_at.desc(), GazettePost.id.desc())
            .limit(PAGE_SIZE).offset(sa.bindparam("gz_offset", type_=sa.Integer)).cte("gz_page"))
    # The replies of the page's posts counted in one read (a count per post scanned the
    # replies once for each), and the posts apart: ``count(*) OVER ()`` kept every visible
    # post's row, its text too, to count them (issue 16).
    replies = (sa.select(GazetteReply.post_id, sa.func.count().label("n"))
               .where(GazetteReply.post_id.in_(sa.select(page.c.id)), GazetteReply.hidden.is_(False))
               .group_by(GazetteReply.post_id).subquery("gz_replies"))
    total = sa.select(sa.func.count()).select_from(GazettePost).where(visible).scalar_subquery()
    return json_rows(sa.select(*page.c, sa.func.coalesce(replies.c.n, 0).label("reply_count"))
                     .outerjoin(replies, replies.c.post_id == page.c.id)
                     .order_by(page.c.created_at.desc(), page.c.id.desc())), total


def _post_columns():
    return [(attr.key, getattr(GazettePost, attr.key)) for attr in sa.inspect(GazettePost).column_attrs]


def counted_page_rows(found, total: int) -> tuple[list[PostRow], int]:
    """The page's rows of ``found`` (the ``json_rows`` value: each has the post's columns, as the
    post) and the list's ``total`` (0 past its end, as ``paginate``: no position beyond the last)."""
    rows = [PostRow(r, author_label(r.a_first, r.a_last, r.a_pseudonym, r.a_status), r.reply_count) for r in found]
    return rows, (total if rows else 0)


def latest_posts_read(community_id: int, limit: int, today: date | None = None):
    """The ``limit`` newest visible posts of a community (id, title, author label) as
    ``json_rows``: a scalar expression the page reads with its others (the panel)."""
    from vvs_core.web.batch import json_rows

    today = today or dates.today()
    stmt = (sa.select(GazettePost.id.label("id"), GazettePost.title.label("title"),
                      User.first_name.label("first_name"), User.last_name.label("last_name"),
                      User.pseudonym.label("pseudonym"), User.status.label("status"))
            .join(User, User.id == GazettePost.author_id)
            .where(visible_posts_filter(community_id, today))
            .order_by(GazettePost.created_at.desc(), GazettePost.id.desc()).limit(limit))
    return json_rows(stmt)


def plain_row(row: PostRow) -> PostRow:
    """``row`` with its post's columns copied into a plain object (to be cached)."""
    post = row.post
    columns = {attr.key: getattr(post, attr.key) for attr in sa.inspect(GazettePost).column_attrs}
    return PostRow(SimpleNamespace(**columns), row.author, row.reply_count)


def find_post(dbsession, community_id: int, raw_id) -> GazettePost | None:
    post = dbsession.get(GazettePost, found) if (found := row_id(raw_id)) else None
    return post if post is not None and post.community_id == community_id else None


def clean_photos(uploads: list[bytes]) -> list[tuple[bytes, str]]:
    """Each upload re-encoded without metadata; raises ImageRejected (French message)."""
    return [clean_image(data) for data in uploads[:MAX_PHOTOS]]


def set_photos(post: GazettePost, photos: list[tuple[bytes, str]]) -> None:
    post.photos = [GazettePhoto(position=i, data=data, mime=mime) for i, (data, mime) in enumerate(photos, 1)]
    post.photo_count = len(photos)


EVENT_IN_THE_PAST = "La date de l'événement est passée : indiquez une date et une heure à venir."
EXPIRY_IN_THE_PAST = "Cette date est passée : indiquez aujourd'hui ou un jour à venir (ou laissez vide)."
EVENT_NEEDS_DATE = "Indiquez la date et l'heure de l'événement."
EXPIRY_BEFORE_EVENT = ("L'annonce disparaîtrait avant le jour de l'événement (le {day}) : choisissez ce jour-là "
                       "ou un jour suivant (ou laissez vide).")


def date_problems(data: dict, zone=None, kept: GazettePost | None = None, now: datetime | None = None) -> dict:
    """{field: French message} for the dates of a post: an event needs its date; an
    event date or a "visible until" day already past (in the commune's time zone) is
    refused, unless it is the one the post being edited (``kept``) already had.
    ``data`` may lack the fields that failed their own check."""
    from zoneinfo import ZoneInfo

    from vvs_core.clock import aware
    from vvs_core.web.timefmt import dates

    now = now or utcnow()
    zone = ZoneInfo(zone) if isinstance(zone, str) else (zone or dates.zone)  # default: vvs.timezone
    today = now.astimezone(zone).date()
    event_at, expires_on = data.get("event_at"), data.get("expires_on")
    problems = {}
    # a rubric not chosen yet (refused by its own rule): the date typed is judged now, not in a second round
    event = data.get("category") == "evenement" or "category" not in data
    if data.get("category") == "evenement" and "event_at" in data and not event_at:
        problems["event_at"] = EVENT_NEEDS_DATE
    elif (event and event_at and event_at < now
          and not (kept is not None and kept.event_at and abs(aware(kept.event_at) - event_at) < timedelta(minutes=1))):
        problems["event_at"] = EVENT_IN_THE_PAST
    if expires_on and expires_on < today and not (kept is not None and kept.expires_on == expires_on):
        problems["expires_on"] = EXPIRY_IN_THE_PAST
    elif expires_on and event and event_at and expires_on < event_at.astimezone(zone).date():
        problems["expires_on"] = EXPIRY_BEFORE_EVENT.format(day=dates.long_date(event_at.astimezone(zone)))
    return problems


def create_post(dbsession, community, author, *, category: str, title: str, text: str,
                event_at: datetime | None = None, expires_on: date | None = None,
                photos: list[tuple[bytes, str]] = ()) -> GazettePost:
    post = GazettePost(community_id=community.id, author_id=author.id, category=category, title=title,
                       text=text, event_at=event_at if category == "evenement" else None,
                       expires_on=expires_on, created_at=utcnow())
    set_photos(post, list(photos))
    dbsession.add(post)
    dbsession.flush()
    return post


def update_post(post: GazettePost, *, category: str, title: str, text: str, event_at=None,
                expires_on=None, photos: list[tuple[bytes, str]] | None = None, remove_photos=False) -> None:
    post.category, post.title, post.text = category, title, text
    post.event_at = event_at if category == "evenement" else None
    post.expires_on = expires_on
    if photos:
        set_photos(post, photos)
    elif remove_photos:
        set_photos(post, [])
    post.updated_at = utcnow()


def add_reply(dbsession, post: GazettePost, author, text: str) -> GazetteReply:
    reply = GazetteReply(post_id=post.id, author_id=author.id, text=text, created_at=utcnow())
    dbsession.add(reply)
    dbsession.flush()
    return reply


def photo_of(dbsession, post: GazettePost, position) -> GazettePhoto | None:
    if (position := row_id(position)) is None:
        return None
    return dbsession.execute(
        sa.select(GazettePhoto).where(GazettePhoto.post_id == post.id, GazettePhoto.position == position)
    ).scalar_one_or_none()


def recent_posts(dbsession, community_ids: list[int], since: datetime, limit: int = 50) -> list[GazettePost]:
    if not community_ids:
        return []
    return list(dbsession.scalars(recent_posts_query(community_ids, since, limit)))


def recent_posts_query(community_ids: list[int], since: datetime, limit: int, *columns, today=None):
    """The visible posts of ``community_ids`` since ``since``, newest first (``columns``: only those;
    ``today``: the day expired posts end, today's by default)."""
    return (sa.select(*columns or [GazettePost])
            .where(GazettePost.community_id.in_(community_ids), GazettePost.hidden.is_(False),
                   GazettePost.created_at >= since,
                   sa.or_(GazettePost.expires_on.is_(None), GazettePost.expires_on >= (dates.today() if today is None else today)))
            .order_by(GazettePost.created_at.desc()).limit(limit))


@cache
def recent_posts_read():
    """The 5 newest visible posts (id, community_id, title, created_at) of
    ``gazette_communities`` since ``gazette_since`` on ``gazette_today``, as ``json_rows``
    built once per process (the home page's activity, vvs_core.web.batch)."""
    from vvs_core.web.batch import json_rows

    return json_rows(recent_posts_query(
        sa.bindparam("gazette_communities", expanding=True), sa.bindparam("gazette_since"), 5,
        GazettePost.id.label("id"), GazettePost.community_id.label("community_id"), GazettePost.title.label("title"),
        GazettePost.created_at.label("created_at"), today=sa.bindparam("gazette_today")))
