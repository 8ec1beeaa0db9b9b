"""A reply's id in a gazette URL (``?reply_id=``) that Python calls digits but ``int`` or
PostgreSQL refuse (« ² », « ١٢ », 30 digits, beyond INTEGER) is an unknown reply: 404,
never a 500 (issue 14)."""
from __future__ import annotations

from vvs_gazette.posts import create_post

from test_gazette import quartier, url  # noqa: F401


def test_odd_reply_ids_are_unknown(testapp, quartier, dbsession):
    community, alice, bob, _referent = quartier
    post = create_post(dbsession, community, alice, category="vie_quartier", title="Vide-grenier", text="Samedi.")
    testapp.login(bob)
    for raw in ("²", "١٢", "9" * 30, "9999999999", "-1", "🧾"):
        testapp.get(url(community, f"/annonce/{post.id}/signaler"), {"reply_id": raw}, status=404)
