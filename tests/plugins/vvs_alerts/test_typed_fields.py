"""Issue 14.3: the typed fields of an alert's small forms (report, follow-up, moderation,
a sanction's motive) go through colander schemas: bad input answers a French message and
changes nothing; what people really type (« » ’, emoji, accents) is kept intact."""
import pytest
from sqlalchemy import func, select

from vvs_alerts.models import AlertReport, AlertUpdate, ModerationAction

KEPT = "« Personne décrite », pas des faits ’ 🚨👨‍👩‍👧 ici."
BAD = [
    ("", None),
    ("   \n  ", None),
    ("x" * 20000, "(20000 reçus)"),
    ("Texte avec \x07 une sonnerie et \x1b[31m un échappement", "caractères de contrôle"),
]


def _alert(testapp, author):
    testapp.login(author)
    form = testapp.get("/alertes/nouvelle").forms["alerte"]
    form["category"] = "autre"
    form["text"] = "Un individu louche rôde près de l'école depuis ce matin."
    url = form.submit("submit").location
    return url, int(url.rsplit("/", 1)[1])


def _alert_read_by(testapp, author, reader) -> int:
    """The id of a new alert of ``author``, ``reader`` signed in instead."""
    _url, alert_id = _alert(testapp, author)
    testapp.post_csrf("/deconnexion")
    testapp.login(reader)
    return alert_id


def _count(dbsession, model):
    dbsession.expire_all()
    return dbsession.scalar(select(func.count()).select_from(model))


@pytest.fixture
def people(make_user, make_community):
    author, member, moderator = make_user(), make_user(), make_user(is_moderator=True)
    make_community(members=[author, member])
    return author, member, moderator


def test_report_refuses_bad_reasons_and_keeps_a_real_one(testapp, dbsession, people):
    author, member, _moderator = people
    alert_id = _alert_read_by(testapp, author, member)
    for reason, expected in BAD:
        page = testapp.post_csrf(f"/alertes/{alert_id}/signaler", {"reason": reason}, status=303).follow()
        assert (expected or "5 caractères au moins") in page.text
        assert _count(dbsession, AlertReport) == 0
    testapp.post_csrf(f"/alertes/{alert_id}/signaler", {"reason": "  " + KEPT + "  "}, status=303)
    assert dbsession.scalars(select(AlertReport)).one().reason == KEPT


def test_follow_up_refuses_bad_text_and_unknown_kinds(testapp, dbsession, people):
    author, _member, _moderator = people
    url, alert_id = _alert(testapp, author)
    for text, expected in BAD:
        page = testapp.post_csrf(f"/alertes/{alert_id}/suivi", {"kind": "update", "text": text}, status=303).follow()
        expected = expected if expected != "(20000 reçus)" else "1000 caractères au plus"
        assert (expected or "Écrivez la nouvelle information") in page.text
    for kind in ("", "autre", "x" * 20000):
        page = testapp.post_csrf(f"/alertes/{alert_id}/suivi", {"kind": kind, "text": KEPT}, status=303).follow()
        assert "Choisissez une suite ou une fin" in page.text
    assert _count(dbsession, AlertUpdate) == 0
    testapp.post_csrf(f"/alertes/{alert_id}/suivi", {"kind": "update", "text": KEPT}, status=303)
    assert dbsession.scalars(select(AlertUpdate)).one().text == KEPT


def test_moderation_refuses_bad_motives_and_keeps_a_real_one(testapp, dbsession, people):
    author, _member, moderator = people
    alert_id = _alert_read_by(testapp, author, moderator)
    for reason, expected in BAD:
        page = testapp.post_csrf(f"/alertes/{alert_id}/moderation", {"action": "warn", "reason": reason},
                                 status=303).follow()
        assert (expected or "Indiquez le motif") in page.text
        assert _count(dbsession, ModerationAction) == 0
    testapp.post_csrf(f"/alertes/{alert_id}/moderation", {"action": "warn", "reason": KEPT}, status=303)
    assert dbsession.scalars(select(ModerationAction)).one().reason == KEPT


def test_a_sanctions_motive_with_control_characters_changes_nothing(testapp, dbsession, people):
    from vvs_alerts.models import PostingSuspension
    from vvs_core.web.timefmt import dates

    author, _member, moderator = people
    alert_id = _alert_read_by(testapp, author, moderator)
    testapp.post_csrf(f"/alertes/{alert_id}/moderation", {"action": "suspend", "reason": KEPT, "days": "7"})
    suspension = dbsession.scalars(select(PostingSuspension)).one()
    until, seen = suspension.until, dates.utc_iso(suspension.until)
    for what in ("lift", "change"):
        for reason, expected in BAD[2:]:
            page = testapp.post_csrf(f"/alertes/moderation/sanctions/{suspension.id}",
                                     {"what": what, "days": "30", "reason": reason, "seen_until": seen}).follow()
            assert expected in page.text
    dbsession.expire_all()
    suspension = dbsession.scalars(select(PostingSuspension)).one()
    assert suspension.lifted_at is None and suspension.until == until and suspension.reason == KEPT
    assert _count(dbsession, ModerationAction) == 1


def test_a_tampered_choice_is_answered_without_the_codes(testapp, make_user, make_community, dbsession):
    """Walk (residents) 5: « "<script>" ne fait pas partie des choix suivants reperage, demarchage, … »
    showed the internal codes; every choice colander checks now says « Choisissez dans la liste. »."""
    from vvs_alerts.models import Alert

    author = make_user(first_name="Élodie", last_name="Lefèvre-d’Ô")
    make_community(members=[author])
    testapp.login(author)
    form = testapp.get("/alertes/nouvelle").forms["alerte"]
    form["category"].force_value("<script>alert('x')</script>")
    form["expiry_hours"].force_value("99999")
    form["text"] = "Démarcheur « EDF » rue de l’Église 🚪"
    page = form.submit("submit")
    assert page.text.count("Choisissez dans la liste.") >= 2
    errors = " ".join(e.get_text(" ", strip=True) for e in page.html.select(".invalid-feedback"))
    assert "Choisissez dans la liste." in errors
    for leaked in ("ne fait pas partie", "reperage", "tentative_cambriolage", "2, 6, 12", "script"):
        assert leaked not in errors, leaked
    assert _count(dbsession, Alert) == 0
