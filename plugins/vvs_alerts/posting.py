"""Posting an alert: who may, how often, and exactly once per idempotency key."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from vvs_core.clock import utcnow
from vvs_core.web.links import absolute_url
from vvs_core.models import Community, Membership, User
from vvs_core.communities.members import referents_of
from vvs_core.notify.outbox import notify_user
from vvs_core.jobs.lease import enqueue_job_after_commit
from vvs_core.web.timefmt import dates

from .catalogue import CATEGORY_LABELS, EMERGENCY_NOTICE
from .models import Alert, PostingSuspension
from .policy import must_hold

MAX_TEXT = 1000


class PostingRefused(Exception):
    """The user may not post an alert now; the message says why, in French."""


def home_community(dbsession, user) -> Community | None:
    """The community a resident posts to: their (first) active membership."""
    return dbsession.scalar(
        sa.select(Community).join(Membership, Membership.community_id == Community.id)
        .where(Membership.user_id == user.id, Membership.status == "active").order_by(Membership.id).limit(1)
    )


def active_suspension(dbsession, user_id, now=None) -> PostingSuspension | None:
    now = now or utcnow()
    return dbsession.scalar(
        sa.select(PostingSuspension).where(PostingSuspension.user_id == user_id, PostingSuspension.until > now,
                                           PostingSuspension.lifted_at.is_(None))
        .order_by(PostingSuspension.until.desc()).limit(1)
    )


def check_may_post(dbsession, settings, user, now=None) -> None:
    """Raise PostingRefused when ``user`` may not post an alert now."""
    now = now or utcnow()
    if user.status != "active":
        raise PostingRefused("Votre compte ne peut pas publier d'alerte pour le moment. "
                             "Contactez le référent de votre communauté.")
    suspension = active_suspension(dbsession, user.id, now)
    if suspension is not None:
        until = dates.datetime(suspension.until)
        raise PostingRefused(f"La publication d'alertes vous est suspendue jusqu'au {until} "
                             f"(motif : {suspension.reason or 'non précisé'}).")
    limit = settings["vvs.alerts.max_per_hour"]
    recent = dbsession.scalar(sa.select(sa.func.count()).select_from(Alert).where(
        Alert.author_id == user.id, Alert.created_at > now - timedelta(hours=1)))
    if recent >= limit:
        raise PostingRefused(f"Vous avez déjà lancé {recent} alertes dans l'heure : attendez un peu, "
                             f"ou appelez le 17 en cas d'urgence.")


def post_alert(request, author: User, community: Community, *, category: str, text: str,
               idempotency_key: str, place=None, severity: str = "moderate",
               expiry_hours: int | None = None, source: str = "web") -> tuple[Alert, bool]:
    """Create the alert, or return the one already made with this key: (alert, created).

    Checks: the author may post (``check_may_post``). In post-moderation the alert is
    published and its fan-out starts after commit; in pre-moderation (per commune and
    community, see ``policy.must_hold``) it is held, the community's référents are told
    and so are plugins (``vvs_alert_held``: the mairie tells its agents).
    """
    db = request.dbsession
    settings = request.registry.settings
    existing = db.scalar(sa.select(Alert).where(Alert.idempotency_key == idempotency_key))
    if existing is not None:
        return existing, False
    if category not in CATEGORY_LABELS:
        raise ValueError(f"unknown alert category {category!r}")
    check_may_post(db, settings, author)
    now = utcnow()
    hours = expiry_hours or settings["vvs.alerts.default_expiry_hours"]
    held = must_hold(request, author, community, severity)
    alert = Alert(
        community_id=community.id, commune_id=community.commune_id, author_id=author.id,
        category=category, text=text.strip()[:MAX_TEXT], place=place, severity=severity,
        created_at=now, expires_at=now + timedelta(hours=int(hours)),
        status="held" if held else "published", published_at=None if held else now,
        idempotency_key=idempotency_key, source=source,
    )
    try:
        with db.begin_nested():
            db.add(alert)
            db.flush()
    except IntegrityError:
        # Another request with the same key committed first: that one is the alert.
        existing = db.scalar(sa.select(Alert).where(Alert.idempotency_key == idempotency_key))
        if existing is None:
            raise
        return existing, False
    if held:
        tell_referents_held(request, alert, community)
        request.registry.vvs_plugins.hook.vvs_alert_held(request=request, alert=alert)
    else:
        start_fan_out(request, alert)
    return alert, True


def start_fan_out(request, alert, update=None) -> None:
    from .tasks import fan_out_alert

    enqueue_job_after_commit(request, fan_out_alert, alert.id, update.id if update is not None else 0)


def tell_referents_held(request, alert, community) -> None:
    url = absolute_url(request, "alert_view", alert_id=alert.id)
    for referent in referents_of(request.dbsession, community.id):
        if referent.id == alert.author_id:
            continue
        notify_user(request, referent, "alert_held", f"Alerte à valider ({community.name})",
                    f"Une alerte attend votre validation avant d'être envoyée aux voisins :\n\n{alert.text}\n\n"
                    f"Validez-la ou retirez-la ici : {url}\n\n{EMERGENCY_NOTICE}",
                    subject=("alert_admin", alert.id), dedupe_key=f"alert_held:{alert.id}:{referent.id}")
