"""Security: the Pyramid 2 policy, principals, ACL contexts, passwords, deny by default.

Principals: ``user:<id>``, ``role:resident`` (active member somewhere),
``role:moderator``, ``role:admin`` (the platform team), ``community:<id>:member``,
``community:<id>:referent``, ``community:<id>:pending``, and whatever plugins add
through ``vvs_principals`` (declared through ``vvs_register_principals``; see
``vvs_core.accounts.principals``, which spells every principal).
"""

from functools import cache, lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pyramid.authorization import ALL_PERMISSIONS, Allow, Authenticated, ACLHelper, Everyone
from pyramid.httpexceptions import HTTPNotFound
from pyramid.interfaces import IException, IExceptionResponse
from pyramid.session import SignedCookieSessionFactory
from pyramid.static import static_view
from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased, contains_eager, joinedload

from vvs_core.clock import timestamp
from vvs_core.errors import ConfigurationError
from vvs_core.hooktypes import MenuItem
from vvs_core.models import Commune, Community, Membership, Token, User, row_id
from vvs_core.accounts.principals import commune_agent, granted_by_plugins
from vvs_core.communities.modes import effective_validation_mode, mode_of, validation_modes
from vvs_core.web.timefmt import shown_in
from vvs_core.accounts.sessions import SESSION_ID, end_session, issue_token, session_alive, session_digest, start_session, valid_token  # noqa: F401

SESSION_USER = "uid"
SESSION_EPOCH = "epoch"
SESSION_LOGIN_AT = "login_at"
# A user in one of these states has no session: "suspended" or "banned" by an administrator
# (the platform team's pages), "closed" by themselves; a blocked one cannot sign in.
BLOCKED_STATUSES = ("suspended", "banned")
CLOSED_STATUSES = ("closed", *BLOCKED_STATUSES)

# Argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 20 ms per login
# on this project's 2-core machine, against 120 ms for argon2-cffi's default (64 MiB, 3
# passes, 4 lanes). The settings vvs.password_hash.* raise it; docs/security.md weighs both.
PASSWORD_HASH_DEFAULTS = {"memory_kib": 19456, "time_cost": 2, "parallelism": 1}
OWASP_MIN_MEMORY_X_PASSES = 7168 * 5  # the weakest configuration of OWASP's list (7 MiB × 5 passes)

_hasher = PasswordHasher(memory_cost=19456, time_cost=2, parallelism=1)
_hasher_pinned = False


# --- Passwords ----------------------------------------------------------------

def configure_password_hashing(settings) -> None:
    """Hash new passwords with the cost the settings give (``vvs.password_hash.*``). A hash
    records its own parameters, so older hashes still verify, and are redone at the next
    successful login (``rehash_if_needed``). Raises ConfigurationError below OWASP's
    minimum."""
    global _hasher
    memory, passes = settings["vvs.password_hash.memory_kib"], settings["vvs.password_hash.time_cost"]
    if memory * passes < OWASP_MIN_MEMORY_X_PASSES:
        raise ConfigurationError(
            f"vvs.password_hash.memory_kib × vvs.password_hash.time_cost = {memory} × {passes} is below OWASP's "
            f"minimum ({OWASP_MIN_MEMORY_X_PASSES}, e.g. 19456 × 2): raise one of them (docs/security.md)")
    if not _hasher_pinned:
        _hasher = PasswordHasher(memory_cost=memory, time_cost=passes,
                                 parallelism=settings["vvs.password_hash.parallelism"])


def pin_password_hasher(hasher: PasswordHasher) -> None:
    """Use ``hasher`` whatever the settings say (the test suite's cheap one)."""
    global _hasher, _hasher_pinned
    _hasher, _hasher_pinned = hasher, True


def rehash_if_needed(user: User, password: str) -> bool:
    """After a successful check of ``password``: hash it again when its hash was made with
    other parameters than today's (the operator changed vvs.password_hash.*)."""
    if user.password_hash and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        return True
    return False

def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    if user is None or not user.password_hash:
        _hasher.hash(password)  # same cost whether the account exists or not
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("vvs_core.data").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def password_problem(password: str, min_length: int = 12, context: tuple[str, ...] = ()) -> str | None:
    """A French message saying why ``password`` is refused, or None when it is sound."""
    if len(password) < min_length:
        return f"Le mot de passe doit comporter au moins {min_length} caractères."
    if len(password) > 256:
        return "Le mot de passe est trop long (256 caractères au plus)."
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) < 4:
        return "Ce mot de passe est trop courant : choisissez-en un autre, par exemple une phrase de plusieurs mots."
    for word in context:
        word = (word or "").lower()
        if len(word) >= 4 and word in lowered and len(lowered) - len(word) < 8:
            return "Le mot de passe ne doit pas reprendre votre nom ou votre adresse e-mail."
    return None


# --- Identity and principals --------------------------------------------------

def load_user(request) -> User | None:
    other = request.registry.vvs_plugins.hook.vvs_authenticate(request=request)
    if other is not None:  # a token request never reads nor writes the session
        return other.user
    session = request.session
    uid = session.get(SESSION_USER)
    if uid is None:
        return None
    max_age = request.registry.settings["vvs.session_max_age"]
    if timestamp() - session.get(SESSION_LOGIN_AT, 0) > max_age:
        session.invalidate()
        return None
    from vvs_core.web.cache import cached_row

    user = cached_row(request, User, uid, lambda: _user_and_memberships(request, uid))
    if (user is None or user.status in CLOSED_STATUSES or user.session_epoch != session.get(SESSION_EPOCH)
            or not session_alive(request, user.id, session.get(SESSION_ID))):
        session.invalidate()
        return None
    other = request.registry.vvs_plugins.hook.vvs_acting_for(request=request, user=user)
    if other is not None and other.id != user.id and other.status not in CLOSED_STATUSES:
        request.environ["vvs.acting_by"] = user.id
        return other
    return user


# Pages that stay the holder's while someone acts for the account (``vvs_acting_for``):
# every « Mes paramètres » page but these (credentials, closing, the data archive, a
# plugin's tokens or devices: nothing that outlives the visit or locks the holder out).
OPEN_WHILE_ACTING = frozenset({"settings", "settings_account", "settings_notifications", "settings_newsletter"})


def refuse_credentials_while_acting(event) -> None:
    request = event.request
    route = getattr(request, "matched_route", None)
    if route is None or not route.name.startswith("settings") or route.name in OPEN_WHILE_ACTING:
        return
    request.user  # noqa: B018  (loads the identity, which says whether someone acts for it)
    if request.environ.get("vvs.acting_by") is not None:
        from pyramid.httpexceptions import HTTPForbidden

        raise HTTPForbidden("Cette page reste celle du titulaire du compte : elle ne s'ouvre pas pour le compte "
                            "de quelqu'un d'autre.")


@cache
def _user_statement():
    """``_user_and_memberships``'s select, built once per process (it costs more than running it)."""
    token = aliased(Token)
    return (select(User, Membership.community_id, Membership.role, Membership.status, Community,
                   token.user_id, token.purpose, token.used_at, token.expires_at)
            .join_from(User, token, token.token_hash == bindparam("digest"), isouter=True)
            .outerjoin(Membership, Membership.user_id == User.id)
            .outerjoin(Community, Community.id == Membership.community_id)
            .outerjoin(Commune, Commune.id == Community.commune_id)
            .options(contains_eager(Community.commune).load_only(Commune.id, Commune.insee, Commune.name,
                                                                 Commune.time_zone))
            .where(User.id == bindparam("uid")).order_by(Membership.id))


def _user_and_memberships(request, uid: int) -> User | None:
    """The user's row, their memberships and their communities (with the commune's code)
    in one statement: every page needs the first two, and the header checks permissions
    on the third (``memberships`` and ``community_factory`` take them from here)."""
    # The server-side session row too, for ``session_alive`` (one statement for all three).
    digest = session_digest(request.session.get(SESSION_ID))
    rows = request.dbsession.execute(_user_statement(), {"uid": uid, "digest": digest or ""}).all()
    if not rows:
        return None
    request.__dict__["_vvs_loaded_memberships"] = (uid, [(row[1], row[2], row[3]) for row in rows if row[1] is not None])
    if digest is not None:
        request.__dict__["_vvs_loaded_session"] = (digest, tuple(rows[0][5:9]))
    # Held for the request: the session's identity map keeps only what is referenced.
    request.__dict__.setdefault("_vvs_loaded_communities", []).extend(row[4] for row in rows if row[4] is not None)
    return rows[0][0]


def user_principals(request, user: User) -> list[str]:
    principals = [Everyone, Authenticated, f"user:{user.id}"]
    if user.is_admin:
        principals.append("role:admin")
    if user.is_moderator:
        principals.append("role:moderator")
    for community_id, role, status in request.memberships:
        if status == "active":
            principals.append("role:resident")
            principals.append(f"community:{community_id}:member")
            if role == "referent":
                principals.append("role:referent")
                principals.append(f"community:{community_id}:referent")
        elif status == "pending":
            principals.append(f"community:{community_id}:pending")
            if created_by(request, user, community_id):
                principals.append(f"community:{community_id}:creator")
    principals.extend(granted_by_plugins(request, user))
    return sorted(set(principals))


def created_by(request, user: User, community_id: int) -> bool:
    """Whether ``user`` created the community (its "community_created" event names them):
    while it waits for validation, its creator sees and draws its boundary."""
    from vvs_core.models import CommunityEvent

    def load():
        return request.dbsession.scalar(
            select(CommunityEvent.id).where(CommunityEvent.community_id == community_id,
                                            CommunityEvent.kind == "community_created",
                                            CommunityEvent.actor_id == user.id).limit(1)) is not None

    return request.cached(("created-by", user.id, community_id), load,
                          scope=[("user", user.id), ("community", community_id)])


def memberships(request) -> list[tuple[int, str, str]]:
    """(community id, role, status) of every membership of the signed-in user, any status;
    read once per request, from the page cache while nothing was written."""
    user = request.user
    if user is None:
        return []

    def load():
        loaded = request.__dict__.pop("_vvs_loaded_memberships", None)
        if loaded is not None and loaded[0] == user.id:  # read with the user's row
            return loaded[1]
        return [tuple(row) for row in request.dbsession.execute(
            select(Membership.community_id, Membership.role, Membership.status)
            .where(Membership.user_id == user.id).order_by(Membership.id))]

    # Often read with the user's row (no statement here): its table is declared.
    return request.cached(("memberships", user.id), load, tables=("memberships",), scope=("user", user.id))


def member_community_ids(request) -> list[int]:
    """Ids of the communities the current user is an active member of (no query while
    ``request.memberships`` is cached)."""
    return sorted(cid for cid, _role, status in request.memberships if status == "active")


def own_community_entry(request, label: str, route: str, order: int) -> list[MenuItem]:
    """A menu entry to ``route`` of the user's first community (none signed out or in no community)."""
    ids = member_community_ids(request) if request.user is not None else []
    return [MenuItem(label, request.route_path(route, community_id=ids[0]), order=order)] if ids else []


PLATFORM_WIDE = ("role:admin", "role:moderator")
CORE_PRINCIPAL_PREFIXES = ("system.", "user:", "role:", "community:")
_WITH_COMMUNE = [joinedload(Community.commune).load_only(Commune.id, Commune.insee, Commune.name, Commune.time_zone)]  # once


def user_scopes(request):
    """The cache scopes (``vvs_core.web.cache``) of what the signed-in user's own pages show:
    their rows and their communities'. None — every write counts — for those whose pages
    show more than their communities: the platform team, and anyone a plugin grants
    principals beyond their communities (a commune agent's commune)."""
    user = request.user
    if user is None:
        return None
    principals = request.principals
    if any(p in PLATFORM_WIDE or not p.startswith(CORE_PRINCIPAL_PREFIXES) for p in principals):
        return None
    return [("user", user.id)] + [("community", cid) for cid, _role, _status in request.memberships]


def effective_principals(request) -> list[str]:
    user = request.user
    return user_principals(request, user) if user is not None else [Everyone]


class SecurityPolicy:
    def __init__(self):
        self.acl = ACLHelper()

    def identity(self, request):
        return request.user

    def authenticated_userid(self, request):
        user = request.user
        return user.id if user is not None else None

    def permits(self, request, context, permission):
        return self.acl.permits(context, request.principals, permission)

    def remember(self, request, userid, **kw):
        user = request.dbsession.get(User, userid)
        session = request.session
        end_session(request)  # a session already open in this browser ends on the server too
        session.invalidate()  # a fresh session at login: no fixation
        session[SESSION_ID] = start_session(request, user)
        session[SESSION_USER] = userid
        session[SESSION_EPOCH] = user.session_epoch
        session[SESSION_LOGIN_AT] = int(timestamp())
        session.new_csrf_token()
        for name in ("user", "principals", "memberships"):
            request.__dict__.pop(name, None)
        return []

    def forget(self, request, **kw):
        end_session(request)
        request.session.invalidate()
        for name in ("user", "principals", "memberships"):
            request.__dict__.pop(name, None)
        return []


# --- Contexts -----------------------------------------------------------------

class RootContext:
    """Default context: what any signed-in user or role may do."""

    __acl__ = [
        (Allow, Everyone, "public"),
        (Allow, Authenticated, "account"),
        (Allow, "role:resident", "resident"),
        (Allow, "role:referent", "referent"),
        (Allow, "role:moderator", "moderate"),
        (Allow, "role:admin", ALL_PERMISSIONS),
    ]

    def __init__(self, request):
        self.request = request


class CommunityContext:
    """A community, found from the ``community_id`` route segment.

    Permissions: ``community.view`` (members), ``community.manage`` (référents),
    ``community.boundary`` (référents, and the creator while the community waits),
    ``membership.decide`` (the deciders of its validation mode), ``community.oversee``
    (agents of its commune).
    """

    def __init__(self, request, community: Community):
        self.request = request
        self.community = community

    @property
    def acl_facts(self) -> tuple[str, tuple[str, ...]]:
        """(INSEE code of the commune, the deciders of its effective validation mode): what the ACL needs beyond the
        community row, once per request and community even without the page cache (a page checks several permissions),
        cached (the mode asks the plugins, who may query); who decides, only of a user who could (issue 16)."""
        c, request = self.community, self.request
        memo = request.__dict__.setdefault("_vvs_community_acl", {})
        if c.id not in memo and {p for m in validation_modes(request.registry).values()
                                 for p in m.deciders(c)}.isdisjoint(request.principals):
            memo[c.id] = (c.commune.insee, ())
        if c.id not in memo:
            memo[c.id] = request.cached(("community-acl", c.id),
                                        lambda: (c.commune.insee, tuple(mode_of(
                                            request.registry, effective_validation_mode(request, c)).deciders(c))),
                                        tables=("communities", "communes"), scope=("community", c.id))
        return memo[c.id]

    @property
    def __acl__(self):
        c = self.community
        insee, deciders = self.acl_facts
        agent = commune_agent(insee)
        acl = [
            (Allow, "role:admin", ALL_PERMISSIONS),
            (Allow, Everyone, "public"),
            (Allow, Authenticated, "account"),
            (Allow, f"community:{c.id}:member", ("community.view", "community.member")),
            (Allow, f"community:{c.id}:referent", ("community.view", "community.member", "community.manage",
                                                    "community.boundary")),
            # the creator of a community waiting for validation draws its boundary meanwhile
            (Allow, f"community:{c.id}:creator", "community.boundary"),
            (Allow, agent, ("community.view", "community.oversee")),
            (Allow, f"community:{c.id}:pending", "community.pending"),
        ]
        return acl + [(Allow, p, "membership.decide") for p in deciders] + [(Allow, "role:moderator", "moderate")]


def community_factory(request):
    community = cached_community(request, found) if (found := row_id(request.matchdict.get("community_id"))) else None
    if community is None:
        raise HTTPNotFound()
    return CommunityContext(request, community)


def page_zone(request) -> str | None:
    """A page's time zone: its commune's (the context's commune or community, the route's
    ``{insee}``), else the signed-in user's first community's; ``None``: ``vvs.timezone``."""
    context, insee = getattr(request, "context", None), (request.matchdict or {}).get("insee")
    commune = getattr(context, "commune", None) or getattr(getattr(context, "community", None), "commune", None)
    if commune is None and insee:  # the commune the page loaded (no query), else its zone alone
        return (next(((c.time_zone,) for c in request.dbsession.identity_map.values() if isinstance(c, Commune)
                      and c.__dict__.get("insee") == str(insee) and "time_zone" in c.__dict__), None)
                or (request.dbsession.scalar(select(Commune.time_zone).where(Commune.insee == str(insee))),))[0]
    if commune is None and (ids := member_community_ids(request)):
        commune = getattr(cached_community(request, ids[0]), "commune", None)
    return getattr(commune, "time_zone", None)


def zone_tween_factory(handler, registry):
    def tween(request):
        with shown_in(lambda: page_zone(request)):  # asked only when the page shows an hour
            return handler(request)
    return tween


def commune_from_matchdict(request) -> Commune:
    """The commune named by the route's ``{insee}`` segment; 404 for a code of another
    shape (five digits, or 2A/2B for Corsica) or one no commune has. The one way a
    ``/…/{insee}/…`` route factory finds its commune."""
    insee = str(request.matchdict.get("insee", ""))
    if len(insee) != 5 or any(ch not in "0123456789AB" for ch in insee):
        raise HTTPNotFound()
    commune = request.dbsession.scalar(select(Commune).where(Commune.insee == insee))
    if commune is None:
        raise HTTPNotFound()
    return commune


class CommuneAgentsContext:
    """A ``/…/{insee}/…`` page of a commune that its agents (second factor passed)
    may open with ``permission``."""

    def __init__(self, request, commune: Commune, permission: str):
        self.request = request
        self.commune = commune
        self.permission = permission

    @property
    def __acl__(self):
        return [(Allow, commune_agent(self.commune.insee), self.permission)]


def commune_agents_factory(permission: str):
    """The route factory of such pages: ``config.add_route(…, factory=commune_agents_factory(P))``."""
    def factory(request) -> CommuneAgentsContext:
        return CommuneAgentsContext(request, commune_from_matchdict(request), permission)
    return factory


def cached_community(request, community_id: int) -> Community | None:
    """The community (from the page cache while nothing was written), with its commune's
    code and name read in the same statement (the ACL needs the code); no statement at all
    when this request read it already (the signed-in user's communities are)."""
    from vvs_core.web.cache import cached_row

    def load():
        community = request.dbsession.get(Community, community_id, options=_WITH_COMMUNE)
        # Held for the request: the session's identity map keeps only what is referenced,
        # and the copy ``cached_row`` returns finds its commune there.
        request.__dict__.setdefault("_vvs_loaded_communities", []).append(community)
        return community

    return cached_row(request, Community, community_id, load)


# --- Deny by default ----------------------------------------------------------

def require_permission(view, info):
    """View deriver: refuse at start-up any view that names no permission."""
    opts = info.options
    context = opts.get("context")
    is_exception_view = info.exception_only or (
        isinstance(context, type) and issubclass(context, BaseException)
    )
    if opts.get("permission") is None and not is_exception_view and not isinstance(info.original_view, static_view):
        where = opts.get("route_name") or opts.get("name") or getattr(info.original_view, "__name__", "?")
        module = getattr(info.original_view, "__module__", "?")
        raise ConfigurationError(
            f"view {module}.{getattr(info.original_view, '__name__', '?')} (route {where}) declares no permission: "
            "give it one (use permission='public' for a page anyone may see)"
        )
    return view


def check_every_view_has_permission(config) -> None:
    """The deriver already refused any view without a permission; this double-checks the
    introspected views so that a view registered by unusual means is caught too."""
    for intr in config.registry.introspector.get_category("views"):
        view = intr["introspectable"]
        perms = [r for r in config.registry.introspector.related(view) if r.category_name == "permissions"]
        context = view["context"]
        if isinstance(context, type) and issubclass(context, BaseException):
            continue
        if context is IExceptionResponse or getattr(context, "isOrExtends", lambda i: False)(IException):
            continue
        if isinstance(view["callable"], static_view) or view.get("exception_only"):
            continue
        if not perms:
            raise ConfigurationError(f"view {view['callable']!r} for route {view['route_name']} (context {context!r}) declares no permission")


def includeme(config):
    settings = config.get_settings()
    config.set_session_factory(SignedCookieSessionFactory(
        settings["vvs.secret"],
        cookie_name="vvs_session",
        secure=settings["vvs.secure_cookies"],
        httponly=True,
        samesite="Lax",
        timeout=settings["vvs.session_idle_timeout"],
        reissue_time=60,
        salt="vvs.session.",
    ))
    config.set_default_csrf_options(require_csrf=True)
    config.set_security_policy(SecurityPolicy())
    config.set_root_factory(RootContext)
    config.add_request_method(load_user, "user", reify=True)
    config.add_request_method(effective_principals, "principals", reify=True)
    config.add_request_method(memberships, "memberships", reify=True)
    config.add_view_deriver(require_permission)
    config.add_tween("vvs_core.accounts.security.zone_tween_factory")
    from pyramid.events import ContextFound

    config.add_subscriber(refuse_credentials_while_acting, ContextFound)
