"""What the alerts hold about a user: exported on request, unlinked when the account
is closed (the alerts stay, signed "ancien membre": neighbours keep their history)."""
from __future__ import annotations

import sqlalchemy as sa

from vvs_core.models import Community
from vvs_core.web.timefmt import dates

from .activity import STATE_LABELS, alert_state
from .catalogue import CATEGORY_LABELS, SOURCE_LABELS, UPDATE_LABELS
from .models import Alert, AlertReport, AlertUpdate, FeedToken, ModerationAction, PostingSuspension


def _when(value):
    return dates.iso(value) if value is not None else None  # Paris time, as the rest of the archive


def export_user_alerts(dbsession, user) -> dict:
    """The alerts a user launched (read here: their place is a geometry), and the rest as
    SQL (``json_rows``) that the archive reads with its other sections, in one statement."""
    from vvs_core.accounts.personal_data import in_words
    from vvs_core.web.batch import json_rows

    alerts = dbsession.scalars(sa.select(Alert).where(Alert.author_id == user.id).order_by(Alert.id))
    return {"Alertes": {
        "alertes lancées": [
            {"id": a.id, "date": _when(a.created_at), "catégorie": CATEGORY_LABELS.get(a.category, a.category),
             "texte": a.text, "lieu": [a.place.x, a.place.y] if a.place is not None else None,
             "statut": STATE_LABELS.get(alert_state(a), a.status),
             "source": SOURCE_LABELS.get(a.source, a.source), "expire": _when(a.expires_at)} for a in alerts],
        "suites et fins d'alerte": in_words(json_rows(sa.select(
            AlertUpdate.alert_id.label("alerte"), AlertUpdate.created_at.label("date"), AlertUpdate.kind.label("type"),
            AlertUpdate.text.label("texte")).where(AlertUpdate.author_id == user.id).order_by(AlertUpdate.id)),
            type=UPDATE_LABELS),
        "signalements": json_rows(sa.select(
            AlertReport.alert_id.label("alerte"), AlertReport.created_at.label("date"),
            AlertReport.reason.label("motif")).where(AlertReport.reporter_id == user.id).order_by(AlertReport.id)),
        "suspensions": json_rows(sa.select(
            PostingSuspension.until.label("jusqu'au"), PostingSuspension.reason.label("motif"),
            PostingSuspension.lifted_at.label("levée")).where(PostingSuspension.user_id == user.id)
            .order_by(PostingSuspension.id)),
        "liens de flux": json_rows(sa.select(
            Community.name.label("communauté"), FeedToken.created_at.label("créé"), FeedToken.revoked_at.label("révoqué"))
            .join(Community, Community.id == FeedToken.community_id).where(FeedToken.user_id == user.id).order_by(FeedToken.id)),
    }}


def erase_user_alerts(dbsession, user) -> None:
    opts = {"synchronize_session": False}
    dbsession.execute(sa.update(Alert).where(Alert.author_id == user.id).values(author_id=None).execution_options(**opts))
    dbsession.execute(sa.update(AlertUpdate).where(AlertUpdate.author_id == user.id)
                      .values(author_id=None).execution_options(**opts))
    dbsession.execute(sa.update(AlertReport).where(AlertReport.reporter_id == user.id)
                      .values(reporter_id=None, reason="").execution_options(**opts))
    dbsession.execute(sa.update(ModerationAction).where(ModerationAction.moderator_id == user.id)
                      .values(moderator_id=None).execution_options(**opts))
    dbsession.execute(sa.update(ModerationAction).where(ModerationAction.user_id == user.id)
                      .values(user_id=None).execution_options(**opts))
    dbsession.execute(sa.update(PostingSuspension).where(PostingSuspension.moderator_id == user.id)
                      .values(moderator_id=None).execution_options(**opts))
    dbsession.execute(sa.update(PostingSuspension).where(PostingSuspension.lifted_by_id == user.id)
                      .values(lifted_by_id=None).execution_options(**opts))
    dbsession.execute(sa.delete(PostingSuspension).where(PostingSuspension.user_id == user.id).execution_options(**opts))
    dbsession.execute(sa.delete(FeedToken).where(FeedToken.user_id == user.id).execution_options(**opts))
