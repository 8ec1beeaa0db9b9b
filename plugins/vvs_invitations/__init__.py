"""vvs_invitations: members invite neighbours by e-mail, by SMS or with a printable
A5 flyer (a QR code and the member's shareable link); the link opens
``/invitation/{code}`` and the sign-up that follows is counted.

Links to it appear under each community (home page, community page, référent's
tools) through ``vvs_community_links``. Disabled, no route, link or table use remains.
"""
from __future__ import annotations

from vvs_core import hookimpl
from vvs_core.hooktypes import CommunityLink, NotificationKind


def includeme(config):
    config.include(".views")


@hookimpl
def vvs_register_notification_kinds():
    return [NotificationKind("invitation", "Invitation d'un voisin", in_settings=False)]


@hookimpl(wrapper=True)
def vvs_inbound_sms(request, message):
    """STOP from a number invited by SMS, whoever else reads it: the same number may follow its
    mairie (vvs_followers ends the follow and answers); the answer then says both."""
    from .invitations import handle_stop

    return handle_stop(request, message, (yield))


@hookimpl
def vvs_user_registered(request, user):
    from .invitations import SESSION_KEY, count_acceptance

    code = request.session.pop(SESSION_KEY, None)
    if code:
        count_acceptance(request.dbsession, code)


@hookimpl
def vvs_community_links(request, communities, place):
    from vvs_core.web.french import count

    from .invitations import counts_by_community

    if place == "community" and not request.has_permission("community.member", request.context):
        return []
    ids = [c.id for c in communities]
    links = []
    if place == "referent":
        every = counts_by_community(request.dbsession, ids)
        for cid, mine in counts_by_community(request.dbsession, ids, request.user).items():
            total = every[cid]
            note = (f"{count(total['sent'], 'envoyée', 'envoyées')} par les membres, "
                    f"{count(total['accepted'], 'inscription obtenue', 'inscriptions obtenues')}, dont "
                    f"{count(mine['sent'], 'envoyée', 'envoyées')} et "
                    f"{count(mine['accepted'], 'inscription', 'inscriptions')} pour vous")
            links += [CommunityLink(cid, "Inviter des voisins", request.route_path("invitations", community_id=cid),
                                    note=note, order=20),
                      CommunityLink(cid, "Télécharger le flyer A5 (PDF)",
                                    request.route_path("invitations_flyer", community_id=cid), order=21)]
    else:  # home and community pages: no statement (the home page's budget); the counts are on the page
        links += [CommunityLink(cid, "Inviter des voisins", request.route_path("invitations", community_id=cid),
                                order=20) for cid in ids]
    return links


@hookimpl(optionalhook=True)
def vvs_communities_merging(request, source, target):
    """The invitations sent in ``source`` now invite to ``target`` (their links still work)."""
    import sqlalchemy as sa

    from .models import Invitation

    request.dbsession.execute(sa.update(Invitation).where(Invitation.community_id == source.id)
                              .values(community_id=target.id).execution_options(synchronize_session=False))


@hookimpl(optionalhook=True)  # vvs_demo's hook
def vvs_demo_data(dbsession, commune):
    from .demo_data import invite_demo_neighbours

    invite_demo_neighbours(dbsession, commune)


@hookimpl
def vvs_export_user_data(request, user):
    from .personal_data import export_invitations

    return {"invitations_envoyees": export_invitations(request.dbsession, user)}


@hookimpl
def vvs_erase_user_data(request, user):
    from .personal_data import erase_invitations

    erase_invitations(request.dbsession, user)
