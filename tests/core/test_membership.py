"""The membership service: requests, decisions, queues, escalation, new communities,
and the hooks the core calls on the way."""
from contextlib import contextmanager
from datetime import timedelta

import pytest
from shapely.geometry import Point
from sqlalchemy import select

from vvs_core import geo
from vvs_core.clock import utcnow
from vvs_core.communities.membership import (
    MembershipBlocked, MembershipError, create_community, decide, escalate_stale, join_or_request, pending_queue,
)
from vvs_core.models import Community, CommunityEvent, Notification
from vvs_core.plugins import hookimpl
from vvs_core.testing import SERRIS, run_tasks, wait_for


@pytest.fixture
def request_(app_request):
    """A real request on the app's registry, on the test's session."""
    return app_request


@contextmanager
def plugged(registry, obj):
    registry.vvs_plugins.register(obj)
    try:
        yield obj
    finally:
        registry.vvs_plugins.unregister(obj)


def moved(point, east_m, north_m=0):
    p = geo.to_l93(geo.as_point(point))
    q = geo.from_l93(Point(p.x + east_m, p.y + north_m))
    return (q.x, q.y)


def events(dbsession, kind):
    return dbsession.scalars(select(CommunityEvent).where(CommunityEvent.kind == kind)).all()


def mails_to(dbsession, user):
    return dbsession.scalars(select(Notification).where(Notification.recipient_id == user.id,
                                                        Notification.channel == "email")).all()


def test_join_request_is_pending_and_tells_the_referents(request_, dbsession, make_user, make_community):
    referent, resident = make_user(), make_user()
    community = make_community(referents=[referent], validation_mode="referent")
    membership = join_or_request(request_, resident, community)
    assert (membership.status, membership.role) == ("pending", "member")
    assert events(dbsession, "join_requested")[0].subject_user_id == resident.id
    assert "Nouvelle demande d'adhésion" in mails_to(dbsession, referent)[0].title
    assert join_or_request(request_, resident, community) is membership  # asking twice: same request
    other = make_community("Ailleurs", centre=moved(SERRIS, 2000))
    with pytest.raises(MembershipError, match="Vous faites déjà partie de la communauté « Quartier test »"):
        join_or_request(request_, resident, other)


def test_accept_and_refuse(request_, dbsession, make_user, make_community):
    referent, first, second = make_user(), make_user(), make_user()
    community = make_community(referents=[referent])
    m1 = join_or_request(request_, first, community)
    decide(request_, m1, True, "", referent)
    assert (m1.status, m1.decided_by_id) == ("active", referent.id) and m1.decided_at is not None
    assert events(dbsession, "member_joined")[0].subject_user_id == first.id
    assert "Bienvenue dans la communauté « Quartier test »" in mails_to(dbsession, first)[-1].title
    with pytest.raises(MembershipError, match="déjà été traitée"):
        decide(request_, m1, False, "trop tard", referent)
    m2 = join_or_request(request_, second, community)
    with pytest.raises(MembershipError, match="Indiquez le motif du refus"):
        decide(request_, m2, False, "  ", referent)
    assert m2.status == "pending"
    decide(request_, m2, False, "Adresse hors du quartier", referent)
    assert (m2.status, m2.decision_reason) == ("rejected", "Adresse hors du quartier")
    refused = events(dbsession, "join_refused")[0]
    assert "Adresse" not in str(refused.data)  # the reason is for the resident only
    assert "Motif : Adresse hors du quartier" in mails_to(dbsession, second)[-1].body
    # A refused resident may ask again.
    assert join_or_request(request_, second, community).status == "pending"


def test_queues(request_, dbsession, make_user, make_community):
    referent = make_user()
    by_referent = make_community("Référent", referents=[referent], validation_mode="referent")
    orphan = make_community("Sans référent", centre=moved(SERRIS, 1000), validation_mode="referent")
    by_platform = make_community("Plateforme", centre=moved(SERRIS, 2000), validation_mode="platform")
    by_mairie = make_community("Mairie", centre=moved(SERRIS, 3000), validation_mode="mairie")
    requests = {c.name: join_or_request(request_, make_user(), c) for c in (by_referent, orphan, by_platform, by_mairie)}
    assert [e.membership for e in pending_queue(request_, "referent", by_referent)] == [requests["Référent"]]
    assert pending_queue(request_, "referent", by_platform) == []
    assert [e.community.name for e in pending_queue(request_, "mairie", by_mairie)] == ["Mairie"]
    platform = pending_queue(request_, "platform")
    assert [(e.community.name, e.for_platform) for e in platform] == [
        ("Sans référent", True), ("Plateforme", True), ("Référent", False), ("Mairie", False)]


def test_escalation_after_15_days(app, request_, dbsession, make_user, make_community):
    admin, referent = make_user(is_admin=True), make_user()
    community = make_community(referents=[referent], validation_mode="referent")
    old = join_or_request(request_, make_user(), community)
    old.requested_at = utcnow() - timedelta(days=16)
    fresh_community = make_community("Récent", centre=moved(SERRIS, 1000), referents=[make_user()])
    fresh = join_or_request(request_, make_user(), fresh_community)
    assert escalate_stale(request_) == [old.id]
    assert old.escalated_at is not None and fresh.escalated_at is None
    assert events(dbsession, "join_escalated")[0].public is False
    assert "en attente depuis 15 jours" in mails_to(dbsession, admin)[-1].title
    assert escalate_stale(request_) == []  # idempotent
    assert [e.for_platform for e in pending_queue(request_, "platform")] == [True, False]


def test_escalation_actor_runs_in_its_own_transaction(app, dbsession, make_user, make_community):
    from vvs_core.communities.membership_tasks import escalate_stale_requests
    from vvs_core.models import Membership

    user = make_user()
    community = make_community(referents=[make_user()])
    membership = Membership(user_id=user.id, community_id=community.id, status="pending",
                            requested_at=utcnow() - timedelta(days=20))
    dbsession.add(membership)
    dbsession.flush()
    assert "escalate_stale_requests" in [name for name, _a, _s in app.registry.vvs_periodic_tasks]
    escalate_stale_requests.send()
    assert run_tasks() >= 1
    dbsession.expire_all()
    assert dbsession.get(Membership, membership.id).escalated_at is not None


def test_create_community_draws_a_boundary_that_overlaps_no_one(request_, dbsession, make_user, make_community):
    neighbour = make_community("Voisine", centre=moved(SERRIS, 260), side_m=300)  # its west edge: 110 m from home
    creator = make_user(home=Point(*SERRIS), address_label="1 rue de Lagny")
    community, membership = create_community(request_, creator, "  Allée   des Lilas ", SERRIS, be_referent=False)
    assert community.name == "Allée des Lilas" and community.validation_mode == "platform"
    assert community.boundary.contains(Point(*SERRIS))
    assert geo.overlapping_community_ids(dbsession, community.boundary, exclude_id=community.id) == []
    assert geo.area_m2(community.boundary) < geo.area_m2(geo.square_around(SERRIS, 250)) + 1
    assert neighbour.id != community.id
    assert (membership.role, membership.status) == ("member", "pending")
    assert events(dbsession, "community_created")[0].community_id == community.id


def test_create_community_refused_when_no_room(request_, make_user, make_community):
    make_community("Ouest", centre=moved(SERRIS, -170), side_m=300)
    make_community("Est", centre=moved(SERRIS, 170), side_m=300)  # a 40 m gap around the home
    creator = make_user(home=Point(*SERRIS))
    with pytest.raises(MembershipError, match="Impossible de tracer une communauté"):
        create_community(request_, creator, "Entre deux", SERRIS, be_referent=True)


def test_create_community_refuses_bad_names_and_a_home_inside_a_community(request_, make_user, make_community):
    make_community("Le Bourg", centre=moved(SERRIS, 3000))
    creator = make_user(home=Point(*SERRIS))
    with pytest.raises(MembershipError, match="3 caractères au moins"):
        create_community(request_, creator, "a", SERRIS, True)
    with pytest.raises(MembershipError, match="s'appelle déjà « Le Bourg » à Serris"):
        create_community(request_, creator, "le bourg", SERRIS, True)
    make_community("Les Érables", centre=moved(SERRIS, 6000))
    with pytest.raises(MembershipError, match="s'appelle déjà « Les Érables »"):  # accents and case folded
        create_community(request_, creator, "LES  ERABLES", SERRIS, True)
    make_community("Autour", centre=SERRIS)
    with pytest.raises(MembershipError, match="Votre domicile est dans la communauté « Autour »"):
        create_community(request_, creator, "Nouveau", SERRIS, True)


# --- Hooks the core calls ---------------------------------------------------------

def test_vvs_membership_requested(app_registry, request_, make_user, make_community):
    class Spy:
        calls = []

        @hookimpl
        def vvs_membership_requested(self, request, membership):
            self.calls.append((request is request_, membership.status, membership.user_id))

    user = make_user()
    with plugged(app_registry, Spy()) as spy:
        join_or_request(request_, user, make_community())
    assert spy.calls == [(True, "pending", user.id)]


def test_vvs_membership_decided(app_registry, request_, make_user, make_community):
    class Spy:
        calls = []

        @hookimpl
        def vvs_membership_decided(self, request, membership):
            self.calls.append((membership.status, membership.decided_by_id))

    referent = make_user()
    membership = join_or_request(request_, make_user(), make_community(referents=[referent]))
    with plugged(app_registry, Spy()) as spy:
        decide(request_, membership, True, "", referent)
    assert spy.calls == [("active", referent.id)]


def test_vvs_community_created(app_registry, request_, make_user, commune):
    class Spy:
        calls = []

        @hookimpl
        def vvs_community_created(self, request, community):
            self.calls.append((community.name, community.id is not None))

    with plugged(app_registry, Spy()) as spy:
        create_community(request_, make_user(home=Point(*SERRIS)), "Les Lilas", SERRIS, True)
    assert spy.calls == [("Les Lilas", True)]


def test_vvs_membership_blockers(app_registry, request_, make_user, make_community):
    class Blocker:
        seen = []

        @hookimpl
        def vvs_membership_blockers(self, request, membership):
            self.seen.append(membership.id)
            return ["Justificatif de domicile non vérifié"]

    referent = make_user()
    membership = join_or_request(request_, make_user(), make_community(referents=[referent]))
    with plugged(app_registry, Blocker()) as blocker:
        with pytest.raises(MembershipBlocked, match="Justificatif de domicile non vérifié"):
            decide(request_, membership, True, "", referent)
        assert membership.status == "pending"
        decide(request_, membership, False, "Pas de justificatif", referent)  # refusing is never blocked
    assert blocker.seen == [membership.id]
    assert membership.status == "rejected"


def test_vvs_validation_mode_imposed(app_registry, request_, make_user, make_community):
    class Mairie:
        seen = []

        @hookimpl
        def vvs_validation_mode_imposed(self, request, community):
            self.seen.append(community.id)
            return "mairie"

    community = make_community(referents=[make_user()], validation_mode="referent")
    join_or_request(request_, make_user(), community)
    with plugged(app_registry, Mairie()) as mairie:
        assert pending_queue(request_, "referent", community) == []
        assert len(pending_queue(request_, "mairie", community)) == 1
    assert community.id in mairie.seen


def test_vvs_verification_methods(app_registry, testapp, dbsession, make_user, make_community):
    class Method:
        name, label = "proof", "Justificatif de domicile"
        description, url = "Envoyez une facture de moins de 3 mois.", "/kyc/justificatif"

        def status(self, user):
            return "none"

    class KYC:
        seen = []

        @hookimpl
        def vvs_verification_methods(self, request, user):
            self.seen.append(user.id)
            return [Method()]

    from vvs_core.models import Membership

    user = make_user()
    community = make_community(validation_mode="platform")
    dbsession.add(Membership(user_id=user.id, community_id=community.id, status="pending"))
    dbsession.flush()
    testapp.login(user)
    with plugged(app_registry, KYC()) as kyc:
        page = testapp.get("/activation")
    assert kyc.seen == [user.id]
    assert "Justificatif de domicile" in page.text and "/kyc/justificatif" in page.text
    assert "L'équipe de la plateforme vérifie votre adresse" in page.text


def test_two_deciders_at_once_make_one_decision(app, db_url, backend):
    """A référent and an administrator refuse the same request at the same moment (each with
    their own reason): the second waits for the first, then is told « déjà été traitée » — the
    resident got two refusals, and the row the last one's reason. SQLite serialises every write
    (BEGIN IMMEDIATE); on PostgreSQL the decision locks the request's row."""
    import threading
    import uuid

    import transaction
    from pyramid.scripting import prepare
    from sqlalchemy import delete, func, text

    from vvs_core.accounts.security import hash_password
    from vvs_core.geo import square_around
    from vvs_core.models import Commune, Membership, User, get_engine, get_session_factory

    if backend != "postgis":
        pytest.skip("SQLite serialises every write transaction (BEGIN IMMEDIATE): no race to lose")
    engine = get_engine(db_url, pool_size=4)
    factory = get_session_factory(engine)
    tag = uuid.uuid4().hex[:8]
    with factory() as s:
        commune = Commune(insee="97" + tag[:3], name="Concurrence", centre=square_around((2.2, 48.2), 10).centroid)
        s.add(commune)
        s.flush()
        community = Community(commune_id=commune.id, name=f"Les Deux {tag}", boundary=square_around((2.2, 48.2), 300))
        people = [User(email=f"{who}-{tag}@example.test", password_hash=hash_password("x" * 12), first_name=who,
                       is_admin=who == "admin") for who in ("résidente", "référente", "admin")]
        s.add(community)
        s.add_all(people)
        s.flush()
        request_row = Membership(user_id=people[0].id, community_id=community.id, status="pending")
        s.add_all([request_row, Membership(user_id=people[1].id, community_id=community.id, status="active",
                                           role="referent")])
        s.commit()
        ids = {"membership": request_row.id, "users": [p.id for p in people], "community": community.id,
               "commune": commune.id}

    def deciding(session):
        request = prepare(registry=app.registry)["request"]
        request.dbsession, request.tm = session, transaction.TransactionManager(explicit=True)
        request.tm.begin()
        return request

    first, second = factory(), factory()
    outcome = {}
    try:
        decide(deciding(first), first.get(Membership, ids["membership"]), False, "Adresse hors du quartier",
               first.get(User, ids["users"][1]))  # not committed yet: the row is the first's
        late = second.get(Membership, ids["membership"])
        assert late.status == "pending"  # what the second decider's page showed

        def refuse():
            try:
                decide(deciding(second), late, False, "Demande en double", second.get(User, ids["users"][2]))
                second.commit()
                outcome["second"] = "decided"
            except MembershipError as exc:
                second.rollback()
                outcome["second"] = str(exc)

        worker = threading.Thread(target=refuse)
        worker.start()
        with engine.connect() as watcher:  # the second waits for the first's lock
            assert wait_for(lambda: watcher.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")),
                            timeout=10, interval=0.01), "the second decision never waited for the first"
        first.commit()
        worker.join(10)
        assert outcome["second"] == "Cette demande a déjà été traitée.", outcome
        with factory() as s:
            row = s.get(Membership, ids["membership"])
            assert (row.status, row.decision_reason) == ("rejected", "Adresse hors du quartier")
            assert s.scalar(select(func.count()).select_from(Notification).where(
                Notification.recipient_id == ids["users"][0])) == 1
    finally:
        first.close()
        second.close()
        with factory() as s:
            s.execute(delete(Notification).where(Notification.recipient_id.in_(ids["users"])))
            s.execute(delete(CommunityEvent).where(CommunityEvent.community_id == ids["community"]))
            s.execute(delete(Membership).where(Membership.community_id == ids["community"]))
            s.execute(delete(Community).where(Community.id == ids["community"]))
            s.execute(delete(User).where(User.id.in_(ids["users"])))
            s.execute(delete(Commune).where(Commune.id == ids["commune"]))
            s.commit()
