"""The national data set (issue 16.5), loaded with COPY from a deterministic seed.

At ``scale = 1``: 1,000,000 users, 700 communes, 10,000 communities (one of 5,000 members
and 50 pending requests, in a commune of 150 communities), one membership and one
``member_joined`` event per user, 200,000 alerts, 5,000,000 notifications, 300,000
gazette posts and 500,000 messages (the référent of the big community in 150
conversations). ``scale`` multiplies the bulk counts; the people the benchmark plays
(a resident and the référent of the big community, the agent of the 150-community commune)
keep their sizes as long as the data set holds them.

    python -m bench.national DATABASE_URL [--scale 0.1] [--seed 2026]

The same seed and the same ``anchor`` date give the same rows. The database must be
migrated and empty. Secondary indexes of each bulk table are dropped during its COPY and
rebuilt after (much faster than maintaining them row by row); VACUUM ANALYZE at the end
(statistics, and the visibility map that index-only counts need, as autovacuum leaves them).
"""
from __future__ import annotations

import base64
import json
import math
import random
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

FULL = {"users": 1_000_000, "communes": 700, "communities": 10_000, "alerts": 200_000,
        "notifications": 5_000_000, "gazette_posts": 300_000, "messages": 500_000}
MINIMUM = {"users": 200, "communes": 2, "communities": 8, "alerts": 20, "notifications": 100,
           "gazette_posts": 20, "messages": 60}
BIG_MEMBERS = 5_000          # the référent's community
PENDING = 50                 # requests waiting in it
AGENT_COMMUNITIES = 150      # communities of the agent's commune
REFERENT_CONVERSATIONS = 150
MESSAGES_PER_CONVERSATION = 5

PASSWORD = "un voisin attentif 2026"
COMMUNE_M, CELL_M, COMMUNITY_M = 5_000, 350, 300   # commune square, community cell and square
CELLS = COMMUNE_M // CELL_M                         # 14 × 14 = 196 communities per commune at most
LAT0, LON0 = 45.0, 1.0
M_LAT = 110_574.0

FIRST = ["Éloïse", "Noé", "Chloé", "Loïc", "Agnès", "Jérôme", "Zoé", "François", "Maëlle", "Hélène",
         "Amélie", "Gaëtan", "Inès", "Benoît", "Anaïs", "Léa", "Raphaël", "Cécile", "Mathis", "Océane"]
LAST = ["Lefèvre", "Martin", "Dubois", "Garçon", "Béranger", "Moreau", "N'Diaye", "Rousseau", "Lemaître",
        "Fournier", "Girard", "Bonnet", "Dupré", "Lambert", "Chevalier", "Bœuf", "Perrin", "Mercier"]
ALERT_CATEGORIES = ["reperage", "demarchage", "tentative_cambriolage", "cambriolage", "maison_inoccupee",
                    "personne_vulnerable", "autre"]
SEVERITIES = ["minor", "moderate", "moderate", "severe"]
GAZETTE_CATEGORIES = ["annonce", "pret_don", "covoiturage", "evenement", "animal", "objet", "vie_quartier"]


def _hash_parameters() -> dict:
    from vvs_core.accounts.security import PASSWORD_HASH_DEFAULTS as d

    return {"memory_cost": d["memory_kib"], "time_cost": d["time_cost"], "parallelism": d["parallelism"]}


HASH_PARAMETERS = _hash_parameters()


def counts_for(scale: float) -> dict:
    return {k: max(MINIMUM[k], round(v * scale)) for k, v in FULL.items()}


@dataclass
class Personas:
    """Who the benchmark plays, and where."""
    resident: str = ""
    referent: str = ""
    agent: str = ""
    newcomer: str = "nouveau@national.test"
    agent_totp: str = ""
    password: str = PASSWORD
    big_community_id: int = 0
    big_members: int = 0
    agent_insee: str = ""
    agent_communities: int = 0
    referent_conversation_id: int = 0
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0


def _lonlat(x: float, y: float) -> tuple[float, float]:
    lat = LAT0 + y / M_LAT
    return LON0 + x / (111_320.0 * math.cos(math.radians(lat))), lat


def _square(x: float, y: float, side: float) -> str:
    corners = [_lonlat(x, y), _lonlat(x + side, y), _lonlat(x + side, y + side), _lonlat(x, y + side)]
    ring = ", ".join(f"{lon:.7f} {lat:.7f}" for lon, lat in corners + corners[:1])
    return f"SRID=4326;POLYGON(({ring}))"


def _point(x: float, y: float) -> str:
    lon, lat = _lonlat(x, y)
    return f"SRID=4326;POINT({lon:.7f} {lat:.7f})"


def _iso(moment: datetime) -> str:
    return moment.isoformat()


@contextmanager
def _without_indexes(conn, table: str):
    """Drop the secondary indexes of ``table`` (not those of constraints), rebuild after."""
    rows = conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' AND i.tablename = %s "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", (table,)).fetchall()
    for name, _definition in rows:
        conn.execute(f'DROP INDEX "{name}"')
    yield
    for _name, definition in rows:
        conn.execute(definition)


def _copy(conn, table: str, columns: list[str], rows) -> int:
    n = 0
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def generate(db_url: str, scale: float = 1.0, seed: int = 2026, secret: str = "", anchor: datetime | None = None,
             log=lambda msg: print(msg, file=sys.stderr, flush=True)) -> Personas:
    import psycopg
    from argon2 import PasswordHasher

    from .common import psycopg_url

    started = time.time()
    rng = random.Random(seed)
    now = anchor or datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    year = timedelta(days=365).total_seconds()
    n = counts_for(scale)
    n_users, n_communes, n_communities = n["users"], n["communes"], n["communities"]
    big = min(BIG_MEMBERS, n_users // 5)
    pending = min(PENDING, n_users // 20)
    agent_communities = min(AGENT_COMMUNITIES, n_communities // 2, CELLS * CELLS)
    # The argon2 hash of one password, for every account: hashing a million passwords
    # would take hours; the cost of a login (verifying it) is the same. With the server's
    # default parameters (vvs.password_hash.*), or each log-in would also rehash.
    password_hash = PasswordHasher(**HASH_PARAMETERS).hash(PASSWORD, salt=rng.randbytes(16))
    personas = Personas(counts=n, big_members=big, agent_communities=agent_communities)

    # Geography: communes as a grid of 5 km squares; communities as 300 m squares on a
    # 350 m grid inside their commune. Commune 1 (the agent's) holds `agent_communities`,
    # community 1 (the big one) among them; the others share the rest.
    cols = math.ceil(math.sqrt(n_communes))
    commune_origin = {c: ((c - 1) % cols * COMMUNE_M, (c - 1) // cols * COMMUNE_M) for c in range(1, n_communes + 1)}
    community_commune, community_origin, used = {}, {}, {c: 0 for c in commune_origin}
    for k in range(1, n_communities + 1):
        c = 1 if k <= agent_communities else 2 + (k - agent_communities - 1) % (n_communes - 1)
        slot = used[c]
        used[c] += 1
        if slot >= CELLS * CELLS:
            raise ValueError(f"too many communities for commune {c}: raise the number of communes")
        cx, cy = commune_origin[c]
        community_commune[k] = c
        community_origin[k] = (cx + slot % CELLS * CELL_M + 25, cy + slot // CELLS * CELL_M + 25)

    # Users: 1..big are the big community (1 its référent, 2 the resident, 3 the agent);
    # the others go round the other communities. The first member of each is its référent.
    def community_of(u: int) -> int:
        return 1 if u <= big else 2 + (u - big - 1) % (n_communities - 1)

    def home_of(u: int, r: random.Random) -> tuple[float, float]:
        x, y = community_origin[community_of(u)]
        return x + r.uniform(5, COMMUNITY_M - 5), y + r.uniform(5, COMMUNITY_M - 5)

    personas.referent, personas.resident, personas.agent = (f"u{u}@national.test" for u in (1, 2, 3))
    personas.big_community_id = 1
    personas.agent_insee = f"{10000 + 1}"

    with psycopg.connect(psycopg_url(db_url)) as conn:
        for table in ("users", "communes", "communities"):
            if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]:
                raise RuntimeError(f"{table} is not empty: the national data set goes into an empty database")
        conn.execute("SET synchronous_commit = off")
        created = _iso(now - timedelta(days=800))

        def step(what: str, count: int):
            log(f"national: {count:,} {what} ({time.time() - started:.0f} s)")

        step("communes", _copy(conn, "communes", ["id", "insee", "name", "postcodes", "centre", "boundary", "created_at"], (
            (c, f"{10000 + c}", f"Saint-Éloi-{c} « les Prés »" if c > 1 else "Bourg-la-Reine-des-Prés",
             json.dumps([f"{10000 + c}"]), _point(x + COMMUNE_M / 2, y + COMMUNE_M / 2), _square(x, y, COMMUNE_M),
             created) for c, (x, y) in commune_origin.items())))
        step("communities", _copy(conn, "communities", ["id", "commune_id", "name", "boundary", "validation_mode",
                                                        "created_at", "boundary_changed_at"], (
            (k, community_commune[k], "Grand quartier de la Gare" if k == 1 else f"Quartier n°{k} — l’Orée",
             _square(*community_origin[k], COMMUNITY_M), "referent", created, created)
            for k in range(1, n_communities + 1))))

        with _without_indexes(conn, "users"):
            def users():
                r = random.Random(seed + 1)
                for u in range(1, n_users + 1):
                    joined = now - timedelta(seconds=r.random() * 2 * year)
                    yield (u, f"u{u}@national.test", password_hash, FIRST[u % len(FIRST)], LAST[u % len(LAST)],
                           f"{FIRST[u % len(FIRST)].lower()}{u}", f"+336{u:08d}", u % 4 == 0, False,
                           f"{u % 200 + 1} rue des Écoles", _point(*home_of(u, r)), "", False, "fr", False, False,
                           "active", 0, _iso(joined), _iso(joined))
                # A newcomer at home in the agent's commune, in no community yet (the sign-up lookup).
                x, y = community_origin[1]
                yield (n_users + 1, "nouveau@national.test", password_hash, "Loïs", "Nouvel-Arrivant", "lois",
                       "+33700000001", False, False, "1 place de la Mairie", _point(x + 150, y - 20), "", False,
                       "fr", False, False, "active", 0, _iso(now), _iso(now))
            step("users", _copy(conn, "users", [
                "id", "email", "password_hash", "first_name", "last_name", "pseudonym", "mobile", "hide_mobile",
                "hide_landline", "address_label", "home", "presentation", "newsletter", "locale", "is_admin",
                "is_moderator", "status", "session_epoch", "created_at", "email_confirmed_at"], users()))

        first_of = {}
        for u in range(1, n_users + 1):
            first_of.setdefault(community_of(u), u)
        with _without_indexes(conn, "memberships"), _without_indexes(conn, "community_events"):
            def memberships():
                for u in range(1, n_users + 1):
                    k = community_of(u)
                    yield (u, u, k, "referent" if first_of[k] == u else "member", "active", created, created, "")
                # Pending requests to the big community, from members of other communities.
                for i in range(pending):
                    yield (n_users + 1 + i, big + 1 + i, 1, "member", "pending", _iso(now - timedelta(hours=i)), None, "")
            step("memberships", _copy(conn, "memberships", ["id", "user_id", "community_id", "role", "status",
                                                            "requested_at", "decided_at", "decision_reason"],
                                      memberships()))

            def events():
                r = random.Random(seed + 2)
                for u in range(1, n_users + 1):
                    yield (community_of(u), u, u, "member_joined", '{"role": "member"}', True,
                           _iso(now - timedelta(seconds=r.random() * year)))
            step("community events", _copy(conn, "community_events", [
                "community_id", "actor_id", "subject_user_id", "kind", "data", "public", "created_at"], events()))

        with _without_indexes(conn, "alerts"):
            def alerts():
                r = random.Random(seed + 3)
                for i in range(1, n["alerts"] + 1):
                    author = r.randint(1, n_users)
                    k = community_of(author)
                    at = now - timedelta(seconds=r.random() * year)
                    yield (i, k, community_commune[k], author, r.choice(ALERT_CATEGORIES),
                           f"Alerte n°{i} : individu suspect rue des Écoles, « voiture grise » 🚗",
                           _point(*home_of(author, r)), r.choice(SEVERITIES), _iso(at), _iso(at),
                           _iso(at + timedelta(hours=6)), "published", f"national-{i}", "web")
            step("alerts", _copy(conn, "alerts", [
                "id", "community_id", "commune_id", "author_id", "category", "text", "place", "severity", "created_at",
                "published_at", "expires_at", "status", "idempotency_key", "source"], alerts()))

        with _without_indexes(conn, "gazette_posts"):
            def posts():
                r = random.Random(seed + 4)
                for i in range(1, n["gazette_posts"] + 1):
                    author = r.randint(1, n_users)
                    at = now - timedelta(seconds=r.random() * year)
                    yield (i, community_of(author), author, r.choice(GAZETTE_CATEGORIES),
                           f"Annonce n°{i} — « vélo à donner »", "Très bon état, à venir chercher rue de l’Église. 🚲",
                           0, False, "", _iso(at))
            step("gazette posts", _copy(conn, "gazette_posts", [
                "id", "community_id", "author_id", "category", "title", "text", "photo_count", "hidden",
                "hidden_reason", "created_at"], posts()))

        # Conversations: the référent with 150 members of the big community, then pairs of
        # neighbours (same community), MESSAGES_PER_CONVERSATION messages each.
        r = random.Random(seed + 5)
        conversations = []
        for i in range(min(REFERENT_CONVERSATIONS, big - 3, n["messages"] // MESSAGES_PER_CONVERSATION)):
            conversations.append((1, 4 + i))
        attempts = 0
        while len(conversations) * MESSAGES_PER_CONVERSATION < n["messages"] and attempts < 20 * n["messages"]:
            attempts += 1
            a = r.randint(big + 1, n_users) if n_users > big + n_communities else r.randint(1, n_users)
            b = a + (n_communities - 1) if a > big else a + 1
            if b > n_users or community_of(b) != community_of(a):
                b = a - (n_communities - 1) if a > big else a - 1
            if b < 1 or b == a or community_of(b) != community_of(a):
                continue
            conversations.append((a, b))
        with _without_indexes(conn, "msg_messages"), _without_indexes(conn, "msg_participants"):
            stamps = []
            def convs():
                for cid, (a, _b) in enumerate(conversations, 1):
                    at = now - timedelta(seconds=r.random() * year / 4)
                    stamps.append(at)
                    yield (cid, f"Échange n°{cid} — « la haie »", a, _iso(at),
                           _iso(at + timedelta(minutes=MESSAGES_PER_CONVERSATION)))
            step("conversations", _copy(conn, "msg_conversations", ["id", "subject", "created_by_id", "created_at",
                                                                    "last_message_at"], convs()))
            _copy(conn, "msg_participants", ["conversation_id", "user_id", "last_read_at"], (
                (cid, who, _iso(stamps[cid - 1])) for cid, pair in enumerate(conversations, 1) for who in pair))

            def messages():
                for cid, (a, b) in enumerate(conversations, 1):
                    for m in range(MESSAGES_PER_CONVERSATION):
                        yield (cid, a if m % 2 == 0 else b, f"Bonjour 👋 c’est pour la haie (message {m + 1})",
                               _iso(stamps[cid - 1] + timedelta(minutes=m)))
            step("messages", _copy(conn, "msg_messages", ["conversation_id", "sender_id", "text", "created_at"],
                                   messages()))
        personas.referent_conversation_id = 1

        # What the notifications say: one text per alert and channel (notification_contents),
        # as the outbox writes them; alert a's SMS is content 2a - 1, its e-mail 2a.
        def contents():
            for a in range(1, n["alerts"] + 1):
                yield (2 * a - 1, "Alerte de votre quartier", f"Individu suspect rue des Écoles (alerte {a}).", None,
                       _iso(now))
                yield (2 * a, "Alerte de votre quartier", f"Individu suspect rue des Écoles (alerte {a}).",
                       f"<p>Individu suspect rue des Écoles (alerte {a}).</p>", _iso(now))
        step("notification texts", _copy(conn, "notification_contents", ["id", "title", "body", "html", "created_at"],
                                         contents()))

        with _without_indexes(conn, "notifications"):
            def notifications():
                r = random.Random(seed + 6)
                for i in range(1, n["notifications"] + 1):
                    who = r.randint(1, n_users)
                    sms = i % 2 == 0
                    at = now - timedelta(seconds=r.random() * year)
                    alert = r.randint(1, n["alerts"])
                    yield (f"national-{i}", "alert", "alert", alert, who, "sms" if sms else "email",
                           f"+336{who:08d}" if sms else f"u{who}@national.test", 2 * alert - (1 if sms else 0),
                           "sent", 1, "null", "", _iso(at), _iso(at), _iso(at))
            step("notifications", _copy(conn, "notifications", [
                "dedupe_key", "kind", "subject_type", "subject_id", "recipient_id", "channel", "address",
                "content_id", "status", "attempts", "provider", "last_error", "created_at", "next_attempt_at",
                "sent_at"], notifications()))

        # The mairie of commune 1, subscribed, with its agent (user 3) enrolled in the second factor.
        totp = base64.b32encode(rng.randbytes(20)).decode()
        personas.agent_totp = totp
        sealed = ""
        if secret:
            from vvs_mairie.twofactor import seal

            sealed = seal({"vvs.secret": secret}, totp)  # the bench server sets no TOTP key
        conn.execute("INSERT INTO mairie_communes (commune_id, subscribed, impose_validation, subscribed_at) "
                     "VALUES (1, true, false, %s)", (now,))
        conn.execute("INSERT INTO mairie_agents (user_id, commune_id, role, totp_secret, totp_confirmed_at, "
                     "alert_channels, invited_at, active) VALUES (3, 1, 'agent', %s, %s, '[\"email\"]', %s, true)",
                     (sealed or None, now if sealed else None, now))
        for table in ("users", "communes", "communities", "memberships", "alerts", "gazette_posts",
                      "msg_conversations", "notification_contents"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
    with psycopg.connect(psycopg_url(db_url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    personas.seconds = round(time.time() - started, 1)
    log(f"national: loaded in {personas.seconds} s")
    return personas


def main(argv):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.national", description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    from vvs_core.testing import TEST_SECRET

    personas = generate(args.database_url, args.scale, args.seed, TEST_SECRET)
    print(json.dumps(personas.__dict__, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
