"""Fixtures of the roll-call tests: a commune with its mairie (an agent, a CCAS agent, a
police agent), a référent, and an SMS provider whose inbound SMS come through the core's
provider callbacks (as OVH's do)."""
from __future__ import annotations

import pytest
from vvs_core.models import Membership
from vvs_core.testing import TEST_SECRET
from vvs_mairie.testing import agent_login, enrol_agent, mairie  # noqa: F401

from rollcall_helpers import NAME, TOKEN  # noqa: E402
from sms_callbacks import json_callback_sms  # noqa: E402


@pytest.fixture
def sms_callbacks(app):
    with json_callback_sms(app.registry, NAME, TOKEN) as provider:
        yield provider


@pytest.fixture
def staff(dbsession, mairie, make_user):
    """A CCAS agent and a police agent besides the mairie's agent, and Claire, référente
    of the community (who lives there too)."""
    ccas = make_user(first_name="Camille", last_name="Social", mobile="+33611110001")
    police = make_user(first_name="Paul", last_name="Garde", mobile="+33611110002")
    enrol_agent(dbsession, TEST_SECRET, ccas, mairie.commune, role="ccas")
    enrol_agent(dbsession, TEST_SECRET, police, mairie.commune, role="police")
    referent = make_user(first_name="Claire", last_name="Dubois", address_label="1 place de l’Église")
    dbsession.add(Membership(user_id=referent.id, community_id=mairie.community.id, status="active", role="referent"))
    dbsession.flush()
    return {"ccas": ccas, "police": police, "referent": referent}


