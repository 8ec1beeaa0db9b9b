"""What a follower without an account reads at the end of a commune alert or of the
mairie's news: how to stop (STOP by SMS; a link in e-mails, also given as
``List-Unsubscribe`` headers so that a mail client offers the one-click button of RFC
8058); and, for a browser, where the push goes (its subscription) and the page a tap
opens (the follow page, which offers to stop)."""
from __future__ import annotations

import re

from vvs_core.notify import sms
from vvs_core.web.links import absolute_url

from .following import CONFIRM_KIND, NEWS_KIND, push_devices_of, unsubscribe_token
from .models import Follower

# vvs_mairie: mairie-alert:{id}:{key}:{channel}; news: mairie-news:{id}:{key}:{channel}
FOLLOWER_ROW = re.compile(r":abonne-([0-9]{1,12}):(sms|email|voice|push)$")
SMS_STOP = " STOP : répondez STOP."
FOLLOWER_KINDS = ("mairie_alert", NEWS_KIND)


def render_for_follower(request, notification, channel) -> dict | None:
    if notification.kind == CONFIRM_KIND and channel == "voice":
        # A code call: nothing to confirm with the keypad (the code is typed on the site).
        return {"subject": notification.title, "text": notification.body or "", "prompt": ""}
    if notification.kind == CONFIRM_KIND and channel == "push":
        return for_browser(request, request.dbsession.get(Follower, notification.subject_id), notification)
    # The kind first: other plugins' notifications need not carry a recipient.
    if notification.kind not in FOLLOWER_KINDS or getattr(notification, "recipient_id", None) is not None:
        return None
    match = FOLLOWER_ROW.search(notification.dedupe_key or "")
    if match is None:
        return None
    text = notification.body or ""
    if channel == "sms":
        longer = text + SMS_STOP
        if sms.fits(longer, request.registry.settings["vvs.sms.max_segments"]):
            text = longer
        return {"subject": notification.title, "text": text, "html": None}
    if channel == "push":
        return for_browser(request, request.dbsession.get(Follower, int(match.group(1))), notification)
    if channel != "email":
        return None
    follower = request.dbsession.get(Follower, int(match.group(1)))
    if follower is None or follower.address != notification.address:
        return {"subject": notification.title, "text": text, "html": None}
    link = absolute_url(request, "followers_unsubscribe",
                        token=unsubscribe_token(request, follower))
    text += ("\n\n—\nVous recevez ce message parce que vous suivez la mairie sans compte.\n"
             f"Pour ne plus rien recevoir (votre adresse sera effacée) : {link}")
    return {"subject": notification.title, "text": text, "html": None,
            "headers": {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}}


def for_browser(request, follower, notification) -> dict:
    """A push to the follower's browser; no device once they stopped (the row fails:
    « aucun appareil abonné »). A tap opens the follow page, where this browser can stop."""
    from vvs_core.models import Commune

    devices = push_devices_of(follower if follower is not None and follower.key == notification.address else None)
    url = "/"
    if devices:
        insee = request.dbsession.get(Commune, follower.commune_id).insee
        url = request.route_path("followers_follow", insee=insee, _query={
            "abonnement": unsubscribe_token(request, follower)})
    return {"subject": notification.title, "text": notification.body or "", "html": None, "devices": devices,
            "url": url}
