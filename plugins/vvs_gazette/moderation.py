"""Reports by members and decisions of référents and moderators (audited, not public)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from vvs_core.clock import utcnow
from vvs_core.communities.events import record_event
from vvs_core.models import Community, User
from vvs_core.notify.outbox import notify_user
from vvs_core.web.links import absolute_url

from .models import GazettePost, GazetteReply, GazetteReport


def _reply_is(reply):
    return GazetteReport.reply_id == reply.id if reply is not None else GazetteReport.reply_id.is_(None)


def report(dbsession, post: GazettePost, reporter, reason: str, reply: GazetteReply | None = None) -> GazetteReport:
    """Record a report; a second report of the same thing by the same member is ignored."""
    existing = dbsession.execute(sa.select(GazetteReport).where(
        GazetteReport.post_id == post.id, GazetteReport.reporter_id == reporter.id,
        _reply_is(reply), GazetteReport.resolved_at.is_(None),
    )).scalars().first()
    if existing is not None:
        return existing
    row = GazetteReport(community_id=post.community_id, post_id=post.id, reply_id=reply.id if reply else None,
                        reporter_id=reporter.id, reason=reason, created_at=utcnow())
    dbsession.add(row)
    record_event(dbsession, "gazette_reported", community=post.community_id, actor=reporter,
                 data={"post_id": post.id, "reply_id": reply.id if reply else None, "reason": reason[:500]},
                 public=False)
    return row


def moderate(dbsession, post: GazettePost, moderator, action: str, reason: str,
             reply: GazetteReply | None = None) -> None:
    """Hide or restore a post or a reply, close its open reports and keep an audit entry."""
    if action not in ("hide", "restore"):
        raise ValueError(action)
    target = reply or post
    target.hidden = action == "hide"
    target.hidden_reason = reason if action == "hide" else ""
    open_reports = sa.update(GazetteReport).where(
        GazetteReport.post_id == post.id, GazetteReport.resolved_at.is_(None),
        _reply_is(reply),
    ).values(resolved_at=utcnow(), resolved_by_id=moderator.id).execution_options(synchronize_session=False)
    dbsession.execute(open_reports)
    record_event(dbsession, f"gazette_{'hidden' if action == 'hide' else 'restored'}",
                 community=post.community_id, actor=moderator, subject=target.author_id,
                 data={"post_id": post.id, "reply_id": reply.id if reply else None, "reason": reason[:500]},
                 public=False)


def open_reports_count_sql():
    """How many reports of every community wait, as a SQL scalar (the platform team's badge)."""
    return sa.select(sa.func.count()).where(GazetteReport.resolved_at.is_(None)).scalar_subquery()


def communities_with_open_reports(dbsession) -> list[tuple[Community, int]]:
    """The communities whose gazette has reports waiting, with their count, the longest waiting first."""
    waiting = (sa.select(GazetteReport.community_id, sa.func.count().label("n"),
                         sa.func.min(GazetteReport.created_at).label("since"))
               .where(GazetteReport.resolved_at.is_(None)).group_by(GazetteReport.community_id).subquery())
    return dbsession.execute(sa.select(Community, waiting.c.n).join(waiting, waiting.c.community_id == Community.id)
                             .order_by(waiting.c.since, Community.id)).all()


def tell_author(request, post: GazettePost, action: str, reason: str, reply: GazetteReply | None = None) -> None:
    """E-mail its author that a post or a reply is hidden (why, how to contest) or visible again."""
    target = reply or post
    author = request.dbsession.get(User, target.author_id) if target.author_id is not None else None
    if author is None:
        return
    what = "Votre réponse" if reply is not None else "Votre annonce"
    about = f"{'votre réponse à ' if reply is not None else 'votre annonce '}« {post.title} »"
    link = absolute_url(request, "gazette_post", community_id=post.community_id, post_id=post.id)
    if action == "hide":
        title, body = f"{what} a été masquée", (
            f"La modération a masqué {about} : vos voisins ne la voient plus.\n\nMotif : {reason or '—'}\n\n{link}\n\n"
            f"Pour contester cette décision, écrivez à {request.registry.settings['vvs.platform_email']} "
            "en rappelant l'annonce concernée : un autre modérateur réexaminera votre demande.")
    else:
        title, body = f"{what} est de nouveau visible", (
            f"La modération a rétabli {about} : vos voisins la voient de nouveau."
            + (f"\n\nMotif : {reason}" if reason else "") + f"\n\n{link}")
    notify_user(request, author, "gazette_moderation", title, body, subject=("gazette_post", post.id))


# The moderation page's lists, as selects ordered by a unique key: the page reads one page
# of each (``vvs_core.web.pagination.paginate``), with the author shown on each line.

def open_reports(community_id: int):
    """Reports not yet decided, oldest first."""
    return (sa.select(GazetteReport).where(GazetteReport.community_id == community_id,
                                           GazetteReport.resolved_at.is_(None))
            .order_by(GazetteReport.created_at, GazetteReport.id))


def hidden_posts(community_id: int):
    """Hidden posts, most recent first."""
    return (sa.select(GazettePost).options(joinedload(GazettePost.author))
            .where(GazettePost.community_id == community_id, GazettePost.hidden.is_(True))
            .order_by(GazettePost.created_at.desc(), GazettePost.id.desc()))


def hidden_replies(community_id: int):
    """Hidden replies, most recent first."""
    return (sa.select(GazetteReply).options(joinedload(GazetteReply.author))
            .join(GazettePost, GazettePost.id == GazetteReply.post_id)
            .where(GazettePost.community_id == community_id, GazetteReply.hidden.is_(True))
            .order_by(GazetteReply.created_at.desc(), GazetteReply.id.desc()))
