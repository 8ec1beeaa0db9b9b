"""The gazette page of a community with 1,000 posts, for a logged-in member, vs its
ceiling (the same template rendered from fixed in-memory data by a bare view), both
served by gunicorn (2 sync workers) on PostGIS + Redis, wrk at 32 connections."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from .bench_home import add_resident, measured, measured_without_cache, session_cookie
from .common import Gunicorn, bench_settings, serris_community, versus_ceiling

POSTS = 1000
CATEGORIES = ["annonce", "pret_don", "covoiturage", "vie_quartier", "animal", "objet"]
TEXT = ("Bonjour à tous, je prête volontiers ma tondeuse et mon taille-haie le week-end : "
        "sonnez au portail vert, ou écrivez-moi par la messagerie. ") * 3


def prepare(db_url: str) -> int:
    """The community, its members, 1,000 posts and a reply on every third; returns its id."""
    import sqlalchemy as sa

    from vvs_core.models import Membership, User
    from vvs_gazette.models import GazettePost, GazetteReply

    engine, session, _commune, community = serris_community(db_url, "Quartier du Parc", 300)
    user = add_resident(session)
    authors = [User(email=f"g{i}@example.test", first_name=f"Voisin{i}", last_name="Gazette", pseudonym=f"g{i}")
               for i in range(30)]
    session.add_all(authors)
    session.flush()
    session.add_all([Membership(user_id=u.id, community_id=community.id, status="active")
                     for u in [user, *authors]])
    start = datetime(2026, 1, 1, 8, tzinfo=timezone.utc)
    session.execute(sa.insert(GazettePost), [
        dict(community_id=community.id, author_id=authors[i % len(authors)].id, category=CATEGORIES[i % 6],
             title=f"Annonce n° {i} : tondeuse à prêter", text=TEXT, photo_count=0, hidden=False,
             hidden_reason="", created_at=start + timedelta(hours=i)) for i in range(POSTS)])
    post_ids = session.scalars(sa.select(GazettePost.id).order_by(GazettePost.id)).all()
    session.execute(sa.insert(GazetteReply), [
        dict(post_id=pid, author_id=user.id, text="Merci, je passe samedi !", hidden=False, hidden_reason="",
             created_at=start + timedelta(hours=n * 3 + 1)) for n, pid in enumerate(post_ids[::3])])
    session.commit()
    community_id = community.id
    # Production tables have statistics (autovacuum); a bulk-loaded one has none until
    # then, and the planner would take 1,000 posts for one and sort them all.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()
    return community_id


# --- The ceiling: the gazette template from fixed data, no database -------------------

def _fixed_gazette() -> dict:
    from vvs_gazette.models import CATEGORIES as LABELS

    when = datetime(2026, 11, 1, 9, 30, tzinfo=timezone.utc)
    community = SimpleNamespace(id=1, name="Quartier du Parc")
    rows = [SimpleNamespace(post=SimpleNamespace(id=1000 - i, category=CATEGORIES[i % 6], title=f"Annonce n° {1000 - i} : tondeuse à prêter",
                           text=TEXT, event_at=None, photo_count=0, created_at=when - timedelta(hours=i)),
                 author=f"Voisin{i} G.", reply_count=1 if i % 3 == 0 else 0) for i in range(20)]
    from vvs_core.web.pagination import Pagination

    entries = [{"kind": "post", "when": r.post.created_at, "row": r} for r in rows]
    return {"title": "La Gazette · Quartier du Parc", "community": community, "entries": entries,
            "query": "", "pagination": Pagination(entries, 1, len(entries), 1000, lambda n: f"?page={n}"),
            "categories": LABELS,
            "feed_url": "http://127.0.0.1/gazette/communaute/1/agenda.ics?u=1&t=" + "0" * 40,
            "can_post": True, "can_moderate": False, "local": lambda value: value}


def gazette_ceiling(request):
    from .wsgi import as_fixed_resident

    as_fixed_resident(request)
    data = request.registry.__dict__.get("_bench_gazette_fixed")
    if data is None:
        data = request.registry._bench_gazette_fixed = _fixed_gazette()
    from vvs_gazette.views import post_path

    return {**data, "extra_css": [request.static_path("vvs_gazette:static/gazette.css")], "post_path": post_path(request, 1)}


def run(db_url: str) -> dict:
    page = f"/gazette/communaute/{prepare(db_url)}"
    env = {"VVS_BENCH_SETTINGS": json.dumps(bench_settings(db_url))}
    with Gunicorn("bench.wsgi:app", env) as server:
        gazette = measured("gazette", server.url + page, session_cookie(server.url))
        ceiling = measured("gazette ceiling", f"{server.url}/bench/gazette-ceiling")
    uncached = measured_without_cache("gazette", db_url, page)
    return versus_ceiling("gazette", ceiling, {"": gazette, "_uncached": uncached})
