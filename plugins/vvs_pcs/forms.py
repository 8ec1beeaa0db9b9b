"""The plan's forms, written in its templates and read with
``vvs_core.web.forms.read_fields``: activating the plan, a member of the crisis cell, a
prepared message, a line of the main courante, the end of the crisis. Invisible control
characters a paste brings are dropped (PostgreSQL refuses NUL in text); every error comes
in one pass; nothing is changed on an error."""
from __future__ import annotations

import colander

from vvs_core.web.forms import CleanText, Schema, email_problem, refusing

from .models import BODY_MAX, FUNCTION_MAX, NAME_MAX, NOTE_MAX, TITLE_MAX


def _text(name: str, limit: int, too_long: str, empty: str | None = None):
    """A text of at most ``limit`` characters; ``empty``: the message when it is required."""
    fits = colander.Length(max=limit, max_err=too_long)
    if empty is None:
        return colander.SchemaNode(CleanText(), name=name, missing="", validator=fits)
    return colander.SchemaNode(CleanText(), name=name, missing_msg=empty, validator=fits)


def _exercise_box(node, value):
    # A checkbox sends "1" or nothing: anything else is not an answer, and taking it for
    # "no" would start a real crisis.
    if value != "1":
        raise colander.Invalid(node, "La case « Exercice » n'a pas été comprise : cochez-la ou décochez-la, "
                                     "puis validez de nouveau.")


class ActivateSchema(Schema):
    title = _text("title", TITLE_MAX, f"La nature de la crise doit tenir en {TITLE_MAX} caractères.",
                  "Indiquez la nature de la crise (par exemple « Crue de la Marne »).")
    exercise = colander.SchemaNode(colander.String(allow_empty=True), missing="", validator=_exercise_box)


class MemberSchema(Schema):
    """A member of the crisis cell; the phone's shape and « a phone or an e-mail » are
    ``check_member``'s."""
    name = _text("name", NAME_MAX, f"Le nom doit tenir en {NAME_MAX} caractères.", "Indiquez le nom de la personne.")
    function = _text("function", FUNCTION_MAX, f"La fonction doit tenir en {FUNCTION_MAX} caractères.")
    phone = _text("phone", 40, "Numéro de téléphone invalide (par exemple 06 12 34 56 78).")
    email = colander.SchemaNode(CleanText(), missing="", validator=refusing(lambda _node, value: (value, email_problem(value))))


class TemplateSchema(Schema):
    title = _text("title", TITLE_MAX, f"Le titre doit tenir en {TITLE_MAX} caractères.", "Indiquez un titre.")
    body = _text("body", BODY_MAX, f"Le message doit tenir en {BODY_MAX} caractères.",
                 "Écrivez le message que recevront les habitants.")


class MessageSchema(Schema):
    template_id = colander.SchemaNode(CleanText(), missing="")


class NoteSchema(Schema):
    note = _text("note", NOTE_MAX, f"Une ligne de la main courante doit tenir en {NOTE_MAX} caractères.",
                 "Écrivez ce qui s'est passé ou ce qui a été décidé.")


class EndSchema(Schema):
    end = _text("end", BODY_MAX, f"Le message de fin doit tenir en {BODY_MAX} caractères.",
                "Écrivez le message de fin de crise que recevront toutes les personnes prévenues.")
