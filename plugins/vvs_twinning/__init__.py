"""Jumelages: a référent proposes a twinning to a community close enough, a référent
of the other community accepts or declines, either side ends it. Twinned communities
receive each other's alerts by e-mail only (``vvs_alert_recipients``) and their
members may write to each other, shown by pseudonym only (``vvs_messageable_users``).
Every step is a movement of both communities and is e-mailed to both sides' référents.

Personal data: ``Twinning.proposed_by_id`` names the référent who proposed. It is a
record of an act done for the community, like the core's event log, so it is neither
exported nor erased with the account (the closed account's row stays, anonymised by
the core); no ``vvs_export_user_data``/``vvs_erase_user_data`` here.
"""
from __future__ import annotations

from vvs_core import hookimpl
from vvs_core.hooktypes import Panel, Recipient
from vvs_core.settings import Setting, as_int
from vvs_core.accounts.security import member_community_ids, own_community_entry
from vvs_core.hooktypes import EventKind, NotificationKind
from vvs_core.web.french import sort_key

PREFIX = "/jumelages/communaute/{community_id}"


@hookimpl
def vvs_register_settings():
    return [
        Setting("vvs.twinning.max_distance_m", 3000, "Farthest a community may be (metres from the centre of the "
                "proposing community to the other's boundary) to be proposed a twinning.", parse=as_int),
    ]


@hookimpl
def vvs_menu_items(request):
    return own_community_entry(request, "Jumelages", "twinning_index", 60)


@hookimpl
def vvs_community_panels(request, community):
    from pyramid.renderers import render

    from .twinnings import panel_read

    def html(rows):
        partners = sorted((r for r in rows if r.status == "active"), key=lambda r: sort_key(r.partner_name))
        waiting = sum(1 for r in rows if r.status == "proposed" and r.community_b_id == community.id)
        return render("vvs_twinning:templates/panel.pt",
                      {"partners": partners, "waiting": waiting, "community": community}, request=request)

    # Read with the page's other panels and the menu, in one statement (vvs_core.web.batch).
    return [Panel("Jumelages", order=40, read=panel_read(community.id), render=html)]


@hookimpl(optionalhook=True)
def vvs_alert_recipients(request, alert):
    """Active members of the communities twinned with the alert's: e-mail only, the author
    named by pseudonym (as everywhere twins meet)."""
    from .twinnings import active_member_ids, twinned_community_ids

    community_id = getattr(alert, "community_id", None)
    if community_id is None:
        return []
    partners = twinned_community_ids(request.dbsession, [community_id])
    return [Recipient(user_id, channels=("email",), reason="jumelage", shown="pseudonym")
            for user_id in active_member_ids(request.dbsession, partners)]


@hookimpl(optionalhook=True)
def vvs_messageable_users(request, user):
    """Active members of the communities twinned with ``user``'s, shown by pseudonym."""
    from .twinnings import active_member_ids, twinned_community_ids_sql, user_community_ids

    # The signed-in user's communities are known without a statement; their partners are
    # a subquery of the one statement that lists the members.
    mine = member_community_ids(request) if user.id == getattr(getattr(request, "user", None), "id", None) \
        else user_community_ids(request.dbsession, user.id)
    partners = twinned_community_ids_sql(mine)
    return [(user_id, "pseudonym") for user_id in active_member_ids(request.dbsession, partners)
            if user_id != user.id]


def includeme(config):
    from vvs_core.accounts.security import community_factory

    add = config.add_route
    add("twinning_index", PREFIX, factory=community_factory)
    add("twinning_propose", PREFIX + "/proposer", factory=community_factory)
    add("twinning_accept", PREFIX + "/{twinning_id}/accepter", factory=community_factory)
    add("twinning_decline", PREFIX + "/{twinning_id}/refuser", factory=community_factory)
    add("twinning_end", PREFIX + "/{twinning_id}/terminer", factory=community_factory)
    config.add_static_view("static_twinning", "vvs_twinning:static", cache_max_age=3600)
    config.scan(".views")


# --- What the twinning declares -------------------------------------------------------

def _with_other(event) -> str:
    other = (event.data or {}).get("other_name")
    return f" avec « {other} »" if other else ""


@hookimpl
def vvs_register_notification_kinds():
    return [NotificationKind("twinning", "Jumelages de votre communauté (référents)", in_settings=False)]


@hookimpl
def vvs_register_event_kinds():
    return [
        EventKind("twinning_proposed", "Jumelage proposé", public=True, describe=_with_other),
        EventKind("twinning_accepted", "Jumelage accepté", public=True, describe=_with_other),
        EventKind("twinning_declined", "Jumelage refusé", public=True, describe=_with_other),
        EventKind("twinning_ended", "Jumelage terminé", public=True, describe=_with_other),
    ]


@hookimpl(optionalhook=True)
def vvs_communities_merging(request, source, target):
    """Twinnings of ``source`` become ``target``'s; one between the two ends, and one with a
    community ``target`` is already twinned with ends too (one open twinning per pair)."""
    import sqlalchemy as sa

    from vvs_core.clock import utcnow

    from .models import Twinning, pair_key

    db = request.dbsession
    for twinning in db.scalars(sa.select(Twinning).where(
            sa.or_(Twinning.community_a_id == source.id, Twinning.community_b_id == source.id))).all():
        other = twinning.other_id(source.id)
        if twinning.community_a_id == source.id:
            twinning.community_a_id = target.id
        else:
            twinning.community_b_id = target.id
        if twinning.open_pair is None:
            continue
        taken = db.scalar(sa.select(Twinning.id).where(Twinning.open_pair == pair_key(target.id, other)))
        if other == target.id or taken is not None:
            twinning.status, twinning.open_pair, twinning.ended_at = "ended", None, utcnow()
        else:
            twinning.open_pair = pair_key(target.id, other)
        db.flush()
