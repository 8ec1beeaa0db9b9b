"""The agent's two forms, written in the templates and read with
``vvs_core.web.forms.read_fields``: a draft to send (title, message) and the commune's
choices (threshold, automatic relay)."""
from __future__ import annotations

import colander

from vvs_core.web.forms import Schema, StrippedString, text_node

from .models import THRESHOLDS
from .relay import BODY_MAX

TITLE_MAX = 140


class RelaySchema(Schema):
    title = text_node("Titre", max=TITLE_MAX, min=1, too_short="Indiquez un titre.",
                      too_long="Le titre doit tenir en {max} caractères.")
    body = text_node("Message", max=BODY_MAX, min=1, too_short="Le message ne peut pas être vide.",
                     too_long="Le message doit tenir en {max} caractères.")


class WarningSettingsSchema(Schema):
    threshold = colander.SchemaNode(
        StrippedString(), missing_msg="Choisissez à partir de quelle vigilance la mairie est prévenue.",
        validator=colander.OneOf(list(THRESHOLDS), msg_err="Choisissez à partir de quelle vigilance la mairie est prévenue."))
    automatic = colander.SchemaNode(StrippedString(), missing="")  # "1" when ticked
