"""What the gazette holds about a user, for export and for erasure with the account."""
from __future__ import annotations

import sqlalchemy as sa

from vvs_core.models import Community

from .models import CATEGORIES, GazettePhoto, GazettePost, GazetteReply, GazetteReport


def export_gazette(dbsession, user) -> dict:
    """Posts and replies as SQL (``json_rows``): the archive reads them with its other
    sections, in one statement; the photos of the posts that have some after (``with_photos``)."""
    from vvs_core.accounts.personal_data import in_words
    from vvs_core.web.batch import ReadThen, json_rows

    return {
        "annonces": ReadThen(json_rows(sa.select(
            GazettePost.id.label("id"), Community.name.label("communaute"),
            GazettePost.category.label("rubrique"), GazettePost.title.label("titre"), GazettePost.text.label("texte"),
            GazettePost.created_at.label("creee_le"), GazettePost.photo_count.label("photos"))
            .join(Community, Community.id == GazettePost.community_id)
            .where(GazettePost.author_id == user.id).order_by(GazettePost.id)),
            lambda posts: in_words(with_photos(dbsession, posts), rubrique=CATEGORIES)),
        "reponses": json_rows(sa.select(
            GazetteReply.id.label("id"), GazetteReply.post_id.label("annonce"), GazetteReply.text.label("texte"),
            GazetteReply.created_at.label("creee_le"))
            .where(GazetteReply.author_id == user.id).order_by(GazetteReply.id)),
    }


def with_photos(dbsession, posts) -> list[dict]:
    """The posts, each with its photos in their order (bytes: the archive writes them as files,
    ``gazette/annonces/1/photos/1.jpg``, and names them); read only when a post has some, so
    an archive without photos costs no statement more."""
    posts = [post.as_dict() for post in posts]
    photos: dict = {}
    if ids := [post["id"] for post in posts if post["photos"]]:
        for post_id, data in dbsession.execute(sa.select(GazettePhoto.post_id, GazettePhoto.data)
                                               .where(GazettePhoto.post_id.in_(ids))
                                               .order_by(GazettePhoto.post_id, GazettePhoto.position)):
            photos.setdefault(post_id, []).append(data)
    return [{**post, "photos": photos.get(post["id"], [])} for post in posts]


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
