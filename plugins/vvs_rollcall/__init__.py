"""vvs_rollcall: the roll-call « Êtes-vous en sécurité ? » of a commune.

A mairie agent (or a référent, for their community, when the commune allows it) asks a
zone, communities or the whole commune; each person answers by SMS (OUI / AIDE), by a
one-tap signed link, in the web app or on a voice call's keypad; AIDE reaches the
mairie at once; people who do not answer are named, in waves the commune configures,
to their référent, the CCAS, the maire and the police municipale; a live page shows it
all and closing writes the summary. See docs/rollcall.md.

Other plugins are met through hooks only: the commune's staff through
``vvs_rollcall_staff`` (declared here, answered by vvs_mairie), the mairie's dashboard
through ``vvs_dashboard_widgets``, the voice keypad through ``vvs_voice_keypad_answer``.
"""
from __future__ import annotations

import dataclasses
import re
from functools import cache

from pyramid.authorization import Allow
from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import bindparam, select

from vvs_core import hookimpl
from vvs_core.hooktypes import CommunityLink, MenuItem, NotificationKind, Panel
from vvs_core.models import row_id
from vvs_core.accounts.principals import commune_agent, community_principal
from vvs_core.settings import Setting, as_int

PREFIX = "/securite"
LAUNCH, CONFIGURE, VIEW = "rollcall.launch", "rollcall.configure", "rollcall.view"
EXPORT = "rollcall.export"  # the summary as a PDF: the commune's agents only


class CommuneRollCallContext:
    """A commune, from the ``insee`` segment: its agents launch and configure; its
    référents launch for their community when the commune allows it."""

    def __init__(self, request, commune, community_ids, referents_may_launch):
        self.request = request
        self.commune = commune
        self.community_ids = community_ids
        self.referents_may_launch = referents_may_launch

    @property
    def __acl__(self):
        acl = [(Allow, commune_agent(self.commune.insee), (LAUNCH, CONFIGURE, VIEW))]
        if self.referents_may_launch:
            acl += [(Allow, community_principal(i, "referent"), LAUNCH) for i in self.community_ids]
        return acl


class RollCallContext(CommuneRollCallContext):
    """One roll-call: the commune's agents follow it; a référent follows the ones they launched
    for their community."""

    def __init__(self, parent, rollcall):
        super().__init__(parent.request, parent.commune, parent.community_ids, parent.referents_may_launch)
        self.rollcall = rollcall

    @property
    def __acl__(self):
        acl = [(Allow, commune_agent(self.commune.insee), (VIEW, EXPORT))]
        if self.rollcall.launched_as == "referent":
            acl += [(Allow, community_principal(i, "referent"), VIEW) for i in self.rollcall.community_ids or []]
        return acl


def commune_factory(request):
    from vvs_core.models import Community
    from vvs_core.accounts.security import commune_from_matchdict

    from .service import settings_of

    commune = commune_from_matchdict(request)
    ids = list(request.dbsession.scalars(select(Community.id).where(Community.commune_id == commune.id,
                                                                     Community.archived_at.is_(None))))
    return CommuneRollCallContext(request, commune, ids, settings_of(request.dbsession, commune.id).referents_may_launch)


def rollcall_factory(request):
    from .models import RollCall

    from vvs_core.accounts.security import commune_from_matchdict

    # A roll-call's own ACL names its communities: the commune's list of communities and
    # its settings are not read (two statements fewer on the live page, polled every 5 s).
    parent = CommuneRollCallContext(request, commune_from_matchdict(request), (), False)
    found = row_id(request.matchdict.get("rollcall_id"))
    rollcall = request.dbsession.get(RollCall, found) if found else None
    if rollcall is None or rollcall.commune_id != parent.commune.id:
        raise HTTPNotFound()
    return RollCallContext(parent, rollcall)


def includeme(config):
    config.add_static_view("static_rollcall", "vvs_rollcall:static", cache_max_age=3600)
    commune, one = "vvs_rollcall.commune_factory", "vvs_rollcall.rollcall_factory"
    base = PREFIX + "/{insee}"
    call = base + r"/appels/{rollcall_id:\d+}"
    config.add_route("rollcall_mine", PREFIX + "/mes-appels")
    config.add_route("rollcall_answer", PREFIX + "/r/{token}")
    config.add_route("rollcall_index", base, factory=commune)
    config.add_route("rollcall_new", base + "/nouvel-appel", factory=commune)
    config.add_route("rollcall_settings", base + "/reglages", factory=commune)
    config.add_route("rollcall_live", call, factory=one)
    config.add_route("rollcall_state", call + "/etat.json", factory=one)
    config.add_route("rollcall_mark", call + r"/personnes/{person_id:\d+}", factory=one)
    config.add_route("rollcall_close", call + "/cloturer", factory=one)
    config.add_route("rollcall_summary", call + "/bilan", factory=one)
    config.add_route("rollcall_summary_csv", call + "/bilan.csv", factory=one)
    config.add_route("rollcall_summary_pdf", call + "/bilan.pdf", factory=one)
    config.scan(".views")
    config.scan(".answer_views")
    from . import tasks

    tasks.follow_current_broker()
    config.add_periodic_task(tasks.escalate_rollcalls, config.registry.settings["vvs.rollcall.escalation_interval"])


# --- What the roll-call declares ----------------------------------------------------

@hookimpl
def vvs_addhooks(pluginmanager):
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def vvs_register_settings():
    return [Setting("vvs.rollcall.escalation_interval", 60,
                    "Seconds between two passes of the roll-call escalation (waves to référents, CCAS, maire: "
                    "run by `vvs scheduler`, or the web process with the inline broker).", parse=as_int),
            Setting("vvs.rollcall.retention_days", 365,
                    "Days a closed roll-call, its answers and its log are kept, unless the commune sets its own "
                    "period in the roll-call settings (0: for ever); deleted by `vvs purge` and the periodic purge.",
                    parse=as_int),
            Setting("vvs.rollcall.sms_number", "",
                    "The number residents send OUI or AIDE to (the SMS provider's number that receives answers: "
                    "OVH's short number, a long number…), as the e-mail of a roll-call writes it, e.g. `06 39 98 00 00` "
                    "or `36180`. Empty: the e-mail tells them to answer the SMS they received.")]


@hookimpl(optionalhook=True)  # declared by vvs_retention
def vvs_retention_rules(settings):
    from .retention import rules

    return rules(settings)


def _kind(**fields) -> NotificationKind:
    """A kind that may also call a landline when the core has the voice channel (``voice``)."""
    names = {f.name for f in dataclasses.fields(NotificationKind)}
    return NotificationKind(**{k: v for k, v in fields.items() if k in names})


@hookimpl
def vvs_register_notification_kinds():
    return [
        _kind(key="rollcall", label="Appels « Êtes-vous en sécurité ? »", always_reach=True,
              default_channels=("sms", "email", "push"), order=12, voice=True),
        _kind(key="rollcall_help", label="Demandes d'aide lors d'un appel de sécurité", always_reach=True,
              default_channels=("sms", "email"), in_settings=False),
        _kind(key="rollcall_escalation", label="Relances d'un appel de sécurité", always_reach=True,
              default_channels=("sms", "email"), in_settings=False),
    ]


# --- Answers from the other channels ------------------------------------------------

@hookimpl(tryfirst=True)
def vvs_inbound_sms(request, message):
    """OUI / AIDE from someone an open roll-call asks (before vvs_alerts reads it as an alert)."""
    from .inbound import answer_by_sms

    return answer_by_sms(request, message)


@hookimpl(optionalhook=True)
def vvs_voice_keypad_answer(request, answer):
    """The voice channel's keypad: 1 safe, 2 needs help (see docs/rollcall.md)."""
    from .inbound import answer_by_keypad

    return answer_by_keypad(request, answer)


@hookimpl
def vvs_render_notification(request, notification, channel):
    """A call reads the question and says which key to press."""
    if channel != "voice" or notification.kind != "rollcall":
        return None
    from .inbound import voice_text

    return voice_text(request, notification)


# --- Pages of others ------------------------------------------------------------------

def _agent_insees(request) -> list[str]:
    out = []
    for principal in request.principals:
        match = re.fullmatch(r"commune:([0-9AB]{5}):agent", principal)
        if match:
            out.append(match.group(1))
    return sorted(out)


@cache
def _waiting_sql():
    """Whether an open roll-call waits for the signed-in user's answer, built once per
    process (the menu's statement binds ``VIEWER``, vvs_core.web.batch)."""
    from sqlalchemy import exists

    from vvs_core.web.batch import VIEWER

    from .models import RollCall, RollCallPerson

    return select(exists().where(RollCallPerson.user_id == bindparam(VIEWER), RollCallPerson.answer.is_(None),
                                 RollCallPerson.rollcall_id == RollCall.id, RollCall.status == "open")).scalar_subquery()


@hookimpl
def vvs_menu_items(request):
    user = request.user
    if user is None:
        return []
    items = [MenuItem("Êtes-vous en sécurité ?", request.route_path("rollcall_mine"), order=5,
                      only_if=_waiting_sql())]
    for insee in _agent_insees(request)[:1]:
        items.append(MenuItem("Appels de sécurité", request.route_path("rollcall_index", insee=insee), order=71,
                                work=True))
    return items


@hookimpl(optionalhook=True)
def vvs_dashboard_widgets(request, commune):
    from .views import dashboard_panel, dashboard_read

    return [Panel("Êtes-vous en sécurité ?", order=15, read=dashboard_read(commune.id),
                  render=lambda rows: dashboard_panel(request, commune, rows))]


@hookimpl
def vvs_community_links(request, communities, place):
    """On the référent's tools page: launch a roll-call, where the commune allows it."""
    if place != "referent" or not communities:
        return []
    from vvs_core.models import Commune

    from .models import RollCallSettings

    commune_ids = {c.commune_id for c in communities}
    allowed = set(request.dbsession.scalars(select(RollCallSettings.commune_id).where(
        RollCallSettings.commune_id.in_(commune_ids), RollCallSettings.referents_may_launch.is_(True))))
    insees = dict(request.dbsession.execute(select(Commune.id, Commune.insee).where(Commune.id.in_(allowed or [-1]))).all())
    return [CommunityLink(c.id, "Lancer « Êtes-vous en sécurité ? »",
                          request.route_path("rollcall_new", insee=insees[c.commune_id], _query={"communaute": c.id}),
                          order=60)
            for c in communities if c.commune_id in insees
            and community_principal(c.id, "referent") in request.principals]


# --- Personal data --------------------------------------------------------------------

@hookimpl
def vvs_export_user_data(request, user):
    from vvs_core.accounts.personal_data import in_words
    from vvs_core.web.batch import json_rows

    from .models import ANSWERS, VIA, RollCall, RollCallPerson

    stmt = (select(RollCall.created_at.label("appel"), RollCallPerson.answer.label("reponse"),
                   RollCallPerson.answered_at.label("repondu_le"), RollCallPerson.answered_via.label("par"),
                   RollCallPerson.note.label("message"))
            .join(RollCall, RollCall.id == RollCallPerson.rollcall_id).where(RollCallPerson.user_id == user.id)
            .order_by(RollCall.created_at))
    return {"Appels « Êtes-vous en sécurité ? »": in_words(json_rows(stmt), reponse=ANSWERS, par=VIA)}


@hookimpl
def vvs_erase_user_data(request, user):
    """The answers stay in the commune's record of the roll-call (a public-safety duty),
    without the message the person wrote."""
    from sqlalchemy import update

    from .models import RollCallPerson

    request.dbsession.execute(update(RollCallPerson).where(RollCallPerson.user_id == user.id).values(note=""))
