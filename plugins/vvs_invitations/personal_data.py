"""The invitations a member sent, in their data export; the invited addresses are
erased with the sender's account (personal data of people who are not members)."""
from __future__ import annotations

from sqlalchemy import select, update

from vvs_core.models import Community

from .models import Invitation


def export_invitations(dbsession, user) -> list[dict]:
    """Dates in the export's own way (Paris time, as every other section), the community by name."""
    rows = dbsession.execute(select(Invitation, Community.name).join(Community, Community.id == Invitation.community_id)
                             .where(Invitation.sender_id == user.id).order_by(Invitation.id))
    from vvs_core.accounts.personal_data import CHANNEL_LABELS, in_words

    return in_words([{"communaute": name, "canal": i.channel, "adresse": i.address, "envoyee_le": i.created_at,
                      "inscriptions": i.accepted_count} for i, name in rows], canal=CHANNEL_LABELS)


def erase_invitations(dbsession, user) -> None:
    dbsession.execute(update(Invitation).where(Invitation.sender_id == user.id).values(address="")
                      .execution_options(synchronize_session=False))
