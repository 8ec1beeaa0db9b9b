"""Where a messaging action goes back to (``back``) read through ``vvs_core.web.forms.typed``
(issue 14): a file sent for it, a long text or another site is the inbox, never a 500."""
from __future__ import annotations

from test_messaging import voisins  # noqa: F401


def test_odd_back_fields_go_to_the_inbox(testapp, voisins):
    alice, bob, *_ = voisins
    testapp.login(bob)
    answer = testapp.post(f"/messagerie/bloquer/{alice.id}", {"csrf_token": testapp.csrf()},
                          upload_files=[("back", "b.txt", b"/messagerie")], status=303)
    assert answer.location.endswith("/messagerie")
    for back in ("é" * 20000, "//ailleurs.example/messagerie", "https://ailleurs.example/", "/messagerie/« x »"):
        answer = testapp.post_csrf(f"/messagerie/debloquer/{alice.id}", {"back": back}, status=303)
        assert "ailleurs" not in answer.location
