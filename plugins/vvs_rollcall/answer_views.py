"""Where a resident answers: the one-tap signed link (no sign-in) and « Mes appels »
in the web app. Both post to ``service.record_answer``."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from vvs_core.web.french import de
from vvs_core.models import Commune, row_id
from vvs_core.web.forms import typed

from .forms import parse_answer
from .models import RollCall, RollCallPerson
from .service import QUESTION, AnswerRefused, open_people_of, record_answer, speaker
from .tokens import person_id_of
from .views import assets

T = "vvs_rollcall:templates/"
THANKS = {"safe": "Merci : votre réponse « je suis en sécurité » est enregistrée.",
          "help": "Votre demande d'aide est transmise à la mairie, qui va vous contacter."}  # the page adds DANGER


def _posted_answer(request) -> tuple[str | None, str, str | None]:
    """(answer, note, None), or (None, the note as typed, every French error in one sentence)."""
    data, errors = parse_answer(request.POST)
    if errors:
        return None, " ".join(typed(request, "note")["note"].split()), " ".join(errors.values())
    return data["answer"], data["note"], None


@view_config(route_name="rollcall_answer", permission="public", renderer=T + "answer.pt")
def answer_view(request):
    """The link of the SMS or e-mail: the question and two big buttons."""
    db = request.dbsession
    person_id = person_id_of(request, request.matchdict["token"])
    person = db.get(RollCallPerson, person_id) if person_id is not None else None
    page = {"title": QUESTION, "question": QUESTION.replace(" ?", "\u00a0?"), "errors": {}, "done": None, **assets(request)}
    if person is None:
        request.response.status = 404
        return {**page, "invalid": True}
    rollcall = db.get(RollCall, person.rollcall_id)
    commune = db.get(Commune, rollcall.commune_id)
    page.update(invalid=False, who=speaker(db, rollcall, commune), rollcall=rollcall, person=person,
                mairie=f"la mairie {de(commune.name)}")
    if request.method != "POST":
        return page
    answer, note, problem = _posted_answer(request)
    if problem:
        request.response.status = 400
        return {**page, "errors": {"answer": problem}, "note": note}
    try:
        record_answer(request, person.id, answer, "link", note=note)
    except AnswerRefused as refused:
        request.response.status = 409
        return {**page, "errors": {"answer": str(refused)}}
    return {**page, "done": THANKS[answer]}


@view_config(route_name="rollcall_mine", permission="account", renderer=T + "mine.pt")
def mine_view(request):
    """The open roll-calls that ask the signed-in resident."""
    db = request.dbsession
    rows = open_people_of(db, request.user.id)
    page = {"title": QUESTION, "question": QUESTION.replace(" ?", "\u00a0?"), "errors": {}, **assets(request),
            "asked": [(p, r, speaker(db, r, db.get(Commune, r.commune_id))) for p, r in rows]}
    if request.method != "POST":
        return page
    mine = {p.id: p for p, _r in rows}
    person = mine.get(row_id(typed(request, "person")["person"]))
    answer, note, problem = _posted_answer(request)
    if person is None:
        problem = "Cet appel est clos ou ne vous concerne pas : rien n'a été enregistré."
    if problem:
        request.response.status = 400
        return {**page, "errors": {"answer": problem}}
    try:
        record_answer(request, person.id, answer, "web", note=note)
    except AnswerRefused as refused:
        request.response.status = 409
        return {**page, "errors": {"answer": str(refused)}}
    request.flash(THANKS[answer], "success")
    return HTTPSeeOther(request.route_path("rollcall_mine"))
