"""Invitations: codes sent by e-mail or SMS or printed on the flyer, and counting
the people who sign up through them.

The code travels in the link ``/invitation/{code}``; opening it keeps the code in
the session until sign-up, when ``vvs_user_registered`` (this plugin's answer) counts it.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import func, select

from vvs_core.clock import utcnow
from vvs_core.web.links import absolute_url
from vvs_core.models import Community, Membership, User
from vvs_core.notify import sms
from vvs_core.notify.outreach import send_to_address

from .models import Invitation, InvitationOptOut

SESSION_KEY = "vvs.invitation"
DAILY_LIMIT = "20/86400"  # invitations per sender and per day (e-mail and SMS together)


def new_code() -> str:
    return secrets.token_urlsafe(16)


def invitation_url(request, invitation: Invitation) -> str:
    return absolute_url(request, "invitation_open", token=invitation.code)


def create_invitation(dbsession, community: Community, sender: User, channel: str, address: str = "") -> Invitation:
    invitation = Invitation(code=new_code(), community_id=community.id, sender_id=sender.id,
                            channel=channel, address=address)
    dbsession.add(invitation)
    dbsession.flush()
    return invitation


def shared_link(dbsession, community: Community, sender: User) -> Invitation:
    """The sender's reusable link for ``community`` (the flyer prints it): one per sender."""
    found = dbsession.execute(
        select(Invitation).where(Invitation.community_id == community.id, Invitation.sender_id == sender.id,
                                 Invitation.channel == "link").order_by(Invitation.id).limit(1)
    ).scalar_one_or_none()
    return found or create_invitation(dbsession, community, sender, "link")


def invitation_text(request, community: Community, sender: User, url: str) -> tuple[str, str]:
    site = request.registry.settings["vvs.site_name"]
    title = f"{sender.full_name} vous invite à rejoindre vos voisins"
    body = (
        f"Bonjour,\n\n{sender.full_name} vous invite à rejoindre la communauté « {community.name} » "
        f"de {site} : des voisins qui veillent les uns sur les autres et s'entraident.\n\n"
        f"Pour vous inscrire, ouvrez ce lien :\n{url}\n\n"
        "En cas d'urgence, appelez le 17."
    )
    return title, body


SMS_STOP = " STOP : répondez STOP."  # the followers' wording: 22 characters less, often one SMS instead of two


def sms_text(request, community: Community, sender: User, url: str) -> str:
    """The invitation SMS; the STOP line always survives (what is cut is the community's name)."""
    return sms.fit(f"{sender.full_name} vous invite à rejoindre vos voisins vigilants « ", community.name,
                   f" » : {url}{SMS_STOP}", request.registry.settings["vvs.sms.max_segments"]).text


def optout_digest(request, number: str) -> str:
    """A number that said STOP, as kept: keyed by ``vvs.secret`` (a plain hash of a phone
    number is undone by trying the billion numbers)."""
    return hmac.new(request.registry.settings["vvs.secret"].encode(), f"invitation-stop:{number}".encode(),
                    hashlib.sha256).hexdigest()


def said_stop(request, number: str) -> bool:
    return request.dbsession.scalar(select(func.count(InvitationOptOut.id)).where(
        InvitationOptOut.digest == optout_digest(request, number))) > 0


def handle_stop(request, message, reply: str | None) -> str | None:
    """STOP (ARRÊT, FIN…) from a number that was invited by SMS: no invitation goes to it
    again, whatever ``reply`` the other plugins gave. Anything else, or another number:
    ``reply`` unchanged. A number that has since become a resident's is recorded too, but the
    answer is left to the others: their STOP is about the alerts they now receive, not about
    an invitation they accepted long ago. A follower of a mairie without an account (the
    only other answer to a STOP from a number of no account) is told both in one SMS."""
    db = request.dbsession
    if not sms.says_stop(message.text) or not db.scalar(select(func.count(Invitation.id)).where(
            Invitation.channel == "sms", Invitation.address == message.sender)):
        return reply
    if not said_stop(request, message.sender):
        db.add(InvitationOptOut(digest=optout_digest(request, message.sender)))
        db.flush()
    if db.scalar(select(func.count(User.id)).where(User.mobile == message.sender, User.status != "closed")):
        return reply
    if reply:  # both in one SMS: the shorter words when a long commune name leaves no room
        told = f"{reply} Vos voisins ne pourront plus vous inviter par SMS."
        return told if sms.measure(sms.to_gsm7(told)).segments == 1 else f"{reply} Invitations : arrêtées aussi."
    return "C'est noté : votre numéro ne recevra plus d'invitation de vos voisins par SMS."


def send_invitation(request, community: Community, sender: User, channel: str, address: str) -> Invitation:
    invitation = create_invitation(request.dbsession, community, sender, channel, address)
    url = invitation_url(request, invitation)
    title, body = invitation_text(request, community, sender, url)
    if channel == "sms":
        body = sms_text(request, community, sender, url)
    send_to_address(request, channel=channel, address=address, kind="invitation", title=title, body=body,
                    dedupe_key=f"invitation:{invitation.id}:{channel}", subject=("invitation", invitation.id))
    return invitation


def already_invited(dbsession, community: Community, address: str) -> bool:
    return dbsession.execute(
        select(func.count(Invitation.id)).where(Invitation.community_id == community.id,
                                                Invitation.address == address)
    ).scalar_one() > 0


def membership_of(dbsession, community: Community, channel: str, address: str) -> str | None:
    """The status (``active``, ``pending``) of whoever has ``address`` in ``community``, if
    someone has: inviting them would send a useless message (walk, staff 14)."""
    column = func.lower(User.email) if channel == "email" else User.mobile
    return dbsession.scalar(select(Membership.status).join(User, User.id == Membership.user_id).where(
        Membership.community_id == community.id, Membership.status.in_(("active", "pending")),
        User.status != "closed", column == address).order_by(Membership.status).limit(1))


def counts_by_community(dbsession, community_ids: list[int], sender: User | None = None) -> dict[int, dict]:
    """``{community_id: {"sent": n, "accepted": n}}`` for several communities in one
    statement (all senders, or one)."""
    stmt = (select(Invitation.community_id, func.count(Invitation.id).filter(Invitation.channel != "link"),
                   func.coalesce(func.sum(Invitation.accepted_count), 0))
            .where(Invitation.community_id.in_(community_ids)).group_by(Invitation.community_id))
    if sender is not None:
        stmt = stmt.where(Invitation.sender_id == sender.id)
    found = {cid: {"sent": int(sent or 0), "accepted": int(accepted or 0)}
             for cid, sent, accepted in dbsession.execute(stmt)}
    return {cid: found.get(cid, {"sent": 0, "accepted": 0}) for cid in community_ids}


def invitation_counts(dbsession, community: Community, sender: User | None = None) -> dict:
    """``{"sent": n, "accepted": n}`` for the community (or one sender in it)."""
    return counts_by_community(dbsession, [community.id], sender)[community.id]


def find_by_code(dbsession, code: str) -> Invitation | None:
    if not code or len(code) > 64:
        return None
    # an archived community's links lead nowhere (it takes no new resident)
    return dbsession.execute(select(Invitation).join(Community, Community.id == Invitation.community_id)
                             .where(Invitation.code == code, Community.archived_at.is_(None))).scalar_one_or_none()


def count_acceptance(dbsession, code: str) -> Invitation | None:
    invitation = find_by_code(dbsession, code)
    if invitation is not None:
        invitation.accepted_count = (invitation.accepted_count or 0) + 1
        invitation.last_accepted_at = utcnow()
    return invitation
