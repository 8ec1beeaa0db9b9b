"""The invitations a member sent, in their data export; the invited addresses are
erased with the sender's account (personal data of people who are not members)."""
from __future__ import annotations

from sqlalchemy import select, update

from vvs_core.web.timefmt import dates

from .models import Invitation


def export_invitations(dbsession, user) -> list[dict]:
    return [{"communaute_id": i.community_id, "canal": i.channel, "adresse": i.address,
             "envoyee_le": dates.utc_iso(i.created_at, None), "inscriptions": i.accepted_count}
            for i in dbsession.execute(select(Invitation).where(Invitation.sender_id == user.id)
                                       .order_by(Invitation.id)).scalars()]


def erase_invitations(dbsession, user) -> None:
    dbsession.execute(update(Invitation).where(Invitation.sender_id == user.id).values(address="")
                      .execution_options(synchronize_session=False))
