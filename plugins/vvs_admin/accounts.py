"""What the platform team does to accounts from the browser (issue 13.1): find a user,
change their platform role, suspend, ban or reopen their account, send the e-mail
confirmation again. Every action is given a reason and recorded in the audit trail
(a non-public ``CommunityEvent``: who, when, what, why), which ``/admin/journal`` shows.

Two administrators acting on the same account at once: each form carries the state the
administrator saw (``etat``: status and platform roles); the change is one conditional
``UPDATE … WHERE`` that state, so the second finds the account changed and is told so
(``AccountChanged``) instead of silently undoing the first.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, or_, select, update

from vvs_core.clock import utcnow
from vvs_core.communities.events import record_event
from vvs_core.errors import ActionRefused as AdminActionRefused, ChangedMeanwhile
from vvs_core.accounts.sessions import PURPOSE as SESSION, end_all_sessions
from vvs_core.models import Commune, Community, CommunityEvent, Membership, Token, User
from vvs_core.web.textsearch import folded

# --- French labels: a page never shows a raw value -------------------------------

ACCOUNT_STATUS_LABELS = {
    "active": "Actif",
    "suspended": "Compte suspendu",
    "banned": "Banni",
    "closed": "Fermé par son titulaire",
}
# A user in one of these states cannot sign in; their sessions were ended.
BLOCKED_STATUSES = ("suspended", "banned")
PLATFORM_ROLES = {
    "resident": "Habitant, sans rôle",
    "moderator": "Modérateur",
    "admin": "Administrateur",
}
MEMBER_ROLE_LABELS = {"member": "Membre", "referent": "Référent"}
MEMBERSHIP_STATUS_LABELS = {"pending": "En attente de validation", "active": "Adhésion validée",
                            "rejected": "Demande refusée", "left": "A quitté la communauté"}

# The audit trail's entries written here and in .communes (non-public community events), with their labels.
ADMIN_EVENT_KINDS = {
    "admin_role_changed": "Rôle de plateforme modifié",
    "admin_account_suspended": "Compte suspendu",
    "admin_account_banned": "Compte banni",
    "admin_account_reopened": "Compte rouvert",
    "admin_confirmation_resent": "E-mail de confirmation renvoyé",
    "admin_sessions_ended": "Toutes les sessions fermées",
    "admin_commune_created": "Commune créée",
    "admin_commune_edited": "Commune modifiée",
    "admin_commune_withdrawn": "Commune retirée",
    "admin_validation_mode_changed": "Mode de validation modifié par l'équipe",
    "admin_referent_appointed": "Référent nommé par l'équipe",
    "admin_referent_removed": "Référent retiré par l'équipe",
    "admin_communities_merged": "Communautés fusionnées",
    "admin_community_archived": "Communauté archivée",
    "admin_community_created": "Communauté créée par l'équipe",
    "admin_community_edited": "Communauté modifiée par l'équipe",
}
STATUS_ACTIONS = {
    # action: (label, new status, states it applies to, event kind)
    "suspend": ("Suspendre le compte", "suspended", ("active", "suspended"), "admin_account_suspended"),
    "ban": ("Bannir", "banned", ("active", "suspended"), "admin_account_banned"),
    "reopen": ("Rouvrir le compte", "active", ("suspended", "banned"), "admin_account_reopened"),
}
PAGE_SIZE = 25
_STATE = re.compile(r"^(active|suspended|banned|closed):([01]):([01])(?::([0-9]{1,12}))?$")
# An account suspension's length (issue 13.2): whole days, 1 to 365, ending at ``User.suspended_until``.
MIN_DAYS, MAX_DAYS, DEFAULT_DAYS = 1, 365, 7
DAYS_WRONG = (f"La durée de suspension doit être un nombre entier de jours, de {MIN_DAYS} à {MAX_DAYS}. "
              "Rien n'a été changé.")


class AccountChanged(ChangedMeanwhile):
    def __init__(self):
        super().__init__("Un autre membre de l'équipe a modifié ce compte entre-temps : voici son état actuel. "
                         "Vérifiez-le, puis recommencez si c'est encore utile.")


def platform_role(user: User) -> str:
    return "admin" if user.is_admin else "moderator" if user.is_moderator else "resident"


def role_labels(user: User) -> list[str]:
    labels = []
    if user.is_admin:
        labels.append("Administrateur")
    if user.is_moderator:
        labels.append("Modérateur")
    return labels


def account_state(user: User) -> str:
    """What the administrator saw, carried by each form (see the module's docstring), with the
    suspension's end (seconds, 0: none) so that two suspensions at once are told apart."""
    until = int(user.suspended_until.timestamp()) if user.suspended_until else 0
    return f"{user.status}:{int(bool(user.is_admin))}:{int(bool(user.is_moderator))}:{until}"


def parse_state(text: str) -> tuple | None:
    match = _STATE.match(text or "")
    if match is None:
        return None
    return match.group(1), match.group(2) == "1", match.group(3) == "1", match.group(4)


def suspension_over(user: User) -> bool:
    """A suspension ends by itself at ``suspended_until`` (as at sign-in, ``vvs_core.accounts.login``):
    the team's pages show it ended; the date stays, shown as « suspension terminée le … »."""
    if user.status == "suspended" and user.suspended_until is not None and user.suspended_until <= utcnow():
        user.status = "active"
        return True
    return False


def status_choices(user: User) -> list[tuple[str, str]]:
    return [(key, label) for key, (label, _new, applies, _kind) in STATUS_ACTIONS.items() if user.status in applies]


# --- Search ---------------------------------------------------------------------

def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_users(dbsession, text: str = "", community_id: int | None = None, page: int = 1):
    """(users of this page, total): by name, pseudonym, e-mail or phone, and community."""
    from vvs_core.accounts.phones import normalise_phone

    query = select(User)
    text = (text or "").strip()[:120]
    if text:
        words = [w for w in text.split() if w][:5]
        for word in words:
            pattern = _like(word.lower())
            query = query.where(or_(func.lower(User.first_name).like(pattern, escape="\\"),
                                    func.lower(User.last_name).like(pattern, escape="\\"),
                                    func.lower(User.pseudonym).like(pattern, escape="\\"),
                                    func.lower(User.email).like(pattern, escape="\\")) | _phone_clause(word))
        phone, _error = normalise_phone(text)
        if phone:  # "06 12 34 56 78" typed with its spaces
            query = select(User).where(or_(User.mobile == phone, User.landline == phone))
    if community_id is not None:
        query = query.where(User.id.in_(select(Membership.user_id).where(Membership.community_id == community_id)))
    total = dbsession.scalar(select(func.count()).select_from(query.subquery()))
    rows = dbsession.scalars(query.order_by(User.last_name_key, User.first_name_key, User.id)
                             .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return rows, total


def _phone_clause(word: str):
    digits = re.sub(r"\D", "", word)
    if len(digits) < 4:
        return User.id.is_(None)  # never true: not a phone fragment
    tail = digits[1:] if digits.startswith("0") else digits
    pattern = _like(tail)
    return or_(User.mobile.like(pattern, escape="\\"), User.landline.like(pattern, escape="\\"))


def memberships_of(dbsession, user: User) -> list[dict]:
    rows = dbsession.execute(
        select(Membership, Community, Commune).join(Community, Community.id == Membership.community_id)
        .join(Commune, Commune.id == Community.commune_id)
        .where(Membership.user_id == user.id).order_by(Membership.requested_at)).all()
    return [{"membership": m, "community": c, "commune": commune,
             "role": MEMBER_ROLE_LABELS.get(m.role, "Membre"),
             "status": MEMBERSHIP_STATUS_LABELS.get(m.status, "Inconnu")} for m, c, commune in rows]


def community_choices(dbsession) -> list[tuple[str, str]]:
    rows = dbsession.execute(select(Community.id, Community.name, Commune.name)
                             .join(Commune, Commune.id == Community.commune_id).where(Community.archived_at.is_(None))
                             .order_by(folded(Commune.name), folded(Community.name))).all()
    return [(str(cid), f"{name} ({commune})") for cid, name, commune in rows]


# --- Actions ----------------------------------------------------------------------

def _conditional_update(dbsession, user: User, seen: str, **values) -> None:
    """Apply ``values`` to ``user`` only if the account is still as the administrator saw it."""
    state = parse_state(seen)
    if state is None:
        raise AccountChanged()
    status, is_admin, is_moderator, until = state
    query = update(User).where(User.id == user.id, User.status == status, User.is_admin.is_(is_admin),
                               User.is_moderator.is_(is_moderator))
    if until is not None:  # the suspension's end the administrator saw (0: none)
        query = query.where(User.suspended_until.is_(None) if until == "0" else
                            User.suspended_until == datetime.fromtimestamp(int(until), timezone.utc))
    result = dbsession.execute(query.values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        dbsession.refresh(user)
        raise AccountChanged()
    dbsession.refresh(user)


def change_role(request, user: User, role: str, reason: str, seen: str) -> None:
    admin = request.user
    if role not in PLATFORM_ROLES:
        raise AdminActionRefused("Choisissez un rôle de la liste.")
    if user.status == "closed":
        raise AdminActionRefused("Ce compte est fermé : son rôle ne peut plus changer.")
    before = platform_role(user)
    if role == before:
        raise AdminActionRefused("Ce compte a déjà ce rôle.")
    if user.id == admin.id and role != "admin":
        raise AdminActionRefused("Vous ne pouvez pas retirer votre propre rôle d'administrateur : "
                                 "demandez-le à un autre administrateur.")
    _conditional_update(request.dbsession, user, seen, is_admin=role == "admin", is_moderator=role == "moderator")
    _record(request, "admin_role_changed", user, reason,
            {"avant": PLATFORM_ROLES[before], "apres": PLATFORM_ROLES[role]})


def change_status(request, user: User, action: str, reason: str, seen: str, days=None) -> None:
    """Suspend for ``days`` (1–365: a suspension in force gets this new end, longer or shorter,
    never a second one), ban (no end) or reopen."""
    admin = request.user
    if action not in STATUS_ACTIONS:
        raise AdminActionRefused("Choisissez une action de la liste.")
    label, new_status, applies, kind = STATUS_ACTIONS[action]
    if user.id == admin.id:
        raise AdminActionRefused("Vous ne pouvez pas suspendre, bannir ni rouvrir votre propre compte.")
    if (user.is_admin or user.is_moderator) and not admin.is_admin:  # a moderator acts on members only
        raise AdminActionRefused("Seul un administrateur suspend, bannit ou rouvre le compte d'un membre de "
                                 "l'équipe (modérateur ou administrateur).")
    if user.status == "closed":
        raise AdminActionRefused("Ce compte a été fermé par son titulaire : il ne peut être ni suspendu ni rouvert.")
    state = parse_state(seen)
    if state is not None and state[0] not in applies:
        raise AdminActionRefused(f"« {label} » ne s'applique pas à un compte dans cet état.")
    until = None
    if new_status == "suspended":
        if not (isinstance(days, int) and MIN_DAYS <= days <= MAX_DAYS):
            raise AdminActionRefused(DAYS_WRONG)
        until = (utcnow() + timedelta(days=days)).replace(microsecond=0)
    before, before_until = user.status, user.suspended_until
    _conditional_update(request.dbsession, user, seen, status=new_status, suspended_until=until)
    if new_status in BLOCKED_STATUSES:  # every session of the account ends, on the server too
        end_all_sessions(request.dbsession, user)
    _record(request, kind, user, reason,
            {"avant": status_label(before, before_until), "apres": status_label(new_status, until),
             **({"days": days} if until else {})})
    _tell_the_account(request, user, new_status, reason)


def status_label(status: str, until=None) -> str:
    """« Compte suspendu jusqu'au 09/12/2026 à 18:30 » (Paris time), « Banni »…"""
    from vvs_core.web.timefmt import dates

    label = ACCOUNT_STATUS_LABELS.get(status, status)
    if until and status == "active":  # ended by itself (``suspension_over``)
        return f"{label} (suspension terminée le {dates.datetime(until)})"
    return f"{label} jusqu'au {dates.datetime(until)}" if status == "suspended" and until else label


# What the person is told of a decision on their account: what, why, until when, whom to write to.
STATUS_NOTICES = {
    "suspended": ("Votre compte est suspendu",
                  "Votre compte est suspendu jusqu'au {until} : vous ne pourrez pas vous "
                  "connecter d'ici là. Ensuite, votre compte sera de nouveau actif, sans autre démarche."),
    "banned": ("Votre compte est banni",
               "Votre compte est banni, sans date de fin : vous ne pouvez plus vous connecter."),
    "active": ("Votre compte est rouvert", "Votre compte est rouvert : vous pouvez de nouveau vous connecter."),
}


def _tell_the_account(request, user: User, status: str, reason: str) -> None:
    from vvs_core.notify.outbox import notify_user

    settings = request.registry.settings
    from vvs_core.web.timefmt import dates

    title, what = STATUS_NOTICES[status]
    what = what.format(until=dates.datetime(user.suspended_until))
    contest = ("Pour contester cette décision, répondez en écrivant à " if status != "active"
               else "Pour toute question, écrivez à ")
    body = (f"Bonjour {user.first_name},\n\n{what}\nMotif : {reason}\n\n"
            f"{contest}{settings['vvs.platform_email']}.\n\n{settings['vvs.site_name']}")
    notify_user(request, user, kind="account", title=title, body=body, channels=("email",),
                subject=("user", user.id))


def open_sessions(dbsession, user: User) -> int:
    """How many sessions of ``user`` are open (vvs_core.accounts.sessions)."""
    return dbsession.scalar(select(func.count(Token.id)).where(
        Token.user_id == user.id, Token.purpose == SESSION, Token.used_at.is_(None), Token.expires_at > utcnow()))


def end_sessions(request, user: User, reason: str) -> int:
    """Close every open session of ``user`` (a lost phone, a stolen password): how many were open."""
    if user.status == "closed":
        raise AdminActionRefused("Ce compte a été fermé par son titulaire : il n'a plus de session.")
    count = open_sessions(request.dbsession, user)
    end_all_sessions(request.dbsession, user)
    _record(request, "admin_sessions_ended", user, reason, {"sessions": count})
    return count


def resend_confirmation(request, user: User, reason: str) -> None:
    from vvs_core.accounts.registration import send_confirmation

    if user.status != "active":
        raise AdminActionRefused("Seul un compte actif reçoit l'e-mail de confirmation.")
    if user.email_confirmed_at is not None:
        raise AdminActionRefused("Cette adresse e-mail est déjà confirmée.")
    if not user.email:
        raise AdminActionRefused("Ce compte n'a pas d'adresse e-mail.")
    send_confirmation(request, user)
    _record(request, "admin_confirmation_resent", user, reason, {})


def _record(request, kind: str, user: User, reason: str, data: dict) -> CommunityEvent:
    event = record_event(request.dbsession, kind, actor=request.user, subject=user, public=False,
                         data={"reason": reason, **data})
    request.dbsession.flush()
    return event


# --- The journal (audit trail) ----------------------------------------------------

def audit_label(registry, kind: str) -> str:
    from vvs_core.communities.events import event_label

    return ADMIN_EVENT_KINDS.get(kind) or event_label(registry, kind)


def audit_query(subject_id: int | None = None):
    """The non-public events (the audit trail), newest first, as a select."""
    query = select(CommunityEvent).where(CommunityEvent.public.is_(False))
    if subject_id is not None:
        query = query.where(CommunityEvent.subject_user_id == subject_id)
    return query.order_by(CommunityEvent.created_at.desc(), CommunityEvent.id.desc())


def audit_entries(dbsession, subject_id: int | None = None, page: int | None = 1, page_size: int = 50):
    """(entries, total): the non-public events (the audit trail), newest first."""
    query = audit_query(subject_id)
    total = dbsession.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if page is not None:
        query = query.offset((page - 1) * page_size).limit(page_size)
    return dbsession.scalars(query).all(), total


def describe_change(event: CommunityEvent) -> str:
    data = event.data or {}
    if data.get("avant") and data.get("apres"):
        return f"{data['avant']} → {data['apres']}"
    return str(data.get("changement") or "")  # what an edit changed, in French (a community's)
