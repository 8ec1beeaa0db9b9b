"""The town hall's forms written in its templates, read with
``vvs_core.web.forms.read_fields`` (the commune alert's and the référents' are beside their
services): the second factor, the invitation, the follow-up of a residents' alert, the
channels, the proofs' retention, an alert's update, a communication. A file sent for a
field counts as empty; every error comes in one pass; nothing is changed on an error."""
from __future__ import annotations

import colander

from vvs_core.web.forms import Schema, StrippedString, text_node

from . import follow_up, retention
from .models import ALERT_CHANNELS


def _plain(name: str, typ=StrippedString):
    return colander.SchemaNode(typ(), name=name, missing="")


def _several(name: str):
    return colander.SchemaNode(colander.Sequence(), _plain(name), name=name, missing=[])


class CodeSchema(Schema):
    """The 6-digit code of the application, or a recovery code (the second factor)."""
    code, recovery = _plain("code"), _plain("recovery")


class InvitationSchema(Schema):
    """Passwords are kept as typed: a space may be part of one."""
    password = _plain("password", colander.String)
    password_confirm = _plain("password_confirm", colander.String)
    current_password = _plain("current_password", colander.String)


class FollowSchema(Schema):
    status = colander.SchemaNode(
        StrippedString(), missing_msg="Choisissez un statut : prise en compte, patrouille envoyée ou close.",
        validator=colander.OneOf(list(follow_up.CHOOSABLE),
                                 msg_err="Choisissez un statut : prise en compte, patrouille envoyée ou close."))
    reply = text_node("Réponse", max=follow_up.REPLY_MAX, required=False,
                      too_long=f"Réponse trop longue : {follow_up.REPLY_MAX} caractères au plus ({{length}} reçus). "
                               "Rien n'a été envoyé.")
    to_community, seen, seen_reply = _plain("to_community"), _plain("seen"), _plain("seen_reply")


class ChannelsSchema(Schema):
    channels = colander.SchemaNode(
        colander.Sequence(), _plain("channel"), missing_msg="Choisissez au moins un moyen de recevoir les alertes.",
        preparer=lambda chosen: list(dict.fromkeys(c for c in chosen if c in ALERT_CHANNELS)) or colander.null)


class RetentionSchema(Schema):
    retention_days = colander.SchemaNode(  # a key of retention.CHOICES, as text
        StrippedString(), missing_msg="Choisissez une durée de la liste.",
        validator=colander.OneOf([str(days) for days in retention.CHOICES], msg_err="Choisissez une durée de la liste."))


class FollowUpSchema(Schema):
    """An update or the end of a commune alert."""
    kind = colander.SchemaNode(StrippedString(), missing="")
    body = text_node("Message", max=2000, required=False, too_long="Le message doit tenir en {max} caractères.")


class CommunicationSchema(Schema):
    title = text_node("Titre", max=140, min=1, too_long="Indiquez un titre de 140 caractères au plus.",
                      too_short="Indiquez un titre de 140 caractères au plus.")
    text = text_node("Texte", max=5000, min=1, too_long="Écrivez le texte (5000 caractères au plus).",
                     too_short="Écrivez le texte (5000 caractères au plus).")
    action = _plain("action")
    communities = _several("communities")
