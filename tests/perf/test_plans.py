"""The hot statements use an index on PostgreSQL (issue 16 item 2): with tens of thousands
of rows loaded and ANALYZEd (``enable_seqscan`` left on, as in production), ``EXPLAIN``
of each statement — built by the code that runs it — shows no sequential scan of a large
table: log-in by e-mail, members of a community by status, the member counts and new members of a
commune's communities, a page of a community's directory (searched or not), the menu's counts of a
référent (unread messages), a community's history, the commune and the community of
a home, the sweeper's stale and due notifications, a receipt's notification, a commune's alerts.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from shapely.geometry import Point, box

from vvs_core import geo
from vvs_core.clock import utcnow
from vvs_core.models import Commune, Community, CommunityEvent, Membership, Notification, User

from migrated_db import rolled_back

pytestmark = [pytest.mark.postgis, pytest.mark.slow]

USERS = 40_000
COMMUNES = 700
COMMUNITIES = 2_000
NOTIFICATIONS = 60_000
LARGE = {"users", "memberships", "community_events", "notifications", "communes", "communities", "alerts",
         "alert_reports", "gazette_reports", "msg_reports"}
REPORTS = 30_000  # of each kind, one in 500 still open (the moderators decide the others)
ORIGIN = (2.0, 46.0)


def _load(conn) -> dict:
    from vvs_alerts.models import Alert

    now = utcnow()
    conn.execute(sa.insert(Commune), [
        dict(insee=f"{10000 + n}", name=f"Commune n°{n}", postcodes=[], created_at=now,
             centre=Point(ORIGIN[0] + (n % 30) * 0.1 + 0.05, ORIGIN[1] + (n // 30) * 0.1 + 0.05),
             boundary=box(ORIGIN[0] + (n % 30) * 0.1, ORIGIN[1] + (n // 30) * 0.1,
                          ORIGIN[0] + (n % 30) * 0.1 + 0.1, ORIGIN[1] + (n // 30) * 0.1 + 0.1))
        for n in range(COMMUNES)])
    commune_ids = list(conn.scalars(sa.select(Commune.id).where(Commune.insee.between("10000", "10699"))
                                    .order_by(Commune.id)))
    conn.execute(sa.insert(Community), [
        dict(commune_id=commune_ids[n % COMMUNES], name=f"Quartier n°{n}", description="", address_label="",
             validation_mode="referent", created_at=now, boundary_changed_at=now,
             boundary=geo.square_around((ORIGIN[0] + (n % 40) * 0.01, ORIGIN[1] + 3 + (n // 40) * 0.01), 300))
        for n in range(COMMUNITIES)])
    community_ids = list(conn.scalars(sa.select(Community.id).where(Community.name.like("Quartier n°%"))
                                      .order_by(Community.id)))
    conn.execute(sa.insert(User), [
        dict(email=f"Voisin.{n}@Plans.test", first_name="Élise", last_name=f"Nº{n}", pseudonym=f"v{n}",
             created_at=now) for n in range(USERS)])
    user_ids = list(conn.scalars(sa.select(User.id).where(User.email.like("%@Plans.test")).order_by(User.id)))
    conn.execute(sa.insert(Membership), [
        dict(user_id=uid, community_id=community_ids[n % COMMUNITIES], role="member",
             status="pending" if n % 20 == 0 else "active", requested_at=now - timedelta(minutes=n))
        for n, uid in enumerate(user_ids)])
    conn.execute(sa.insert(CommunityEvent), [
        dict(community_id=community_ids[n % COMMUNITIES], actor_id=uid, subject_user_id=uid, kind="member_joined",
             data={}, public=True, created_at=now - timedelta(minutes=n)) for n, uid in enumerate(user_ids)])
    conn.execute(sa.insert(Notification), [
        dict(dedupe_key=f"plans-{n}", kind="alert", subject_type="alert", subject_id=n // 100,
             recipient_id=user_ids[n % USERS], channel="email", address="x@plans.test", title="", body="",
             status=("sending" if n % 1000 == 0 else "pending" if n % 100 == 1 else "sent"), attempts=1,
             provider="" if n % 100 == 1 else "null", provider_ref=None if n % 100 == 1 else f"null-plans-{n}",
             last_error="", created_at=now, next_attempt_at=now - timedelta(seconds=n),
             claimed_at=None if n % 100 == 1 else now - timedelta(seconds=n))
        for n in range(NOTIFICATIONS)])
    conn.execute(sa.insert(Alert), [
        dict(community_id=community_ids[n % COMMUNITIES], commune_id=commune_ids[n % COMMUNES],
             author_id=user_ids[n], category="cambriolage", text="Fenêtre forcée", severity="moderate",
             created_at=now - timedelta(hours=n), published_at=now - timedelta(hours=n),
             expires_at=now - timedelta(hours=n - 48), status="held" if n % 4000 == 7 else "published",
             idempotency_key=f"plans-{n}",
             source="web") for n in range(20_000)])
    _load_reports(conn, now, community_ids[0], user_ids[0])
    for table in LARGE | {"alert_reports"}:  # statistics as production has them (never-analysed tables look large)
        conn.exec_driver_sql(f"ANALYZE {table}")
    return {"commune_id": commune_ids[7], "community_id": community_ids[11], "email": "voisin.123@plans.test",
            "point": (ORIGIN[0] + 0.55, ORIGIN[1] + 0.25), "home": (ORIGIN[0] + 0.1005, ORIGIN[1] + 3.0005),
            "now": now, "user_id": user_ids[11]}


def _load_reports(conn, now, community_id: int, user_id: int) -> None:
    """Years of reports of alerts, gazette posts and messages, nearly all decided."""
    from vvs_alerts.models import Alert, AlertReport
    from vvs_gazette.models import GazettePost, GazetteReport
    from vvs_messaging.models import Conversation, Message, MessageReport

    alert_ids = list(conn.scalars(sa.select(Alert.id).where(Alert.idempotency_key.like("plans-%")).order_by(Alert.id)))
    post_id = conn.execute(sa.insert(GazettePost).returning(GazettePost.id), dict(
        community_id=community_id, author_id=user_id, category="annonce", title="Vélo à donner", text="Très bon état",
        created_at=now)).scalar()
    conversation_id = conn.execute(sa.insert(Conversation).returning(Conversation.id), dict(
        subject="Fête des voisins", created_by_id=user_id, created_at=now, last_message_at=now)).scalar()
    message_id = conn.execute(sa.insert(Message).returning(Message.id), dict(
        conversation_id=conversation_id, sender_id=user_id, text="Bonjour 👋", created_at=now)).scalar()
    reported = [dict(reporter_id=user_id, reason="Propos déplacés « vraiment »", created_at=now - timedelta(minutes=n))
                for n in range(REPORTS)]
    conn.execute(sa.insert(AlertReport), [dict(row, alert_id=alert_ids[n % len(alert_ids)], handled=n % 500 != 3)
                                          for n, row in enumerate(reported)])
    conn.execute(sa.insert(GazetteReport), [dict(row, community_id=community_id, post_id=post_id,
                                                 resolved_at=None if n % 500 == 3 else now)
                                            for n, row in enumerate(reported)])
    conn.execute(sa.insert(MessageReport), [dict(row, message_id=message_id, resolved_at=None if n % 500 == 3 else now)
                                            for n, row in enumerate(reported)])


@pytest.fixture(scope="module")
def plan_of(tmp_path_factory):
    with rolled_back(tmp_path_factory) as (_url, _engine, conn):
        data = _load(conn)

        def explain(statement, params=None) -> dict:
            bound = statement.params(**params) if params else statement
            compiled = bound.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
            row = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar()
            return (json.loads(row) if isinstance(row, str) else row)[0]["Plan"]

        yield explain, data


def scans(plan) -> list[tuple[str, str]]:
    """(node type, table) of every scan in the plan."""
    out = []
    if "Relation Name" in plan:
        out.append((plan["Node Type"], plan["Relation Name"]))
    for child in plan.get("Plans", []):
        out += scans(child)
    return out


def directory_page_read(statement):
    """The statement ``web.pagination.paginate`` runs for the second page of 40."""
    return statement.add_columns(sa.func.count().over()).limit(40).offset(40)


def hot_statements(data):
    from types import SimpleNamespace

    from vvs_alerts.models import Alert
    from vvs_alerts.moderation import queue_size_sql, queue_statements
    from vvs_directory.directory import page_statement
    from vvs_messaging.conversations import unread_total_sql
    from vvs_mairie.dashboard import new_members_read

    from vvs_core.communities.members import member_count_sql
    from vvs_core.communities.views import events_query

    point = {"lon": data["point"][0], "lat": data["point"][1]}
    home = {"lon": data["home"][0], "lat": data["home"][1]}
    community_id, now = data["community_id"], data["now"]
    viewer = SimpleNamespace(id=data["user_id"])
    return {
        "login by e-mail": (sa.select(User).where(sa.func.lower(User.email) == data["email"]), None),
        "members of a community": (sa.select(sa.func.count(Membership.id)).where(
            Membership.community_id == community_id, Membership.status == "active"), None),
        "member counts of a commune's communities": (sa.select(Community.id, member_count_sql(Community.id)).where(
            Community.commune_id == data["commune_id"]), None),
        "a commune's new members of the last weeks": (new_members_read(data["commune_id"], now - timedelta(weeks=12)),
                                                       None),
        "a page of a community's directory": (directory_page_read(page_statement(community_id)), None),
        "a page of a directory searched": (directory_page_read(page_statement(community_id, "Élise n°1")), None),
        "a member's unread messages": (sa.select(unread_total_sql(data["user_id"])), None),
        "pending requests, oldest first": (sa.select(Membership).where(
            Membership.community_id == community_id, Membership.status == "pending")
            .order_by(Membership.requested_at), None),
        "a community's history": (events_query(community_id, False).limit(20), None),
        "the commune of a home": (geo._COMMUNE_COVERS_SQL, point),
        "the community of a home": (geo._CONTAINS_SQL, home),
        "stale claimed notifications": (sa.select(Notification.id).where(
            Notification.status == "sending", Notification.claimed_at < now - timedelta(minutes=10))
            .order_by(Notification.claimed_at).limit(500), None),
        "pending notifications due for longest": (sa.select(Notification.id).where(
            Notification.status == "pending", Notification.next_attempt_at <= now - timedelta(minutes=10))
            .order_by(Notification.next_attempt_at).limit(500), None),
        "a receipt's notification": (sa.select(Notification.id).where(
            Notification.provider == "null", Notification.provider_ref == "null-plans-4242"), None),
        "a commune's recent alerts": (sa.select(Alert).where(
            Alert.commune_id == data["commune_id"], Alert.created_at >= now - timedelta(days=30),
            Alert.status.in_(("published", "expired"))).order_by(Alert.created_at.desc(), Alert.id.desc())
            .limit(500), None),
        # on every page of a référent or a moderator: the badge of « Alertes à modérer »
        "the alerts a référent may moderate": (sa.select(queue_size_sql(viewer, {"role:referent"})), None),
        "the alerts a moderator may moderate": (sa.select(queue_size_sql(viewer, {"role:moderator"})), None),
        "the moderators' held alerts, oldest first": (queue_statements(viewer, {"role:moderator"})["held"].limit(20),
                                                       None),
    }


def test_the_hot_statements_use_indexes(plan_of):
    explain, data = plan_of
    found = {}
    for name, (statement, params) in hot_statements(data).items():
        found[name] = [(node, table) for node, table in scans(explain(statement, params))
                       if node == "Seq Scan" and table in LARGE]
    assert {name: seq for name, seq in found.items() if seq} == {}


def test_login_uses_the_lower_email_index(plan_of):
    """The statement log-in really runs (``find_user_by_email``) reads ix_users_email_lower."""
    explain, data = plan_of
    plan = json.dumps(explain(sa.select(User).where(sa.func.lower(User.email) == data["email"])))
    assert "ix_users_email_lower" in plan


def test_the_outbox_reads_its_partial_indexes(plan_of):
    """Each statement of the outbox reads the partial index made for it (migration 0015):
    the claim's and the sweeper's due rows, a receipt by reference, the latest claim."""
    explain, data = plan_of
    statements = hot_statements(data)
    indexes = {name: json.dumps(explain(statements[name][0])) for name in (
        "pending notifications due for longest", "a receipt's notification", "stale claimed notifications")}
    assert "ix_notifications_pending_due" in indexes["pending notifications due for longest"]
    assert "ix_notifications_provider_ref" in indexes["a receipt's notification"]
    assert "ix_notifications_status_claimed" in indexes["stale claimed notifications"]
    latest = json.dumps(explain(sa.select(*[  # outbox_stalled's
        sa.select(sa.func.max(Notification.claimed_at)).where(Notification.status == status).scalar_subquery()
        for status in ("sending", "sent", "delivered", "failed")])))
    assert "ix_notifications_status_claimed" in latest and "Seq Scan" not in latest


def test_member_counts_read_no_member_account(plan_of):
    """A member count reads the accounts through ``ix_users_closed`` only (the closed ones,
    a handful), not one account per member (migration 0016)."""
    from vvs_core.communities.members import member_count_sql

    explain, data = plan_of

    def nodes(plan):
        yield plan
        for child in plan.get("Plans", []):
            yield from nodes(child)

    plan = explain(sa.select(Community.id, member_count_sql(Community.id)).where(Community.commune_id == data["commune_id"]))
    on_users = [(node["Node Type"], node.get("Index Name")) for node in nodes(plan) if node.get("Relation Name") == "users"]
    assert on_users and {index for _node, index in on_users} == {"ix_users_closed"}, on_users


def test_a_communes_new_members_are_read_by_decision_date(plan_of):
    """The mairie's chart and monthly report read the commune's new members community by
    community in ix_memberships_community_status_decided (migration 0017)."""
    from vvs_mairie.dashboard import new_members_read

    explain, data = plan_of
    plan = json.dumps(explain(new_members_read(data["commune_id"], data["now"] - timedelta(weeks=12))))
    assert "ix_memberships_community_status_decided" in plan


def test_a_directory_page_reads_each_member_by_key(plan_of):
    """A page of the directory looks each member's account up by its key, for its names
    folded and stored (``users.last_name_key``, migration 0018): no name is folded while the
    page is read (no ``translate``), and the users table is never scanned."""
    from vvs_directory.directory import page_statement

    explain, data = plan_of
    plan = json.dumps(explain(directory_page_read(page_statement(data["community_id"]))))
    assert "translate" not in plan and "lower(" not in plan
    assert not [table for node, table in scans(json.loads(plan)) if table == "users" and node == "Seq Scan"]


def test_the_moderators_badges_read_the_open_reports_index(plan_of):
    """The badges of « Messages signalés », « Annonces signalées » and « Alertes à modérer »,
    on every page of a moderator, count the open reports in a partial index that holds only
    those (a handful among years of decided ones): no report table is scanned."""
    from vvs_alerts.moderation import queue_size_sql
    from vvs_gazette.moderation import open_reports_count_sql as gazette_badge
    from vvs_messaging.reports import open_reports_count_sql as messages_badge
    from types import SimpleNamespace

    explain, data = plan_of
    moderator = SimpleNamespace(id=data["user_id"])
    plans = {"alerts": json.dumps(explain(sa.select(queue_size_sql(moderator, {"role:moderator"})))),
             "gazette": json.dumps(explain(sa.select(gazette_badge()))),
             "messages": json.dumps(explain(sa.select(messages_badge())))}
    assert "ix_alert_reports_open" in plans["alerts"]
    assert "ix_gazette_reports_open" in plans["gazette"]
    assert "ix_msg_reports_open" in plans["messages"]
    assert {name: [scan for scan in scans(json.loads(plan)) if scan[0] == "Seq Scan" and scan[1].endswith("reports")]
            for name, plan in plans.items()} == {"alerts": [], "gazette": [], "messages": []}
