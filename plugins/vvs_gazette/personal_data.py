"""What the gazette holds about a user, for export and for erasure with the account."""
from __future__ import annotations

import sqlalchemy as sa

from .models import GazettePost, GazetteReply, GazetteReport


def export_gazette(dbsession, user) -> dict:
    posts = dbsession.scalars(sa.select(GazettePost).where(GazettePost.author_id == user.id).order_by(GazettePost.id))
    replies = dbsession.scalars(sa.select(GazetteReply).where(GazetteReply.author_id == user.id).order_by(GazetteReply.id))
    return {
        "annonces": [{"id": p.id, "communaute": p.community_id, "rubrique": p.category, "titre": p.title,
                      "texte": p.text, "creee_le": p.created_at.isoformat(), "photos": p.photo_count} for p in posts],
        "reponses": [{"id": r.id, "annonce": r.post_id, "texte": r.text, "creee_le": r.created_at.isoformat()}
                     for r in replies],
    }


def erase_gazette(dbsession, user) -> None:
    """Posts, replies (with their photos) and the user's own reports are removed; a
    moderator's decisions stay, without their name."""
    dbsession.execute(sa.delete(GazetteReport).where(GazetteReport.reporter_id == user.id))
    dbsession.execute(sa.update(GazetteReport).where(GazetteReport.resolved_by_id == user.id)
                      .values(resolved_by_id=None))
    dbsession.execute(sa.delete(GazetteReply).where(GazetteReply.author_id == user.id))
    for post in dbsession.scalars(sa.select(GazettePost).where(GazettePost.author_id == user.id)).all():
        dbsession.delete(post)  # the ORM cascade removes photos, replies and their reports
    dbsession.flush()
