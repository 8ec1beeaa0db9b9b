"""Accounts run at the mairie desk (issue 18.4): for a resident without a smartphone or
internet, reached by landline or paper, an agent of the commune opens an account (no
e-mail, no password), asks for the community of the resident's home, and acts for it.

- Each time an agent acts for the account, they write why (``reason``, kept) and a
  session opens for ``SESSION_MINUTES``; it ends when the agent ends it, when it
  expires by itself, or when the agent's own session ends. During it the agent's
  requests are the resident's (core hook ``vvs_acting_for``: the resident's pages and
  permissions, and never the credentials pages); every change made (POST) is logged.
- Each creation, session start and end, and hand-over is in the journal (non-public
  community events of the kinds below).
- The account is later handed to the resident: their e-mail address is set and they
  receive a link to choose their password; from then on no agent acts for it.
"""
from __future__ import annotations

from datetime import timedelta

import colander
import deform
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import func, select, update

from vvs_core.clock import aware, utcnow
from vvs_core.communities.events import record_event
from vvs_core.web.forms import (Schema, StrippedString, choice_node, email_node, make_form, name_node, reason_node,
                                refusing, text_node, validate)
from vvs_core.hooktypes import EventKind
from vvs_core.models import Community, User
from vvs_core.accounts.phones import display_phone, normalise_phone
from vvs_core.web.french import elided

from .models import DeskAccount, DeskAction, DeskSession

SESSION_MINUTES = 30
SESSION_KEY = "vvs_mairie.desk_session"
ADDRESS_MAX = 255
EVENT_KINDS = [
    EventKind("mairie_desk_account_created", "Compte ouvert au guichet de la mairie"),
    EventKind("mairie_desk_session_started", "Un agent agit pour un compte du guichet"),
    EventKind("mairie_desk_session_ended", "Fin d'une session au guichet"),
    EventKind("mairie_desk_account_handed_over", "Compte du guichet remis à son titulaire"),
]
T = "vvs_mairie:templates/"


class DeskRefused(Exception):
    """The desk cannot do this (French message); nothing changed."""


# --- Forms ------------------------------------------------------------------------

def _phone_node():
    return colander.SchemaNode(StrippedString(), name="phone", title="Téléphone (fixe ou portable)",
                               validator=refusing(lambda _node, value: normalise_phone(value)),
                               missing_msg="Indiquez le téléphone où joindre la personne.")


def create_form(request, commune, communities):
    schema = Schema()
    for name, title in (("first_name", "Prénom"), ("last_name", "Nom")):  # another person's: no autofill
        schema.add(name_node(title, "off", name=name, missing_msg="Ce champ est obligatoire."))
    schema.add(_phone_node())
    schema.add(text_node("Adresse", name="address", max=ADDRESS_MAX, too_short="Ce champ est obligatoire.",
                         too_long="{max} caractères au plus ({length} saisis).", widget=deform.widget.TextInputWidget()))
    schema.add(choice_node("community", "Communauté de son domicile", [(str(c.id), c.name) for c in communities]))
    schema.add(reason_node())
    return make_form(request, schema, "Ouvrir le compte", formid="guichet-nouveau",
                     action=request.route_path("mairie_desk", insee=commune.insee))


def start_form(request, commune, account):
    schema = Schema()
    node = reason_node()
    node.title = "Pourquoi agissez-vous pour cette personne ? (gardé dans le journal)"
    schema.add(node)
    return make_form(request, schema, "Agir pour ce compte", formid=f"guichet-session-{account.id}",
                     action=request.route_path("mairie_desk_start", insee=commune.insee, account_id=account.id))


def handover_form(request, commune, account):
    schema = Schema()
    schema.add(email_node("Adresse e-mail de la personne"))
    schema.add(reason_node())
    return make_form(request, schema, "Remettre le compte", formid=f"guichet-remise-{account.id}",
                     action=request.route_path("mairie_desk_handover", insee=commune.insee, account_id=account.id))


# --- The service ------------------------------------------------------------------

def accounts_of(dbsession, commune_id: int) -> list[DeskAccount]:
    return list(dbsession.scalars(select(DeskAccount).where(DeskAccount.commune_id == commune_id)
                                  .order_by(DeskAccount.handed_over_at.isnot(None), DeskAccount.created_at.desc())))


def _record(request, kind, account, reason, actor=None, **data):
    record_event(request.dbsession, kind, actor=actor or request.user, subject=account.user_id, public=False,
                 data={"reason": reason, **data})


def open_account(request, commune, agent_user, data: dict) -> DeskAccount:
    from vvs_core.communities.membership import MembershipError, join_or_request

    db = request.dbsession
    community = db.get(Community, int(data["community"]))
    if community is None or community.commune_id != commune.id or community.archived_at is not None:
        raise DeskRefused("Choisissez une communauté de la commune.")
    number, _problem = normalise_phone(data["phone"])
    user = User(first_name=data["first_name"], last_name=data["last_name"], address_label=data["address"],
                email=None, password_hash=None)
    if number and number.startswith(("+336", "+337")):
        user.mobile = number
    else:
        user.landline = number
    db.add(user)
    db.flush()
    account = DeskAccount(user_id=user.id, commune_id=commune.id, created_by_id=agent_user.id, created_at=utcnow())
    db.add(account)
    db.flush()
    _record(request, "mairie_desk_account_created", account, data["reason"], actor=agent_user,
            commune=commune.name, communaute=community.name)
    try:
        join_or_request(request, user, community)
    except MembershipError as exc:  # a brand-new account has no other request
        raise DeskRefused(str(exc)) from None
    return account


def current_session(request, agent_user) -> DeskSession | None:
    """The agent's desk session of this browser session, if still running."""
    session_id = request.session.get(SESSION_KEY)
    if not session_id:
        return None
    memo = request.__dict__.setdefault("_vvs_mairie_desk", {})
    if session_id not in memo:
        row = request.dbsession.get(DeskSession, int(session_id))
        ok = (row is not None and row.agent_user_id == agent_user.id and row.ended_at is None
              and aware(row.expires_at) > utcnow())
        memo[session_id] = row if ok else None
    return memo[session_id]


def start_session(request, commune, agent_user, account: DeskAccount, reason: str) -> DeskSession:
    if account.handed_over_at is not None:
        raise DeskRefused("Ce compte a été remis à son titulaire : la mairie n'agit plus pour lui.")
    if account.user.status != "active":
        raise DeskRefused("Ce compte est suspendu, banni ou fermé : personne ne peut agir pour lui.")
    end_session(request, agent_user, "une autre session a commencé")
    now = utcnow()
    row = DeskSession(account_id=account.id, agent_user_id=agent_user.id, reason=reason, started_at=now,
                      expires_at=now + timedelta(minutes=SESSION_MINUTES))
    request.dbsession.add(row)
    request.dbsession.flush()
    request.session[SESSION_KEY] = row.id
    request.__dict__.pop("_vvs_mairie_desk", None)
    _record(request, "mairie_desk_session_started", account, reason, actor=agent_user, commune=commune.name,
            jusqu_a=now.isoformat())
    return row


def end_session(request, agent_user, why: str = "terminée par l'agent") -> DeskSession | None:
    row = current_session(request, agent_user)
    request.session.pop(SESSION_KEY, None)
    request.__dict__.pop("_vvs_mairie_desk", None)
    if row is None:
        return None
    ended = request.dbsession.execute(
        update(DeskSession).where(DeskSession.id == row.id, DeskSession.ended_at.is_(None))
        .values(ended_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    request.dbsession.refresh(row)
    if ended:
        account = request.dbsession.get(DeskAccount, row.account_id)
        actions = request.dbsession.scalar(select(func.count(DeskAction.id)).where(DeskAction.session_id == row.id))
        _record(request, "mairie_desk_session_ended", account, why, actor=agent_user, modifications=actions or 0)
    return row


def acting_for(request, agent_user) -> User | None:
    """``vvs_acting_for``: the resident the agent acts for, while the session runs and the
    agent still is an agent (second factor passed) of the account's commune."""
    from . import agents as agent_service
    from . import twofactor

    row = current_session(request, agent_user)
    if row is None:
        return None
    account = request.dbsession.get(DeskAccount, row.account_id)
    if account is None or account.handed_over_at is not None or not twofactor.has_passed(request, agent_user):
        return None
    if not any(agent.commune_id == account.commune_id and twofactor.is_enrolled(agent)
               for agent, _insee in agent_service.agent_rows(request.dbsession, agent_user.id)):
        return None
    return account.user


def log_change(request, resident) -> None:
    """A change (POST…) made while an agent acts for a desk account: its page, kept."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.path == request.route_path("mairie_desk_end"):
        return
    session_id = request.session.get(SESSION_KEY)
    if session_id:
        request.dbsession.add(DeskAction(session_id=int(session_id), at=utcnow(), method=request.method[:8],
                                         path=request.path[:255]))


def hand_over(request, commune, account: DeskAccount, email: str, reason: str) -> None:
    from vvs_core.web.french import de
    from vvs_core.web.links import absolute_url
    from vvs_core.notify.outbox import notify_user
    from vvs_core.accounts.security import issue_token

    db = request.dbsession
    if account.handed_over_at is not None:
        raise DeskRefused("Ce compte a déjà été remis à son titulaire.")
    taken = db.scalar(select(User.id).where(func.lower(User.email) == email.lower(), User.id != account.user_id))
    if taken is not None:
        raise DeskRefused("Cette adresse e-mail est déjà celle d'un autre compte.")
    done = db.execute(update(DeskAccount).where(DeskAccount.id == account.id, DeskAccount.handed_over_at.is_(None))
                      .values(handed_over_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    db.refresh(account)
    if not done:
        raise DeskRefused("Ce compte vient d'être remis à son titulaire par un autre agent.")
    user = account.user
    user.email = email.lower()
    db.execute(update(DeskSession).where(DeskSession.account_id == account.id, DeskSession.ended_at.is_(None))
               .values(ended_at=utcnow()).execution_options(synchronize_session=False))
    token = issue_token(db, user, "password_reset", hours=72)
    link = absolute_url(request, "password_reset", token=token)
    notify_user(request, user, "mairie_handover", f"Votre compte vous est remis par la mairie {de(commune.name)}",
                f"Bonjour {user.first_name},\n\nLa mairie {de(commune.name)} a ouvert votre compte à son guichet. "
                f"Il est maintenant à vous : choisissez votre mot de passe (lien valable 3 jours) :\n{link}\n\n"
                "Dès ce moment, la mairie n'agit plus pour votre compte.", channels=("email",),
                dedupe_key=f"mairie-desk-handover:{account.id}")
    _record(request, "mairie_desk_account_handed_over", account, reason, commune=commune.name)


# --- Views ------------------------------------------------------------------------

def _page(request, context, forms=None, error=None, status=200):
    from pyramid.renderers import render_to_response

    from . import dashboard
    from .views import assets

    commune = context.commune
    communities = dashboard.communities_of(request.dbsession, commune.id)
    accounts = accounts_of(request.dbsession, commune.id)
    forms = forms or {}
    html = {"create": forms.get("create") or create_form(request, commune, communities).render()}
    for account in accounts:
        if account.handed_over_at is None:
            for key, build in (("start", start_form), ("handover", handover_form)):
                html[f"{key}-{account.id}"] = forms.get(f"{key}-{account.id}") or build(request, commune, account).render()
    sessions = {}
    if accounts:
        for row in request.dbsession.scalars(select(DeskSession).where(
                DeskSession.account_id.in_([a.id for a in accounts])).order_by(DeskSession.started_at.desc())):
            sessions.setdefault(row.account_id, []).append(row)
    agents = {u.id: u for u in request.dbsession.scalars(select(User).where(User.id.in_(
        [s.agent_user_id for rows in sessions.values() for s in rows] or [-1])))}
    response = render_to_response(T + "desk.pt", {
        "title": "Guichet : comptes tenus par la mairie", "commune": commune, "accounts": accounts, "forms": html,
        "sessions": sessions, "agents": agents, "minutes": SESSION_MINUTES, "failed": set(forms),
        "phone": display_phone,
        "error": error or ("Rien n'a été enregistré : corrigez le formulaire ci-dessous." if forms else None),
        **assets(request)},
        request=request)
    response.status = status
    return response


def _account(request, context) -> DeskAccount:
    account = request.dbsession.get(DeskAccount, int(request.matchdict["account_id"]))
    if account is None or account.commune_id != context.commune.id:
        raise HTTPNotFound()
    return account


@view_config(route_name="mairie_desk", permission="mairie")
def desk_view(context, request):
    if request.method != "POST":
        return _page(request, context)
    from . import dashboard

    communities = dashboard.communities_of(request.dbsession, context.commune.id)
    data, rendered = validate(request, create_form(request, context.commune, communities))
    if data is None:
        return _page(request, context, {"create": rendered}, status=400)
    try:
        account = open_account(request, context.commune, request.user, data)
    except DeskRefused as exc:
        return _page(request, context, error=str(exc), status=400)
    request.flash(f"Compte {elided('de', account.user.full_name)} ouvert ; sa demande d'adhésion attend la validation.", "success")
    return HTTPSeeOther(request.route_path("mairie_desk", insee=context.commune.insee))


def _account_action(context, request, form_of, key: str, act):
    """A desk account's form ``key`` (400 with its errors), then ``act(account, data)``, which
    answers (409 when refused)."""
    account = _account(request, context)
    data, rendered = validate(request, form_of(request, context.commune, account))
    if data is None:
        return _page(request, context, {f"{key}-{account.id}": rendered}, status=400)
    try:
        return act(account, data)
    except DeskRefused as exc:
        return _page(request, context, error=str(exc), status=409)


@view_config(route_name="mairie_desk_start", permission="mairie", request_method="POST")
def start_view(context, request):
    def act(account, data):
        start_session(request, context.commune, request.user, account, data["reason"])
        request.flash(f"Vous agissez pour {account.user.full_name} pendant {SESSION_MINUTES} minutes au plus. "
                      "Terminez la session depuis le menu dès que vous avez fini.", "warning")
        return HTTPSeeOther(request.route_path("home"))
    return _account_action(context, request, start_form, "start", act)


@view_config(route_name="mairie_desk_handover", permission="mairie", request_method="POST")
def handover_view(context, request):
    def act(account, data):
        hand_over(request, context.commune, account, data["email"], data["reason"])
        request.flash(f"Compte remis : {account.user.email} a reçu le lien pour choisir son mot de passe.", "success")
        return HTTPSeeOther(request.route_path("mairie_desk", insee=context.commune.insee))
    return _account_action(context, request, handover_form, "handover", act)


@view_config(route_name="mairie_desk_end", permission="account", renderer=T + "desk_end.pt")
def end_view(request):
    """While acting, ``request.user`` is the resident: the agent is in ``vvs.acting_by``."""
    agent_id = request.environ.get("vvs.acting_by")
    if agent_id is None:
        raise HTTPNotFound()
    agent_user = request.dbsession.get(User, agent_id)
    row = current_session(request, agent_user)
    if request.method != "POST":
        from .views import assets

        return {"title": "Terminer la session au guichet", "resident": request.user, "session": row,
                **assets(request)}
    account = request.dbsession.get(DeskAccount, row.account_id)
    end_session(request, agent_user)
    from vvs_core.models import Commune

    commune = request.dbsession.get(Commune, account.commune_id)
    request.flash("Session au guichet terminée : vous êtes de nouveau vous-même.", "success")
    return HTTPSeeOther(request.route_path("mairie_desk", insee=commune.insee))
