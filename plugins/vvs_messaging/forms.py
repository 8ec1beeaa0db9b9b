"""Messaging forms."""
from __future__ import annotations

import colander
import deform

from vvs_core.web.forms import Schema, StrippedString


def new_conversation_schema(choices: list[tuple[str, str]]) -> Schema:
    schema = Schema()
    schema.add(colander.SchemaNode(
        colander.Set(), name="recipients", title="Destinataires",
        validator=colander.All(
            colander.Length(min=1, min_err="Choisissez au moins un destinataire."),
            _only_among([v for v, _ in choices])),
        widget=deform.widget.CheckboxChoiceWidget(values=choices)))
    schema.add(colander.SchemaNode(StrippedString(), name="subject", title="Sujet (facultatif)", missing="",
                                   validator=colander.Length(max=150, max_err="150 caractères au plus.")))
    schema.add(message_node())
    return schema


def _only_among(allowed):
    allowed = set(allowed)

    def check(node, value):
        if not set(value) <= allowed:
            raise colander.Invalid(node, "Vous ne pouvez pas écrire à l'une des personnes choisies.")
    return check


def message_node():
    return colander.SchemaNode(StrippedString(), name="text", title="Message", missing_msg="Écrivez votre message.",
                               validator=colander.Length(max=5000, max_err="5 000 caractères au plus."),
                               widget=deform.widget.TextAreaWidget(rows=4))


class ReplySchema(Schema):
    text = message_node()


class ReportSchema(Schema):
    reason = colander.SchemaNode(StrippedString(), title="Pourquoi signalez-vous ce message ?",
                                 validator=colander.Length(max=1000, max_err="1 000 caractères au plus."),
                                 widget=deform.widget.TextAreaWidget(rows=3))


class ResolveSchema(Schema):
    """A moderator's decision on a reported message (a button of reports.pt)."""
    action = colander.SchemaNode(StrippedString(), missing_msg="Choisissez de garder ou de retirer le message.",
                                 validator=colander.OneOf(("keep", "remove"),
                                                          msg_err="Choisissez de garder ou de retirer le message."))
