"""Invitations by e-mail and SMS through the outbox, the daily limit per sender, the
A5 flyer, the invitation link counted at sign-up, and the référent's tools page."""
from sqlalchemy import select

from vvs_core.models import Notification
from vvs_invitations.invitations import SESSION_KEY, count_acceptance, shared_link
from vvs_invitations.models import Invitation


def test_invite_by_email_and_sms_goes_through_the_outbox(testapp, make_user, make_community, dbsession):
    member = make_user(first_name="Claire", last_name="Dubois")
    community = make_community(name="Le Bourg", members=[member])
    testapp.login(member)
    page = testapp.get(f"/communaute/{community.id}/invitations")
    form = page.forms["invitation-email"]
    form["email"] = "pas-une-adresse"
    assert "Adresse e-mail invalide." in form.submit("submit", status=400).text
    form["email"] = "voisine@orange"
    assert "Adresse e-mail incomplète : il manque la fin" in form.submit("submit", status=400).text
    form["email"] = "Voisine@Example.test"
    form.submit("submit", status=303)
    form = testapp.get(f"/communaute/{community.id}/invitations").forms["invitation-sms"]
    form["mobile"] = "01 23 45 67 89"
    assert "pas un numéro de portable" in form.submit("submit", status=400).text
    form["mobile"] = "06 11 22 33 44"
    form.submit("submit", status=303)
    rows = {n.channel: n for n in dbsession.execute(select(Notification).where(Notification.kind == "invitation")).scalars()}
    assert rows["email"].address == "voisine@example.test" and "« Le Bourg »" in rows["email"].body
    assert rows["sms"].address == "+33611223344" and "/invitation/" in rows["sms"].body
    assert "Claire Dubois" in rows["sms"].body
    form = testapp.get(f"/communaute/{community.id}/invitations").forms["invitation-email"]
    form["email"] = "voisine@example.test"
    assert "déjà reçu une invitation" in form.submit("submit", status=400).text


def test_someone_already_in_the_community_gets_no_invitation(testapp, make_user, make_community, dbsession):
    """Walk (staff) 14: inviting a member of Le Bourg answered « Invitation envoyée »."""
    from vvs_core.models import Membership

    claire = make_user(first_name="Claire", last_name="Dubois")
    elodie = make_user(email="Elodie.Fontaine@serris.test", first_name="Élodie", last_name="Fontaine-d’Ô",
                       mobile="+33639980031")
    waiting = make_user(email="noel.brule@serris.test", first_name="Noël", last_name="Brûlé 🎄")
    community = make_community(name="Le Bourg « historique »", members=[claire, elodie])
    dbsession.add(Membership(user_id=waiting.id, community_id=community.id, status="pending"))
    other = make_user(email="zoe@ailleurs.test")
    make_community(name="Quartier du Parc", members=[other])
    dbsession.flush()
    testapp.login(claire)

    def invite(channel, field, value, status):
        form = testapp.get(f"/communaute/{community.id}/invitations").forms[f"invitation-{channel}"]
        form[field] = value
        return form.submit("submit", status=status)

    member = invite("email", "email", "elodie.fontaine@SERRIS.test", 400)
    assert ("La personne qui a cette adresse est déjà membre de la communauté : aucune invitation n'est envoyée."
            in member.text)
    assert "déjà membre" in invite("sms", "mobile", "06 39 98 00 31", 400).text
    assert "a déjà demandé à rejoindre la communauté" in invite("email", "email", "noel.brule@serris.test", 400).text
    assert dbsession.scalars(select(Notification).where(Notification.kind == "invitation")).all() == []
    assert dbsession.scalars(select(Invitation).where(Invitation.channel != "link")).all() == []
    invite("email", "email", "zoe@ailleurs.test", 303)  # a member elsewhere: welcome here
    assert len(dbsession.scalars(select(Notification).where(Notification.kind == "invitation")).all()) == 1


def test_at_most_twenty_invitations_a_day(testapp, make_user, make_community, dbsession):
    member = make_user()
    community = make_community(members=[member])
    testapp.login(member)
    url = f"/communaute/{community.id}/invitations/email"
    token = testapp.csrf()
    for i in range(20):
        testapp.post(url, {"csrf_token": token, "email": f"v{i}@example.test"}, status=303)
    res = testapp.post(url, {"csrf_token": token, "email": "v21@example.test"}, status=429)
    assert "20 invitations aujourd'hui" in res.text
    assert res.headers["Retry-After"]
    sent = dbsession.execute(select(Invitation).where(Invitation.sender_id == member.id, Invitation.channel == "email")).scalars().all()
    assert len(sent) == 20


def test_flyer_is_an_a5_pdf_with_the_link(testapp, make_user, make_community, dbsession):
    member = make_user()
    community = make_community(name="Les Lilas", members=[member])
    testapp.login(member)
    res = testapp.get(f"/communaute/{community.id}/invitations/flyer.pdf")
    assert res.content_type == "application/pdf" and res.body.startswith(b"%PDF")
    assert b"/MediaBox [ 0 0 419.5276 595.2756 ]" in res.body  # A5 in points
    link = shared_link(dbsession, community, member)
    assert f"/invitation/{link.code}" in testapp.get(f"/communaute/{community.id}/invitations").text


def test_an_invitation_opens_the_sign_up_on_its_commune_when_the_site_has_several(testapp, make_user, make_community,
                                                                                 dbsession):
    """With a second commune on the site, « Je m'inscris » asked « Dans quelle commune habitez-vous ? »
    though the invitation names its community (fresh-clone browser journey, Le Bourg's invitation)."""
    from shapely.geometry import Point

    from vvs_core.models import Commune

    dbsession.add(Commune(insee="77111", name="Chessy", postcodes=["77700"], centre=Point(2.7630, 48.8700)))
    member = make_user()
    community = make_community(name="Les Lilas", members=[member])
    dbsession.flush()
    page = testapp.get(f"/invitation/{shared_link(dbsession, community, member).code}")
    signup = page.click("Je m'inscris")
    assert "Dans quelle commune habitez-vous" not in signup.text and "signup-address" in signup.forms
    assert signup.forms["signup-address"]["commune"].value == str(community.commune_id)


def test_invitation_link_is_counted_at_sign_up(testapp, app_registry, make_user, make_community, dbsession):
    member = make_user()
    community = make_community(name="Les Lilas", members=[member])
    link = shared_link(dbsession, community, member)
    page = testapp.get(f"/invitation/{link.code}")
    assert "Les Lilas" in page.text and "/inscription" in page.text
    testapp.get("/invitation/inconnu", status=404)

    # What sign-up does: it announces the new user, and the plugin's hook counts the code.
    class FakeRequest:
        session = {SESSION_KEY: link.code}
        dbsession = None

    FakeRequest.dbsession = dbsession
    app_registry.vvs_plugins.hook.vvs_user_registered(request=FakeRequest, user=make_user())
    assert SESSION_KEY not in FakeRequest.session
    dbsession.flush()
    assert link.accepted_count == 1
    count_acceptance(dbsession, link.code)
    assert link.accepted_count == 2
    assert app_registry.vvs_plugins.get_plugin("vvs_invitations") is not None


def test_referent_tools_page(testapp, make_user, make_community, dbsession):
    referent, member = make_user(), make_user()
    community = make_community(referents=[referent], members=[member])
    testapp.login(member)
    testapp.get(f"/communaute/{community.id}/referent", status=403)
    testapp.reset()
    testapp.login(referent)
    page = testapp.get(f"/communaute/{community.id}/referent")
    for text in ("Le rôle du référent", "Demandes d'adhésion en attente : 0", "flyer", "Modifier la délimitation",
                 "Contactez l'équipe de la plateforme", f"/communaute/{community.id}/demandes"):
        assert text in page.text


def test_two_forms_on_one_page_have_their_own_field_ids(testapp, make_user, make_community):
    """Each label names its own form's field: deform numbers fields from 1 in every form."""
    import re

    member = make_user()
    community = make_community(members=[member])
    testapp.login(member)
    html = testapp.get(f"/communaute/{community.id}/invitations").text
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    labels = dict(re.findall(r'<label[^>]*for="([^"]+)"[^>]*>\s*([^<]+?)\s*<', html))
    inputs = dict(re.findall(r'<input[^>]*\bname="(email|mobile)"[^>]*\bid="([^"]+)"', html)) or \
        {name: oid for oid, name in re.findall(r'<input[^>]*\bid="([^"]+)"[^>]*\bname="(email|mobile)"', html)}
    assert labels[inputs["email"]] == "Adresse e-mail de votre voisin", (inputs, labels)
    assert labels[inputs["mobile"]] == "Téléphone portable de votre voisin", (inputs, labels)


def test_vvs_community_links(testapp, app_request, make_user, make_community, dbsession):
    """The plugin's links under a community: home card (with the member's counts), community
    page, référent's tools (with the community's counts and the flyer)."""
    referent, member = make_user(first_name="Zoé"), make_user()
    community = make_community(name="Les Prés d’Œillets", referents=[referent], members=[member])
    other = make_community(name="La Butte", members=[member])
    dbsession.add(Invitation(code="c-zoe-1", community_id=community.id, sender_id=referent.id, channel="email",
                             address="a@example.test", accepted_count=1))
    dbsession.add(Invitation(code="c-mem-1", community_id=community.id, sender_id=member.id, channel="sms",
                             address="+33611223344"))
    dbsession.flush()
    app_request.user = referent
    invitations = app_request.registry.vvs_plugins.get_plugin("vvs_invitations")  # not the directory's links
    links = invitations.vvs_community_links(request=app_request, communities=[community, other], place="home")
    assert {(link.community_id, link.label) for link in links} == {(community.id, "Inviter des voisins"),
                                                                    (other.id, "Inviter des voisins")}
    testapp.login(referent)
    home = testapp.get("/").text
    assert f'href="/communaute/{community.id}/invitations"' in home
    mine = testapp.get(f"/communaute/{community.id}/invitations").text
    assert "<strong>1</strong> envoyée · <strong>1</strong> inscription grâce à vous" in mine
    assert f'href="/communaute/{community.id}/invitations"' in testapp.get(f"/communaute/{community.id}").text
    tools = testapp.get(f"/communaute/{community.id}/referent").text
    assert "2 envoyées par les membres, 1 inscription obtenue, dont 1 envoyée et 1 inscription pour vous" in tools
    assert f"/communaute/{community.id}/invitations/flyer.pdf" in tools


def test_export_and_erase_the_invitations_sent(testapp, make_user, make_community, dbsession):
    member = make_user()
    community = make_community(members=[member])
    dbsession.add(Invitation(code="c-export", community_id=community.id, sender_id=member.id, channel="email",
                             address="gaëlle@example.test"))
    dbsession.flush()
    testapp.login(member)
    import io
    import json
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(testapp.get("/parametres/mes-donnees.zip").body))
    data = json.loads(archive.read("donnees.json"))
    assert data["invitations_envoyees"][0]["adresse"] == "gaëlle@example.test"
    sent = data["invitations_envoyees"][0]
    assert sent["envoyee_le"].endswith(("+01:00", "+02:00")) and "." not in sent["envoyee_le"]  # Paris, as the rest
    assert isinstance(sent["communaute"], str) and "communaute_id" not in sent
    form = testapp.get("/parametres/fermeture").forms["fermeture"]
    form["current"] = "un voisin attentif 2026"
    form.submit("submit", status=303)
    row = dbsession.scalar(select(Invitation).where(Invitation.code == "c-export"))
    dbsession.refresh(row)
    assert row.address == ""


def test_merged_communities_keep_their_invitations(testapp, dbsession, make_user, make_community):
    """vvs_communities_merging: the invitations of the absorbed community invite to the other."""
    from shapely.geometry import Point

    from vvs_core.geo import from_l93, to_l93
    from vvs_core.testing import SERRIS

    def east(metres):
        p = to_l93(Point(*SERRIS))
        return from_l93(Point(p.x + metres, p.y)).coords[0]

    admin, sender = make_user(is_admin=True), make_user(first_name="Anaïs")
    absorbed = make_community("Les Érables", members=[sender])
    target = make_community("Le Clos-Fleuri", centre=east(300), members=[])
    dbsession.add(Invitation(code="c-merge", community_id=absorbed.id, sender_id=sender.id, channel="link"))
    dbsession.flush()
    absorbed_id, target_id = absorbed.id, target.id
    testapp.login(admin)
    testapp.post_csrf(f"/admin/communautes/{absorbed_id}/fusion",
                      {"cible": str(target_id), "reason": "Deux quartiers « voisins » réunis 🤝", "confirme": "1"},
                      status=303)
    dbsession.expire_all()
    assert dbsession.scalar(select(Invitation.community_id).where(Invitation.code == "c-merge")) == target_id
    testapp.reset()  # a visitor opens the link
    assert "Le Clos-Fleuri" in testapp.get("/invitation/c-merge").text
