"""The town hall's block on the platform team's page of a commune (``/admin/communes/{insee}``,
hook ``vvs_admin_commune_panels`` of vvs_admin; on a page of its own at ``/mairie/admin/{insee}``
when vvs_admin is off, and to answer a refused action): whether the commune is a « Mairie vigilante », whether
its town hall validates every new member, its agents; invite one, remove one, reset
one's second factor. Each action asks for a reason and is recorded in the journal
(non-public community events this plugin declares); two administrators acting on the
same agent at once get one result and a clear message for the second (conditional
``UPDATE``)."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPNotFound
from pyramid.renderers import render, render_to_response
from pyramid.view import view_config
from sqlalchemy import delete, select, update

from vvs_core.clock import utcnow
from vvs_core.communities.events import record_event
from vvs_core.errors import ActionRefused as AdminActionRefused, ChangedMeanwhile
from vvs_core.web import route_exists
from vvs_core.web.forms import (Schema, act, choice_node, email_node, make_form, name_node, reason_node,
                                   state_node)
from vvs_core.hooktypes import EventKind
from vvs_core.models import Commune, User
from vvs_core.accounts.sessions import end_all_sessions
from vvs_core.web.french import elided

from . import agents as agent_service
from . import twofactor
from .models import AGENT_ROLES, MairieAgent, MairieCommune, RecoveryCode

EVENT_KINDS = [
    EventKind("mairie_admin_subscription", "Abonnement « Mairie vigilante » modifié par l'équipe"),
    EventKind("mairie_admin_agent_invited", "Agent de mairie invité par l'équipe"),
    EventKind("mairie_admin_agent_removed", "Agent de mairie retiré par l'équipe"),
    EventKind("mairie_admin_second_factor_reset", "Double authentification d'un agent réinitialisée"),
]
YES_NO = {True: "oui", False: "non"}


def routes(config):
    base = "/mairie/admin/{insee}"
    config.add_route("mairie_admin_subscription", base + "/abonnement")
    config.add_route("mairie_admin_invite", base + "/agents")
    config.add_route("mairie_admin_agent_remove", base + r"/agents/{agent_id:\d{1,9}}/retrait")
    config.add_route("mairie_admin_agent_second_factor", base + r"/agents/{agent_id:\d{1,9}}/double-authentification")


# --- Forms --------------------------------------------------------------------

def _checkbox(name, title):
    return colander.SchemaNode(colander.Boolean(), name=name, title=title, missing=False,
                               widget=deform.widget.CheckboxWidget())


def forms(request, commune: Commune, agents: list[MairieAgent]) -> dict[str, deform.Form]:
    def path(route, **kw):
        return request.route_path(route, insee=commune.insee, **kw)

    subscription = Schema()
    subscription.add(_checkbox("subscribed", "Mairie vigilante (abonnée) : ses agents reçoivent les alertes de la commune"))
    subscription.add(_checkbox("impose_validation", "La mairie valide les nouveaux membres de toutes ses communautés"))
    subscription.add(reason_node())
    subscription.add(state_node())
    invite = Schema()
    invite.add(email_node("Adresse e-mail de l'agent"))
    for name, title in (("first_name", "Prénom"), ("last_name", "Nom")):  # the agent's: no autofill
        invite.add(name_node(title, "off", name=name, missing=""))
    invite.add(choice_node("role", "Rôle à la mairie", list(AGENT_ROLES.items())))
    invite.add(reason_node())
    out = {
        "subscription": make_form(request, subscription, "Enregistrer l'abonnement", formid="mairie-abonnement",
                                  action=path("mairie_admin_subscription")),
        "invite": make_form(request, invite, "Envoyer l'invitation", formid="mairie-invitation",
                            action=path("mairie_admin_invite")),
    }
    for agent in agents:
        for key, route, button in (("remove", "mairie_admin_agent_remove", "Retirer cet agent"),
                                   ("second_factor", "mairie_admin_agent_second_factor",
                                    "Réinitialiser sa double authentification")):
            schema = Schema()
            schema.add(reason_node())
            schema.add(state_node())
            out[f"{key}-{agent.id}"] = make_form(request, schema, button, formid=f"mairie-{key}-{agent.id}",
                                                 action=path(route, agent_id=agent.id))
    return out


def _subscription_state(mairie: MairieCommune | None) -> str:
    return f"{int(bool(mairie and mairie.subscribed))}:{int(bool(mairie and mairie.impose_validation))}"


def _agent_state(agent: MairieAgent) -> str:
    return f"{int(bool(agent.active))}:{int(agent.totp_confirmed_at is not None or agent.totp_secret is not None)}"


# --- The panel ----------------------------------------------------------------

def commune_panel(request, commune: Commune) -> str:
    db = request.dbsession
    mairie = agent_service.mairie_of(db, commune.id)
    agents = agent_service.agents_of_commune(db, commune.id)
    rendered = request.__dict__.get("_vvs_mairie_admin_rendered", {})
    built = forms(request, commune, agents)
    html = {key: rendered.get(key) or form.render() for key, form in built.items()}
    if "subscription" not in rendered:
        html["subscription"] = built["subscription"].render({
            "subscribed": bool(mairie and mairie.subscribed),
            "impose_validation": bool(mairie and mairie.impose_validation), "etat": _subscription_state(mairie)})
    for agent in agents:
        for key in ("remove", "second_factor"):
            if f"{key}-{agent.id}" not in rendered:
                html[f"{key}-{agent.id}"] = built[f"{key}-{agent.id}"].render({"etat": _agent_state(agent)})
    def user_url(agent):  # the account's page of the platform team, when vvs_admin runs
        return request.route_path("admin_user", user_id=agent.user_id) if route_exists(request, "admin_user") else None

    return render("vvs_mairie:templates/platform_admin_panel.pt",
                  {"mairie": mairie, "agents": agents, "forms": html, "commune": commune, "user_url": user_url,
                   "opened": set(rendered)},  # a refused form shows its errors, not folded away
                  request=request)


# --- Actions ------------------------------------------------------------------

def _record(request, kind, commune, reason, subject=None, **data):
    record_event(request.dbsession, kind, actor=request.user, subject=subject, public=False,
                 data={"reason": reason, "commune": commune.name, "insee": commune.insee, **data})
    request.dbsession.flush()


def change_subscription(request, commune: Commune, subscribed: bool, impose: bool, reason: str, seen: str) -> None:
    db = request.dbsession
    mairie = agent_service.mairie_of(db, commune.id, create=True)
    before = (bool(mairie.subscribed), bool(mairie.impose_validation))
    if (subscribed, impose) == before:
        raise AdminActionRefused("Rien n'a changé.")
    values = {"subscribed": subscribed, "impose_validation": impose}
    if subscribed and not mairie.subscribed:
        values["subscribed_at"] = utcnow()
    try:
        seen_sub, seen_imp = (part == "1" for part in seen.split(":"))
    except ValueError:
        seen_sub, seen_imp = None, None
    result = db.execute(update(MairieCommune).where(
        MairieCommune.id == mairie.id, MairieCommune.subscribed.is_(seen_sub),
        MairieCommune.impose_validation.is_(seen_imp)).values(**values).execution_options(synchronize_session=False))
    db.refresh(mairie)
    if result.rowcount != 1:
        raise ChangedMeanwhile("Un autre membre de l'équipe a modifié l'abonnement de cette commune entre-temps : "
                               "voici son état actuel.")
    _record(request, "mairie_admin_subscription", commune, reason,
            avant=f"abonnée : {YES_NO[before[0]]}, validation par la mairie : {YES_NO[before[1]]}",
            apres=f"abonnée : {YES_NO[subscribed]}, validation par la mairie : {YES_NO[impose]}")


def invite(request, commune: Commune, data: dict) -> MairieAgent:
    db = request.dbsession
    if not agent_service.is_subscribed(db, commune.id):
        raise AdminActionRefused("Marquez d'abord la commune comme « Mairie vigilante » : ses agents n'auraient "
                                 "sinon accès à rien.")
    existing = db.scalar(select(User).where(User.email.ilike(data["email"].replace("%", r"\%").replace("_", r"\_"),
                                                              escape="\\")))
    if existing is not None and existing.status != "active":
        raise AdminActionRefused("Ce compte est fermé, suspendu ou banni : il ne peut pas devenir agent.")
    agent = agent_service.invite_agent(request, commune, data["email"], data["role"], data["first_name"],
                                       data["last_name"])
    _record(request, "mairie_admin_agent_invited", commune, data["reason"], subject=agent.user,
            apres=AGENT_ROLES[data["role"]])
    return agent


def _agent_update(request, agent: MairieAgent, seen: str, message: str, **values) -> None:
    active, enrolled = (seen.split(":") + ["", ""])[:2]
    if active not in ("0", "1") or enrolled not in ("0", "1"):
        raise ChangedMeanwhile(message)
    enrolled_now = (MairieAgent.totp_confirmed_at.isnot(None) | MairieAgent.totp_secret.isnot(None))
    result = request.dbsession.execute(
        update(MairieAgent).where(MairieAgent.id == agent.id, MairieAgent.active.is_(active == "1"),
                                  enrolled_now if enrolled == "1" else ~enrolled_now)
        .values(**values).execution_options(synchronize_session=False))
    request.dbsession.refresh(agent)
    if result.rowcount != 1:
        raise ChangedMeanwhile(message)


def remove_agent(request, commune: Commune, agent: MairieAgent, reason: str, seen: str) -> None:
    if not agent.active:
        raise AdminActionRefused("Cet agent a déjà été retiré.")
    _agent_update(request, agent, seen, "Un autre membre de l'équipe a modifié cet agent entre-temps : "
                                        "voici son état actuel.", active=False)
    end_all_sessions(request.dbsession, agent.user)  # the agent's open dashboard closes too
    twofactor.forget_tokens(request.dbsession, agent.user_id)
    _record(request, "mairie_admin_agent_removed", commune, reason, subject=agent.user, avant=agent.role_label)


def reset_second_factor(request, commune: Commune, agent: MairieAgent, reason: str, seen: str) -> None:
    if not agent.active:
        raise AdminActionRefused("Cet agent a été retiré : rien à réinitialiser.")
    if agent.totp_secret is None and agent.totp_confirmed_at is None:
        raise AdminActionRefused("Cet agent n'a pas encore activé sa double authentification.")
    _agent_update(request, agent, seen, "Un autre membre de l'équipe a modifié cet agent entre-temps : "
                                        "voici son état actuel.",
                  totp_secret=None, totp_confirmed_at=None, totp_last_step=None)
    request.dbsession.execute(delete(RecoveryCode).where(RecoveryCode.agent_id == agent.id))
    end_all_sessions(request.dbsession, agent.user)  # the next sign-in enrols a new second factor
    twofactor.forget_tokens(request.dbsession, agent.user_id)  # and its API tokens lose the agent's access
    _record(request, "mairie_admin_second_factor_reset", commune, reason, subject=agent.user)


# --- Views --------------------------------------------------------------------

def _commune(request) -> Commune:
    commune = agent_service.commune_by_insee(request.dbsession, str(request.matchdict.get("insee", "")))
    if commune is None:
        raise HTTPNotFound()
    return commune


def _agent(request, commune) -> MairieAgent:
    agent = request.dbsession.get(MairieAgent, int(request.matchdict["agent_id"]))
    if agent is None or agent.commune_id != commune.id:
        raise HTTPNotFound()
    return agent


def commune_url(request, commune) -> str:
    """Where the platform team runs this town hall: the commune's page of vvs_admin, or this
    plugin's own page of the block when vvs_admin is off."""
    if route_exists(request, "admin_commune"):
        return request.route_path("admin_commune", insee=commune.insee, _anchor="mairie")
    return request.route_path("mairie_admin_commune", insee=commune.insee)


def block_page(request, commune, status=200, error=None, rendered=None):
    """The town hall's block of ``commune`` on a page of its own: a refused action answered
    with its reason and the form as it was typed (nothing was changed), or the block itself
    when vvs_admin, whose commune page shows it, is off."""
    from vvs_core.web.french import de

    request.__dict__["_vvs_mairie_admin_rendered"] = rendered or {}
    back = commune_url(request, commune) if route_exists(request, "admin_commune") else None
    response = render_to_response("vvs_mairie:templates/platform_admin_page.pt", {
        "title": f"Mairie {de(commune.name)}", "commune": commune, "error": error, "back": back,
        "panel": commune_panel(request, commune),
        "extra_css": [request.static_path("vvs_mairie:static/mairie.css")]}, request=request)
    response.status = status
    return response


def _act(request, key, apply, agent=None):
    commune = _commune(request)
    agents = agent_service.agents_of_commune(request.dbsession, commune.id)
    if agent is not None and agent not in agents:
        agents.append(agent)

    def page(rendered=None, error=None):
        return block_page(request, commune, request.response.status_int, f"Mairie : {error}" if error else
                          "La demande n'a pas été enregistrée : corrigez le formulaire « Mairie » ci-dessous.",
                          rendered and {key: rendered})
    return act(request, forms(request, commune, agents)[key],
               lambda data: (apply(commune, data), commune_url(request, commune)), page)


def _agent_act(request, key, apply):
    """``_act`` on the agent the path names: its form ``{key}-{id}``, ``apply(commune, agent, data)``."""
    agent = _agent(request, _commune(request))
    return _act(request, f"{key}-{agent.id}", lambda commune, data: apply(commune, agent, data), agent)


@view_config(route_name="mairie_admin_subscription", request_method="POST", permission="platform")
def subscription_view(request):
    def apply(commune, data):
        change_subscription(request, commune, data["subscribed"], data["impose_validation"], data["reason"],
                            data["etat"])
        return f"Mairie {_de(commune)} : abonnement enregistré."
    return _act(request, "subscription", apply)


@view_config(route_name="mairie_admin_invite", request_method="POST", permission="platform")
def invite_view(request):
    def apply(commune, data):
        agent = invite(request, commune, data)
        return f"Invitation envoyée à {agent.user.email}."
    return _act(request, "invite", apply)


@view_config(route_name="mairie_admin_agent_remove", request_method="POST", permission="platform")
def remove_view(request):
    def apply(commune, agent, data):
        remove_agent(request, commune, agent, data["reason"], data["etat"])
        return f"{agent.user.full_name} n'est plus agent de la mairie."
    return _agent_act(request, "remove", apply)


@view_config(route_name="mairie_admin_agent_second_factor", request_method="POST", permission="platform")
def second_factor_view(request):
    def apply(commune, agent, data):
        reset_second_factor(request, commune, agent, data["reason"], data["etat"])
        return (f"Double authentification {elided('de', agent.user.full_name)} réinitialisée : à sa prochaine connexion, "
                "il ou elle en activera une nouvelle.")
    return _agent_act(request, "second_factor", apply)


def _de(commune) -> str:
    from vvs_core.web.french import de

    return de(commune.name)
