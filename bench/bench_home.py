"""Home page of a logged-in resident vs its ceiling (same template, fixed data), and a
hello-world view, all served by gunicorn (2 sync workers) on PostGIS + Redis; then the
home page again with the page cache off."""
from __future__ import annotations

import json
import re

import requests

import threading
import time

from .common import REDIS_URL, SERRIS, Gunicorn, bench_settings, log, measure, serris_community, versus_ceiling

EMAIL, PASSWORD = "bench.resident@example.test", "un voisin attentif 2026"
WRITES_PER_S = 10
OTHER_COMMUNITIES = 9  # the writes go to these and to the resident's: one in ten is theirs


def add_resident(session):
    """The resident whose pages are measured (``EMAIL``, ``PASSWORD``), at home by the town hall."""
    from shapely.geometry import Point

    from vvs_core.accounts.security import hash_password
    from vvs_core.models import User

    user = User(email=EMAIL, password_hash=hash_password(PASSWORD), first_name="Marie", last_name="Banc",
                pseudonym="marie", home=Point(*SERRIS))
    session.add(user)
    return user


def prepare(db_url: str) -> None:
    from vvs_core.geo import square_around
    from vvs_core.models import Community, Membership, User

    engine, session, commune, community = serris_community(db_url, "Quartier du Parc", 300)
    user = add_resident(session)
    session.flush()
    session.add(Membership(user_id=user.id, community_id=community.id, status="active"))
    for i in range(30):
        other = User(email=f"n{i}@example.test", first_name=f"N{i}", last_name="Voisin", pseudonym=f"n{i}")
        session.add(other)
        session.flush()
        session.add(Membership(user_id=other.id, community_id=community.id, status="active"))
    for i in range(OTHER_COMMUNITIES):  # where the steady writes land, beside the resident's own
        centre = (SERRIS[0] + 0.01 * (i + 1), SERRIS[1])
        neighbour = Community(commune_id=commune.id, name=f"Quartier {i + 2}", boundary=square_around(centre, 300))
        other = User(email=f"w{i}@example.test", first_name=f"W{i}", last_name="Voisin", pseudonym=f"w{i}")
        session.add_all([neighbour, other])
        session.flush()
        session.add(Membership(user_id=other.id, community_id=neighbour.id, status="active"))
    session.commit()
    engine.dispose()


def steady_writes(db_url: str, stop: threading.Event, done: list) -> None:
    """WRITES_PER_S gazette posts a second, each in the next of the ten communities (the
    resident's one time in ten), committed one by one through the ORM as the application
    writes, with the page cache's Redis generations moved by each commit."""
    import sqlalchemy as sa

    from vvs_core.clock import utcnow
    from vvs_core.models import Membership, get_engine, get_session_factory
    from vvs_core.web.cache import shared_generation
    from vvs_gazette.models import GazettePost

    shared_generation(REDIS_URL)  # this process's commits move the servers' cache generations
    engine = get_engine(db_url)
    factory = get_session_factory(engine)
    with factory() as session:
        authors = session.execute(sa.select(Membership.community_id, sa.func.min(Membership.user_id))
                                  .group_by(Membership.community_id).order_by(Membership.community_id)).all()
    start, n = time.monotonic(), 0
    while not stop.is_set():
        community_id, author_id = authors[n % len(authors)]
        with factory() as session:
            session.add(GazettePost(community_id=community_id, author_id=author_id, category="vie_quartier",
                                    title=f"Écriture n° {n} : « vide-grenier » 🎉", text="Bonjour à tous !",
                                    photo_count=0, hidden=False, hidden_reason="", created_at=utcnow()))
            session.commit()
        n += 1
        stop.wait(max(0.0, start + n / WRITES_PER_S - time.monotonic()))
    done.append(n / (time.monotonic() - start))
    engine.dispose()


def session_cookie(base_url: str) -> str:
    http = requests.Session()
    page = http.get(f"{base_url}/connexion")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    res = http.post(f"{base_url}/connexion", data={"csrf_token": token, "email": EMAIL, "password": PASSWORD,
                                                     "submit": "submit"}, allow_redirects=False)
    assert res.status_code in (302, 303), res.status_code
    return f"vvs_session={http.cookies['vvs_session']}"


def measured(what: str, url: str, cookie: str | None = None) -> dict:
    """``measure`` of ``url`` (as the signed-in resident with ``cookie``), logged as ``what``."""
    figures = measure(url, headers={"Cookie": cookie} if cookie else None)
    log(f"{what}: {figures}")
    return figures


def measured_without_cache(what: str, db_url: str, path: str) -> dict:
    """The resident's page ``path`` with the page cache off: what every request would cost
    if each one followed a write (the cache's worst case)."""
    env = {"VVS_BENCH_SETTINGS": json.dumps(bench_settings(db_url, **{"vvs.cache_url": "none"}))}
    with Gunicorn("bench.wsgi:app", env) as server:
        return measured(f"{what}, cache off", server.url + path, session_cookie(server.url))


def run(db_url: str) -> dict:
    prepare(db_url)
    env = {"VVS_BENCH_SETTINGS": json.dumps(bench_settings(db_url))}
    with Gunicorn("bench.wsgi:app", env) as server:
        cookie = session_cookie(server.url)
        home = measured("home", f"{server.url}/", cookie)
        ceiling = measured("home ceiling", f"{server.url}/bench/home-ceiling")
        hello = measured("hello", f"{server.url}/bench/hello")
        # The same page while the community's neighbours write (issue 16.4): a write empties
        # only the values it changed, so the resident's page stays cached between theirs.
        stop, rate = threading.Event(), []
        writer = threading.Thread(target=steady_writes, args=(db_url, stop, rate))
        writer.start()
        try:
            writes = measure(f"{server.url}/", headers={"Cookie": cookie})
        finally:
            stop.set()
            writer.join()
        log(f"home under {rate[0]:.1f} writes/s: {writes}")
    uncached = measured_without_cache("home", db_url, "/")
    return {**versus_ceiling("home", ceiling, {"": home, "_uncached": uncached, "_writes": writes}),
            "hello_rps": round(hello["rps"]), "home_writes_per_s": round(rate[0], 1)}
