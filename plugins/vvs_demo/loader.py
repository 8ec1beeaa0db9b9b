"""The demo commune: Serris (Seine-et-Marne), five neighbourhood communities, ~30 residents.

``vvs demo`` (and ``make run`` on first start) loads it once; a second run changes
nothing in the core's rows. Enabled plugins add their part through ``vvs_demo_data``
(``hookspecs``; the mairie plugin makes agent@serris.demo an agent of Serris). Boundaries are drawn in metres east/north of the town centre along the
streets they are named after, then projected to (lon, lat); the loader checks them
with ``vvs_core.geo`` (valid, sized as the settings require, no overlap) before
writing anything. Every account shares one demo password.
"""

import random
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from shapely.geometry import Point, Polygon
from sqlalchemy import func, insert, select

from vvs_core import geo
from vvs_core.clock import utcnow
from vvs_core.errors import ConfigurationError
from vvs_core.models import Commune, Community, CommunityEvent, Membership, User
from vvs_core.accounts.phones import FICTION_LANDLINE_PREFIX, FICTION_MOBILE_PREFIX
from vvs_core.accounts.security import hash_password

DEMO_PASSWORD = "un voisin attentif 2026"
DOMAIN = "serris.demo"
# Mobile numbers from the 06 39 98 block, which ARCEP sets aside for fiction:
# a demo SMS that escapes through a real provider reaches nobody (vvs_core.accounts.phones accepts them).
MOBILE_PREFIX = FICTION_MOBILE_PREFIX


class DemoError(Exception):
    """The demo data cannot be loaded into this database (the message says why)."""


@dataclass(frozen=True)
class DemoCommunity:
    name: str
    description: str
    streets: tuple[str, ...]
    outline_m: tuple[tuple[int, int], ...]  # (east, north) metres from the commune centre
    validation_mode: str
    created_days_ago: int


@dataclass(frozen=True)
class DemoCommune:
    insee: str
    name: str
    postcode: str
    centre: tuple[float, float]  # (lon, lat)
    communities: tuple[DemoCommunity, ...]


# Neighbours share edges (touching is not overlapping), so the map reads as a patchwork.
SERRIS = DemoCommune(
    insee="77449", name="Serris", postcode="77700", centre=(2.7861, 48.8453),
    communities=(
        DemoCommunity(
            "Le Bourg", "Le vieux village autour de l'église Saint-Firmin et de la mairie.",
            ("rue de Lagny", "place Antoine Mauny", "rue de la Ferme"),
            ((-190, -160), (160, -190), (230, 50), (90, 210), (-180, 170)), "referent", 420),
        DemoCommunity(
            "Rue Émile Cloud", "Les maisons de la rue Émile Cloud et des allées voisines.",
            ("rue Émile Cloud", "allée des Tilleuls"),
            ((160, -190), (560, -80), (640, 170), (420, 270), (230, 50)), "platform", 300),
        DemoCommunity(
            "Quartier du Parc", "Entre le bourg et le parc du Centre urbain.",
            ("avenue du Parc", "rue des Glycines", "allée des Sorbiers"),
            ((-180, 170), (90, 210), (60, 520), (-420, 560), (-560, 220)), "platform", 260),
        DemoCommunity(
            "Val d'Europe", "Les résidences autour du cours du Danube, près de la gare.",
            ("cours du Danube", "place d'Ariane", "cours de la Garonne"),
            ((-420, 560), (60, 520), (40, 980), (-560, 1020), (-700, 600)), "referent", 380),
        DemoCommunity(
            "Les Charmettes", "Le lotissement des Charmettes, au sud du bourg.",
            ("rue des Charmettes", "allée des Vergers"),
            ((-190, -160), (160, -190), (230, -560), (-120, -620), (-330, -430)), "platform", 200),
    ),
)

# (first name, last name, community, special): special is the login e-mail's local
# part for the accounts printed by ``vvs demo``, else None (prénom.nom@serris.demo).
RESIDENTS = (
    ("Claire", "Dubois", "Le Bourg", "referent"),
    ("Julien", "Martin", "Le Bourg", "resident"),
    ("Monique", "Lefèvre", "Le Bourg", None),
    ("Bernard", "Girard", "Le Bourg", None),
    ("Élodie", "Fontaine", "Le Bourg", None),
    ("Thierry", "Roux", "Le Bourg", None),
    ("Nadia", "Haddad", "Le Bourg", None),
    ("Françoise", "Moreau", "Rue Émile Cloud", None),
    ("Patrick", "Lambert", "Rue Émile Cloud", None),
    ("Camille", "Perrin", "Rue Émile Cloud", None),
    ("Hugo", "Garnier", "Rue Émile Cloud", None),
    ("Aïcha", "Diallo", "Rue Émile Cloud", None),
    ("Sandrine", "Mercier", "Quartier du Parc", None),
    ("Olivier", "Blanc", "Quartier du Parc", None),
    ("Léa", "Rousseau", "Quartier du Parc", None),
    ("Mehdi", "Bouzid", "Quartier du Parc", None),
    ("Chantal", "Faure", "Quartier du Parc", None),
    ("Antoine", "Gauthier", "Quartier du Parc", None),
    ("Karim", "Benali", "Val d'Europe", "referent2"),
    ("Sophie", "Nguyen", "Val d'Europe", None),
    ("Maxime", "Bertrand", "Val d'Europe", None),
    ("Inès", "Carpentier", "Val d'Europe", None),
    ("Romain", "Lemoine", "Val d'Europe", None),
    ("Yasmine", "Cherif", "Val d'Europe", None),
    ("Gérard", "Picard", "Val d'Europe", None),
    ("Isabelle", "Robin", "Les Charmettes", None),
    ("Laurent", "Masson", "Les Charmettes", None),
    ("Manon", "Barbier", "Les Charmettes", None),
    ("Jacques", "Renaud", "Les Charmettes", None),
    ("Pauline", "Colin", "Les Charmettes", None),
    ("Germaine", "Leroy", "Le Bourg", None),  # a landline and no mobile: alerts call her (issue 17.2)
)
# Residents reached on a landline only (ARCEP's fiction block 01 99 00 xx xx): they get a
# call where the others get an SMS, and confirm with the key 1.
LANDLINE_ONLY = {("Germaine", "Leroy")}
LANDLINE_PREFIX = FICTION_LANDLINE_PREFIX
PENDING = ("Lucas", "Chevalier", "Le Bourg", "en-attente")
REFERENTS = {"referent": "Le Bourg", "referent2": "Val d'Europe"}

# Accounts without a home: the platform team and the town hall. The mairie plugin,
# when enabled, recognises agent@serris.demo as an agent of Serris.
STAFF = (
    ("Agnès", "Marchand", "agent", "agent de mairie", {}),
    ("Denis", "Vasseur", "moderateur", "modérateur", {"is_moderator": True}),
    ("Marc", "Delaunay", "admin", "administrateur", {"is_admin": True}),
)


def demo_commune(settings) -> DemoCommune:
    insee = str(settings.get("vvs.demo_commune", SERRIS.insee))
    if insee != SERRIS.insee:
        raise ConfigurationError(f"vvs.demo_commune = {insee}: the only bundled demo commune is {SERRIS.insee} ({SERRIS.name})")
    return SERRIS


def email_for(first: str, last: str, special: str | None) -> str:
    return login_email(special or f"{ascii_fold(first)}.{ascii_fold(last)}")


def login_email(key: str) -> str:
    return f"{key}@{DOMAIN}"


def ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if c.isalnum() and c.isascii())


def demo_logins() -> list[tuple[str, str, str]]:
    """(role, e-mail, password) of the accounts worth trying, as ``vvs demo`` prints them."""
    logins = [("résident", login_email("resident"), DEMO_PASSWORD)]
    logins += [(f"référent ({name})", login_email(key), DEMO_PASSWORD) for key, name in REFERENTS.items()]
    logins.append(("membre en attente", login_email(PENDING[3]), DEMO_PASSWORD))
    logins += [(role, login_email(key), DEMO_PASSWORD) for _f, _l, key, role, _flags in STAFF]
    return logins


def describe(settings) -> str:
    commune = demo_commune(settings)
    return (f"{commune.name} ({commune.insee}), {len(commune.communities)} communities, "
            f"{len(RESIDENTS) + 1} residents, {len(STAFF)} staff accounts")


def is_loaded(dbsession, settings) -> bool:
    demo_commune(settings)
    return dbsession.scalar(select(User.id).where(User.email == login_email("admin"))) is not None


# --- Geometry -----------------------------------------------------------------

def boundary_of(commune: DemoCommune, community: DemoCommunity) -> Polygon:
    centre = geo.to_l93(Point(commune.centre))
    local = Polygon([(centre.x + east, centre.y + north) for east, north in community.outline_m])
    return geo.from_l93(local)


def checked_boundaries(commune: DemoCommune, settings) -> dict[str, Polygon]:
    """Name → boundary, after checking each is valid, well sized and overlaps no other."""
    boundaries = {c.name: boundary_of(commune, c) for c in commune.communities}
    for name, polygon in boundaries.items():
        problem = geo.validate_polygon(polygon)
        size = geo.check_boundary_size(polygon, settings["vvs.community.min_area_m2"], settings["vvs.community.max_area_m2"])
        if problem or not size.ok:
            raise DemoError(f"demo community {name!r} is refused: {problem or size.message} (see vvs.community.*_area_m2)")
    names = list(boundaries)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            if boundaries[first].relate_pattern(boundaries[second], geo.OVERLAP_PATTERN):
                raise DemoError(f"demo communities {first!r} and {second!r} overlap")
    return boundaries


def homes_inside(polygon: Polygon, count: int, seed: str) -> list[Point]:
    """``count`` points at least 15 m inside ``polygon``, the same on every run."""
    rng = random.Random(seed)
    inner = geo.to_l93(polygon).buffer(-15)
    minx, miny, maxx, maxy = inner.bounds
    homes = []
    while len(homes) < count:
        candidate = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if inner.contains(candidate):
            homes.append(geo.from_l93(candidate))
    return homes


# --- Loading ------------------------------------------------------------------

def load_demo(dbsession, settings, plugins=None) -> list[tuple[str, str, str]]:
    """Load the demo commune unless it is there already, then let each enabled plugin
    add its part (``vvs_demo_data``, idempotent: a plugin enabled since the first load
    adds its data on the next run); return the demo logins.

    ``plugins``: the plugin manager, or None for the core's data only. Flushes but does
    not commit: the caller owns the transaction.
    """
    data = demo_commune(settings)
    if not is_loaded(dbsession, settings):
        load_core_demo(dbsession, data, settings)
    if plugins is not None:
        commune = dbsession.scalar(select(Commune).where(Commune.insee == data.insee))
        plugins.hook.vvs_demo_data(dbsession=dbsession, commune=commune)
        dbsession.flush()
    return demo_logins()


def load_core_demo(dbsession, data: DemoCommune, settings) -> None:
    boundaries = checked_boundaries(data, settings)
    now = utcnow()
    commune = commune_row(dbsession, data)
    communities = add_communities(dbsession, commune, data, boundaries, now)
    password_hash = hash_password(DEMO_PASSWORD)  # one shared password: hash it once
    user_ids = add_users(dbsession, data, boundaries, password_hash, now)
    add_memberships_and_history(dbsession, data, communities, user_ids, now)
    dbsession.flush()


def commune_row(dbsession, data: DemoCommune) -> Commune:
    commune = dbsession.scalar(select(Commune).where(Commune.insee == data.insee))
    if commune is None:
        commune = Commune(insee=data.insee, name=data.name, postcodes=[data.postcode], centre=Point(data.centre))
        dbsession.add(commune)
        dbsession.flush()
    return commune


def add_communities(dbsession, commune, data: DemoCommune, boundaries, now) -> dict[str, Community]:
    communities = {}
    for item in data.communities:
        taken = geo.overlapping_community_ids(dbsession, boundaries[item.name])
        if taken:
            raise DemoError(f"demo community {item.name!r} would overlap communities {taken} already in this database: load the demo into an empty database")
        created = now - timedelta(days=item.created_days_ago)
        community = Community(
            commune_id=commune.id, name=item.name, description=item.description,
            address_label=f"{item.streets[0]}, {data.postcode} {data.name}",
            boundary=boundaries[item.name], validation_mode=item.validation_mode,
            created_at=created, boundary_changed_at=created,
        )
        dbsession.add(community)
        communities[item.name] = community
    dbsession.flush()
    return communities


def joined_at(n: int, item: DemoCommunity, special: str | None, now):
    """When resident ``n`` joined: référents found their community, others follow."""
    founded = now - timedelta(days=item.created_days_ago)
    return founded if special in REFERENTS else founded + timedelta(days=3 + (7 * n) % 90)


def resident_rows(data: DemoCommune, boundaries, password_hash, now) -> list[dict]:
    people = RESIDENTS + (PENDING,)
    items = {c.name: c for c in data.communities}
    homes = {name: iter(homes_inside(boundaries[name], sum(p[2] == name for p in people), name)) for name in items}
    rows = []
    for n, (first, last, community, special) in enumerate(people):
        item = items[community]
        street = item.streets[n % len(item.streets)]
        created = joined_at(n, item, special, now) - timedelta(days=1) if n < len(RESIDENTS) else now - timedelta(days=3)
        landline_only = (first, last) in LANDLINE_ONLY
        rows.append(user_row(first, last, email_for(first, last, special), password_hash, created,
                             mobile=None if landline_only else f"{MOBILE_PREFIX}{n:04d}",
                             landline=f"{LANDLINE_PREFIX}{n:04d}" if landline_only else None,
                             hide_mobile=n % 4 == 3, home=next(homes[community]),
                             address_label=f"{3 + 2 * n} {street}, {data.postcode} {data.name}"))
    return rows


def staff_rows(password_hash, now) -> list[dict]:
    return [user_row(first, last, email_for(first, last, key), password_hash, now - timedelta(days=500), **flags)
            for first, last, key, _role, flags in STAFF]


def user_row(first, last, email, password_hash, created_at, **fields) -> dict:
    # Every row has the same keys, so the bulk insert sends one executemany.
    row = dict(email=email, password_hash=password_hash, first_name=first, last_name=last, pseudonym=first,
               mobile=None, landline=None, hide_mobile=False, home=None, address_label="", is_admin=False, is_moderator=False,
               email_confirmed_at=created_at, created_at=created_at)
    row.update(fields)
    return row


def add_users(dbsession, data: DemoCommune, boundaries, password_hash, now) -> dict[str, int]:
    rows = resident_rows(data, boundaries, password_hash, now) + staff_rows(password_hash, now)
    emails = [row["email"] for row in rows]
    if dbsession.scalar(select(func.count(User.id)).where(User.email.in_(emails))):
        raise DemoError(f"some @{DOMAIN} accounts exist already but not the whole demo: load the demo into an empty database")
    dbsession.execute(insert(User), rows)
    return dict(dbsession.execute(select(User.email, User.id).where(User.email.in_(emails))).all())


def add_memberships_and_history(dbsession, data: DemoCommune, communities, user_ids, now) -> None:
    deciders = {name: user_ids[login_email(key)] for key, name in REFERENTS.items()}
    admin_id = user_ids[login_email("admin")]
    memberships, events = [], []
    for item in communities.values():
        founder = deciders.get(item.name, admin_id)
        events.append(event_row(item, founder, None, "community_created", item.created_at, {"name": item.name}))
    items = {c.name: c for c in data.communities}
    for n, (first, last, name, special) in enumerate(RESIDENTS):
        community = communities[name]
        user_id = user_ids[email_for(first, last, special)]
        joined = joined_at(n, items[name], special, now)
        role = "referent" if special in REFERENTS else "member"
        decider = None if role == "referent" else deciders.get(name, admin_id)
        memberships.append(membership_row(user_id, community.id, role, "active", joined, decider))
        events.append(event_row(community, user_id, user_id, "member_joined", joined, {"role": role}))
    first, last, name, special = PENDING
    memberships.append(membership_row(user_ids[email_for(first, last, special)], communities[name].id,
                                      "member", "pending", now - timedelta(days=2), None))
    dbsession.execute(insert(Membership), memberships)
    dbsession.execute(insert(CommunityEvent), events)


def membership_row(user_id, community_id, role, status, requested_at, decided_by_id) -> dict:
    decided = status == "active"
    return dict(user_id=user_id, community_id=community_id, role=role, status=status, requested_at=requested_at,
                decided_at=requested_at + timedelta(hours=5) if decided else None,
                decided_by_id=decided_by_id if decided else None)


def event_row(community, actor_id, subject_user_id, kind, created_at, data) -> dict:
    return dict(community_id=community.id, actor_id=actor_id, subject_user_id=subject_user_id, kind=kind,
                data=data, public=True, created_at=created_at)
