"""Answers that arrive by the provider's callbacks: an SMS to the service number
(``vvs_inbound_sms``) and a key pressed during a voice call (``vvs_voice_keypad_answer``,
once the core has the voice channel). Both end in ``service.record_answer``."""
from __future__ import annotations

from sqlalchemy import select

from vvs_core.web.french import de
from vvs_core.models import Commune, User

from .models import RollCallPerson
from .service import DANGER, QUESTION, AnswerRefused, keyword_of, open_people_of, record_answer

HOW = "Répondez OUI si vous êtes en sécurité, AIDE si vous avez besoin d'aide."


def _reply(dbsession, rollcall, answer: str) -> str:
    commune = dbsession.get(Commune, rollcall.commune_id)
    if answer == "safe":
        return f"Merci : la mairie {de(commune.name)} sait que vous êtes en sécurité."
    return (f"Votre demande d'aide est transmise à la mairie {de(commune.name)}, qui va vous contacter. {DANGER}")


def answer_by_sms(request, message) -> str | None:
    """None (another plugin reads it) unless the sender has an open roll-call: then OUI or
    AIDE answers it, and any other text from someone who has not answered yet gets the
    instructions."""
    db = request.dbsession
    users = list(db.scalars(select(User.id).where(User.mobile == message.sender, User.status != "closed")))
    if not users:
        return None
    asked = [row for user_id in users for row in open_people_of(db, user_id)]
    if not asked:
        return None
    asked.sort(key=lambda pair: (pair[1].created_at, pair[1].id), reverse=True)
    answer, rest = keyword_of(message.text)
    if answer is None:
        if all(person.answer for person, _r in asked):
            return None  # they answered already: a free text is a message for the others (an alert…)
        return f"{QUESTION} {HOW} {DANGER}"
    person, rollcall = asked[0]
    try:
        record_answer(request, person.id, answer, "sms", note=rest)
    except AnswerRefused as refused:
        return f"{refused} {DANGER}"
    return _reply(db, rollcall, answer)


KEYS = {"1": "safe", "2": "help"}


def answer_by_keypad(request, answer) -> str | None:
    if getattr(answer, "kind", "") != "rollcall" or getattr(answer, "subject_type", "") != "rollcall":
        return None
    db = request.dbsession
    person = db.scalar(select(RollCallPerson).where(RollCallPerson.rollcall_id == answer.subject_id,
                                                    RollCallPerson.user_id == answer.recipient_id))
    choice = KEYS.get(str(answer.digits or "")[:1])
    if person is None:
        return None
    if choice is None:
        return "Touche non reconnue. " + VOICE_PROMPT
    try:
        record_answer(request, person.id, choice, "voice")
    except AnswerRefused as refused:
        return f"{refused} {DANGER}"
    from .models import RollCall

    return _reply(db, db.get(RollCall, person.rollcall_id), choice)


VOICE_PROMPT = "Si vous êtes en sécurité, appuyez sur 1. Si vous avez besoin d'aide, appuyez sur 2."


def voice_text(request, notification) -> dict:
    """The question as stored for the call (``service.question_rows``), and what the keys do."""
    return {"subject": notification.title, "text": notification.body, "prompt": VOICE_PROMPT}
