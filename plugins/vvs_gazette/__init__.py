"""La Gazette: the community's journal (petites annonces, prêts, covoiturage, fêtes,
animaux et objets perdus, vie du quartier), with replies, photos, reports and
moderation, search, a weekly digest e-mail and an iCal feed of events. The mairie's
communications come in through ``vvs_gazette_items``."""
from __future__ import annotations

from datetime import timedelta


from vvs_core import hookimpl
from vvs_core.hooktypes import ActivityItem, MenuItem, Panel
from vvs_core.settings import Setting, as_int
from vvs_core.accounts.security import member_community_ids, own_community_entry
from vvs_core.hooktypes import EventKind, NotificationKind

PREFIX = "/gazette/communaute/{community_id}"


@hookimpl
def vvs_register_settings():
    return [
        Setting("vvs.gazette.digest_weekday", 0, "Day of the weekly gazette digest (0 = Monday … 6 = Sunday).", parse=as_int),
        Setting("vvs.gazette.digest_hour", 8, "Local hour from which the weekly gazette digest is sent.", parse=as_int),
    ]


@hookimpl
def vvs_menu_items(request):
    items = own_community_entry(request, "La Gazette", "gazette_index", 20)
    if {"role:moderator", "role:admin"} & set(request.principals):  # in no community: no link led to the reports
        from .moderation import open_reports_count_sql

        items.append(MenuItem("Annonces signalées", request.route_path("gazette_reports"), order=81,
                              badge=open_reports_count_sql(), work=True))
    return items


@hookimpl
def vvs_community_panels(request, community):
    from pyramid.renderers import render

    from .posts import author_label, latest_posts_read

    if not request.has_permission("gazette.view", _context(request, community)):
        return []
    def html(rows):
        return render("vvs_gazette:templates/panel.pt",
                      {"rows": rows, "community": community, "author_label": author_label}, request=request)

    # Read with the page's other panels and the menu, in one statement (vvs_core.web.batch).
    return [Panel("La Gazette", order=30, read=latest_posts_read(community.id, 3), render=html)]


def _context(request, community):
    from .context import GazetteContext

    return GazetteContext(request, community)


@hookimpl
def vvs_home_activity(request, user):
    from vvs_core.clock import utcnow
    from vvs_core.web.batch import ReadThen
    from vvs_core.web.timefmt import dates

    from .posts import recent_posts_read

    ids = member_community_ids(request)
    if not ids:
        return []
    # Read with the home page's other reads, in one statement (vvs_core.web.batch).
    return ReadThen(recent_posts_read(), lambda posts: [
        ActivityItem(when=p.created_at, text=f"Gazette : {p.title}", kind="gazette",
                     url=request.route_path("gazette_post", community_id=p.community_id, post_id=p.id))
        for p in posts], gazette_communities=ids, gazette_since=utcnow() - timedelta(days=14),
        gazette_today=dates.today())


@hookimpl
def vvs_export_user_data(request, user):
    from .personal_data import export_gazette

    return {"gazette": export_gazette(request.dbsession, user)}


@hookimpl
def vvs_erase_user_data(request, user):
    from .personal_data import erase_gazette

    erase_gazette(request.dbsession, user)


def includeme(config):
    from .context import gazette_factory
    from .tasks import follow_current_broker, send_gazette_digests

    add = config.add_route
    add("gazette_reports", "/gazette/signalements")
    add("gazette_index", PREFIX, factory=gazette_factory)
    add("gazette_new", PREFIX + "/ajouter", factory=gazette_factory)
    add("gazette_moderation", PREFIX + "/moderation", factory=gazette_factory)
    add("gazette_ical", PREFIX + "/agenda.ics", factory=gazette_factory)
    add("gazette_post", PREFIX + "/annonce/{post_id}", factory=gazette_factory)
    add("gazette_edit", PREFIX + "/annonce/{post_id}/modifier", factory=gazette_factory)
    add("gazette_delete", PREFIX + "/annonce/{post_id}/supprimer", factory=gazette_factory)
    add("gazette_report", PREFIX + "/annonce/{post_id}/signaler", factory=gazette_factory)
    add("gazette_moderate", PREFIX + "/annonce/{post_id}/moderer", factory=gazette_factory)
    add("gazette_photo", PREFIX + "/annonce/{post_id}/photo/{position}", factory=gazette_factory)
    config.add_static_view("static_gazette", "vvs_gazette:static", cache_max_age=3600)
    config.scan(".views")
    follow_current_broker()
    config.add_periodic_task(send_gazette_digests, 3600)


# --- What the gazette declares -------------------------------------------------------

@hookimpl
def vvs_register_notification_kinds():
    return [
        NotificationKind("gazette", "Nouvelles de la gazette", quiet=True, order=20,
                         extra_choices=(("digest", "Résumé de la semaine par e-mail"),)),
        NotificationKind("gazette_digest", "Résumé de la semaine de la gazette", quiet=True, in_settings=False),
        NotificationKind("gazette_moderation", "Décision de modération sur votre annonce", in_settings=False),
    ]


@hookimpl
def vvs_register_event_kinds():
    return [
        EventKind("gazette_reported", "Publication de la gazette signalée"),
        EventKind("gazette_hidden", "Publication de la gazette masquée par la modération"),
        EventKind("gazette_restored", "Publication de la gazette rétablie par la modération"),
    ]


@hookimpl
def vvs_addhooks(pluginmanager):
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl(optionalhook=True)
def vvs_communities_merging(request, source, target):
    """The posts of ``source`` and their reports go to ``target``."""
    import sqlalchemy as sa

    from .models import GazettePost, GazetteReport

    for model in (GazettePost, GazetteReport):
        request.dbsession.execute(sa.update(model).where(model.community_id == source.id)
                                  .values(community_id=target.id).execution_options(synchronize_session=False))


@hookimpl(optionalhook=True)
def vvs_api_endpoints(api):
    from .api import declare

    declare(api)
