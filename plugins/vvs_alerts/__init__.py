"""vvs_alerts: a neighbour sees something unusual, and every member of the community
knows it within seconds by SMS, e-mail and notification, and so does the mairie.

Posting from the web and by SMS (``vvs_inbound_sms``), lifecycle (updates, all-clear,
expiry), pre- or post-moderation, audience (``vvs_alert_recipients``), delivery
through the core's outbox, Atom and CAP 1.2 feeds.
"""
from __future__ import annotations

from vvs_core import hookimpl
from vvs_core.hooktypes import ActivityItem, MenuItem, Panel
from vvs_core.settings import Setting, as_int
from vvs_core.hooktypes import EventKind, NotificationKind

PREFIX = "/alertes"


def _moderation_mode(value) -> str:
    value = str(value).strip().lower()
    if value not in ("pre", "post"):
        raise ValueError(value)
    return value


@hookimpl
def vvs_register_settings():
    return [
        Setting("vvs.alerts.moderation", "post", "`post`: alerts go out at once and moderators can withdraw them; "
                "`pre`: alerts are held until a moderator or a référent approves them. The default: each commune "
                "and each community may choose otherwise (`/alertes/moderation/commune/{insee}`).",
                parse=_moderation_mode),
        Setting("vvs.alerts.escalation_minutes", 10, "Pre-moderation: minutes after which a held alert is "
                "e-mailed to the moderators.", parse=as_int),
        Setting("vvs.alerts.default_expiry_hours", 24, "Hours after which an alert leaves the active list and "
                "nothing more of it is sent.", parse=as_int),
        Setting("vvs.alerts.retention_days", 365, "Days after which an alert's text and place are erased "
                "(alerts describe third parties).", parse=as_int),
        Setting("vvs.alerts.max_per_hour", 3, "Alerts a resident may launch per hour.", parse=as_int),
        Setting("vvs.alerts.sms_max_segments", 2, "SMS parts an alert may use, at most `vvs.sms.max_segments`: "
                "the end of the description is cut; the category, the community, the author, the link and "
                "\"appelez le 17\" always stay.", parse=as_int),
    ]


def includeme(config):
    from . import tasks

    check_sms_parts(config.registry.settings)
    tasks.follow_current_broker()
    config.add_static_view("static_alerts", "vvs_alerts:static", cache_max_age=3600)
    config.add_route("alerts_moderation", f"{PREFIX}/moderation", factory="vvs_alerts.access.ModerationQueueContext")
    sanctions = "vvs_alerts.access.SanctionsContext"
    config.add_route("alerts_sanctions", f"{PREFIX}/moderation/sanctions", factory=sanctions)
    config.add_route("alerts_sanction_change", PREFIX + r"/moderation/sanctions/{suspension_id:\d+}", factory=sanctions)
    config.add_route("alerts_user_history", PREFIX + r"/moderation/membres/{user_id:\d+}", factory=sanctions)
    config.add_route("alerts_moderation_policy", PREFIX + "/moderation/commune/{insee}",
                     factory="vvs_alerts.access.commune_policy_factory")
    config.add_route("alerts_new", f"{PREFIX}/nouvelle")
    config.add_route("alerts_sms_preview", f"{PREFIX}/nouvelle/sms")
    config.add_route("alerts_home", PREFIX)
    config.add_route("alert_cap", PREFIX + r"/{alert_id:\d+}.cap.xml", factory="vvs_alerts.access.alert_factory")
    config.add_route("alert_view", PREFIX + r"/{alert_id:\d+}", factory="vvs_alerts.access.alert_factory")
    config.add_route("alert_reach", PREFIX + r"/{alert_id:\d+}/portee", factory="vvs_alerts.access.alert_factory")
    config.add_route("alert_report", PREFIX + r"/{alert_id:\d+}/signaler", factory="vvs_alerts.access.alert_factory")
    config.add_route("alert_follow_up", PREFIX + r"/{alert_id:\d+}/suivi", factory="vvs_alerts.access.alert_factory")
    config.add_route("alert_moderate", PREFIX + r"/{alert_id:\d+}/moderation", factory="vvs_alerts.access.alert_factory")
    config.add_route("alert_history", PREFIX + r"/{alert_id:\d+}/moderation/historique",
                     factory="vvs_alerts.access.alert_factory")
    community = "vvs_core.accounts.security.community_factory"
    config.add_route("alerts_community", PREFIX + "/communaute/{community_id}", factory=community)
    config.add_route("alerts_feed_create", PREFIX + "/communaute/{community_id}/flux", factory=community)
    config.add_route("alerts_feed_revoke", PREFIX + "/communaute/{community_id}/flux/revoquer", factory=community)
    config.add_route("alerts_feed_atom", PREFIX + "/communaute/{community_id}/flux/{token}.atom")
    config.add_route("alerts_feed_cap", PREFIX + "/communaute/{community_id}/flux/{token}.cap")
    config.scan(".views")
    config.scan(".sanctions_views")
    config.scan(".policy_views")
    config.add_periodic_task(tasks.expire_alerts, 60)
    config.add_periodic_task(tasks.escalate_held_alerts, 60)
    config.add_periodic_task(tasks.anonymise_alerts, 3600)


# --- Page composition ---------------------------------------------------------

@hookimpl
def vvs_menu_items(request):
    if request.user is None:
        return []
    items = []
    # An active member somewhere, not merely allowed: the administrator holds every permission
    # but has no community to post to, and these pages would answer « Page introuvable ».
    if "role:resident" in request.principals:
        items += [MenuItem("Alertes", request.route_path("alerts_home"), order=10),
                  MenuItem("Lancer une alerte", request.route_path("alerts_new"), order=11)]
    principals = request.principals
    for principal in principals:  # a mairie agent (second factor passed) sets the commune's moderation
        parts = principal.split(":")
        if len(parts) == 3 and parts[0] == "commune" and parts[2] == "agent":
            items.append(MenuItem("Modération des alertes", request.route_path("alerts_moderation_policy",
                                                                               insee=parts[1]), order=78, work=True))
    if "role:moderator" in principals or "role:referent" in principals or "role:admin" in principals:
        from .moderation import queue_size_sql

        items.append(MenuItem("Alertes à modérer", request.route_path("alerts_moderation"), order=79,
                              badge=queue_size_sql(request.user, principals), work=True))
    return items


@hookimpl
def vvs_home_activity(request, user):
    from vvs_core.web.batch import ReadThen

    from .texts import headline
    from .views_support import recent_alerts_read, recent_alerts_since

    # Read with the home page's other reads, in one statement (vvs_core.web.batch); ``user``
    # is the signed-in user, whom the statement's ``viewer_id`` names.
    return ReadThen(recent_alerts_read(), lambda alerts: [
        ActivityItem(when=a.created_at, text=headline(a),
                     url=request.route_path("alert_view", alert_id=a.id), kind="alert") for a in alerts],
        alerts_since=recent_alerts_since())


@hookimpl
def vvs_community_panels(request, community):
    from .views_support import active_alerts_panel

    panel = active_alerts_panel(request, community)
    return [panel] if panel is not None else []


@hookimpl(optionalhook=True)
def vvs_admin_user_panels(request, user):
    from .sanctions_views import admin_user_panel

    return [Panel("Sanctions de modération", admin_user_panel(request, user), order=10)]


def check_sms_parts(settings) -> None:
    from vvs_core.errors import ConfigurationError

    alerts, every = settings["vvs.alerts.sms_max_segments"], settings["vvs.sms.max_segments"]
    if not 1 <= alerts <= every:
        raise ConfigurationError(
            f"vvs.alerts.sms_max_segments = {alerts} must be between 1 and vvs.sms.max_segments = {every} "
            "(the outbox cuts every SMS to vvs.sms.max_segments parts)")


# --- Who handles it -----------------------------------------------------------

@hookimpl
def vvs_inbound_sms(request, message):
    from .inbound import handle_inbound_sms

    return handle_inbound_sms(request, message)


@hookimpl
def vvs_render_notification(request, notification, channel):
    """Alert SMS always end with the "appelez le 17" line and fit the allowed parts."""
    if notification.kind != "alert" or channel != "sms":
        return None
    from vvs_core.notify import sms

    from .catalogue import SMS_EMERGENCY_NOTICE

    text = notification.body or ""
    if "appelez le 17" not in text.lower():
        text = sms.fit_text(text.strip() + " " + SMS_EMERGENCY_NOTICE,
                            request.registry.settings["vvs.alerts.sms_max_segments"])
    return {"subject": notification.title, "text": text, "html": None}


# --- GDPR ---------------------------------------------------------------------

@hookimpl
def vvs_export_user_data(request, user):
    from .gdpr import export_user_alerts

    return export_user_alerts(request.dbsession, user)


@hookimpl
def vvs_erase_user_data(request, user):
    from .gdpr import erase_user_alerts

    erase_user_alerts(request.dbsession, user)


@hookimpl(optionalhook=True)
def vvs_commune_activity(request, commune, since):
    """Published residents' alerts of ``commune`` since ``since`` (the mairie's live view)."""
    from .activity import commune_alerts_since

    return commune_alerts_since(request, commune, since)


# --- What the alerts declare -------------------------------------------------------

@hookimpl
def vvs_register_notification_kinds():
    return [
        NotificationKind("alert", "Alertes de vos voisins", always_reach=True, default_channels=("sms", "email"),
                         severities=True, order=10, voice=True),
        NotificationKind("alert_held", "Alerte à valider (référents)", in_settings=False),
        NotificationKind("alert_escalation", "Alerte en attente de validation (modérateurs)", in_settings=False),
        NotificationKind("alert_moderation", "Décision de modération sur votre alerte", in_settings=False),
    ]


@hookimpl
def vvs_register_event_kinds():
    return [
        EventKind("alert_reported", "Alerte signalée"),
        EventKind("alert_approve", "Alerte validée par la modération"),
        EventKind("alert_withdraw", "Alerte retirée par la modération"),
        EventKind("alert_restore", "Alerte rétablie par la modération"),
        EventKind("alert_warn", "Avertissement de la modération"),
        EventKind("alert_suspend", "Publication d'alertes suspendue"),
        EventKind("alert_lift", "Suspension de publication levée"),
        EventKind("alert_moderation_policy", "Règle de modération des alertes modifiée"),
        EventKind("alert_escalated", "Alerte transmise aux modérateurs"),
    ]


@hookimpl
def vvs_addhooks(pluginmanager):
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl(optionalhook=True)
def vvs_communities_merging(request, source, target):
    """The alerts, private feeds and moderation rule of ``source`` go to ``target`` (its own
    rule, if it has one, stays)."""
    import sqlalchemy as sa

    from .models import Alert, FeedToken, ModerationPolicy

    db = request.dbsession
    for model in (Alert, FeedToken):
        db.execute(sa.update(model).where(model.community_id == source.id).values(community_id=target.id)
                   .execution_options(synchronize_session=False))
    if db.scalar(sa.select(ModerationPolicy.id).where(ModerationPolicy.community_id == target.id)) is not None:
        db.execute(sa.delete(ModerationPolicy).where(ModerationPolicy.community_id == source.id))
    else:
        db.execute(sa.update(ModerationPolicy).where(ModerationPolicy.community_id == source.id)
                   .values(community_id=target.id).execution_options(synchronize_session=False))


@hookimpl(optionalhook=True)
def vvs_api_endpoints(api):
    from .api import declare

    declare(api)
