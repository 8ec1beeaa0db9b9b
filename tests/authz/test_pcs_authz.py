"""Who reaches the Plan communal de sauvegarde: the commune's agents with their second
factor, nobody else (residents, référents, staff, an agent without second factor, the
agents of another commune), route by route."""
from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import func, select

from mairie_world import chessy_with_mairie
from outsiders import sign_in_as
from vvs_core.testing import TEST_SECRET
from vvs_mairie.testing import agent_login, enrol_agent, mairie  # noqa: F401
from vvs_pcs.models import PcsCellMember, PcsCrisis, PcsLogEntry, PcsTemplate

ROUTES = [("GET", "/pcs/{insee}"), ("POST", "/pcs/{insee}/activer"),
          ("GET", "/pcs/{insee}/cellule"), ("POST", "/pcs/{insee}/cellule"),
          ("POST", "/pcs/{insee}/cellule/{member}/retirer"),
          ("GET", "/pcs/{insee}/messages"), ("POST", "/pcs/{insee}/messages"),
          ("POST", "/pcs/{insee}/messages/{template}/retirer"),
          ("GET", "/pcs/{insee}/crises/{crisis}"), ("POST", "/pcs/{insee}/crises/{crisis}/message"),
          ("POST", "/pcs/{insee}/crises/{crisis}/note"), ("POST", "/pcs/{insee}/crises/{crisis}/fin"),
          ("GET", "/pcs/{insee}/crises/{crisis}/main-courante.pdf")]


@pytest.fixture
def rows(dbsession, mairie):  # noqa: F811
    commune_id = mairie.commune.id
    member = PcsCellMember(commune_id=commune_id, name="Maire", function="", phone="+33639980101", email="")
    template = PcsTemplate(commune_id=commune_id, title="Restez chez vous", body="Fenêtres fermées.")
    crisis = PcsCrisis(commune_id=commune_id, title="Crue", exercise=False, alert_ids=[])
    dbsession.add_all([member, template, crisis])
    dbsession.flush()
    return {"member": member.id, "template": template.id, "crisis": crisis.id}


def _codes(testapp, insee, ids):
    out = {}
    for method, route in ROUTES:
        url = route.format(insee=insee, **ids)
        if method == "GET":
            out[url] = testapp.get(url, expect_errors=True).status_int
        else:  # an empty form: refused (400) or nothing to do (303); the removals do remove
            out["POST " + url] = testapp.post_csrf(url, {}, expect_errors=True).status_int
    return out


def test_agent_reaches_the_plan_of_own_commune(testapp, mairie, agent_login, rows):  # noqa: F811
    agent_login(testapp, mairie)
    codes = _codes(testapp, "77449", rows)
    assert codes["/pcs/77449"] == 200 and codes[f"/pcs/77449/crises/{rows['crisis']}"] == 200
    assert codes[f"/pcs/77449/crises/{rows['crisis']}/main-courante.pdf"] == 200
    assert all(code in (200, 303, 400) for code in codes.values()), codes
    testapp.get("/pcs/99999", status=404)
    testapp.get("/pcs/77449/crises/9999999", status=404)


def test_agent_of_another_commune_reaches_nothing(testapp, dbsession, make_user, mairie, rows):  # noqa: F811
    chessy = chessy_with_mairie(dbsession)
    other = make_user()
    _agent, secret = enrol_agent(dbsession, TEST_SECRET, other, chessy)
    testapp.login(other)
    testapp.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(secret).now()}, status=303)
    assert set(_codes(testapp, "77449", rows).values()) == {403}
    # Its own commune's plan, yes; Serris' crisis, cell member or message through Chessy's address, no.
    testapp.get("/pcs/77111", status=200)
    testapp.get(f"/pcs/77111/crises/{rows['crisis']}", status=404)
    testapp.get(f"/pcs/77111/crises/{rows['crisis']}/main-courante.pdf", status=404)
    testapp.post_csrf(f"/pcs/77111/cellule/{rows['member']}/retirer", {}, status=404)
    testapp.post_csrf(f"/pcs/77111/messages/{rows['template']}/retirer", {}, status=404)
    testapp.post_csrf(f"/pcs/77111/crises/{rows['crisis']}/fin", {"end": "Fin"}, status=404)
    assert dbsession.get(PcsCrisis, rows["crisis"]).ended_at is None


@pytest.mark.parametrize("who", ["anonymous", "agent-without-second-factor", "resident", "referent", "moderator",
                                 "admin"])
def test_nobody_else_reaches_the_plan(testapp, dbsession, make_user, mairie, rows, who):  # noqa: F811
    sign_in_as(testapp, who, dbsession, make_user, mairie)
    codes = set(_codes(testapp, "77449", rows).values())
    assert codes <= {403, 302, 303} and 200 not in codes, codes
    dbsession.expire_all()
    assert dbsession.get(PcsCellMember, rows["member"]) is not None
    assert dbsession.get(PcsTemplate, rows["template"]) is not None
    assert dbsession.scalar(select(func.count(PcsLogEntry.id))) == 0
