"""Where each pending resident's proof stands, on the validation queues
(``vvs_membership_badges``): one statement for the whole queue."""
from __future__ import annotations

from sqlalchemy import select

from vvs_core.hooktypes import MembershipBadge

from .methods import labels
from .models import KycCheck


def statuses_of(dbsession, user_ids) -> dict[int, dict[str, str]]:
    """User id → {method: status}, by the rule of ``checks.method_status`` (passed once any
    check of the method passed, else the latest one's state), for many users at once."""
    ids = sorted({int(i) for i in user_ids})
    out: dict[int, dict[str, str]] = {}
    if not ids:
        return out
    rows = dbsession.execute(select(KycCheck.user_id, KycCheck.method, KycCheck.status)
                             .where(KycCheck.user_id.in_(ids)).order_by(KycCheck.id.desc()))
    for user_id, method, status in rows:
        seen = out.setdefault(user_id, {})
        if seen.get(method) == "passed":
            continue
        if method not in seen or status == "passed":  # the latest first, unless an older one passed
            seen[method] = status if status in ("pending", "passed") else "failed"
    return out


def proof_badges(request, memberships) -> list[MembershipBadge]:
    statuses = statuses_of(request.dbsession, [m.user_id for m in memberships])
    names = labels(request)
    out = []
    for membership in memberships:
        mine = statuses.get(membership.user_id, {})
        by_status = {s: ", ".join(names.get(m, m).lower() for m, st in sorted(mine.items()) if st == s)
                     for s in ("passed", "pending", "failed")}
        if by_status["passed"]:
            label, tone = f"Adresse vérifiée ({by_status['passed']})", "ok"
        elif by_status["pending"]:
            label, tone = f"Preuve d'adresse en cours d'examen ({by_status['pending']})", "pending"
        elif by_status["failed"]:
            label, tone = f"Preuve d'adresse non aboutie ({by_status['failed']})", "warning"
        else:
            label, tone = "Aucune preuve d'adresse", "warning"
        out.append(MembershipBadge(membership.id, label, tone))
    return out
