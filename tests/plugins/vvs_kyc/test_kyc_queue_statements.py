"""The proofs each waiting resident lacks, on a validation queue: read once for the whole
queue (``checks.queue_statuses``), whatever its length, and the same as asked one by one
(issue 16: a référent's queue of 50 requests ran 150 statements, three per request)."""
from contextlib import contextmanager

from sqlalchemy import event

from vvs_core.communities.membership import blockers, pending_queue
from vvs_core.models import Membership
from vvs_kyc.checks import forget_queue_statuses, method_status
from vvs_kyc.methods import missing_sentence
from vvs_kyc.models import KycCheck, KycCommuneRule

# (method, status) of each waiting resident's checks, oldest first.
HISTORIES = [[], [("document", "pending")], [("attestation", "passed")], [("document", "failed")],
             [("document", "passed"), ("document", "failed")], [("attestation", "passed"), ("document", "pending")]]


@contextmanager
def counted(connection):
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", count)


def queue_of(dbsession, make_user, make_community, name, histories):
    community = make_community(name, referents=[make_user()], validation_mode="referent")
    for history in histories:
        resident = make_user()
        dbsession.add(Membership(user_id=resident.id, community_id=community.id, status="pending"))
        for method, status in history:
            dbsession.add(KycCheck(user_id=resident.id, community_id=community.id, method=method, status=status))
    dbsession.flush()
    return community


def test_a_queue_reads_the_proofs_once_and_as_one_by_one(app_request, dbsession, make_user, make_community,
                                                             commune, connection):
    dbsession.add(KycCommuneRule(commune_id=commune.id, required="document attestation"))
    community = queue_of(dbsession, make_user, make_community, "Le Bourg", HISTORIES)
    bigger = queue_of(dbsession, make_user, make_community, "La Gare", HISTORIES * 4)
    pending_queue(app_request, "referent", community)  # the commune's rule, read once per request
    forget_queue_statuses(app_request)
    with counted(connection) as statements:
        entries = pending_queue(app_request, "referent", community)
    in_queue = {e.membership.user_id: e.blockers for e in entries}
    assert len(in_queue) == len(HISTORIES)
    one_by_one = {user_id: [missing_sentence(name) for name in ("document", "attestation")
                            if method_status(dbsession, user_id, name) != "passed"] for user_id in in_queue}
    assert in_queue == one_by_one
    for entry in entries:  # a decision asks for one request, outside a queue: the same
        forget_queue_statuses(app_request)
        assert blockers(app_request, entry.membership) == in_queue[entry.membership.user_id]
    assert sorted(map(tuple, in_queue.values())) == sorted([
        ("Justificatif de domicile non vérifié", "Aucune attestation d'un voisin"),
        ("Justificatif de domicile non vérifié", "Aucune attestation d'un voisin"),
        ("Justificatif de domicile non vérifié",),
        ("Justificatif de domicile non vérifié", "Aucune attestation d'un voisin"),
        ("Aucune attestation d'un voisin",),
        ("Justificatif de domicile non vérifié",)])

    forget_queue_statuses(app_request)
    with counted(connection) as more:
        assert len(pending_queue(app_request, "referent", bigger)) == 4 * len(HISTORIES)
    assert len(more) == len(statements)  # 24 requests cost what 6 did
