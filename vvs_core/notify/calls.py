"""Voice calls of the outbox: what is read aloud, and what a call's progress changes.

A "voice" row is ``sent`` once the provider placed the call, ``delivered`` once it was
answered, ``failed`` when nobody answered (busy, no answer, unreachable: the kind's
fallback then tries the next channel, ``vvs_core.notify.fallback``). Beyond delivery,
``reaction`` keeps the most the person did: ``voicemail`` (a machine answered),
``listened`` (the message was read to the end), ``confirmed`` (they pressed "1").
A later, lesser event never lowers it. Every key pressed goes to the plugins
(``vvs_voice_keypad_answer``): a roll-call reads "1" and "2" its own way.
"""

import logging
import re

import sqlalchemy as sa

from ..clock import utcnow
from ..hooktypes import KeypadAnswer
from ..interfaces import CallEvent
from ..models.notification import REACTIONS, Notification

log = logging.getLogger(__name__)

CONFIRM_KEY = "1"
CONFIRM_PROMPT = "Pour confirmer que vous avez bien reçu ce message, appuyez sur la touche 1."
CONFIRMED_SPEECH = "Merci, votre confirmation est enregistrée. Au revoir."
THANKS_SPEECH = "Merci. Au revoir."
_LINK = re.compile(r"https?://\S+")
# emoji and their parts (joiners, variation selectors, skin tones, keycaps, tags); «» “”; what they leave
_UNSPOKEN = re.compile("[\u2190-\u21ff\u2300-\u2bff\u3030\u303d\u3297\u3299\U0001F000-\U0001FAFF\u200d\ufe00-\ufe0f"
                       "\u20e3\U000E0020-\U000E007F«»“”„‹›\"]|\\(\\s*\\)|\\s+(?=[).,…])|(?<=\\()\\s+")


def speakable(text: str) -> str:
    """What every call of the outbox reads, whatever plugin wrote it: no link, emoji (°, € are kept), « » “ ”,
    gap nor empty bracket; one paragraph per line (a pause)."""
    lines = (" ".join(_UNSPOKEN.sub("", _UNSPOKEN.sub("", line)).split())
             for line in _LINK.sub("", str(text or "")).splitlines())
    return "\n".join(filter(None, lines))


def _raise_reaction(dbsession, match, reaction: str) -> int:
    lower = ["", *REACTIONS[:REACTIONS.index(reaction)]]
    return dbsession.execute(
        sa.update(Notification).where(match, Notification.reaction.in_(lower))
        .values(reaction=reaction, reacted_at=utcnow()).execution_options(synchronize_session=False)).rowcount


def record_call_event(request, provider_name: str, event: CallEvent) -> tuple[str, str]:
    """Apply ``event`` to the row of its call; returns (what happened, in French plain
    text for the log and the caller; the sentence to say to the person, or "")."""
    from .fallback import fall_back
    from .outbox import record_receipt

    db = request.dbsession
    match = (Notification.provider == provider_name) & (Notification.provider_ref == event.provider_ref) \
        & (Notification.channel == "voice")
    row = db.execute(sa.select(Notification.id, Notification.kind, Notification.subject_type,
                               Notification.subject_id, Notification.recipient_id).where(match)).first()
    if row is None:
        log.info("%s call event for an unknown reference %s", provider_name, event.provider_ref)
        return "référence inconnue", ""
    if event.state == "pending":
        return "état intermédiaire ignoré", ""
    if event.state == "failed":
        record_receipt(db, provider_name, event.provider_ref, False, event.error or "appel sans réponse")
        fall_back(request, [row.id])
        return "enregistré", ""
    # Every other event says the call was answered.
    record_receipt(db, provider_name, event.provider_ref, True)
    if event.state == "answered" and event.by_machine:
        _raise_reaction(db, match, "voicemail")
    elif event.state == "listened":
        _raise_reaction(db, match, "listened")
    elif event.state == "keypad":
        _raise_reaction(db, match, "confirmed" if event.digits == CONFIRM_KEY else "listened")
        return "enregistré", keypad_answer(request, row, provider_name, event)
    return "enregistré", ""


def keypad_answer(request, row, provider_name: str, event: CallEvent) -> str:
    """Hand the keys to the plugins; what to say back (theirs, or the core's thanks)."""
    answer = KeypadAnswer(notification_id=row.id, kind=row.kind, subject_type=row.subject_type,
                          subject_id=row.subject_id, recipient_id=row.recipient_id, digits=event.digits,
                          provider=provider_name, provider_ref=event.provider_ref)
    replies = request.registry.vvs_plugins.hook.vvs_voice_keypad_answer(request=request, answer=answer)
    said = " ".join(" ".join(str(text).split()) for text in replies if text and str(text).strip())
    return said or (CONFIRMED_SPEECH if event.digits == CONFIRM_KEY else THANKS_SPEECH)
