"""Walk (residents) 5: a neighbour invited by SMS can say stop — every invitation SMS says how
(« STOP »), a STOP from that number is answered and recorded (a digest, not the number), and
no member of any community can invite that number by SMS again."""
from pyramid.scripting import prepare
from shapely.geometry import Point
from sqlalchemy import func, select

from vvs_core.hooktypes import InboundSMS
from vvs_core.models import Notification
from vvs_core.notify import sms
from vvs_invitations.models import InvitationOptOut

NUMBER = "+33611223344"


def inbound(testapp, dbsession, text, sender=NUMBER, ref="in-1"):
    request = prepare(registry=testapp.app.registry)["request"]
    request.dbsession = dbsession
    return testapp.app.registry.vvs_plugins.hook.vvs_inbound_sms(
        request=request, message=InboundSMS(sender=sender, text=text, provider="console", provider_id=ref))


def invite_by_sms(testapp, community, member, mobile="06 11 22 33 44", status=303):
    testapp.login(member)
    form = testapp.get(f"/communaute/{community.id}/invitations").forms["invitation-sms"]
    form["mobile"] = mobile
    return form.submit("submit", status=status)


def test_an_invited_number_says_stop_and_is_never_invited_again(testapp, make_user, make_community, dbsession):
    member = make_user(first_name="Marie-Thérèse", last_name="d’Arcy-Lefèvre")
    community = make_community(name="Résidence des Hauts de Val d’Europe – bât. C", members=[member])
    invite_by_sms(testapp, community, member)
    body = dbsession.scalars(select(Notification.body).where(Notification.kind == "invitation")).one()
    assert body.endswith(" STOP : répondez STOP."), body
    assert sms.fits(sms.to_gsm7(body), testapp.app.registry.settings["vvs.sms.max_segments"])
    # a STOP from a number of nobody's is answered by nobody (vvs_alerts answers its other SMS)
    assert inbound(testapp, dbsession, "STOP", sender="+33639980000") is None
    assert "Numéro inconnu" in inbound(testapp, dbsession, "Chat perdu", sender="+33639980000")
    reply = inbound(testapp, dbsession, " Arrêt ")
    assert reply.startswith("C'est noté : votre numéro ne recevra plus d'invitation"), reply
    [opt_out] = dbsession.scalars(select(InvitationOptOut)).all()
    assert NUMBER not in opt_out.digest and "11223344" not in opt_out.digest
    assert inbound(testapp, dbsession, "STOP", ref="in-2").startswith("C'est noté")  # twice: one row still
    assert dbsession.scalar(select(func.count()).select_from(InvitationOptOut)) == 1
    # nobody invites that number again, from this community or another
    neighbour = make_user(first_name="Noé", last_name="Çelik")
    other = make_community(name="Le Bourg", centre=Point(2.79, 48.87), members=[neighbour])
    testapp.reset()
    page = invite_by_sms(testapp, other, neighbour, mobile="+33 6 11 22 33 44", status=400)
    assert "La personne qui a ce numéro a demandé à ne plus recevoir d'invitation" in page.text
    assert dbsession.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "invitation")) == 1


def test_the_stop_line_costs_no_second_sms_to_a_short_invitation(testapp, make_user, make_community, dbsession):
    """« Pour ne plus être invité(e), répondez STOP. » (44 characters) made a one-SMS invitation
    two SMS (two credits); the wording of the followers' SMS is shorter and as clear."""
    member = make_user(first_name="Hélène", last_name="Dupré-Lefèvre")
    community = make_community(name="Le Bourg", members=[member])
    invite_by_sms(testapp, community, member)
    body = dbsession.scalars(select(Notification.body).where(Notification.kind == "invitation")).one()
    assert body.endswith(" STOP : répondez STOP.") and sms.measure(sms.to_gsm7(body)).segments == 1, body


def test_a_resident_once_invited_by_sms_who_says_stop_is_told_about_alerts(testapp, make_user, make_community,
                                                                            dbsession):
    """Invited by SMS, then a member: their STOP answers an alert SMS. They are told how to choose
    how alerts reach them (vvs_alerts' answer), not « ne recevra plus d'invitation », which would
    leave them believing the alerts stopped; no alert is posted from « STOP »."""
    member = make_user(first_name="Marie-Thérèse", last_name="d’Arcy-Lefèvre")
    community = make_community(name="Résidence des Hauts de Val d’Europe – bât. C", members=[member])
    invite_by_sms(testapp, community, member)
    resident = make_user(first_name="Zoé", last_name="N’Diaye", mobile=NUMBER)
    make_community(name="Le Bourg", centre=Point(2.79, 48.87), members=[resident])
    reply = inbound(testapp, dbsession, "Stop !")
    assert "invitation" not in reply and "choisissez vos moyens de réception" in reply, reply
    assert dbsession.scalar(select(func.count()).select_from(InvitationOptOut)) == 1  # still never invited again


def test_a_follower_once_invited_who_says_stop_ends_both_in_one_sms(testapp, make_user, make_community, commune,
                                                                    dbsession):
    """Invited by SMS and following the mairie of Serris (vvs_followers) without an account: one
    STOP ends the follow and the invitations, and the one answer says both, in one SMS."""
    from vvs_followers.models import Follower

    member = make_user(first_name="Marie-Thérèse", last_name="d’Arcy-Lefèvre")
    community = make_community(name="Le Bourg", members=[member])
    invite_by_sms(testapp, community, member)
    dbsession.add(Follower(commune_id=commune.id, channel="sms", address=NUMBER, status="active"))
    dbsession.flush()
    reply = inbound(testapp, dbsession, "STOP")
    assert reply.startswith("C'est noté : vous ne recevrez plus les alertes de la mairie de Serris par SMS"), reply
    assert "Vos voisins ne pourront plus vous inviter par SMS." in reply, reply
    assert sms.measure(sms.to_gsm7(reply)).segments == 1, reply
    assert dbsession.scalar(select(func.count()).select_from(Follower)) == 0
    assert dbsession.scalar(select(func.count()).select_from(InvitationOptOut)) == 1
    testapp.reset()
    page = invite_by_sms(testapp, community, member, status=400)
    assert "a demandé à ne plus recevoir d'invitation" in page.text


def test_the_answer_to_a_follower_of_a_long_named_commune_still_fits_one_sms(testapp, make_user, make_community,
                                                                             commune, dbsession):
    """« …de la mairie de Saint-Rémy-lès-Chevreuse par SMS, et votre numéro est effacé. » leaves
    no room for « Vos voisins ne pourront plus vous inviter par SMS. »: the shorter words then."""
    from shapely.geometry import Point as P

    from vvs_core.models import Commune
    from vvs_followers.models import Follower

    member = make_user(first_name="Zoé", last_name="N’Diaye")
    invite_by_sms(testapp, make_community(name="Le Bourg", members=[member]), member)
    long_named = Commune(insee="78575", name="Saint-Rémy-lès-Chevreuse", postcodes=["78470"], centre=P(2.07, 48.70))
    dbsession.add(long_named)
    dbsession.flush()
    dbsession.add(Follower(commune_id=long_named.id, channel="sms", address=NUMBER, status="active"))
    dbsession.flush()
    reply = inbound(testapp, dbsession, "STOP")
    assert "Saint-Rémy-lès-Chevreuse" in reply and reply.endswith(" Invitations : arrêtées aussi."), reply
    assert sms.measure(sms.to_gsm7(reply)).segments == 1, reply
    assert dbsession.scalar(select(func.count()).select_from(InvitationOptOut)) == 1
