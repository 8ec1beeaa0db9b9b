"""deform helpers: every form has a CSRF token, French messages, and one way to be
validated (``validate``), so views stay short."""
from __future__ import annotations

import colander
import deform
from deform.schema import CSRFSchema


class Schema(CSRFSchema):
    """Base of every form schema: a hidden ``csrf_token`` checked by Pyramid and deform."""


def make_form(request, schema: colander.Schema, button: str, formid: str = "deform", **kw) -> deform.Form:
    """A deform form whose fields' ids start with ``formid``: deform numbers them from 1 in
    every form, so two forms on one page would share ids, and a label would name the
    other form's field (« Téléphone portable » naming the e-mail box)."""
    form = deform.Form(
        schema.bind(request=request), buttons=(deform.Button("submit", button),), formid=formid, **kw
    )
    fields = list(form.children)
    while fields:
        field = fields.pop()
        field.oid = f"{formid}-{field.oid}"
        fields.extend(field.children)
    return form


def validate(request, form: deform.Form):
    """(appstruct, None) when the POST is valid, (None, rendered form with errors) otherwise."""
    try:
        return form.validate(request.POST.items()), None
    except deform.ValidationFailure as failure:
        return None, failure.render()


def field_error(form: deform.Form, name: str, message: str) -> str:
    """Render ``form`` with ``message`` next to field ``name`` (an error found after colander)."""
    exc = colander.Invalid(form.schema, "")
    exc[name] = message
    form.widget.handle_error(form, exc)
    return form.render(dict(form.cstruct) if form.cstruct is not colander.null else {})


class StrippedString(colander.String):
    def deserialize(self, node, cstruct):
        if isinstance(cstruct, str):
            cstruct = cstruct.strip() or colander.null
        return super().deserialize(node, cstruct)


def email_node(title="Adresse e-mail", **kw):
    return colander.SchemaNode(
        StrippedString(), title=title, name=kw.pop("name", "email"),
        validator=colander.All(colander.Length(max=254), colander.Email(msg="Adresse e-mail invalide.")),
        widget=deform.widget.TextInputWidget(attributes={"type": "email", "autocomplete": "email"}), **kw,
    )
