"""What a follower without an account reads at the end of a commune alert: how to stop
(STOP by SMS; a link in e-mails, also given as ``List-Unsubscribe`` headers so that a
mail client offers the one-click button of RFC 8058)."""
from __future__ import annotations

import re

from vvs_core.notify import sms
from vvs_core.web.links import absolute_url

from .following import CONFIRM_KIND, unsubscribe_token
from .models import Follower

FOLLOWER_ROW = re.compile(r":abonne-([0-9]{1,12}):(sms|email|voice)$")  # vvs_mairie: mairie-alert:{id}:{key}:{channel}
SMS_STOP = " STOP : répondez STOP."


def render_for_follower(request, notification, channel) -> dict | None:
    if notification.kind == CONFIRM_KIND and channel == "voice":
        # A code call: nothing to confirm with the keypad (the code is typed on the site).
        return {"subject": notification.title, "text": notification.body or "", "prompt": ""}
    # The kind first: other plugins' notifications need not carry a recipient.
    if notification.kind != "mairie_alert" or getattr(notification, "recipient_id", None) is not None:
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
    if channel != "email":
        return None
    follower = request.dbsession.get(Follower, int(match.group(1)))
    if follower is None or follower.address != notification.address:
        return {"subject": notification.title, "text": text, "html": None}
    link = absolute_url(request, "followers_unsubscribe",
                        token=unsubscribe_token(request.registry.settings["vvs.secret"], follower))
    text += ("\n\n—\nVous recevez ce message parce que vous suivez les alertes de la mairie sans compte.\n"
             f"Pour ne plus les recevoir (votre adresse sera effacée) : {link}")
    return {"subject": notification.title, "text": text, "html": None,
            "headers": {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}}
