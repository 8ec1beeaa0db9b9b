"""vvs_pcs: the crisis mode of the Plan communal de sauvegarde.

The commune names its crisis cell in advance (elected officials and agents, with their
phones and e-mails) and prepares its messages to the population. « Activer le PCS »
tells the cell on every channel through the outbox; the main courante records every
step with its time (Paris) and author; one click sends a prepared message to the
population as a commune alert (through the hooks this plugin declares, answered by
vvs_mairie); « fin de crise » tells everyone reached and closes the main courante as a
PDF. An exercise is marked « EXERCICE » everywhere. See docs/pcs.md.
"""
from __future__ import annotations

from sqlalchemy import select, update

from vvs_core import hookimpl
from vvs_core.hooktypes import NotificationKind, Panel
from vvs_core.accounts.security import commune_agents_factory

PREFIX = "/pcs"
PERMISSION = "pcs.manage"


# A commune, from the ``insee`` segment; its agents (second factor passed) hold PERMISSION.
commune_factory = commune_agents_factory(PERMISSION)


def includeme(config):
    factory = "vvs_pcs.commune_factory"
    crisis = PREFIX + r"/{insee}/crises/{crisis_id:\d+}"
    config.add_route("pcs_home", PREFIX + "/{insee}", factory=factory)
    config.add_route("pcs_activate", PREFIX + "/{insee}/activer", factory=factory)
    config.add_route("pcs_cell", PREFIX + "/{insee}/cellule", factory=factory)
    config.add_route("pcs_cell_remove", PREFIX + r"/{insee}/cellule/{member_id:\d+}/retirer", factory=factory)
    config.add_route("pcs_templates", PREFIX + "/{insee}/messages", factory=factory)
    config.add_route("pcs_template_remove", PREFIX + r"/{insee}/messages/{template_id:\d+}/retirer", factory=factory)
    config.add_route("pcs_crisis", crisis, factory=factory)
    config.add_route("pcs_message", crisis + "/message", factory=factory)
    config.add_route("pcs_note", crisis + "/note", factory=factory)
    config.add_route("pcs_end", crisis + "/fin", factory=factory)
    config.add_route("pcs_log_pdf", crisis + "/main-courante.pdf", factory=factory)
    config.scan(".views")


@hookimpl
def vvs_addhooks(pluginmanager):
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def vvs_register_notification_kinds():
    return [NotificationKind("pcs_cell", "Cellule de crise du PCS", always_reach=True,
                             default_channels=("sms", "email"), in_settings=False, voice=True)]


@hookimpl(optionalhook=True)
def vvs_dashboard_widgets(request, commune):
    """« Plan communal de sauvegarde » on the mairie's dashboard: the crisis in progress, or the way to activate."""
    from pyramid.renderers import render

    from .views import dashboard_read

    def html(rows):
        return render("vvs_pcs:templates/widget.pt", {"open": rows, "commune": commune}, request=request)

    return [Panel("Plan communal de sauvegarde", order=3, read=dashboard_read(commune.id), render=html)]


@hookimpl
def vvs_export_user_data(request, user):
    """An agent's lines in the main courante of the crises of their commune."""
    from vvs_core.accounts.personal_data import in_words
    from vvs_core.web.batch import json_rows

    from .models import LOG_KINDS, PcsCrisis, PcsLogEntry

    rows = in_words(json_rows(select(PcsCrisis.title.label("crise"), PcsLogEntry.at.label("date"),
                                     PcsLogEntry.kind.label("etape"), PcsLogEntry.text.label("texte"))
                              .join(PcsCrisis, PcsCrisis.id == PcsLogEntry.crisis_id)
                              .where(PcsLogEntry.author_id == user.id).order_by(PcsLogEntry.at)), etape=LOG_KINDS)
    return {"Plan communal de sauvegarde (main courante)": rows}


@hookimpl
def vvs_erase_user_data(request, user):
    """The main courante is the commune's record of a crisis (an administrative document it
    must keep): its lines keep the name written at the time; the link to the account goes."""
    from .models import PcsCellMember, PcsCrisis, PcsLogEntry, PcsTemplate

    db = request.dbsession
    db.execute(update(PcsLogEntry).where(PcsLogEntry.author_id == user.id).values(author_id=None))
    for model, column in ((PcsCrisis, PcsCrisis.started_by_id), (PcsCrisis, PcsCrisis.ended_by_id),
                          (PcsCellMember, PcsCellMember.added_by_id), (PcsTemplate, PcsTemplate.added_by_id)):
        db.execute(update(model).where(column == user.id).values({column.key: None}))


@hookimpl(optionalhook=True)  # vvs_demo's hook
def vvs_demo_data(dbsession, commune):
    from .demo_data import load_demo_pcs

    load_demo_pcs(dbsession, commune)
