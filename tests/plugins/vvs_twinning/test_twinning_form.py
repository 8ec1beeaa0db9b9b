"""The twinning proposal read through ``vvs_core.web.forms`` (issue 14): hostile input
(empty, 20,000 characters, 30 digits, a number beyond PostgreSQL's INTEGER, a negative
number, « ² », emoji, a file) answers in French, proposes nothing, never a 500."""
from __future__ import annotations

import sqlalchemy as sa

from vvs_twinning.models import Twinning

from test_twinning import base, world  # noqa: F401


def test_hostile_proposals_propose_nothing(testapp, world, dbsession):
    a = world["a"]
    testapp.login(world["ref_a"])
    for raw in ("", "é" * 20000, "9" * 30, "99999999999", "-1", "²", "１", "🏘", "« 2 »"):
        page = testapp.post_csrf(base(a) + "/proposer", {"community": raw}, status=400)
        assert "Choisissez une communauté voisine dans la liste." in page.text, raw
    page = testapp.post(base(a) + "/proposer", {"csrf_token": testapp.csrf()},
                        upload_files=[("community", "c.txt", str(world["b"].id).encode())], status=400)
    assert "Choisissez une communauté voisine dans la liste." in page.text
    assert dbsession.scalar(sa.select(sa.func.count(Twinning.id))) == 0
    testapp.post_csrf(base(a) + "/proposer", {"community": f" {world['b'].id} "}, status=303)
    assert dbsession.scalar(sa.select(sa.func.count(Twinning.id))) == 1
