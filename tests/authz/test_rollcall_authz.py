"""Who reaches the roll-call's pages: the commune's agents (second factor passed); a
référent only for their community and only when the commune allows it; the one-tap link
anyone holding it; « Mes appels » every signed-in resident (their own roll-calls only)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from mairie_world import chessy_with_mairie
from outsiders import sign_in_as
from vvs_core.models import Membership
from vvs_core.testing import VVSTestApp
from vvs_mairie.testing import agent_login, mairie  # noqa: F401
from vvs_rollcall.models import RollCall, RollCallPerson, RollCallSettings
from vvs_rollcall.tokens import answer_token
from vvs_core.testing import TEST_SECRET

INSEE = "77449"


@pytest.fixture
def rollcall(dbsession, mairie):
    from vvs_core.clock import utcnow

    call = RollCall(commune_id=mairie.commune.id, author_id=mairie.agent_user.id, launched_as="mairie",
                    target="commune", community_ids=[], message="", exercise=False, waves=[], waves_done=0,
                    status="open", created_at=utcnow())
    dbsession.add(call)
    dbsession.flush()
    person = RollCallPerson(rollcall_id=call.id, user_id=mairie.residents[0].id, community_id=mairie.community.id,
                            note="", escalations=0)
    dbsession.add(person)
    dbsession.flush()
    return call, person


def urls(rollcall_id, person_id):
    call = f"/securite/{INSEE}/appels/{rollcall_id}"
    get = {"rollcall_index": f"/securite/{INSEE}", "rollcall_new": f"/securite/{INSEE}/nouvel-appel",
           "rollcall_settings": f"/securite/{INSEE}/reglages", "rollcall_live": call,
           "rollcall_state": call + "/etat.json", "rollcall_summary": call + "/bilan",
           "rollcall_summary_csv": call + "/bilan.csv", "rollcall_summary_pdf": call + "/bilan.pdf"}
    post = {"rollcall_new": f"/securite/{INSEE}/nouvel-appel", "rollcall_settings": f"/securite/{INSEE}/reglages",
            "rollcall_mark": call + f"/personnes/{person_id}", "rollcall_close": call + "/cloturer"}
    return get, post


def codes(testapp, rollcall, person):
    get, post = urls(rollcall.id, person.id)
    out = {f"GET {name}": testapp.get(url, expect_errors=True).status_int for name, url in get.items()}
    out.update({f"POST {name}": testapp.post_csrf(url, {}, expect_errors=True).status_int for name, url in post.items()})
    return out


def test_an_agent_reaches_every_page(testapp, mairie, agent_login, rollcall):
    agent_login(testapp, mairie)
    found = codes(testapp, *rollcall)
    # 400: empty forms; 303: the summary of an open roll-call goes to the live page; 404: its CSV before closing
    assert found == {"GET rollcall_index": 200, "GET rollcall_new": 200, "GET rollcall_settings": 200,
                     "GET rollcall_live": 200, "GET rollcall_state": 200, "GET rollcall_summary": 303,
                     "GET rollcall_summary_csv": 404, "GET rollcall_summary_pdf": 404, "POST rollcall_new": 400, "POST rollcall_settings": 303,
                     "POST rollcall_mark": 303, "POST rollcall_close": 303}
    testapp.get("/securite/99999", status=404)
    testapp.get("/securite/<script>", status=404)
    testapp.get(f"/securite/{INSEE}/appels/999999", status=404)


def test_an_agent_without_second_factor_reaches_nothing(testapp, mairie, rollcall):
    testapp.login(mairie.agent_user)
    assert set(codes(testapp, *rollcall).values()) == {403}


@pytest.mark.parametrize("who", ["resident", "pending", "referent", "moderator", "admin"])
def test_residents_and_staff_reach_no_mairie_page(testapp, dbsession, mairie, make_user, rollcall, who):
    sign_in_as(testapp, who, dbsession, make_user, mairie)
    assert set(codes(testapp, *rollcall).values()) == {403}
    testapp.get("/securite/mes-appels", status=200)


def test_a_referent_launches_for_their_community_once_the_commune_allows_it(testapp, dbsession, mairie, make_user,
                                                                            make_community, rollcall):
    referent = make_user()
    dbsession.add(Membership(user_id=referent.id, community_id=mairie.community.id, status="active", role="referent"))
    other = make_community("Val d’Europe", centre=(2.80, 48.86), members=[make_user()])
    dbsession.add(RollCallSettings(commune_id=mairie.commune.id, waves=[{"minutes": 5, "to": ["ccas"]}],
                                   referents_may_launch=True))
    dbsession.flush()
    testapp.login(referent)
    tools = testapp.get(f"/communaute/{mairie.community.id}/referent", status=200)
    assert f"/securite/{INSEE}/nouvel-appel?communaute={mairie.community.id}" in tools.text
    testapp.get(f"/securite/{INSEE}", status=200)
    form = testapp.get(f"/securite/{INSEE}/nouvel-appel", status=200)
    assert "Val d’Europe" not in form.text and "Le Bourg" in form.text
    testapp.get(f"/securite/{INSEE}/reglages", status=403)
    # the mairie's roll-call stays the mairie's
    assert testapp.get(f"/securite/{INSEE}/appels/{rollcall[0].id}", expect_errors=True).status_int == 403
    # another community: refused, nothing created
    testapp.post_csrf(f"/securite/{INSEE}/nouvel-appel", {"communities": str(other.id), "confirm": "1"}, status=400)
    answer = testapp.post_csrf(f"/securite/{INSEE}/nouvel-appel", {"communities": str(mairie.community.id),
                                                                   "target": "commune", "confirm": "1"}, status=303)
    mine = dbsession.scalars(select(RollCall).where(RollCall.launched_as == "referent")).one()
    assert mine.community_ids == [mairie.community.id] and mine.target == "communities"
    live = testapp.get(answer.location, status=200)
    assert "Le Bourg" in live.text
    # the commune withdraws the right: launching is refused, following their own roll-call stays
    dbsession.scalar(select(RollCallSettings)).referents_may_launch = False
    dbsession.flush()
    testapp.get(f"/securite/{INSEE}/nouvel-appel", status=403)
    testapp.get(answer.location, status=200)
    assert "/nouvel-appel" not in testapp.get(f"/communaute/{mairie.community.id}/referent").text


def test_the_answer_link_is_for_anyone_holding_it_and_mes_appels_for_the_signed_in(testapp, app, mairie, rollcall):
    _call, person = rollcall
    anonymous = VVSTestApp(app)
    anonymous.get(f"/securite/r/{answer_token({'vvs.secret': TEST_SECRET}, person.id)}", status=200)
    anonymous.get("/securite/r/1-forged", status=404)
    page = anonymous.post("/securite/r/1-forged", {}, expect_errors=True)
    assert page.status_int in (400, 404)
    assert "/connexion" in anonymous.get("/securite/mes-appels", status=302).location
    for url in (f"/securite/{INSEE}", f"/securite/{INSEE}/appels/{_call.id}"):
        assert "/connexion" in anonymous.get(url, status=302).location
    # another resident posting someone else's person id: refused
    testapp.login(mairie.residents[1])
    refused = testapp.post_csrf("/securite/mes-appels", {"person": str(person.id), "answer": "help"}, status=400)
    assert "ne vous concerne pas" in refused.text


def test_the_summary_pdf_is_for_the_communes_agents_only(testapp, app, dbsession, mairie, agent_login, make_user,
                                                         rollcall):
    """Closed: the commune's agents download the PDF; the référent who launched a roll-call
    follows it but gets no PDF; an agent of another commune, residents and staff get 403."""
    from vvs_mairie.testing import enrol_agent

    call, _person = rollcall
    url = f"/securite/{INSEE}/appels/{call.id}/bilan.pdf"
    agent_login(testapp, mairie)
    testapp.post_csrf(f"/securite/{INSEE}/appels/{call.id}/cloturer", {}, status=303)
    pdf = testapp.get(url, status=200)
    assert pdf.content_type == "application/pdf" and pdf.body.startswith(b"%PDF")

    referent = make_user()
    dbsession.add(Membership(user_id=referent.id, community_id=mairie.community.id, status="active", role="referent"))
    call.launched_as, call.community_ids = "referent", [mairie.community.id]
    dbsession.flush()
    other = VVSTestApp(app)
    other.login(referent)
    other.get(f"/securite/{INSEE}/appels/{call.id}/bilan", status=200)
    other.get(url, status=403)

    chessy = chessy_with_mairie(dbsession)
    import pyotp

    from vvs_core.clock import timestamp

    stranger = make_user()
    _agent, secret = enrol_agent(dbsession, TEST_SECRET, stranger, chessy)
    foreign = VVSTestApp(app)
    foreign.login(stranger)
    foreign.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(secret).at(timestamp())}, status=303)
    foreign.get(url, status=403)
    foreign.get(f"/securite/77111/appels/{call.id}/bilan.pdf", status=404)
