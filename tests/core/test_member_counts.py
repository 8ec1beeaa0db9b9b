"""Who counts as a member (vvs_core.communities.members): an active membership of an open
account. The counts subtract the active memberships of closed accounts instead of reading
every member's account (issue 16); these are the cases that subtraction must get right,
on SQLite and on PostGIS."""
from sqlalchemy import select

from vvs_core.communities.members import member_count, member_count_sql, member_counts, referents_and_count
from vvs_core.models import Community, Membership
from vvs_core.testing import SERRIS


def test_counts_leave_out_pending_requests_closed_accounts_and_the_excluded(dbsession, make_user, make_community):
    referent, alice, bob, gone = make_user(), make_user(), make_user(), make_user(status="closed")
    waiting = make_user()
    community = make_community(members=[alice, bob, gone], referents=[referent])
    dbsession.add(Membership(user_id=waiting.id, community_id=community.id, status="pending"))
    empty = make_community("Vide", centre=(SERRIS[0] + 0.05, SERRIS[1]))
    only_closed = make_community("Fermée", centre=(SERRIS[0] + 0.1, SERRIS[1]), members=[make_user(status="closed")])
    dbsession.flush()

    assert member_count(dbsession, community.id) == 3  # referent, alice, bob
    assert member_count(dbsession, community.id, exclude_user_id=alice.id) == 2
    assert member_count(dbsession, community.id, exclude_user_id=gone.id) == 3  # not counted anyway
    assert member_counts(dbsession, [community.id, empty.id, only_closed.id, 999_999]) == {
        community.id: 3, empty.id: 0, only_closed.id: 0, 999_999: 0}
    assert member_counts(dbsession, []) == {}
    in_sql = dict(dbsession.execute(select(Community.id, member_count_sql(Community.id))
                                    .where(Community.id.in_([community.id, empty.id, only_closed.id]))).all())
    assert in_sql == {community.id: 3, empty.id: 0, only_closed.id: 0}
    assert referents_and_count(dbsession, community.id) == ([referent], 3)
