"""Following a town hall without an account: the double opt-in (a code by SMS or by
voice call, a link by e-mail), stopping (STOP by SMS, the one-click link of every
e-mail), and who among the followers a commune alert reaches.

Only the number or address, the commune, the optional home point and the pending
confirmation's digest are kept; a follower who stops is deleted at once, and a
confirmation nobody completed is deleted when it expires.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import unicodedata
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from shapely.ops import unary_union
from shapely.prepared import prep

from vvs_core.clock import aware, utcnow
from vvs_core.web.french import a, count, de, sort_key
from vvs_core.web.links import absolute_url, signed, unsigned
from vvs_core.web.forms import email_problem
from vvs_core.web.textsearch import folded
from vvs_core.models import Commune, Community
from vvs_core.models.notification import CHANNELS
from vvs_core.notify import sms
from vvs_core.notify.outbox import enqueue_delivery_after_commit, insert_notifications
from vvs_core.accounts.phones import normalise_phone
from vvs_core.providers import channels_with_provider

from .models import Follower

CODE_TTL = timedelta(minutes=30)
LINK_TTL = timedelta(hours=48)
MAX_ATTEMPTS = 5
CONFIRM_KIND = "follower_confirm"
NEWS_KIND = "follower_news"
CHANNEL_LABELS = {"sms": "SMS", "email": "e-mail", "voice": "appel vocal", "push": "notification"}
NEWS_CHANNELS = ("sms", "email", "push")  # news never rings a landline
CODE = re.compile(r"^[0-9]{6}$")  # ASCII digits only: "١٢٣٤٥٦" matches \d


class FollowRefused(Exception):
    """What the person typed cannot be followed; the message is French."""


# --- secrets -------------------------------------------------------------------------

def _digest(secret: str, purpose: str, value: str) -> str:
    return hmac.new(secret.encode(), f"vvs-abonne|{purpose}|{value}".encode(), hashlib.sha256).hexdigest()


def unsubscribe_token(source, follower: Follower) -> str:
    """The follower's stop link token: no storage, valid while the follower exists."""
    return signed(source, "followers-stop", follower.id)


def follower_of_token(request, token: str) -> Follower | None:
    """Links sent before December 2026 were this plugin's own HMAC of the follower's
    address: still accepted while that follower exists."""
    def legacy(follower_id):
        old = request.dbsession.get(Follower, follower_id)
        return old and f"vvs-abonne|desabonnement|{old.id}|{old.channel}|{old.address}"
    follower_id = unsigned(request, "followers-stop", token, legacy=legacy)
    return request.dbsession.get(Follower, follower_id) if follower_id is not None else None


# --- what the person typed -------------------------------------------------------------

def usable_channels(request) -> list[str]:
    """The channels a follower may choose: those of the outbox that have a provider
    (``voice`` when the core has that channel and a voice provider is chosen)."""
    ready = set(channels_with_provider(request))
    return [c for c in ("sms", "email", "voice") if c in CHANNELS and c in ready]


def contact_of(text: str, channels: list[str]) -> tuple[str, str]:
    """(channel, address) of a mobile number (SMS), a landline (voice call) or an
    e-mail address; ``FollowRefused`` with the French reason."""
    text = " ".join(str(text or "").split())
    if not text:
        raise FollowRefused("Indiquez votre numéro de téléphone ou votre adresse e-mail.")
    if len(text) > 254:
        raise FollowRefused("Ce numéro ou cette adresse est trop long.")
    if "@" in text:
        if problem := email_problem(text):
            raise FollowRefused(problem)
        if "email" not in channels:
            raise FollowRefused("Les alertes par e-mail ne sont pas proposées sur ce site : indiquez un portable.")
        return "email", text.lower()
    mobile, problem = normalise_phone(text, "mobile")
    if mobile:
        if "sms" not in channels:
            raise FollowRefused("Les alertes par SMS ne sont pas proposées sur ce site : indiquez une adresse e-mail.")
        return "sms", mobile
    landline, other = normalise_phone(text, "landline")
    if landline:
        if "voice" not in channels:
            raise FollowRefused("Ce numéro est un téléphone fixe : les appels vocaux ne sont pas encore proposés ici. "
                                "Indiquez un portable ou une adresse e-mail.")
        return "voice", landline
    raise FollowRefused(problem or other or "Numéro de téléphone invalide.")


def home_of(request, commune: Commune, address: str):
    """The point of the optional address in ``commune`` (None when none was given);
    ``FollowRefused`` when the geocoder cannot place it in the commune. Only the point is kept."""
    from shapely.geometry import Point

    from vvs_core.accounts.registration import locate_address

    address = " ".join(str(address or "").split())
    if not address:
        return None
    if len(address) > 200:
        raise FollowRefused("L'adresse doit tenir en 200 caractères.")
    located = locate_address(request, address, commune)
    if not located.found:
        raise FollowRefused(f"Nous ne trouvons pas cette adresse {a(commune.name)} : corrigez-la, ou laissez le champ "
                            "vide (vous recevrez alors les alertes adressées à toute la commune).")
    return Point(located.lon, located.lat)


def neighbourhoods(dbsession, commune: Commune) -> list[tuple[str, str]]:
    """(id, name) of the commune's communities that have a boundary: where a follower
    chooses their neighbourhood when no geocoder finds addresses (the built-in "manual")."""
    return [(str(i), name) for i, name in dbsession.execute(sa.select(Community.id, Community.name).where(
        Community.commune_id == commune.id, Community.archived_at.is_(None), Community.boundary.is_not(None))
        .order_by(folded(Community.name)))]


def home_in(dbsession, commune: Commune, community_id: str):
    """A point inside the chosen community (None for « toute la commune »): the alerts
    aimed at it, or at an area around it, reach the follower. Only the point is kept."""
    if not community_id:
        return None
    community = dbsession.get(Community, int(community_id))
    if community is None or community.commune_id != commune.id or community.boundary is None:
        raise FollowRefused("Choisissez un quartier de la liste.")
    return community.boundary.representative_point()


# --- the double opt-in -----------------------------------------------------------------------

def forget_expired(dbsession, now=None) -> int:
    """Delete the confirmations nobody completed in time."""
    now = now or utcnow()
    return dbsession.execute(sa.delete(Follower).where(Follower.status == "pending",
                                                       Follower.secret_expires_at < now)
                             .execution_options(synchronize_session=False)).rowcount


def start(request, commune: Commune, channel: str, address: str, home=None, news: bool = False) -> Follower:
    """Ask ``address`` to confirm it follows ``commune``: a code by SMS or voice, a link
    by e-mail. A number or address that already follows gets a reminder instead, so that
    the page says the same whatever the person typed (no list of followers can be drawn
    from it)."""
    db = request.dbsession
    forget_expired(db)
    follower = db.scalar(sa.select(Follower).where(Follower.commune_id == commune.id, Follower.channel == channel,
                                                   Follower.address == address))
    if follower is not None and follower.status == "active":
        _send(request, follower, "Vous suivez déjà la mairie", already_text(request, commune, follower))
        return follower
    if follower is None:
        follower = Follower(commune_id=commune.id, channel=channel, address=address, status="pending")
        db.add(follower)
    follower.home = home
    follower.news = bool(news and channel in NEWS_CHANNELS)
    follower.attempts = 0
    now = utcnow()
    secret = request.registry.settings["vvs.secret"]
    db.flush()
    if channel == "email":
        token = f"{follower.id}.{secrets.token_urlsafe(24)}"
        follower.secret_digest = _digest(secret, "lien", token)
        follower.secret_expires_at = now + LINK_TTL
        link = absolute_url(request, "followers_email_confirm", token=token)
        _send(request, follower, f"Confirmez : alertes de la mairie {de(commune.name)}",
              f"Bonjour,\n\nVous avez demandé à recevoir par e-mail les alertes de la mairie {de(commune.name)}.\n"
              f"Pour confirmer, ouvrez ce lien dans les 48 heures :\n{link}\n\n"
              "Si vous n'avez rien demandé, ignorez ce message : votre adresse sera effacée.")
    else:
        code = f"{secrets.randbelow(1_000_000):06d}"
        follower.secret_digest = _digest(secret, "code", f"{follower.id}|{code}")
        follower.secret_expires_at = now + CODE_TTL
        # A voice reads the code digit by digit, twice (the person is writing it down).
        spoken = f"{' '.join(code)}. Je répète : {' '.join(code)}" if channel == "voice" else code
        _send(request, follower, "Code de confirmation",
              f"Mairie {de(commune.name)} : votre code de confirmation est {spoken}. Il expire dans 30 minutes. "
              "Si vous n'avez rien demandé, ignorez ce message.")
    return follower


def already_text(request, commune, follower) -> str:
    if follower.channel == "email":
        link = absolute_url(request, "followers_unsubscribe",
                            token=unsubscribe_token(request, follower))
        return (f"Bonjour,\n\nVotre adresse reçoit déjà les alertes de la mairie {de(commune.name)} : "
                f"il n'y a rien à faire.\nPour ne plus les recevoir : {link}")
    return (f"Mairie {de(commune.name)} : ce numéro reçoit déjà ses alertes, rien à faire. "
            + ("Pour arrêter, répondez STOP." if follower.channel == "sms" else ""))


def _send(request, follower: Follower, title: str, body: str) -> None:
    rows = [dict(dedupe_key=f"{CONFIRM_KIND}:{follower.id}:{secrets.token_hex(8)}", kind=CONFIRM_KIND,
                 subject_type="follower", subject_id=follower.id, channel=follower.channel, address=follower.address,
                 title=title, body=body, expires_at=follower.secret_expires_at or utcnow() + CODE_TTL,
                 # The person is waiting for this call (they just asked for it): not held until morning.
                 severity="severe" if follower.channel == "voice" else "")]
    enqueue_delivery_after_commit(request, insert_notifications(request.dbsession, rows))


def confirm_code(request, follower_id: int, code: str) -> tuple[Follower | None, str | None]:
    """(the follower now active, None) or (None, the French reason)."""
    follower = request.dbsession.get(Follower, follower_id) if follower_id else None
    code = re.sub(r"\s", "", str(code or ""))
    if follower is None or follower.channel == "email":
        return None, "Cette demande a expiré : recommencez."
    if follower.status == "active":
        return follower, None
    if aware(follower.secret_expires_at) < utcnow() or follower.attempts >= MAX_ATTEMPTS:
        return None, "Ce code a expiré ou a été essayé trop de fois : recommencez votre demande."
    if not CODE.match(code):
        return None, "Le code a 6 chiffres : recopiez-le depuis le message reçu."
    expected = _digest(request.registry.settings["vvs.secret"], "code", f"{follower.id}|{code}")
    if not hmac.compare_digest(expected, follower.secret_digest or ""):
        follower.attempts += 1
        left = MAX_ATTEMPTS - follower.attempts
        return None, (f"Code incorrect : encore {count(left, 'essai', 'essais')}." if left
                      else "Code incorrect : la demande est annulée, recommencez.")
    activate(follower)
    return follower, None


def confirm_link(request, token: str) -> Follower | None:
    match = re.fullmatch(r"([0-9]{1,12})\.[A-Za-z0-9_-]{20,64}", token or "")
    follower = request.dbsession.get(Follower, int(match.group(1))) if match else None
    if follower is None or follower.channel != "email":
        return None
    if follower.status == "active":
        return follower
    expected = _digest(request.registry.settings["vvs.secret"], "lien", token)
    if aware(follower.secret_expires_at) < utcnow() or not hmac.compare_digest(expected, follower.secret_digest or ""):
        return None
    activate(follower)
    return follower


def activate(follower: Follower) -> None:
    follower.status, follower.confirmed_at = "active", utcnow()
    follower.secret_digest, follower.secret_expires_at, follower.attempts = None, None, 0


# --- a browser (Web Push) ----------------------------------------------------------------

def push_offer(request) -> dict | None:
    """What the follow page needs to subscribe a browser (``key``: the push provider's
    public key; ``script``: the page script of the plugin that records residents'
    devices, ``IPushDevices.subscribe_script``), or None when this site cannot send
    Web Push to someone without an account."""
    from vvs_core.interfaces import IPushSender
    from vvs_core.providers.push import push_devices

    if "push" not in channels_with_provider(request):
        return None
    key = getattr(request.find_service(IPushSender), "application_server_key", "") or ""
    script = getattr(push_devices(request.registry), "subscribe_script", "") or ""
    return {"key": key, "script": script} if key and script else None


def _push_key(value, sizes: tuple[int, ...]) -> str:
    value = str(value or "")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,200}={0,2}", value):
        raise FollowRefused("L'abonnement envoyé par le navigateur est illisible.")
    raw = value.rstrip("=")
    if len(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))) not in sizes:
        raise FollowRefused("L'abonnement envoyé par le navigateur est illisible.")
    return value


def push_subscription_of(body, allow_http: bool) -> tuple[str, str, str]:
    """(endpoint, p256dh, auth) of what the browser's ``PushManager.subscribe`` gave;
    ``FollowRefused`` with the French reason. The endpoint is a URL this server will
    POST to: HTTPS only (plain HTTP only for a local fake push service in tests)."""
    try:
        endpoint, keys = str(body["endpoint"]), body["keys"]
        p256dh, auth = _push_key(keys["p256dh"], (65,)), _push_key(keys["auth"], (16,))
    except (TypeError, KeyError, AttributeError):
        raise FollowRefused("L'abonnement envoyé par le navigateur est illisible.") from None
    parts = urlsplit(endpoint)
    if not parts.hostname or len(endpoint) > 1000 or any(c.isspace() for c in endpoint):
        raise FollowRefused("Adresse du service de notification invalide.")
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise FollowRefused("Le service de notification doit être joint en HTTPS.")
    return endpoint, p256dh, auth


def follow_by_push(request, commune: Commune, endpoint: str, p256dh: str, auth: str, news: bool) -> Follower:
    """A browser that allowed notifications follows ``commune`` at once: the browser's
    own permission prompt is the consent, and only a browser that holds the subscription
    can receive (nothing to confirm). A welcome notification says it works."""
    db = request.dbsession
    digest = hashlib.sha256(endpoint.encode()).hexdigest()
    follower = db.scalar(sa.select(Follower).where(Follower.commune_id == commune.id, Follower.channel == "push",
                                                   Follower.address == digest))
    if follower is None:
        follower = Follower(commune_id=commune.id, channel="push", address=digest)
        db.add(follower)
    follower.endpoint, follower.p256dh, follower.auth, follower.news = endpoint, p256dh, auth, bool(news)
    activate(follower)
    db.flush()
    what = "les alertes et les nouvelles" if follower.news else "les alertes"
    rows = [dict(dedupe_key=f"{CONFIRM_KIND}:{follower.id}:{secrets.token_hex(8)}", kind=CONFIRM_KIND,
                 subject_type="follower", subject_id=follower.id, channel="push", address=follower.key,
                 title=f"Mairie {de(commune.name)}",
                 body=f"C'est fait : ce navigateur recevra {what} de la mairie {de(commune.name)}.",
                 expires_at=utcnow() + CODE_TTL)]
    enqueue_delivery_after_commit(request, insert_notifications(db, rows))
    return follower


def push_devices_of(follower: Follower | None) -> list[dict]:
    """Where a notification to a follower's browser goes (``id`` None: not a resident's
    device, so the push provider keeps no record of it)."""
    if follower is None or follower.channel != "push" or not follower.endpoint:
        return []
    return [{"id": None, "endpoint": follower.endpoint, "p256dh": follower.p256dh, "auth": follower.auth}]


# --- stopping --------------------------------------------------------------------------

def stop(dbsession, follower: Follower) -> None:
    dbsession.delete(follower)
    dbsession.flush()


def normalised_words(text: str) -> str:
    plain = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().upper()
    return re.sub(r"[^A-Z0-9]", "", plain)


def handle_sms(request, message) -> str | None:
    """STOP (ARRÊT, FIN, DÉSABONNER…) from a follower's number ends every follow of that
    number; a 6-digit code confirms a pending one. Anything else: not ours (None)."""
    db = request.dbsession
    word = normalised_words(message.text)
    if sms.says_stop(message.text):
        followers = list(db.scalars(sa.select(Follower).where(Follower.channel == "sms",
                                                              Follower.address == message.sender)))
        if not followers:
            return None
        names = sorted({db.get(Commune, f.commune_id).name for f in followers}, key=sort_key)
        for follower in followers:
            db.delete(follower)
        db.flush()
        return (f"C'est noté : vous ne recevrez plus les alertes de la mairie {de(' et '.join(names))} par SMS, "
                "et votre numéro est effacé.")
    if CODE.match(word):
        pending = db.scalar(sa.select(Follower).where(Follower.channel == "sms", Follower.address == message.sender,
                                                      Follower.status == "pending")
                            .order_by(Follower.id.desc()).limit(1))
        if pending is None:
            return None
        follower, problem = confirm_code(request, pending.id, word)
        if problem:
            return problem
        commune = db.get(Commune, follower.commune_id)
        return (f"C'est confirmé : vous recevrez les alertes de la mairie {de(commune.name)} par SMS. "
                "Pour arrêter, répondez STOP.")
    return None


# --- who a commune alert reaches ----------------------------------------------------------------

def reached(dbsession, commune, target: dict) -> list[dict]:
    """The active followers of ``commune`` that a commune alert aimed at ``target``
    reaches: everyone for the whole commune; for an area or chosen communities, those
    whose home point lies inside (followers who gave no address get only the alerts to
    the whole commune)."""
    channels = set(target.get("channels") or ())
    stmt = sa.select(Follower.id, Follower.channel, Follower.address, Follower.home).where(
        Follower.commune_id == commune.id, Follower.status == "active", Follower.channel.in_(sorted(channels) or [""]))
    kind = target.get("target") or "commune"
    zone = None
    if kind == "area":
        zone = target.get("area")
    elif kind == "communities":
        boundaries = list(dbsession.scalars(sa.select(Community.boundary).where(
            Community.commune_id == commune.id, Community.archived_at.is_(None),
            Community.id.in_([int(i) for i in target.get("community_ids") or []] or [-1]))))
        zone = unary_union([b for b in boundaries if b is not None]) if boundaries else None
    elif kind != "commune":
        return []
    rows = dbsession.execute(stmt.order_by(Follower.id)).all()
    if kind != "commune":
        if zone is None or zone.is_empty:
            return []
        inside = prep(zone)
        rows = [r for r in rows if r.home is not None and inside.contains(r.home)]
    return [{"key": f"abonne-{r.id}", "channel": r.channel,
             "address": f"abonne-{r.id}" if r.channel == "push" else r.address} for r in rows]


def send_news(request, commune, news: dict) -> int:
    """The mairie's news (``vvs_commune_news_published``) to the followers of ``commune``
    who chose it, on their channel (never by a call); how many rows were written. The
    SMS carries the title and as much of the text as the parts hold."""
    usable = [c for c in NEWS_CHANNELS if c in channels_with_provider(request)]
    followers = request.dbsession.execute(sa.select(Follower.id, Follower.channel, Follower.address).where(
        Follower.commune_id == commune.id, Follower.status == "active", Follower.news.is_(True),
        Follower.channel.in_(usable or [""])).order_by(Follower.id)).all()
    if not followers:
        return 0
    title, text = str(news.get("title") or ""), str(news.get("text") or "")
    head = f"Mairie {de(commune.name)} - {title}" + (" : " if text else "")
    short = sms.fit(head, re.sub(r"\s+", " ", text).strip(), "", request.registry.settings["vvs.sms.max_segments"]).text
    bodies = {"sms": short, "email": f"{text}\n\n— Mairie {de(commune.name)}", "push": text}
    rows = [dict(dedupe_key=f"mairie-news:{news['id']}:abonne-{f.id}:{f.channel}", kind=NEWS_KIND,
                 subject_type="mairie_news", subject_id=int(news["id"]), channel=f.channel,
                 address=f"abonne-{f.id}" if f.channel == "push" else f.address,
                 title=f"Mairie {de(commune.name)} : {title}", body=bodies[f.channel]) for f in followers]
    ids = insert_notifications(request.dbsession, rows)
    enqueue_delivery_after_commit(request, ids)
    return len(ids)


def counts(dbsession, commune_id: int) -> dict[str, int]:
    """Active followers of a commune by channel."""
    return dict(dbsession.execute(sa.select(Follower.channel, sa.func.count()).where(
        Follower.commune_id == commune_id, Follower.status == "active").group_by(Follower.channel)).all())
