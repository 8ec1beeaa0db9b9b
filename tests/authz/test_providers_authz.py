"""The provider callbacks the core serves (routes provider_receipt, provider_inbound),
here for the OVH sender: whoever calls, and whatever session they carry, only the
secret token in the URL opens them."""
from __future__ import annotations

import pytest

TOKEN = "jeton-authz-" + "z" * 32
ROUTES = {"provider_receipt": "/fournisseurs/ovh/{token}/accuse-reception",
          "provider_inbound": "/fournisseurs/ovh/{token}/sms-recu"}
ROLES = ["anonymous", "non_member", "pending", "other_referent", "moderator"]  # a référent elsewhere is also a member there


@pytest.fixture
def ovh_chosen(app, change):
    """The OVH sender as the chosen SMS provider (its callbacks read fields, they call nothing)."""
    from vvs_sms_ovh.provider import OVHSMSSender

    change(app.registry, providers={"sms": OVHSMSSender(client=None, service_name="sms-test-1")})


@pytest.fixture
def callback_token(app, ovh_chosen, change):
    change(app.registry, settings={"vvs.sms.ovh.callback_token": TOKEN})
    return TOKEN


@pytest.fixture
def as_role(testapp, make_user, make_community, dbsession):
    from vvs_core.models import Membership

    def sign_in(role):
        if role == "anonymous":
            return testapp
        user = make_user(is_moderator=role == "moderator", is_admin=role == "admin")
        if role in ("pending", "other_member", "other_referent"):
            community = make_community(name=f"Quartier {role}")
            dbsession.add(Membership(user_id=user.id, community_id=community.id,
                                     status="pending" if role == "pending" else "active",
                                     role="referent" if role == "other_referent" else "member"))
            dbsession.flush()
        testapp.login(user)
        return testapp

    return sign_in


@pytest.mark.parametrize("role", ROLES)
def test_callbacks_open_with_the_token_only_whoever_calls(as_role, callback_token, role):
    client = as_role(role)
    for route, path in ROUTES.items():
        client.get(path.format(token="pas-le-bon-jeton"), {"id": "1", "dlr": "1"}, status=403)
        client.get(path.format(token=callback_token[:-1]), {"id": "1", "dlr": "1"}, status=403)
        # the right token, with fields that change nothing: 200 for a receipt of an
        # unknown SMS, 400 for an inbound SMS without a sender
        expected = 200 if route == "provider_receipt" else 400
        client.get(path.format(token=callback_token), {"id": "1", "dlr": "1"}, status=expected)


def test_callbacks_are_closed_when_no_token_is_configured(testapp, app, ovh_chosen):
    assert not app.registry.settings.get("vvs.sms.ovh.callback_token")
    for path in ROUTES.values():
        testapp.get(path.format(token=""), status=404)
        testapp.get(path.format(token="n-importe-quoi"), {"id": "1", "dlr": "1"}, status=403)


def test_callbacks_of_a_provider_not_chosen_do_not_exist(testapp, app, change):
    """With the console SMS provider chosen, OVH's URLs answer 404 even with a token."""
    change(app.registry, settings={"vvs.sms.ovh.callback_token": TOKEN})
    for path in ROUTES.values():
        testapp.get(path.format(token=TOKEN), {"id": "1", "dlr": "1"}, status=404)


# --- provider_call: a voice provider's call events (here Twilio's, signed) -------------

CALL = "/fournisseurs/twilio/{token}/appel?etape=touche"
TWILIO_TOKEN = "jeton-authz-appels-" + "t" * 32


@pytest.fixture
def twilio_chosen(app, change):
    """The Twilio caller as the chosen voice provider (reading its callbacks calls nothing)."""
    from twilio.rest import Client

    from vvs_voice_twilio.provider import TwilioVoiceCaller

    caller = TwilioVoiceCaller(Client("AC" + "0" * 32, "jeton"), "jeton-twilio", "+33176543210",
                               f"http://localhost/fournisseurs/twilio/{TWILIO_TOKEN}/appel")
    change(app.registry, providers={"voice": caller}, settings={"vvs.voice.twilio.callback_token": TWILIO_TOKEN})
    return caller


@pytest.mark.parametrize("role", ROLES)
def test_call_events_open_with_the_token_and_twilio_s_signature_only(as_role, twilio_chosen, role):
    from twilio.request_validator import RequestValidator

    client = as_role(role)
    params = {"CallSid": "CA" + "1" * 32, "Digits": "1"}
    client.post(CALL.format(token="pas-le-bon-jeton"), params, status=403)
    client.post(CALL.format(token=TWILIO_TOKEN[:-1]), params, status=403)
    # the right token, unsigned or signed with another secret: refused, nothing recorded
    client.post(CALL.format(token=TWILIO_TOKEN), params, status=400)
    url = "http://localhost" + CALL.format(token=TWILIO_TOKEN)
    forged = RequestValidator("un-autre-jeton").compute_signature(url, params)
    client.post(CALL.format(token=TWILIO_TOKEN), params, headers={"X-Twilio-Signature": forged}, status=400)
    # signed by Twilio: answered (a call this site never placed changes nothing)
    signed = RequestValidator("jeton-twilio").compute_signature(url, params)
    answer = client.post(CALL.format(token=TWILIO_TOKEN), params, headers={"X-Twilio-Signature": signed})
    assert answer.content_type == "text/xml"


def test_call_events_of_no_voice_provider_do_not_exist(testapp):
    testapp.post(CALL.format(token=TWILIO_TOKEN), {"CallSid": "CA" + "1" * 32}, status=404)
