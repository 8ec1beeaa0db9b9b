"""Gazette forms (deform/colander, French messages)."""
from __future__ import annotations

import re

import colander
import deform

from vvs_core.web.forms import Schema, StrippedString, text_node as core_text_node
from vvs_core.web.timefmt import dates, zone

from .models import CATEGORIES, MAX_PHOTOS

_HOUR = re.compile(r"(\d{1,2})\s*[:hH]\s*(\d{2})?")


class LocalDateTime(colander.SchemaType):
    """An HTML ``datetime-local`` value, read in ``vvs.timezone`` (« 19:00 » is 19:00 in
    Paris), stored aware in UTC, shown back in local time."""

    def serialize(self, node, appstruct):
        if not appstruct:
            return colander.null
        if isinstance(appstruct, str):  # re-rendering what the member typed
            return appstruct
        return dates.input_value(appstruct)

    def deserialize(self, node, cstruct):
        if not cstruct:
            return colander.null
        try:
            value = dates.parse_local(str(cstruct)[:40])
        except (ValueError, OverflowError):
            raise colander.Invalid(node, "Date et heure invalides (jj/mm/aaaa hh:mm).") from None
        return self.check_clock_change(node, str(cstruct), value)

    @staticmethod
    def check_clock_change(node, typed: str, value):
        """An hour the clocks skip (spring: 02:00 → 03:00) is refused; one they go through
        twice (autumn: 03:00 → 02:00) is the first, and the member is told so."""
        hour = _HOUR.search(typed.split("T")[-1] if "T" in typed else typed.split(" ", 1)[-1])
        local = dates.local(value)
        if hour and not any(c in typed.upper() for c in "+Z") and (local.hour, local.minute) != (int(hour.group(1)), int(hour.group(2) or 0)):
            raise colander.Invalid(node, f"Le {dates.long_date(local)} à {hour.group(1)}h{hour.group(2) or '00'} "
                                         "n'existe pas à Paris : les horloges passent de 2 h à 3 h (heure d'été). "
                                         "Choisissez une autre heure, par exemple 3 h.")
        wall = local.replace(tzinfo=None)
        if wall.replace(tzinfo=zone(), fold=1).utcoffset() != wall.replace(tzinfo=zone(), fold=0).utcoffset():
            request = node.bindings.get("request") if node.bindings else None
            if request is not None:
                request.session.flash(f"Le {dates.long_date(local)} à {dates.time(local)} arrive deux fois (les horloges "
                                      "reculent de 3 h à 2 h) : nous avons retenu la première, à l'heure d'été.", "warning")
        return value


class MemoryTmpStore(dict):
    """deform's upload store, for one request: a form that fails validation asks
    for the photos again rather than keeping files on the server."""

    def preview_url(self, uid):
        return None


def text_node(title, max_len, **kw):
    """A stripped text of at most ``max_len`` characters, without control characters."""
    kw.setdefault("widget", deform.widget.TextInputWidget(attributes={"maxlength": str(max_len)}))
    return core_text_node(title, max=max_len, too_long="{max} caractères au plus ({length} saisis).",
                          too_short=f"Indiquez : {title.lower()}.", **kw)


def post_schema(allow_mairie: bool, editing: bool = False) -> Schema:
    choices = [(k, v) for k, v in CATEGORIES.items() if allow_mairie or k != "mairie"]
    schema = Schema()  # the dates' rules: posts.date_problems, checked with the fields (one pass)
    schema.add(colander.SchemaNode(
        colander.String(), name="category", title="Rubrique", missing_msg="Choisissez une rubrique de la liste.",
        validator=colander.OneOf([k for k, _ in choices], msg_err="Choisissez une rubrique de la liste."),
        widget=deform.widget.SelectWidget(values=[("", "— Choisissez —"), *choices])))
    schema.add(text_node("Titre", 150, name="title"))
    schema.add(text_node("Texte", 5000, name="text", widget=deform.widget.TextAreaWidget(rows=6)))
    schema.add(colander.SchemaNode(
        LocalDateTime(), name="event_at", title="Date de l'événement", missing=None,
        description="Pour une fête ou un événement : le jour et l'heure.",
        widget=deform.widget.TextInputWidget(attributes={"type": "datetime-local"})))
    schema.add(colander.SchemaNode(
        colander.Date(), name="expires_on", title="Visible jusqu'au (facultatif)", missing=None,
        widget=deform.widget.TextInputWidget(attributes={"type": "date"})))
    store = MemoryTmpStore()
    for n in range(1, MAX_PHOTOS + 1):
        schema.add(colander.SchemaNode(
            deform.FileData(), name=f"photo{n}", title=f"Photo {n} (facultative)", missing=None,
            widget=deform.widget.FileUploadWidget(store, accept="image/jpeg,image/png,image/webp")))
    if editing:
        schema.add(colander.SchemaNode(
            colander.Boolean(), name="remove_photos", title="Retirer les photos actuelles", missing=False,
            widget=deform.widget.CheckboxWidget()))
    return schema


class ReplySchema(Schema):
    text = text_node("Votre réponse", 3000, widget=deform.widget.TextAreaWidget(rows=3))


class ReportSchema(Schema):
    reason = text_node("Pourquoi signalez-vous ce contenu ?", 1000, widget=deform.widget.TextAreaWidget(rows=3))


MODERATE_WRONG = "Action de modération invalide."
HIDE_NEEDS_REASON = "Indiquez le motif : il est envoyé à l'auteur."


class ModerateSchema(Schema):
    """Hiding or restoring a post or a reply (the form is in post.pt and moderation.pt);
    ``back``: « moderation » to return to the moderation page."""
    action = colander.SchemaNode(StrippedString(), missing_msg=MODERATE_WRONG,
                                 validator=colander.OneOf(("hide", "restore"), msg_err=MODERATE_WRONG))
    reason = text_node("Motif (montré à l'auteur et gardé dans l'historique)", 1000,
                       required=False, widget=deform.widget.TextAreaWidget(rows=2))
    back = colander.SchemaNode(StrippedString(), missing="")

    def validator(self, node, data):
        """Hiding is told to the author with its reason (moderation.tell_author): one is needed."""
        if data["action"] == "hide" and not data["reason"]:
            raise colander.Invalid(node, HIDE_NEEDS_REASON)
