"""The mairie names and removes référents of its communities through the core's one
function (``vvs_core.communities.membership.set_referent``): the person is told by e-mail, the
journal keeps who, why and on whose behalf; bad input and a second agent acting at
once get a French message and change nothing."""
from sqlalchemy import func, select

from vvs_core.models import CommunityEvent, Membership, Notification
from vvs_mairie.testing import agent_login, mairie  # noqa: F401

REASON = "Proposée par la police municipale : connaît « tout » le quartier de l’Église 👍"


def _role(dbsession, user, community):
    dbsession.expire_all()
    return dbsession.scalar(select(Membership.role).where(Membership.user_id == user.id,
                                                          Membership.community_id == community.id))


def test_an_agent_names_then_removes_a_referent(testapp, dbsession, mairie, agent_login):
    resident = mairie.residents[1]
    agent_login(testapp, mairie)
    listing = testapp.get("/mairie/77449/referents")
    assert "Le Bourg" in listing.text and "3 membres" in listing.text and "0 référent" in listing.text
    url = f"/mairie/77449/referents/{mairie.community.id}"
    page = testapp.get(url)
    assert resident.full_name in page.text
    done = testapp.post_csrf(url, {"action": "nommer", "user_id": str(resident.id), "reason": REASON},
                             status=303).follow()
    assert f"{resident.full_name} est désormais référent du Bourg ; un e-mail l'en informe." in done.text
    assert _role(dbsession, resident, mairie.community) == "referent"
    mail = dbsession.scalars(select(Notification).where(Notification.recipient_id == resident.id,
                                                        Notification.kind == "membership")).one()
    assert mail.title == "Vous êtes référent du Bourg" and "La mairie vous a nommé" in mail.body and REASON in mail.body
    audit = dbsession.scalars(select(CommunityEvent).where(CommunityEvent.kind == "referent_appointed")).one()
    assert (audit.actor_id, audit.subject_user_id, audit.public) == (mairie.agent_user.id, resident.id, False)
    assert audit.data == {"reason": REASON, "par": "la mairie"}
    assert dbsession.scalar(select(func.count()).select_from(CommunityEvent)
                            .where(CommunityEvent.kind == "referent_added", CommunityEvent.public.is_(True))) == 1
    # a second time (another agent's page, say): refused in French, nothing twice
    again = testapp.post_csrf(url, {"action": "nommer", "user_id": str(resident.id)}, status=400)
    assert "est déjà référent du Bourg" in again.text
    # removal needs a reason
    refused = testapp.post_csrf(url, {"action": "retirer", "user_id": str(resident.id), "reason": "  "}, status=400)
    assert "Indiquez le motif du retrait" in refused.text
    assert _role(dbsession, resident, mairie.community) == "referent"
    testapp.post_csrf(url, {"action": "retirer", "user_id": str(resident.id), "reason": "Déménagement à Lyon."},
                      status=303)
    assert _role(dbsession, resident, mairie.community) == "member"
    titles = set(dbsession.scalars(select(Notification.title).where(Notification.recipient_id == resident.id)))
    assert "Vous n'êtes plus référent du Bourg" in titles


def test_bad_input_changes_nothing(testapp, dbsession, mairie, agent_login, make_user):
    outsider = make_user()
    agent_login(testapp, mairie)
    url = f"/mairie/77449/referents/{mairie.community.id}"
    for params, message in (
            ({"action": "nommer", "user_id": str(outsider.id)}, "n'est pas membre de la communauté"),
            ({"action": "nommer", "user_id": "abc"}, "Choisissez une personne de la liste"),
            ({"action": "nommer", "user_id": ""}, "Choisissez une personne de la liste"),
            ({"action": "nommer", "user_id": "99999999999999999999"}, "Choisissez une personne de la liste"),
            ({"action": "nommer", "user_id": "999999999"}, "n'est pas membre"),
            ({"action": "exploser", "user_id": str(mairie.residents[0].id)}, "Choisissez « Nommer » ou « Retirer »"),
            ({"action": "retirer", "user_id": str(mairie.residents[0].id), "reason": "parti"},
             "n'est pas (ou plus) référent"),
            ({"action": "nommer", "user_id": str(mairie.residents[0].id), "reason": "é" * 1001},
             "Le motif est trop long (1000 caractères au plus)"),
            ({"action": "nommer", "user_id": str(mairie.residents[0].id), "reason": "motif \x00 \x1b[31m"},
             "caractères de contrôle invisibles"),
            ({"action": "", "user_id": str(mairie.residents[0].id)}, "Choisissez « Nommer » ou « Retirer »"),
            ({"user_id": str(mairie.residents[0].id)}, "Choisissez « Nommer » ou « Retirer »")):
        answer = testapp.post_csrf(url, params, status=400)
        assert message in answer.text, params
    assert dbsession.scalar(select(func.count()).select_from(Membership).where(Membership.role == "referent")) == 0
    assert dbsession.scalar(select(func.count()).select_from(CommunityEvent)
                            .where(CommunityEvent.kind.in_(("referent_appointed", "referent_removed")))) == 0
    # a file in place of a field counts as empty
    answer = testapp.post(url, {"csrf_token": testapp.csrf(), "user_id": str(mairie.residents[0].id)},
                          upload_files=[("action", "a.txt", b"nommer")], status=400)
    assert "Choisissez « Nommer » ou « Retirer »" in answer.text
    assert dbsession.scalar(select(func.count()).select_from(Membership).where(Membership.role == "referent")) == 0
    testapp.get("/mairie/77449/referents/abc", status=404)
    testapp.get("/mairie/77449/referents/99999999999", status=404)


def test_a_new_referent_decides_requests_and_gets_the_tools(testapp, dbsession, mairie, agent_login, make_user):
    """Once named, the resident is a référent at once: the community's requests are theirs."""
    resident = mairie.residents[2]
    mairie.community.validation_mode = "referent"
    newcomer = make_user(first_name="Zoé")
    dbsession.add(Membership(user_id=newcomer.id, community_id=mairie.community.id, status="pending"))
    dbsession.flush()
    agent_login(testapp, mairie)
    testapp.post_csrf(f"/mairie/77449/referents/{mairie.community.id}",
                      {"action": "nommer", "user_id": str(resident.id)}, status=303)
    testapp.reset()
    testapp.login(resident)
    assert "Zoé" in testapp.get(f"/communaute/{mairie.community.id}/demandes").text


def test_a_big_community_offers_its_members_by_page_and_by_name(testapp, dbsession, mairie, agent_login, make_user):
    """A commune-wide community holds 100,000 members: the page offers 50 at a time, by
    name, and finds a name as people type it (« helene » finds « Hélène N’Diaye »)."""
    for i in range(60):
        user = make_user(first_name=f"Voisin{i:02d}", last_name="Zélé « du parc » 🌳")
        dbsession.add(Membership(user_id=user.id, community_id=mairie.community.id, status="active"))
    helene = make_user(first_name="Hélène", last_name="N’Diaye")
    dbsession.add(Membership(user_id=helene.id, community_id=mairie.community.id, status="active"))
    dbsession.flush()
    agent_login(testapp, mairie)
    url = f"/mairie/77449/referents/{mairie.community.id}"
    page = testapp.get(url)
    options = page.html.select("#membre option[value!='']")
    assert len(options) == 50 and "Page 1 sur 2" in page.text and "autres membres" in page.text
    second = testapp.get(url, {"page": "2"})
    assert len(second.html.select("#membre option[value!='']")) == 14 and "Voisin59" in second.text  # 64 in all
    found = testapp.get(url, {"q": "helene"})
    assert [o.text for o in found.html.select("#membre option[value!='']")] == ["Hélène N’Diaye"]
    assert "1 membre trouvé" in found.text and 'value="helene"' in found.text
    nobody = testapp.get(url, {"q": "« personne »"})
    assert "0 membre trouvé" in nobody.text and not nobody.html.select("#membre")
    done = testapp.post_csrf(url, {"action": "nommer", "user_id": str(helene.id)}, status=303).follow()
    assert "Hélène N’Diaye est désormais référent du Bourg" in done.text
    assert "Hélène N’Diaye" in done.html.select_one("#referent-%d" % helene.id).text
