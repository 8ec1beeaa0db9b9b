"""vvs_warnings: official warnings (Météo-France through MeteoAlarm's CAP 1.2 Atom feed,
Vigicrues' river sections) relayed to the communes they touch.

A periodic task polls the feeds named in ``vvs.warnings.feeds``, reads them safely
(``documents``), folds each message into its warning and drafts a commune alert for
every commune the warning touches above the commune's threshold (``relay``); an agent
of the mairie reviews and sends it in one click, or the commune relays automatically.
Updates, cancellations and expiry of the source follow the alert that went out. The
commune alert belongs to another plugin (vvs_mairie), reached through the hooks this
plugin declares (``hookspecs``). See docs/warnings.md.
"""
from __future__ import annotations

from sqlalchemy import select

from vvs_core import hookimpl
from vvs_core.hooktypes import Panel
from vvs_core.accounts.security import commune_agents_factory
from vvs_core.settings import Setting, as_int

PREFIX = "/avertissements"
PERMISSION = "warnings.manage"


def _positive(value) -> int:
    number = as_int(value)
    if number <= 0:
        raise ValueError(value)
    return number


def _feeds(value):
    from .fetching import parse_feeds

    return parse_feeds(value)


def _geocodes(value):
    from .geocodes import parse_overrides

    return parse_overrides(value)


@hookimpl
def vvs_register_settings():
    return [
        Setting("vvs.warnings.feeds", "", "Official feeds to poll, one per line: `KIND URL NAME`, KIND being "
                "`cap-atom` (CAP 1.2 in Atom, as MeteoAlarm publishes Météo-France's warnings) or "
                "`vigicrues-geojson` (Vigicrues' InfoVigiCru GeoJSON); NAME is how the source is named on "
                "everything sent (« Météo-France (MeteoAlarm) »). Empty: nothing is polled.", parse=_feeds),
        Setting("vvs.warnings.poll_interval", 300, "Seconds between two polls of the feeds.", parse=_positive),
        Setting("vvs.warnings.timeout", 10, "Seconds to connect to a feed, and to wait for each of its reads.",
                parse=_positive),
        Setting("vvs.warnings.max_bytes", 5_000_000, "Largest feed or CAP document read, in bytes; a larger one "
                "is refused with one log line, and nothing is sent.", parse=_positive),
        Setting("vvs.warnings.max_documents", 50, "CAP documents linked from an Atom feed fetched per poll, "
                "at most.", parse=_positive),
        Setting("vvs.warnings.river_buffer_m", 500, "Vigicrues: metres on each side of a river section that "
                "its warning covers.", parse=_positive),
        Setting("vvs.warnings.geocodes", "", "Extra or corrected EMMA_ID geocodes: `CODE=DÉPARTEMENT` pairs "
                "separated by spaces (`FR077=77`).", parse=_geocodes),
    ]


# A commune, from the ``insee`` segment; its agents (second factor passed) hold PERMISSION.
commune_factory = commune_agents_factory(PERMISSION)


def includeme(config):
    from . import tasks

    tasks.follow_current_broker()
    factory = "vvs_warnings.commune_factory"
    config.add_route("warnings_settings", PREFIX + "/{insee}/reglages", factory=factory)
    config.add_route("warnings_draft", PREFIX + r"/{insee}/{relay_id:\d+}", factory=factory)
    config.add_route("warnings_send", PREFIX + r"/{insee}/{relay_id:\d+}/envoyer", factory=factory)
    config.add_route("warnings_dismiss", PREFIX + r"/{insee}/{relay_id:\d+}/ecarter", factory=factory)
    config.scan(".views")
    config.add_periodic_task(tasks.poll_warnings, config.registry.settings["vvs.warnings.poll_interval"])


@hookimpl
def vvs_addhooks(pluginmanager):
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl(optionalhook=True)
def vvs_dashboard_widgets(request, commune):
    """The warnings waiting for the mairie, and those relayed lately, on its dashboard."""
    from pyramid.renderers import render

    from .views import dashboard_rows

    drafts, recent = dashboard_rows(request, commune)
    html = render("vvs_warnings:templates/widget.pt", {"drafts": drafts, "recent": recent, "commune": commune},
                  request=request)
    title = f"Avertissements officiels à relayer ({len(drafts)})" if drafts else "Avertissements officiels"
    return [Panel(title, html, order=5)]


@hookimpl
def vvs_export_user_data(request, user):
    """An agent's part: the warnings they sent or set aside, the choices they saved."""
    from vvs_core.models import Commune

    from .models import THRESHOLDS, CommuneWarningSettings, WarningRelay

    relays = request.dbsession.scalars(select(WarningRelay).where(WarningRelay.sent_by_id == user.id))
    rows = [{"avertissement": r.title, "état": r.state_label, "date": r.sent_at or r.updated_at} for r in relays]
    choices = request.dbsession.execute(select(CommuneWarningSettings, Commune.name).join(
        Commune, Commune.id == CommuneWarningSettings.commune_id).where(CommuneWarningSettings.updated_by_id == user.id))
    rows += [{"réglage de la commune": name, "seuil": THRESHOLDS.get(c.threshold, c.threshold),
              "relais automatique": c.automatic} for c, name in choices]
    return {"Avertissements officiels": rows} if rows else {}


@hookimpl
def vvs_erase_user_data(request, user):
    """The commune's record stays (what was sent, when); the agent's name goes."""
    from sqlalchemy import update

    from .models import CommuneWarningSettings, WarningRelay

    request.dbsession.execute(update(WarningRelay).where(WarningRelay.sent_by_id == user.id).values(sent_by_id=None))
    request.dbsession.execute(update(CommuneWarningSettings).where(
        CommuneWarningSettings.updated_by_id == user.id).values(updated_by_id=None))
