"""What the alerts hold about a user: exported on request, unlinked when the account
is closed (the alerts stay, signed "ancien membre": neighbours keep their history)."""
from __future__ import annotations

import sqlalchemy as sa

from .models import Alert, AlertReport, AlertUpdate, FeedToken, ModerationAction, PostingSuspension


def _when(value):
    return value.isoformat() if value is not None else None


def export_user_alerts(dbsession, user) -> dict:
    alerts = dbsession.scalars(sa.select(Alert).where(Alert.author_id == user.id).order_by(Alert.id))
    updates = dbsession.scalars(sa.select(AlertUpdate).where(AlertUpdate.author_id == user.id).order_by(AlertUpdate.id))
    reports = dbsession.scalars(sa.select(AlertReport).where(AlertReport.reporter_id == user.id).order_by(AlertReport.id))
    suspensions = dbsession.scalars(sa.select(PostingSuspension).where(PostingSuspension.user_id == user.id))
    feeds = dbsession.scalars(sa.select(FeedToken).where(FeedToken.user_id == user.id))
    return {"Alertes": {
        "alertes lancées": [
            {"id": a.id, "date": _when(a.created_at), "catégorie": a.category, "texte": a.text,
             "lieu": [a.place.x, a.place.y] if a.place is not None else None, "statut": a.status,
             "source": a.source, "expire": _when(a.expires_at)} for a in alerts],
        "suites et fins d'alerte": [{"alerte": u.alert_id, "date": _when(u.created_at), "type": u.kind,
                                     "texte": u.text} for u in updates],
        "signalements": [{"alerte": r.alert_id, "date": _when(r.created_at), "motif": r.reason} for r in reports],
        "suspensions": [{"jusqu'au": _when(s.until), "motif": s.reason, "levée": _when(s.lifted_at)}
                        for s in suspensions],
        "liens de flux": [{"communauté": f.community_id, "créé": _when(f.created_at), "révoqué": _when(f.revoked_at)}
                          for f in feeds],
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
