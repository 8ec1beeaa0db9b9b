"""An SMS sent to the service number by a registered resident becomes an alert of
their community; the reply says what happened."""
from __future__ import annotations

import sqlalchemy as sa

from vvs_core.notify import sms
from vvs_core.web.french import count
from vvs_core.web.links import absolute_url
from vvs_core.communities.members import member_count
from vvs_core.models import User

from .posting import PostingRefused, home_community, post_alert

UNKNOWN_NUMBER = ("Numéro inconnu : envoyez vos alertes depuis le portable enregistré dans votre compte "
                  "Voisins vigilants. En cas d'urgence, appelez le 17.")
NOT_ACTIVE = ("Votre compte n'est pas actif : votre alerte n'a pas été envoyée. "
              "En cas d'urgence, appelez le 17.")
NO_COMMUNITY = ("Vous n'êtes membre actif d'aucune communauté : votre alerte n'a pas été envoyée. "
                "En cas d'urgence, appelez le 17.")
EMPTY = "Message vide : écrivez ce que vous avez vu, où et quand. En cas d'urgence, appelez le 17."
# « STOP » in answer to an alert SMS is not an alert to send to every neighbour.
STOP = ("Aucune alerte n'est envoyée. Pour ne plus recevoir les alertes par SMS, choisissez vos moyens de "
        "réception : {url} En cas d'urgence, appelez le 17.")


def handle_inbound_sms(request, message) -> str | None:
    db = request.dbsession
    user = db.scalar(sa.select(User).where(User.mobile == message.sender).order_by(User.id).limit(1))
    if user is None or user.status == "closed":  # a STOP from no account's number is others' (a follower's, an invitee's)
        return None if sms.says_stop(message.text) else UNKNOWN_NUMBER
    if user.status != "active":
        return NOT_ACTIVE
    community = home_community(db, user)
    if community is None:
        return NO_COMMUNITY
    text = " ".join((message.text or "").split())
    if not text:
        return EMPTY
    if sms.says_stop(text):
        return STOP.format(url=absolute_url(request, "settings_notifications"))
    key = f"sms:{message.provider}:{message.provider_id}"
    try:
        alert, _created = post_alert(request, user, community, category="autre", text=text,
                                     idempotency_key=key, source="sms")
    except PostingRefused as refused:
        return f"Alerte non envoyée. {refused} En cas d'urgence, appelez le 17."
    if alert.status == "held":
        return ("Alerte reçue : elle sera envoyée aux voisins après validation par la modération. "
                "En cas d'urgence, appelez le 17.")
    n = member_count(db, community.id, exclude_user_id=user.id)
    return f"Alerte envoyée à {count(n, 'voisin', 'voisins')}. En cas d'urgence, appelez le 17."
