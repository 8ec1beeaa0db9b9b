"""Recording movements and audit entries of communities (CommunityEvent rows), and
the registry of event kinds.

Whoever records a kind of event declares it (``vvs_register_event_kinds``, a list of
``EventKind``): its French label, whether members see it among the movements, and
optionally how its data reads. The community's movements and history show only these
labels; recording an undeclared kind in a configured application is a programming
error (``ValueError``). A bare session with no application (scripts, unit tests)
records any kind, as audit only unless ``public`` says otherwise.
"""

from vvs_core.plugins import collect_declared
from vvs_core.hooktypes import EventKind
from vvs_core.models import CommunityEvent, registry_of_session

# The core's own kinds (public: members see them as "Mouvements").
CORE_EVENT_KINDS = (
    EventKind("community_created", "Création de la communauté", public=True),
    EventKind("member_joined", "Arrivée d'un voisin", public=True),
    EventKind("member_left", "Départ d'un voisin", public=True),
    EventKind("join_requested", "Demande d'adhésion", public=True),
    EventKind("join_refused", "Demande d'adhésion refusée", public=True),
    EventKind("join_escalated", "Demande d'adhésion transmise à l'équipe de la plateforme"),
    EventKind("referent_added", "Nouveau référent", public=True),
    EventKind("referent_appointed", "Référent nommé"),
    EventKind("referent_removed", "Rôle de référent retiré"),
    EventKind("boundary_changed", "Délimitation modifiée", public=True),
    EventKind("renamed", "Communauté renommée", public=True),
    EventKind("validation_mode_changed", "Mode de validation modifié", public=True),
)


def collect_event_kinds(pm) -> dict[str, EventKind]:
    return collect_declared(pm, "vvs_register_event_kinds", EventKind, "community event kind")


def event_kinds_of(registry) -> dict[str, EventKind]:
    return getattr(registry, "vvs_event_kinds", None) or {k.key: k for k in CORE_EVENT_KINDS}


def record_event(dbsession, kind: str, *, community=None, actor=None, subject=None,
                 data: dict | None = None, public: bool | None = None) -> CommunityEvent:
    """Add one event of a declared ``kind``; ``public`` defaults to the kind's declaration."""
    registry = registry_of_session(dbsession)
    spec = event_kinds_of(registry).get(kind)
    if spec is None and getattr(registry, "vvs_event_kinds", None) is not None:
        raise ValueError(f"community event kind {kind!r} is not declared (vvs_register_event_kinds)")
    event = CommunityEvent(community_id=getattr(community, "id", community), actor_id=getattr(actor, "id", actor),
                           subject_user_id=getattr(subject, "id", subject), kind=kind, data=data or {},
                           public=bool(spec and spec.public) if public is None else public)
    dbsession.add(event)
    return event


def event_label(registry, kind: str) -> str:
    """The French label of ``kind``; an event of a plugin now disabled reads as a plain entry."""
    spec = event_kinds_of(registry).get(kind)
    return spec.label if spec is not None else "Événement"


def describe_data(registry, event) -> str:
    """What a kind's own ``describe`` adds after the label ("" when none)."""
    spec = event_kinds_of(registry).get(event.kind)
    if spec is None or spec.describe is None:
        return ""
    try:
        return spec.describe(event) or ""
    except (KeyError, TypeError, ValueError, AttributeError):
        return ""  # old rows with other data: the label alone
