"""vvs_vulnerable: the register of vulnerable residents (registre nominatif des personnes
âgées et handicapées, CASF L121-6-1 and R121-2 to R121-12).

A resident registers themself with their consent, or the person they legally represent;
a third party may ask for someone's registration only in writing, and the person, told
by SMS or e-mail with a link to object, is registered only after eight days without
objection (the clock decides, no task needed). Entries are reviewed on a schedule. Only
the agents of the commune with the role « CCAS » (granted by vvs_mairie's principals,
second factor passed) read it, and every reading is logged; the data is sealed with the
register's own key, apart from every other table. The préfet gets it as CSV or PDF. In
a roll-call or a crisis, ``vvs_vulnerable_tell_ccas`` sends the commune's CCAS agents
(``vvs_vulnerable_ccas_agents``) the link of the list of registered people to reach first. See docs/vulnerable.md.
"""
from __future__ import annotations

import re

from pyramid.authorization import Allow
from sqlalchemy import select, update

from vvs_core import hookimpl
from vvs_core.hooktypes import MenuItem, NotificationKind, PrincipalKind
from vvs_core.settings import Setting, as_int

PREFIX = "/registre-vulnerables"
READ = "vulnerable.read"
INSEE = r"{insee:[0-9][0-9AB][0-9][0-9][0-9]}"


def ccas_principal(insee: str) -> str:
    return f"commune:{insee}:ccas"


def _days(value) -> int:
    number = as_int(value)
    if not 1 <= number <= 3660:
        raise ValueError(value)
    return number


@hookimpl
def vvs_reseal_secrets(dbsession, settings):
    from .sealing import reseal_all

    return ("register of vulnerable residents", reseal_all(dbsession, settings))


@hookimpl
def vvs_register_settings():
    from vvs_core.encryption import key_setting

    return [
        key_setting("vvs.vulnerable.encryption_key", "the register of vulnerable residents"),
        Setting("vvs.vulnerable.review_days", 365, "Days between two reviews of an entry of the register by the "
                "CCAS (the entries due are shown first).", parse=_days),
    ]


@hookimpl
def vvs_register_principals():
    return [PrincipalKind("commune:{insee}:ccas", "Agent du CCAS de la commune (lit le registre des personnes "
                                                  "vulnérables)", staff=True)]


@hookimpl
def vvs_register_notification_kinds():
    return [NotificationKind("vulnerable_register", "Registre des personnes vulnérables", always_reach=True,
                             default_channels=("sms", "email"), in_settings=False)]


class RegisterContext:
    """A commune's register, from the ``insee`` segment: its CCAS agents read it."""

    def __init__(self, request, commune):
        self.request = request
        self.commune = commune

    @property
    def __acl__(self):
        return [(Allow, ccas_principal(self.commune.insee), READ)]


def register_factory(request):
    from vvs_core.accounts.security import commune_from_matchdict

    commune = commune_from_matchdict(request)
    return RegisterContext(request, commune)


def includeme(config):
    settings = config.registry.settings
    if not settings.get("vvs.vulnerable.encryption_key"):
        import logging

        logging.getLogger(__name__).warning(
            "vvs.vulnerable.encryption_key is not set: the register is sealed with a key derived from vvs.secret; "
            "set VVS_VULNERABLE_ENCRYPTION_KEY in production")
    add = config.add_route
    add("vulnerable_signup", PREFIX + "/inscription")
    add("vulnerable_mine", PREFIX + "/mes-inscriptions")
    add("vulnerable_withdraw", PREFIX + r"/mes-inscriptions/{entry_id:\d+}/retirer")
    add("vulnerable_object", PREFIX + "/opposition/{token}")
    factory = "vvs_vulnerable.register_factory"
    add("vulnerable_list", f"{PREFIX}/{INSEE}", factory=factory)
    add("vulnerable_export_csv", f"{PREFIX}/{INSEE}/registre.csv", factory=factory)
    add("vulnerable_export_pdf", f"{PREFIX}/{INSEE}/registre.pdf", factory=factory)
    add("vulnerable_priority", f"{PREFIX}/{INSEE}/a-joindre/" + r"{list_id:\d+}", factory=factory)
    add("vulnerable_journal", f"{PREFIX}/{INSEE}/journal", factory=factory)
    add("vulnerable_entry", f"{PREFIX}/{INSEE}/fiches/" + r"{entry_id:\d+}", factory=factory)
    add("vulnerable_review", f"{PREFIX}/{INSEE}/fiches/" + r"{entry_id:\d+}/revue", factory=factory)
    add("vulnerable_remove", f"{PREFIX}/{INSEE}/fiches/" + r"{entry_id:\d+}/radier", factory=factory)
    config.scan(".views")


@hookimpl
def vvs_addhooks(pluginmanager):
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def vvs_vulnerable_tell_ccas(request, commune, user_ids, reason):
    from .register import tell_ccas

    return tell_ccas(request, commune, user_ids, reason)


@hookimpl
def vvs_menu_items(request):
    """Residents: the register's page; the CCAS: the register of each commune they serve."""
    items = []
    if "role:resident" in request.principals:
        items.append(MenuItem("Registre des personnes vulnérables", request.route_path("vulnerable_mine"), order=78))
    for principal in request.principals:
        match = re.fullmatch(r"commune:([0-9AB]{5}):ccas", principal)
        if match:
            items.append(MenuItem("Registre (CCAS)", request.route_path("vulnerable_list", insee=match[1]), order=72,
                                  work=True))
    return items


@hookimpl
def vvs_export_user_data(request, user):
    """The entries about the resident (registered by themself) and those they asked for."""
    from vvs_core.clock import utcnow

    from .models import FIELD_WORDS, ORIGINS, SITUATIONS, STATES, VulnerableEntry
    from .sealing import unseal

    def in_words(data: dict) -> dict:
        return {FIELD_WORDS.get(k, k): in_words(v) if isinstance(v, dict) else [SITUATIONS.get(s, s) for s in v]
                if k == "situations" else v for k, v in data.items()}

    rows = request.dbsession.scalars(select(VulnerableEntry).where(
        (VulnerableEntry.user_id == user.id) | (VulnerableEntry.created_by_id == user.id)))
    now = utcnow()
    out = []
    for entry in rows:
        data = unseal(request.registry.settings, entry.sealed) if entry.user_id == user.id else {
            "name": unseal(request.registry.settings, entry.sealed).get("name", "")}
        out.append({"origine": ORIGINS.get(entry.origin), "état": STATES.get(entry.state(now)),
                    "inscrite le": entry.created_at, "données": in_words(data)})
    return {"Registre des personnes vulnérables": out} if out else {}


@hookimpl
def vvs_erase_user_data(request, user):
    """The resident's own entry is withdrawn (its data erased); a third party's request
    stays the person's, without its link to the requester's account."""
    from vvs_core.clock import utcnow

    from .models import VulnerableEntry

    db = request.dbsession
    db.execute(update(VulnerableEntry).where(VulnerableEntry.user_id == user.id, VulnerableEntry.status == "active")
               .values(status="withdrawn", sealed="", closed_at=utcnow()))
    db.execute(update(VulnerableEntry).where(VulnerableEntry.user_id == user.id).values(user_id=None))
    db.execute(update(VulnerableEntry).where(VulnerableEntry.created_by_id == user.id).values(created_by_id=None))
