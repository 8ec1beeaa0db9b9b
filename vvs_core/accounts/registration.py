"""Signing up: locating the home, checking the point, creating the account,
confirming the e-mail address.

The sign-up state lives in the session between the steps (address label, lon, lat,
commune id, e-mail); each step checks it again on the server.
"""

import logging
import re
from dataclasses import dataclass

from shapely.geometry import Point
from sqlalchemy import String, case, cast, or_, select
from sqlalchemy.orm import defer

from vvs_core import geo
from vvs_core.clock import utcnow
from vvs_core.web.french import de
from vvs_core.interfaces import IGeocoder
from vvs_core.communities.membership import distance_m
from vvs_core.models import Commune, User
from vvs_core.accounts.phones import normalise_phone
from vvs_core.accounts.security import valid_token, hash_password, issue_token
from vvs_core.web.links import absolute_url
from vvs_core.web.textsearch import place_key

log = logging.getLogger(__name__)

SESSION_KEY = "signup"
# A home further than this from the commune's centre (or 1 km outside its boundary,
# when it has one) is not in the commune.
MAX_FROM_CENTRE_M = 6000
MAX_OUTSIDE_BOUNDARY_M = 1000
EMAIL_CONFIRM_HOURS = 72

# (lon min, lat min, lon max, lat max): metropolitan France with Corsica, and the
# overseas departments and collectivities where a commune may run the service.
FRANCE_BOXES = (
    (-5.3, 41.2, 9.7, 51.2),       # métropole et Corse
    (-61.9, 15.8, -60.9, 16.6),    # Guadeloupe
    (-61.3, 14.3, -60.7, 14.95),   # Martinique
    (-54.7, 2.0, -51.5, 5.9),      # Guyane
    (55.1, -21.5, 55.9, -20.8),    # La Réunion
    (44.9, -13.1, 45.35, -12.5),   # Mayotte
    (-56.5, 46.7, -56.1, 47.2),    # Saint-Pierre-et-Miquelon
)


@dataclass
class Located:
    lon: float
    lat: float
    found: bool          # the geocoder found the address (else: the commune's centre)
    label: str


def communes_matching(dbsession, typed: str, limit: int | None = 20) -> list[Commune]:
    """The communes a name, postcode or INSEE code (or their start) names, the closest first
    (« st etienne », « 42000 », « 2a004 »: ``textsearch.place_key``); typed nothing: all, by name."""
    code, key = "".join(str(typed)[:80].split()).upper(), place_key(str(typed)[:80])
    where = (or_(Commune.insee.startswith(code), cast(Commune.postcodes, String).contains(f'"{code}'))
             if re.fullmatch(r"\d[\dAB]\d{0,3}", code) else Commune.name_key.contains(key, autoescape=True))
    closest = case((Commune.insee == code, 0), (Commune.name_key == key, 1),
                   (Commune.name_key.startswith(key, autoescape=True), 2), else_=3)
    return list(dbsession.scalars(select(Commune).options(defer(Commune.boundary)).where(where)
                                  .order_by(closest, Commune.name_key, Commune.insee).limit(limit)))


def commune_search(request, route: str, shown: int = 20) -> dict:
    """A commune searched (GET ``?q=``; web/templates/commune_search.pt): its matches link to ``route?commune=<id>``."""
    typed = " ".join(str(request.GET.get("q", ""))[:80].split())
    found = communes_matching(request.dbsession, typed, shown + 1)
    status = ("Tapez le nom de la commune, son code postal ou son code INSEE." if "q" in request.GET and not typed
              else f"Aucune commune ne correspond à « {typed} » : vérifiez l'orthographe, ou cherchez par code "
              "postal ou code INSEE." if typed and not found else f"Plus de {shown} communes correspondent : "
              "précisez (nom complet, code postal ou code INSEE)." if typed and len(found) > shown else None)
    return {"query": typed, "status": status, "found": bool(found), "action": request.route_path(route),
            "matches": [(c.label, request.route_path(route, _query={"commune": c.id}))
                        for c in (found[:shown] if typed or len(found) <= shown else [])]}

def locate_address(request, address: str, commune: Commune) -> Located:
    """Where the geocoder puts ``address`` in ``commune``; its centre when it cannot.

    Results outside the commune are ignored: the resident then places the marker.
    """
    centre = commune.centre
    geocoder = request.find_service(IGeocoder)
    try:
        results = geocoder.search(address, limit=3, citycode=commune.insee, near=(centre.x, centre.y))
    except Exception:  # a provider bug must not stop a sign-up: the map still works
        log.exception("geocoder %s failed", getattr(geocoder, "name", "?"))
        results = []
    for result in results or []:
        if result.citycode and result.citycode != commune.insee:
            continue
        if point_problem(commune, result.lon, result.lat) is None:
            return Located(result.lon, result.lat, True, result.label)
    return Located(centre.x, centre.y, False, address)


def point_problem(commune: Commune, lon, lat) -> str | None:
    """A French message when (lon, lat) cannot be a home in ``commune``, else None."""
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        return "Position invalide : placez le marqueur sur votre domicile."
    if lon != lon or lat != lat or not (-180 <= lon <= 180 and -90 <= lat <= 90):  # NaN or off the globe
        return "Position invalide : placez le marqueur sur votre domicile."
    if not any(x0 <= lon <= x1 and y0 <= lat <= y1 for x0, y0, x1, y1 in FRANCE_BOXES):
        return "Cette position est hors de France : placez le marqueur sur votre domicile."
    point = Point(lon, lat)
    if commune.boundary is not None:
        outside = geo.to_l93(commune.boundary).distance(geo.to_l93(point))
        if outside > MAX_OUTSIDE_BOUNDARY_M:
            return f"Cette position est hors de la commune {de(commune.name)} : placez le marqueur sur votre domicile."
    elif distance_m(commune.centre, point) > MAX_FROM_CENTRE_M:
        return f"Cette position est trop loin {de(commune.name)} : placez le marqueur sur votre domicile."
    return None


def email_taken(dbsession, email: str, but: int | None = None) -> bool:
    """Whether an account (other than the one of id ``but``) has ``email``, whatever its case."""
    from vvs_core.accounts.login import find_user_by_email

    return getattr(find_user_by_email(dbsession, email), "id", but) != but


@dataclass
class AccountData:
    first_name: str
    last_name: str
    email: str
    password: str
    mobile: str | None
    landline: str | None
    pseudonym: str


def phones(mobile_text: str, landline_text: str) -> tuple[dict, dict]:
    """({"mobile": e164, "landline": e164}, {field: French error})."""
    numbers, errors = {}, {}
    for name, kind in (("mobile", "mobile"), ("landline", "landline")):
        value, error = normalise_phone({"mobile": mobile_text, "landline": landline_text}[name] or "", kind)
        if error:
            errors[name] = error
        numbers[name] = value
    if not errors and not numbers["mobile"] and not numbers["landline"]:
        errors["mobile"] = "Indiquez au moins un numéro de téléphone : portable (pour recevoir les alertes par SMS) ou fixe."
    return numbers, errors


def create_account(request, data: AccountData, state: dict) -> User:
    """Create the resident's account from the form and the located home; send the
    e-mail confirmation link; tell the plugins (``vvs_user_registered``)."""
    dbsession = request.dbsession
    user = User(
        email=data.email.lower(), password_hash=hash_password(data.password),
        first_name=data.first_name, last_name=data.last_name, pseudonym=data.pseudonym,
        mobile=data.mobile, landline=data.landline,
        address_label=state.get("address", "")[:255], home=Point(float(state["lon"]), float(state["lat"])),
    )
    dbsession.add(user)
    dbsession.flush()
    request.registry.vvs_plugins.hook.vvs_user_registered(request=request, user=user)
    send_confirmation(request, user)
    return user


def send_confirmation(request, user) -> None:
    from vvs_core.notify.outbox import notify_user

    token = issue_token(request.dbsession, user, "email_confirm", hours=EMAIL_CONFIRM_HOURS, data={"email": user.email})
    link = absolute_url(request, "signup_email_confirm", token=token)
    site = request.registry.settings["vvs.site_name"]
    notify_user(
        request, user, kind="account", title="Confirmez votre adresse e-mail",
        body=(f"Bonjour {user.first_name},\n\nBienvenue sur {site} ! Pour confirmer votre adresse e-mail, "
              f"ouvrez ce lien (valable {EMAIL_CONFIRM_HOURS} heures) :\n{link}\n\n"
              "Si vous n'êtes pas à l'origine de cette inscription, ignorez ce message."),
        channels=("email",),
    )


def confirm_email(dbsession, token: str) -> User | None:
    """The user whose address the token confirms (now confirmed), or None."""
    row = valid_token(dbsession, token, "email_confirm", use=True)
    if row is None:
        return None
    user = dbsession.get(User, row.user_id)
    if user is None or user.status == "closed" or (row.data or {}).get("email") != user.email:
        return None  # the address changed since the link was sent
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user
