"""The "Lancer une alerte" form, and the typed fields of the small forms on an alert's page
(report, follow-up, moderation), read with ``vvs_core.web.forms.read``."""
from __future__ import annotations

import re
import uuid

import colander
import deform

from vvs_core.web.forms import Schema, StrippedString, number_node, text_node

from .catalogue import CATEGORIES, EXPIRY_CHOICES, SEVERITIES
from .moderation import DAYS_WRONG, MAX_DAYS, MIN_DAYS, REASON_MAX

_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

TEXT_HELP = ("Des faits : ce que vous avez vu, où, quand, le véhicule (marque, couleur), le comportement. "
             "Comme le demande la charte, ne publiez ni nom, ni photo, ni plaque d'immatriculation d'une personne "
             "mise en cause (donnez la plaque à la police, au 17), et ne décrivez jamais l'origine, la religion ou "
             "l'apparence d'une personne.")


def _key_validator(node, value):
    if not _KEY.match(value or ""):
        raise colander.Invalid(node, "Formulaire expiré : rechargez la page.")


class AlertSchema(Schema):
    idempotency_key = colander.SchemaNode(colander.String(), widget=deform.widget.HiddenWidget(),
                                          validator=_key_validator,
                                          missing_msg="Formulaire expiré : rechargez la page.")
    category = colander.SchemaNode(
        colander.String(), title="Ce que vous signalez",
        widget=deform.widget.SelectWidget(values=[("", "— choisissez —")] + [(k, label[:1].upper() + label[1:]) for k, label, _c in CATEGORIES]),
        validator=colander.OneOf([k for k, _l, _c in CATEGORIES]),
        missing_msg="Choisissez ce que vous signalez.")
    text = colander.SchemaNode(
        StrippedString(), title="Ce que vous avez vu", description=TEXT_HELP,
        widget=deform.widget.TextAreaWidget(rows=5, attributes={"maxlength": "1000", "data-sms-counter": "1"}),
        validator=colander.Length(min=10, max=1000, min_err="Décrivez les faits en quelques mots (10 caractères au moins).",
                                  max_err="Texte trop long : 1000 caractères au plus."),
        missing_msg="Décrivez ce que vous avez vu.")
    severity = colander.SchemaNode(
        colander.String(), title="Gravité",
        widget=deform.widget.RadioChoiceWidget(values=[(k, label) for k, label, _c in SEVERITIES]),
        validator=colander.OneOf([k for k, _l, _c in SEVERITIES]), missing="moderate")
    expiry_hours = colander.SchemaNode(
        colander.Integer(), title="L'alerte reste active pendant",
        widget=deform.widget.SelectWidget(values=[(str(h), f"{h} heures") for h in EXPIRY_CHOICES]),
        validator=colander.OneOf(EXPIRY_CHOICES), missing=None)
    lon = colander.SchemaNode(colander.Float(), widget=deform.widget.HiddenWidget(), missing=None,
                              validator=colander.Range(-180, 180))
    lat = colander.SchemaNode(colander.Float(), widget=deform.widget.HiddenWidget(), missing=None,
                              validator=colander.Range(-90, 90))


def new_key() -> str:
    return uuid.uuid4().hex


class ReportSchema(Schema):
    reason = text_node("Ce qui ne va pas", min=5, max=REASON_MAX,
                       too_short="Dites en quelques mots ce qui ne va pas dans cette alerte (5 caractères au moins).",
                       too_long="Signalement trop long : {max} caractères au plus ({length} reçus).")


FOLLOW_UP_KINDS = ("update", "all_clear")


class FollowUpSchema(Schema):
    """« Envoyer la suite » (a text of 5 characters at least) or « Fin d'alerte » (text optional)."""
    kind = colander.SchemaNode(colander.String(), validator=colander.OneOf(FOLLOW_UP_KINDS,
                               msg_err="Choisissez une suite ou une fin d'alerte."),
                               missing_msg="Choisissez une suite ou une fin d'alerte.")
    text = text_node("Nouvelle information", max=1000, required=False,
                     too_long="Texte trop long : {max} caractères au plus.")

    def validator(self, node, value):
        if value["kind"] == "update" and len(value["text"]) < 5:
            exc = colander.Invalid(node)
            exc["text"] = "Écrivez la nouvelle information (5 caractères au moins)."
            raise exc


class ModerationReasonSchema(Schema):
    """The motive of a moderation decision or of a suspension's change; whether it is required
    depends on the decision, which the moderation service checks."""
    reason = text_node("Motif", max=REASON_MAX, required=False,
                       too_long="Motif trop long : {max} caractères au plus ({length} reçus). Rien n'a été changé.")


class AlertModerationSchema(ModerationReasonSchema):
    """A decision on an alert: ``action`` (checked by the moderation service), ``days`` (a
    suspension's length, read when the action suspends), ``seen``: the last journal entry
    the moderator's page showed, ``back``: « queue » to return to the queue."""
    action = colander.SchemaNode(StrippedString(), missing="")
    days = number_node("Durée", min=MIN_DAYS, max=MAX_DAYS, message=DAYS_WRONG, missing=None)
    seen = number_node("Dernière décision vue", min=0, max=999_999_999, missing=None,
                       message="La page de modération n'a pas été comprise : rechargez-la. Rien n'a été changé.")
    back = colander.SchemaNode(StrippedString(), missing="")


class SuspensionChangeSchema(ModerationReasonSchema):
    """A suspension in force: ``what`` is « change » (then ``days`` from now) or « lift »;
    ``seen_until``: the end the moderator's page showed."""
    what = colander.SchemaNode(StrippedString(), missing="")
    days = number_node("Durée", min=MIN_DAYS, max=MAX_DAYS, message=DAYS_WRONG, missing=None)
    seen_until = colander.SchemaNode(StrippedString(), missing=None)
    back = colander.SchemaNode(StrippedString(), missing="")  # the user id of the history page to return to
