"""Who reaches the register of vulnerable residents: its commune's CCAS agents (second
factor passed) and nobody else — not another agent, élu or policier of the mairie, not
a platform administrator, not a CCAS agent of another commune; residents reach only
their own entries; the objection link answers only its token."""
from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import func, select

from mairie_world import chessy_with_mairie
from outsiders import sign_in_as
from vvs_core.testing import TEST_SECRET
from vvs_mairie.testing import agent_login, enrol_agent, mairie  # noqa: F401
from vvs_vulnerable.models import VulnerableEntry, VulnerableReading

CCAS_ROUTES = [("GET", "/registre-vulnerables/{insee}"), ("GET", "/registre-vulnerables/{insee}/registre.csv"),
               ("GET", "/registre-vulnerables/{insee}/registre.pdf"), ("GET", "/registre-vulnerables/{insee}/journal"),
               ("GET", "/registre-vulnerables/{insee}/fiches/{entry}"),
               ("GET", "/registre-vulnerables/{insee}/a-joindre/{listed}"),
               ("POST", "/registre-vulnerables/{insee}/fiches/{entry}/revue"),
               ("POST", "/registre-vulnerables/{insee}/fiches/{entry}/radier")]


@pytest.fixture
def entry(dbsession, mairie):  # noqa: F811
    from vvs_vulnerable.sealing import seal

    row = VulnerableEntry(commune_id=mairie.commune.id, user_id=mairie.residents[0].id,
                          created_by_id=mairie.residents[0].id, origin="self", status="active",
                          sealed=seal({"vvs.secret": TEST_SECRET}, {"name": "Marcelle", "situations": ["age65"]}),
                          objection_token_hash=None)
    dbsession.add(row)
    dbsession.flush()
    # a list of people to reach first (a roll-call, a crisis), with the same id as the entry
    from vvs_vulnerable.models import VulnerablePriorityList

    dbsession.add(VulnerablePriorityList(id=row.id, commune_id=mairie.commune.id, reason="Appel", entry_ids=[row.id]))
    dbsession.flush()
    return row


def _codes(testapp, insee, entry_id):
    out = {}
    for method, route in CCAS_ROUTES:
        url = route.format(insee=insee, entry=entry_id, listed=entry_id)
        if method == "GET":
            out[url] = testapp.get(url, expect_errors=True).status_int
        else:
            out["POST " + url] = testapp.post_csrf(url, {}, expect_errors=True).status_int
    return out


def _sign_in_agent(testapp, dbsession, make_user, commune, role):
    user = make_user()
    _agent, secret = enrol_agent(dbsession, TEST_SECRET, user, commune, role=role)
    testapp.login(user)
    testapp.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(secret).now()}, status=303)
    return user


def test_the_ccas_of_the_commune_reads_it(testapp, dbsession, make_user, mairie, entry):  # noqa: F811
    _sign_in_agent(testapp, dbsession, make_user, mairie.commune, "ccas")
    codes = _codes(testapp, "77449", entry.id)
    assert all(code in (200, 303) for code in codes.values()), codes
    testapp.get("/registre-vulnerables/99999", status=404)
    testapp.get("/registre-vulnerables/77449/fiches/999999", status=404)
    assert dbsession.scalar(select(func.count(VulnerableReading.id))) >= 5


@pytest.mark.parametrize("who", ["anonymous", "resident", "referent", "moderator", "admin", "agent", "elu", "police",
                                 "ccas-without-second-factor", "ccas-of-another-commune"])
def test_nobody_else_reads_it(testapp, dbsession, make_user, mairie, entry, who):  # noqa: F811
    if who in ("agent", "elu", "police"):
        _sign_in_agent(testapp, dbsession, make_user, mairie.commune, who)
    elif who == "ccas-without-second-factor":
        user = make_user()
        enrol_agent(dbsession, TEST_SECRET, user, mairie.commune, role="ccas")
        testapp.login(user)
    elif who == "ccas-of-another-commune":
        chessy = chessy_with_mairie(dbsession)
        _sign_in_agent(testapp, dbsession, make_user, chessy, "ccas")
        testapp.get("/registre-vulnerables/77111", status=200)
        testapp.get(f"/registre-vulnerables/77111/fiches/{entry.id}", status=404)
    else:
        sign_in_as(testapp, who, dbsession, make_user, mairie)
    codes = set(_codes(testapp, "77449", entry.id).values())
    assert codes <= {403, 302, 303} and 200 not in codes, codes
    dbsession.expire_all()
    assert dbsession.get(VulnerableEntry, entry.id).status == "active"
    assert dbsession.scalar(select(func.count(VulnerableReading.id)).where(
        VulnerableReading.commune_id == mairie.commune.id)) == 0


@pytest.mark.parametrize("who", ["anonymous", "resident", "owner", "non-member"])
def test_residents_reach_their_own_entries_only(testapp, dbsession, make_user, mairie, entry, who):  # noqa: F811
    pages = ["/registre-vulnerables/inscription", "/registre-vulnerables/mes-inscriptions"]
    withdraw = f"/registre-vulnerables/mes-inscriptions/{entry.id}/retirer"
    if who == "anonymous":
        assert {testapp.get(p, expect_errors=True).status_int for p in pages} <= {302, 303, 403}
        assert testapp.post_csrf(withdraw, {}, expect_errors=True).status_int in (302, 303, 403)
    elif who == "non-member":
        testapp.login(make_user())
        assert {testapp.get(p, expect_errors=True).status_int for p in pages} <= {302, 303, 403}
    else:
        testapp.login(mairie.residents[0] if who == "owner" else mairie.residents[1])
        assert testapp.get(pages[0]).status_int == 200 and testapp.get(pages[1]).status_int == 200
        expected = 303 if who == "owner" else 404
        testapp.post_csrf(withdraw, {"__formid__": "confirmation"}, status=expected)  # confirmed
    dbsession.expire_all()
    assert (dbsession.get(VulnerableEntry, entry.id).status == "withdrawn") == (who == "owner")


def test_the_objection_link_answers_only_its_token(testapp, dbsession, mairie, entry):  # noqa: F811
    for token in ("x", "y" * 200, "%00", "' OR 1=1 --"):
        # a NUL character is a French 400 before any view (vvs_core.web.errorpages, 0d4417d)
        expected = 400 if token == "%00" else 404
        assert testapp.get("/registre-vulnerables/opposition/" + token, expect_errors=True).status_int == expected
        assert testapp.post_csrf("/registre-vulnerables/opposition/" + token, {}, expect_errors=True).status_int in (400, 404)
    dbsession.expire_all()
    assert dbsession.get(VulnerableEntry, entry.id).status == "active"


def test_an_agent_refused_the_register_is_not_told_to_join_a_community(testapp, dbsession, make_user, mairie,
                                                                      entry):  # noqa: F811
    """The 403 page of a town hall's agent says the page is refused, not that they have
    « Pas encore de communauté » (the page of residents waiting for a community)."""
    _sign_in_agent(testapp, dbsession, make_user, mairie.commune, "police")
    page = testapp.get("/registre-vulnerables/77449", status=403).text
    assert "Pas encore de communauté" not in page and "communauté" not in page.split("<main", 1)[-1].split("</main>")[0]
