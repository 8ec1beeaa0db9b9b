"""Recording movements and audit entries of communities (CommunityEvent rows)."""
from __future__ import annotations

from .models import CommunityEvent

# Kinds shown to members as "Mouvements" (public); anything else is audit only.
PUBLIC_KINDS = {
    "community_created": "Création de la communauté",
    "member_joined": "Arrivée d'un voisin",
    "member_left": "Départ d'un voisin",
    "join_requested": "Demande d'adhésion",
    "join_refused": "Demande d'adhésion refusée",
    "referent_added": "Nouveau référent",
    "boundary_changed": "Délimitation modifiée",
    "renamed": "Communauté renommée",
    "validation_mode_changed": "Mode de validation modifié",
    "twinning_proposed": "Jumelage proposé",
    "twinning_accepted": "Jumelage accepté",
    "twinning_declined": "Jumelage refusé",
    "twinning_ended": "Jumelage terminé",
}


def record_event(dbsession, kind: str, *, community=None, actor=None, subject=None,
                 data: dict | None = None, public: bool | None = None) -> CommunityEvent:
    """Add one event; ``public`` defaults to whether ``kind`` is a movement members see."""
    event = CommunityEvent(
        community_id=getattr(community, "id", community),
        actor_id=getattr(actor, "id", actor),
        subject_user_id=getattr(subject, "id", subject),
        kind=kind,
        data=data or {},
        public=(kind in PUBLIC_KINDS) if public is None else public,
    )
    dbsession.add(event)
    return event


def event_label(kind: str) -> str:
    return PUBLIC_KINDS.get(kind, kind.replace("_", " "))
