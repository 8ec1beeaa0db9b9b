"""Jumelages: proposing within the distance only, answers and ends by the right
référents, movements in both communities, e-mails to both sides' référents, alerts
reaching twinned members by e-mail only, and messages across a twinning by pseudonym."""
from __future__ import annotations

import re
from email.header import decode_header, make_header

import pytest
import sqlalchemy as sa
from shapely.geometry import Point

from vvs_core.geo import from_l93, to_l93
from vvs_core.models import CommunityEvent, Notification
from vvs_core.testing import SERRIS, mail_text, read_mails, run_tasks

from vvs_twinning.models import Twinning, pair_key


def east(metres):
    p = to_l93(Point(*SERRIS))
    return from_l93(Point(p.x + metres, p.y)).coords[0]


@pytest.fixture
def world(make_user, make_community):
    ref_a, ref_b, ref_far = make_user(first_name="Aline"), make_user(first_name="Bruno"), make_user()
    member_a = make_user(first_name="Camille", last_name="Canari", mobile="+33611223344",
                         address_label="12 rue du Canari", pseudonym="camomille")
    member_b, member_b2 = make_user(first_name="Denis"), make_user(first_name="Emma")
    a = make_community("Les Acacias", members=[member_a], referents=[ref_a])
    b = make_community("Les Bouleaux", centre=east(800), members=[member_b, member_b2], referents=[ref_b])
    far = make_community("Les Lointains", centre=east(5000), referents=[ref_far])
    return dict(a=a, b=b, far=far, ref_a=ref_a, ref_b=ref_b, ref_far=ref_far, member_a=member_a,
                member_b=member_b, member_b2=member_b2)


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def base(community):
    return f"/jumelages/communaute/{community.id}"


def events(dbsession, community, kind):
    return dbsession.scalars(sa.select(CommunityEvent).where(
        CommunityEvent.community_id == community.id, CommunityEvent.kind == kind)).all()


def make_active(dbsession, first, second, by):
    twinning = Twinning(community_a_id=first.id, community_b_id=second.id, proposed_by_id=by.id, status="active",
                        open_pair=pair_key(first.id, second.id))
    dbsession.add(twinning)
    dbsession.flush()
    return twinning


def test_propose_within_distance_only(testapp, world, dbsession):
    a, b, far = world["a"], world["b"], world["far"]
    testapp.login(world["ref_a"])
    page = testapp.get(base(a))
    assert "Proposer un jumelage aux Bouleaux" in page.text and "Les Lointains" not in page.text
    assert 'id="twinning-map"' in page.text and "leaflet.js" in page.text
    refused = testapp.post_csrf(base(a) + "/proposer", {"community": far.id}, status=400)
    assert "plus de 3 km" in refused.text
    testapp.post_csrf(base(a) + "/proposer", {"community": "abc"}, status=400)
    testapp.post_csrf(base(a) + "/proposer", {"community": a.id}, status=400)
    assert dbsession.scalar(sa.select(sa.func.count(Twinning.id))) == 0
    testapp.post_csrf(base(a) + "/proposer", {"community": b.id}, status=303)
    twinning = dbsession.scalars(sa.select(Twinning)).one()
    assert (twinning.community_a_id, twinning.community_b_id, twinning.status) == (a.id, b.id, "proposed")
    assert twinning.proposed_by_id == world["ref_a"].id
    again = testapp.post_csrf(base(a) + "/proposer", {"community": b.id}, status=400)
    assert "déjà proposé" in again.text
    testapp.reset()
    testapp.login(world["ref_b"])  # the other way round is the same pair
    assert "déjà proposé" in testapp.post_csrf(base(b) + "/proposer", {"community": a.id}, status=400).text
    for community in (a, b):
        (event,) = events(dbsession, community, "twinning_proposed")
        assert event.public and event.actor_id == world["ref_a"].id
    history = testapp.get(f"/communaute/{b.id}/historique").text
    assert "Jumelage proposé avec « Les Acacias »" in history


def test_a_community_nobody_can_answer_for_is_not_offered(testapp, world, dbsession, make_user, make_community):
    a = world["a"]
    orphan = make_community("Les Charmettes", centre=east(-800), members=[make_user()])
    testapp.login(world["ref_a"])
    page = testapp.get(base(a))
    row = page.text[page.text.index("<strong>Les Charmettes</strong>"):]
    row = row[:row.index("</li>")]
    assert "Pas de référent" in row and "Proposer un jumelage" not in row
    assert "Proposer un jumelage aux Bouleaux" in page.text  # a community with a référent still is
    refused = testapp.post_csrf(f"{base(a)}/proposer", {"community": orphan.id}, status=400)
    assert "n'a pas de référent pour répondre" in refused.text
    assert dbsession.scalar(sa.select(sa.func.count(Twinning.id))) == 0
    # a closed référent's account answers nothing either
    gone = make_user(status="closed")
    make_community("Les Sorbiers", centre=east(-1600), referents=[gone])
    page = testapp.get(base(a))
    row = page.text[page.text.index("<strong>Les Sorbiers</strong>"):]
    assert "Pas de référent" in row[:row.index("</li>")]


def test_accept_and_end_by_the_right_referents_with_emails_to_both_sides(testapp, world, dbsession, app):
    a, b = world["a"], world["b"]
    testapp.login(world["ref_a"])
    testapp.post_csrf(base(a) + "/proposer", {"community": b.id}, status=303)
    twinning = dbsession.scalars(sa.select(Twinning)).one()
    tail = f"/{twinning.id}/accepter"
    testapp.post_csrf(base(a) + tail, status=403)        # the proposing side cannot accept
    testapp.post_csrf(base(b) + tail, status=403)        # not a référent of the invited side
    testapp.reset()
    testapp.login(world["member_b"])
    testapp.post_csrf(base(b) + tail, status=403)        # a member is not a référent
    testapp.reset()
    testapp.login(world["ref_far"])
    testapp.post_csrf(base(world["far"]) + tail, status=404)  # a twinning of other communities
    testapp.reset()
    testapp.login(world["ref_b"])
    page = testapp.get(base(b))
    assert "Accepter le jumelage avec Les Acacias" in page.text
    testapp.post_csrf(base(b) + tail, status=303)
    dbsession.refresh(twinning)
    assert twinning.status == "active" and twinning.decided_at is not None
    assert "déjà reçu une réponse" in testapp.post_csrf(base(b) + f"/{twinning.id}/refuser", status=400).text
    for community in (a, b):
        assert len(events(dbsession, community, "twinning_accepted")) == 1
    community_page = testapp.get(f"/communaute/{b.id}").text
    assert "Jumelages" in community_page and "Les Acacias" in community_page
    testapp.reset()
    testapp.login(world["ref_a"])
    asked = testapp.post_csrf(base(a) + f"/{twinning.id}/terminer", status=200)  # one tap asks first
    said = " ".join(asked.text.split())
    assert "Mettre fin au jumelage avec « Les Bouleaux » ?" in said
    assert ("Ce ne sera plus le cas de « Les Acacias » et « Les Bouleaux » ; les référents des deux communautés "
            "seront prévenus.") in said
    assert asked.html.find("a", string="Annuler")["href"] == base(a)
    dbsession.refresh(twinning)
    assert twinning.status == "active" and not events(dbsession, a, "twinning_ended")
    asked.forms["confirmation"].submit("submit", status=303)
    dbsession.refresh(twinning)
    assert twinning.status == "ended" and twinning.open_pair is None
    for community in (a, b):
        assert len(events(dbsession, community, "twinning_ended")) == 1
    run_tasks()
    mails = read_mails(app.registry.settings["vvs.email.folder"])
    for referent in (world["ref_a"], world["ref_b"]):
        subjects = sorted(subject(m) for m in mails if m["To"] == referent.email)
        assert len(subjects) == 3 and any("Jumelage accepté" in s for s in subjects), subjects
    mine = [m for m in mails if m["To"] == world["ref_b"].email and "accepté" in subject(m)]
    assert f"/jumelages/communaute/{b.id}" in mail_text(mine[0])
    members = {world[k].email for k in ("member_a", "member_b", "member_b2")}
    assert not [m for m in mails if m["To"] in members]  # référents only
    testapp.post_csrf(base(a) + "/proposer", {"community": b.id}, status=303)  # a new proposal after the end


def test_decline_and_withdraw(testapp, world, dbsession):
    a, b = world["a"], world["b"]
    testapp.login(world["ref_a"])
    testapp.post_csrf(base(a) + "/proposer", {"community": b.id}, status=303)
    first = dbsession.scalars(sa.select(Twinning)).one()
    testapp.post_csrf(base(a) + f"/{first.id}/refuser", status=403)
    testapp.reset()
    testapp.login(world["ref_b"])
    assert "pas en cours" in testapp.post_csrf(base(b) + f"/{first.id}/terminer", status=400).text
    testapp.post_csrf(base(b) + f"/{first.id}/refuser", status=303)
    dbsession.refresh(first)
    assert first.status == "declined" and first.open_pair is None
    assert len(events(dbsession, a, "twinning_declined")) == len(events(dbsession, b, "twinning_declined")) == 1
    testapp.reset()
    testapp.login(world["ref_a"])
    testapp.post_csrf(base(a) + "/proposer", {"community": b.id}, status=303)
    second = dbsession.scalars(sa.select(Twinning).where(Twinning.id != first.id)).one()
    testapp.post_csrf(base(a) + f"/{second.id}/terminer", status=303)  # withdrawn by the proposing side
    dbsession.refresh(second)
    assert second.status == "ended"


def post_twinned_alert(testapp, world, dbsession, text):
    """Les Acacias twinned with Les Bouleaux, Camille (of Les Acacias) posts an alert, sent."""
    make_active(dbsession, world["a"], world["b"], world["ref_a"])
    testapp.login(world["member_a"])
    form = testapp.get("/alertes/nouvelle").forms["alerte"]
    form["category"] = "demarchage"
    form["text"] = text
    assert form.submit("submit").status_int == 303
    run_tasks()


def test_vvs_alert_recipients_twinning(testapp, world, dbsession, app):
    """An alert posted through vvs_alerts' form reaches the twinned community by e-mail only."""
    post_twinned_alert(testapp, world, dbsession,
                       "Deux hommes en gilet orange sonnent aux portes, camionnette blanche AB-123-CD.")
    rows = dbsession.execute(sa.select(Notification.recipient_id, Notification.channel)
                             .where(Notification.subject_type == "alert")).all()
    twinned = {world[k].id for k in ("member_b", "member_b2", "ref_b")}
    assert {(uid, ch) for uid, ch in rows if uid in twinned} == {(uid, "email") for uid in twinned}
    assert (world["ref_a"].id, "sms") in rows  # the alert's own community keeps SMS
    mails = read_mails(app.registry.settings["vvs.email.folder"])
    assert any(m["To"] == world["member_b"].email and "gilet orange" in mail_text(m) for m in mails)


@pytest.mark.parametrize("ended_before_the_all_clear", [False, True])
def test_twinned_members_read_the_alert_by_pseudonym_without_a_link_they_cannot_open(
        testapp, world, dbsession, app, ended_before_the_all_clear):
    """Twinning promises pseudonyms only: the e-mail a member of the twinned community gets
    (text and HTML, the alert and its all-clear) names the author by pseudonym, and offers no
    link to the alert's page, which is its community's (403 for them); so does the all-clear
    they still get (same people as the alert) if the twinning ended in between."""
    post_twinned_alert(testapp, world, dbsession,
                       "Deux « faux agents » du gaz rue de l’Église 🚨, camionnette blanche AB-123-CD.")
    alert_id = dbsession.scalar(sa.text("SELECT max(id) FROM alerts"))
    if ended_before_the_all_clear:
        twinning = dbsession.scalars(sa.select(Twinning)).one()
        twinning.status, twinning.open_pair = "ended", None
        dbsession.flush()
    testapp.post_csrf(f"/alertes/{alert_id}/suivi", {"kind": "all_clear", "text": "Partis vers la gare, merci à tous."},
                      status=303)
    run_tasks()
    mails = read_mails(app.registry.settings["vvs.email.folder"])
    theirs = [m for m in mails if m["To"] == world["member_b"].email]
    assert len(theirs) == 2, [subject(m) for m in theirs]
    for message in theirs:
        html = next(p.get_payload(decode=True).decode() for p in message.walk() if p.get_content_type() == "text/html")
        for body in (mail_text(message), html):
            for canary in ("Camille", "Canari", "+33611223344", "12 rue du Canari", "/alertes/"):
                assert canary not in body, (canary, body)
            assert "camomille" in body
    assert "faux agents" in mail_text(theirs[0]) and "Les Acacias" in mail_text(theirs[0])
    testapp.reset()
    testapp.login(world["member_b"])
    testapp.get(f"/alertes/{alert_id}", status=403)  # which is why no link is offered
    mine = [m for m in mails if m["To"] == world["ref_a"].email]  # the alert's own community: name and link
    assert mine and all("Camille Canari" in mail_text(m) and f"/alertes/{alert_id}" in mail_text(m) for m in mine)


def test_vvs_messageable_users_twinning(testapp, world, dbsession):
    a, b = world["a"], world["b"]
    member_a, member_b = world["member_a"], world["member_b"]
    testapp.login(member_b)
    form = testapp.get("/messagerie/nouveau").forms["new-conversation"]
    assert str(member_a.id) not in [c._value for c in form.fields.get("checkbox", [])]
    make_active(dbsession, a, b, world["ref_a"])
    form = testapp.get("/messagerie/nouveau").forms["new-conversation"]
    for box in form.fields["checkbox"]:
        box.checked = box._value == str(member_a.id)
    form["text"] = "Bonjour, votre alerte nous a aidés."
    page = form.submit("submit").maybe_follow()
    assert "votre alerte nous a aidés" in page.text
    for html in (page.text, testapp.get("/messagerie").text, testapp.get("/messagerie/nouveau").text):
        for canary in ("Camille", "Canari", "+33611223344", "06 11 22 33 44", "12 rue du Canari"):
            assert canary not in html
        assert "camomille" in html
    testapp.get(f"/communaute/{a.id}", status=403)  # twinning opens no other page of the community


def test_menu_and_panel(testapp, world, dbsession):
    make_active(dbsession, world["a"], world["b"], world["ref_a"])
    testapp.login(world["member_b"])
    home = testapp.get("/")
    assert re.search(rf'href="/jumelages/communaute/{world["b"].id}"[^>]*>\s*Jumelages', home.text)
    page = testapp.get(base(world["b"]))
    assert "Les Acacias" in page.text and "Mettre fin" not in page.text and "Proposer un jumelage" not in page.text
