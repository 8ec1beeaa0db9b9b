"""vvs_followers: anyone follows their town hall's alerts (and, if they wish, its news)
with nothing but a confirmed number, address or browser, and no account (issue 17.3).

``/communes/{insee}/suivre``: a mobile number (SMS, code to type back), a landline
(voice call, when the outbox has a ``voice`` channel and a provider), an e-mail
address (a link to open), or this browser (Web Push, when the push provider has a key
and the plugin that records residents' devices names its page script); an optional
address places the follower on the map, so that alerts on a zone reach them. News
(``vvs_commune_news_published``) goes to those who chose it, never by a call. STOP by
SMS (``vvs_inbound_sms``), the one-click link of every e-mail (``List-Unsubscribe``)
and the button of the page a push opens delete the follower. vvs_mairie counts and
reaches followers through ``vvs_commune_alert_followers``; neighbourhood features stay
behind sign-up. Disabled, no route, menu entry or table use remains.
"""
from __future__ import annotations

from vvs_core import hookimpl
from vvs_core.hooktypes import MenuItem, NotificationKind
from vvs_core.settings import Setting, as_rate


def includeme(config):
    config.add_static_view("static_followers", "vvs_followers:static", cache_max_age=3600)
    config.include(".views")


@hookimpl
def vvs_register_settings():
    return [
        Setting("vvs.followers.rate", "10/3600",
                "Requests to follow a town hall accepted per client address: `count/seconds`.", parse=as_rate),
        Setting("vvs.followers.destination_rate", "3/86400",
                "Confirmation messages sent to one number or e-mail address: `count/seconds` "
                "(nobody can flood a phone with codes).", parse=as_rate),
    ]


@hookimpl
def vvs_register_notification_kinds():
    return [NotificationKind("follower_confirm", "Confirmation d'un abonnement aux alertes de la mairie",
                             in_settings=False),
            NotificationKind("follower_news", "Nouvelles de la mairie aux abonnés sans compte", in_settings=False)]


@hookimpl
def vvs_menu_items(request):
    if request.user is not None:
        return []
    return [MenuItem("Suivre ma mairie", request.route_path("followers_communes"), order=90)]


@hookimpl(tryfirst=True)
def vvs_inbound_sms(request, message):
    """STOP and confirmation codes from followers' numbers; anything else goes on to
    the other plugins (an SMS alert of a resident…)."""
    from .following import handle_sms

    return handle_sms(request, message)


@hookimpl(optionalhook=True)
def vvs_commune_alert_followers(request, commune, target):
    from .following import reached

    return reached(request.dbsession, commune, target)


@hookimpl(optionalhook=True)
def vvs_commune_news_published(request, commune, news):
    """The mairie's news to the followers who chose it."""
    from .following import send_news

    send_news(request, commune, news)


@hookimpl
def vvs_render_notification(request, notification, channel):
    """A commune alert to a follower says how to stop; its e-mail carries the one-click
    ``List-Unsubscribe`` header (RFC 8058)."""
    from .rendering import render_for_follower

    return render_for_follower(request, notification, channel)


@hookimpl(optionalhook=True)
def vvs_dashboard_widgets(request, commune):
    """How many follow the town hall without an account, and the link to share. Read with
    the dashboard's other widgets, in one statement (``read``/``render``)."""
    from html import escape

    import sqlalchemy as sa

    from vvs_core.web.french import count
    from vvs_core.hooktypes import Panel
    from vvs_core.web.links import absolute_url

    from .models import Follower

    link = absolute_url(request, "followers_follow", insee=commune.insee)

    def html(total):
        return (f"<p>{escape(count(int(total or 0), 'personne suit', 'personnes suivent'))} les alertes de la mairie "
                f"sans compte (SMS, e-mail, appel ou notification).</p><p>Lien à partager : <a href=\"{escape(link)}\">"
                f"{escape(link)}</a></p>")

    read = (sa.select(sa.func.count()).select_from(Follower)
            .where(Follower.commune_id == commune.id, Follower.status == "active").scalar_subquery())
    return [Panel("Abonnés sans compte", order=70, read=read, render=html)]


@hookimpl(optionalhook=True)  # declared by vvs_retention
def vvs_retention_rules(settings):
    from .retention import rules

    return rules()


@hookimpl(optionalhook=True)
def vvs_admin_commune_panels(request, commune):
    from vvs_core.web.french import count
    from vvs_core.hooktypes import Panel

    from .following import counts

    by_channel = counts(request.dbsession, commune.id)
    total = sum(by_channel.values())
    detail = ", ".join(f"{n} par {label}" for key, label in (("sms", "SMS"), ("email", "e-mail"), ("voice", "appel"),
                                                                          ("push", "notification"))
                       if (n := by_channel.get(key)))
    return [Panel("Abonnés sans compte", f"<p>{count(total, 'personne suit', 'personnes suivent')} la mairie sans "
                  f"compte{' (' + detail + ')' if detail else ''}.</p>", order=60)]


@hookimpl(optionalhook=True)  # declared by vvs_admin
def vvs_admin_commune_ties(request, commune):
    """Its followers (confirmed or not) keep a commune from being withdrawn."""
    from sqlalchemy import func, select

    from vvs_core.web.french import count

    from .models import Follower

    n = request.dbsession.scalar(select(func.count(Follower.id)).where(Follower.commune_id == commune.id))
    return [count(n, "abonné aux alertes de la mairie", "abonnés aux alertes de la mairie")] if n else []
