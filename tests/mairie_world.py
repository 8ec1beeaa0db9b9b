"""A commune with its subscribed mairie, a community and people, committed for the tests
that run real parallel transactions (vvs_mairie's and vvs_rollcall's concurrency tests),
and its removal (a module of tests/, on the path of every test)."""
from __future__ import annotations

from shapely.geometry import Point
from sqlalchemy import delete, select

from vvs_core.accounts.security import hash_password
from vvs_core.geo import square_around
from vvs_core.models import Commune, Community, Membership, Notification, Token, User
from vvs_core.testing import DEMO_PASSWORD


def add_commune_world(s, insee: str, tag: str, people: list[tuple[str, dict]]):
    """(commune, community « Les Tilleuls {tag} », users) flushed in session ``s``: one
    user a ``(first name, other fields)`` of ``people``, e-mail ``{first name}-{tag}@example.test``,
    password ``DEMO_PASSWORD``."""
    from vvs_mairie.agents import mairie_of

    commune = Commune(insee=insee, name="Concurrence-sur-Marne", centre=Point(2.3, 48.3))
    s.add(commune)
    s.flush()
    mairie_of(s, commune.id, create=True).subscribed = True
    community = Community(commune_id=commune.id, name=f"Les Tilleuls {tag}", boundary=square_around((2.3, 48.3), 300))
    users = [User(email=f"{who}-{tag}@example.test", password_hash=hash_password(DEMO_PASSWORD), first_name=who,
                  last_name="Test", **fields) for who, fields in people]
    s.add(community)
    s.add_all(users)
    s.flush()
    return commune, community, users


def delete_commune_world(s, ids: dict) -> None:
    """Removes what ``add_commune_world`` added (``ids``: "commune", "community", "users"),
    with the commune's agents and the users' notifications and sessions; the caller
    removes its own rows first, and commits."""
    from vvs_mairie.models import MairieAgent, MairieCommune, RecoveryCode

    agents = select(MairieAgent.id).where(MairieAgent.commune_id == ids["commune"])
    s.execute(delete(RecoveryCode).where(RecoveryCode.agent_id.in_(agents)))
    s.execute(delete(MairieAgent).where(MairieAgent.commune_id == ids["commune"]))
    s.execute(delete(MairieCommune).where(MairieCommune.commune_id == ids["commune"]))
    s.execute(delete(Notification).where(Notification.recipient_id.in_(ids["users"])))
    s.execute(delete(Membership).where(Membership.community_id == ids["community"]))
    s.execute(delete(Community).where(Community.id == ids["community"]))
    # Their sessions too: SQLite gives a deleted user's id to the next user, who
    # would find these rows as their own open sessions.
    s.execute(delete(Token).where(Token.user_id.in_(ids["users"])))
    s.execute(delete(User).where(User.id.in_(ids["users"])))
    s.execute(delete(Commune).where(Commune.id == ids["commune"]))


def chessy_with_mairie(dbsession) -> Commune:
    """Chessy (77111), Serris' neighbour, with a subscribed mairie: the other commune of
    the tests that check an agent reaches only their own (flushed)."""
    from vvs_mairie.agents import mairie_of

    chessy = Commune(insee="77111", name="Chessy", postcodes=["77700"], centre=Point(2.77, 48.87))
    dbsession.add(chessy)
    dbsession.flush()
    mairie_of(dbsession, chessy.id, create=True).subscribed = True
    return chessy
