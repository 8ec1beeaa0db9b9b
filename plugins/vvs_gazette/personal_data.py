"""What the gazette holds about a user, for export and for erasure with the account."""
from __future__ import annotations

import sqlalchemy as sa

from .models import GazettePhoto, GazettePost, GazetteReply, GazetteReport


def export_gazette(dbsession, user) -> dict:
    """Posts and replies as SQL (``json_rows``): the archive reads them with its other
    sections, in one statement."""
    from vvs_core.web.batch import json_rows

    return {
        "annonces": json_rows(sa.select(
            GazettePost.id.label("id"), GazettePost.community_id.label("communaute"),
            GazettePost.category.label("rubrique"), GazettePost.title.label("titre"), GazettePost.text.label("texte"),
            GazettePost.created_at.label("creee_le"), GazettePost.photo_count.label("photos"))
            .where(GazettePost.author_id == user.id).order_by(GazettePost.id)),
        "reponses": json_rows(sa.select(
            GazetteReply.id.label("id"), GazetteReply.post_id.label("annonce"), GazetteReply.text.label("texte"),
            GazetteReply.created_at.label("creee_le"))
            .where(GazetteReply.author_id == user.id).order_by(GazetteReply.id)),
        "photos": photos_of(dbsession, user),
    }


def photos_of(dbsession, user) -> dict:
    """``{"annonce-12": [bytes, …]}``: the photos of the user's posts, in their order (the
    archive writes them as files, ``gazette/photos/annonce-12/1.jpg``, and names them)."""
    photos: dict = {}
    for post_id, data in dbsession.execute(
            sa.select(GazettePhoto.post_id, GazettePhoto.data).join(GazettePost, GazettePost.id == GazettePhoto.post_id)
            .where(GazettePost.author_id == user.id).order_by(GazettePhoto.post_id, GazettePhoto.position)):
        photos.setdefault(f"annonce-{post_id}", []).append(data)
    return photos


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
