"""Merging communities (hook vvs_communities_merging) with every plugin on: the alerts,
the gazette's posts, the twinnings of the community that disappears go to the one that
stays; a twinning between the two ends; one with a community the other is already
twinned with ends too (one open twinning per pair)."""
from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from shapely.geometry import Point

from vvs_core.clock import utcnow
from vvs_core.geo import from_l93, to_l93
from vvs_core.models import Community
from vvs_core.testing import SERRIS
from vvs_twinning.models import Twinning, pair_key

REASON = "Fusion votée en réunion de quartier, « à l'unanimité »."


def east(metres, north=0):
    p = to_l93(Point(*SERRIS))
    return from_l93(Point(p.x + metres, p.y + north)).coords[0]


def twin(dbsession, a, b, status="active"):
    row = Twinning(community_a_id=a.id, community_b_id=b.id, status=status,
                   open_pair=pair_key(a.id, b.id) if status in ("proposed", "active") else None)
    dbsession.add(row)
    dbsession.flush()
    return row


def test_plugins_rows_follow_the_merge(testapp, dbsession, make_user, make_community):
    from vvs_alerts.models import Alert
    from vvs_gazette.models import GazettePost

    admin, author = make_user(is_admin=True), make_user(first_name="Noémie")
    a = make_community("Les Tilleuls", members=[author])
    b = make_community("La Fontaine", centre=east(300))
    c = make_community("Le Moulin", centre=east(0, 1500))
    d = make_community("Les Vignes", centre=east(300, 1500))
    now = utcnow()
    alert = Alert(community_id=a.id, commune_id=a.commune_id, author_id=author.id, category="cambriolage",
                  text="Porte fracturée au 5 rue de Lagny.", severity="moderate", created_at=now, published_at=now,
                  expires_at=now + timedelta(hours=24), status="published", idempotency_key=uuid.uuid4().hex,
                  source="web")
    post = GazettePost(community_id=a.id, author_id=author.id, category="evenement", title="Fête des voisins 🎉",
                       text="Rendez-vous place de l’Église.")
    dbsession.add_all([alert, post])
    between = twin(dbsession, a, b)
    with_c_both = twin(dbsession, a, c)
    twin(dbsession, b, c)
    with_d = twin(dbsession, d, a, status="proposed")
    dbsession.flush()
    a_id, b_id, c_id, d_id = a.id, b.id, c.id, d.id
    testapp.login(admin)
    testapp.post_csrf(f"/admin/communautes/{a_id}/fusion", {"cible": str(b.id), "reason": REASON, "confirme": "1"},
                      status=303)
    dbsession.expire_all()
    assert dbsession.get(Community, a_id) is None
    assert dbsession.get(Alert, alert.id).community_id == b_id
    assert dbsession.get(GazettePost, post.id).community_id == b_id
    assert dbsession.get(Twinning, between.id).status == "ended"
    assert dbsession.get(Twinning, with_c_both.id).status == "ended"  # b was already twinned with c
    moved = dbsession.get(Twinning, with_d.id)
    assert (moved.community_a_id, moved.community_b_id, moved.open_pair) == (d_id, b_id, pair_key(d_id, b_id))
    open_pairs = dbsession.scalars(sa.select(Twinning.open_pair).where(Twinning.open_pair.isnot(None))).all()
    assert sorted(open_pairs) == sorted([pair_key(b_id, c_id), pair_key(d_id, b_id)])
