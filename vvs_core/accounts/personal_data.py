"""GDPR: "Télécharger mes données" (a ZIP of everything held about a user, from the
core and every plugin) and closing an account (personal data erased, community
history kept under "ancien membre")."""

import io
import json
import re
import zipfile
from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.sql.elements import ClauseElement

from vvs_core.web.batch import ReadThen, _plain, json_rows, resolve_values
from vvs_core.clock import utcnow
from vvs_core.communities.events import event_label, record_event
from vvs_core.notify.kinds import kinds_of
from vvs_core.notify.prefs_form import CHANNEL_LABELS
from vvs_core.web.textsearch import fold
from vvs_core.web.timefmt import dates
from vvs_core.accounts.sessions import end_all_sessions
from vvs_core.models import Community, CommunityEvent, Membership, Notification, Token, User


# What the archive says instead of the codes stored (kinds, events: their registries; channels: CHANNEL_LABELS).
ROLES = {"member": "membre", "referent": "référent"}
STATUSES = {"pending": "en attente", "active": "actif", "rejected": "refusé", "left": "parti", "sending": "en cours d'envoi",
            "sent": "envoyé", "delivered": "remis", "failed": "en échec", "cancelled": "annulé"}


def _iso(value):
    """A moment as ISO 8601 at Paris time (with its offset), a date as it is."""
    return dates.iso(value) if isinstance(value, datetime) else value.isoformat() if isinstance(value, date) else value


def export_key(name) -> str:
    """A section's or a field's name as the archive writes it, whatever a plugin returned: French
    words in snake_case without accents (« Dernière connexion » → derniere_connexion)."""
    return re.sub(r"[^a-z0-9]+", "_", fold(str(name))).strip("_")


def _stable_keys(value):
    return ({export_key(k): _stable_keys(v) for k, v in value.items()} if isinstance(value, dict)
            else [_stable_keys(v) for v in value] if isinstance(value, list) else value)


def in_words(rows, **labels):
    """A section's rows with their codes in the pages' words, the one way of core and plugins: ``in_words(json_rows(stmt),
    canal=CHANNEL_LABELS, statut=STATUSES)`` (per field a dict or a function, each code of a list too; unknown codes stay)."""
    def word(label, code):
        return ([word(label, c) for c in code] if isinstance(code, list) else code if code is None
                else label(code) if callable(label) else label.get(code, code))
    apply = lambda read: [{k: word(labels[k], v) if k in labels else v for k, v in _plain(r).items()} for r in read]  # noqa: E731
    return ReadThen(rows, apply) if isinstance(rows, ClauseElement) else apply(rows)


def core_export(request, user: User) -> dict:
    """The core's part of the archive. Its lists are SQL expressions (``json_rows``) that
    ``gather_user_data`` reads with every plugin's in one statement (``vvs_core.web.batch``)."""
    home, kind, prefs, housing = user.home, {k.key: k.label for k in kinds_of(request.registry)}, user.notification_prefs or {}, user.housing or {}
    account = {
        "email": user.email, "prenom": user.first_name, "nom": user.last_name, "pseudonyme": user.pseudonym,
        "telephone_portable": user.mobile, "masquer_portable": user.hide_mobile,
        "telephone_fixe": user.landline, "masquer_fixe": user.hide_landline, "adresse": user.address_label,
        "domicile": {"longitude": home.x, "latitude": home.y} if home is not None else None,
        "presentation": user.presentation, "centres_interet": list(user.interests or []),
        "habitation": {export_key(t): dict(c).get(housing[n], housing[n]) for n, t, c in User.HOUSING if housing.get(n)},
        "preferences_notifications": in_words([{"type": k, "canaux": list(v)} for k, v in prefs.items()], type=kind, canaux=CHANNEL_LABELS),
        "newsletter": user.newsletter, "photo": user.photo if user.has_photo else None,  # a file of the ZIP
        "cree_le": _iso(user.created_at), "derniere_connexion": _iso(user.last_login_at),
        "email_confirme_le": _iso(user.email_confirmed_at),
    }
    memberships = in_words(json_rows(
        select(Community.name.label("communaute"), Membership.role.label("role"), Membership.status.label("statut"),
               Membership.requested_at.label("demande_le"), Membership.decided_at.label("decide_le"),
               Membership.decision_reason.label("motif"))
        .join(Community, Community.id == Membership.community_id)
        .where(Membership.user_id == user.id).order_by(Membership.id)), role=ROLES, statut=STATUSES)
    notifications = in_words(json_rows(
        select(Notification.kind.label("type"), Notification.channel.label("canal"), Notification.title.label("titre"),
               Notification.status.label("statut"), Notification.created_at.label("cree_le"))
        .where(Notification.recipient_id == user.id).order_by(Notification.id.desc()).limit(1000)),
        type=kind, canal=CHANNEL_LABELS, statut=STATUSES)
    events = in_words(json_rows(
        select(CommunityEvent.kind.label("type"), Community.name.label("communaute"),
               CommunityEvent.created_at.label("le"), CommunityEvent.data.label("donnees"))
        .outerjoin(Community, Community.id == CommunityEvent.community_id)
        .where((CommunityEvent.actor_id == user.id) | (CommunityEvent.subject_user_id == user.id))
        .order_by(CommunityEvent.id)), type=lambda k: event_label(request.registry, k),
        donnees=lambda data: in_words([data], role=ROLES)[0] if isinstance(data, dict) else data)
    return {"compte": account, "adhesions": memberships, "notifications": notifications, "historique": events}


def gather_user_data(request, user: User) -> dict:
    """Every section of the archive, the core's (compte, adhesions, notifications, historique)
    then the plugins', every name by ``export_key``. A plugin's section may hold SQL expressions
    (``json_rows``, ``ReadThen``): they are read together, in one statement per call."""
    hook = request.registry.vvs_plugins.hook
    data, *answers = resolve_values(request, [core_export(request, user), *hook.vvs_export_user_data(request=request, user=user)])
    for section, value in ((export_key(k), v) for answer in answers for k, v in (answer or {}).items()):
        data[section if section not in data else f"{section}_2"] = _stable_keys(value)
    return data


def _files_out(archive, value, path=()):
    """Bytes (photos) become files of the archive named by their place (``<plugin>/<place>/photos/1.jpg``)."""
    if isinstance(value, bytes):
        archive.writestr(name := "/".join(path) + (".png" if value[:4] == b"\x89PNG" else ".jpg"), value)
        return name
    if isinstance(value, dict):
        return {k: _files_out(archive, v, (*path, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [_files_out(archive, v, (*path, str(i))) for i, v in enumerate(value, 1)]
    return value


def export_zip(request, user: User) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        data = _files_out(archive, gather_user_data(request, user))
        archive.writestr("donnees.json", json.dumps(data, ensure_ascii=False, indent=2, default=lambda value: str(_iso(value))))
    return out.getvalue()


def erase_core_data(dbsession, user: User) -> None:
    user.email = user.password_hash = user.mobile = user.landline = user.home = user.photo = None
    user.first_name = user.last_name = user.pseudonym = user.address_label = user.presentation = ""
    user.hide_mobile = user.hide_landline = user.newsletter = False
    user.interests, user.housing, user.notification_prefs = [], {}, {}
    dbsession.execute(delete(Token).where(Token.user_id == user.id))
    # Messages not sent yet are dropped; those sent keep their history without the address.
    dbsession.execute(update(Notification).where(Notification.recipient_id == user.id,
                                                 Notification.status.in_(("pending", "sending")))
                      .values(status="cancelled").execution_options(synchronize_session=False))
    dbsession.execute(update(Notification).where(Notification.recipient_id == user.id).values(address="")
                      .execution_options(synchronize_session=False))


def close_account(request, user: User) -> None:
    """Close ``user``'s account inside the request's transaction."""
    hook = request.registry.vvs_plugins.hook
    hook.vvs_account_closing(request=request, user=user)
    hook.vvs_erase_user_data(request=request, user=user)
    dbsession = request.dbsession
    for membership in dbsession.execute(select(Membership).where(
            Membership.user_id == user.id, Membership.status.in_(("active", "pending")))).scalars():
        if membership.status == "active":
            record_event(dbsession, "member_left", community=membership.community_id, subject=user,
                         data={"reason": "account_closed"})
        membership.status, membership.decided_at = "left", utcnow()
    erase_core_data(dbsession, user)
    user.status = "closed"
    user.closed_at = utcnow()
    end_all_sessions(dbsession, user)
    dbsession.flush()
