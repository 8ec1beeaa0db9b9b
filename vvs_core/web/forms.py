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
    other form's field (« Téléphone portable » naming the e-mail box). ``before_buttons=html``
    puts that HTML (a map, say) between the fields and the submit button."""
    form = deform.Form(
        schema.bind(request=request), buttons=(deform.Button("submit", button),), formid=formid, **kw
    )
    fields = list(form.children)
    while fields:
        field = fields.pop()
        field.oid = f"{formid}-{field.oid}"
        fields.extend(field.children)
    return form


def validate(request, form: deform.Form, check=None):
    """(appstruct, None) when the POST is valid, (None, rendered form with errors) otherwise.

    ``check(data) -> {field name: French message}`` holds the rules colander cannot
    (a name already taken, a date already past, a wrong current password). It runs
    on the fields colander accepted even when others failed, so a form shows all
    its errors in one pass, never a second round after the first is fixed.
    ``data`` holds only the accepted fields: a check reads them with ``.get``.
    """
    try:
        appstruct, invalid = form.validate(request.POST.items()), None
    except deform.ValidationFailure as failure:
        appstruct, invalid = accepted_fields(form), failure.error
    problems = {name: message for name, message in (check(appstruct) if check else {}).items() if message}
    if invalid is None and not problems:
        return appstruct, None
    exc = invalid if invalid is not None else colander.Invalid(form.schema, "")
    already = {child.node.name for child in exc.children}
    for name, message in problems.items():
        if name not in already:
            exc[name] = message
    form.widget.handle_error(form, exc)
    return None, form.render()  # what was typed (form.cstruct), with the errors


def accepted_fields(form: deform.Form) -> dict:
    """The fields of a form that failed validation whose own value was valid, deserialized."""
    cstruct = form.cstruct if isinstance(form.cstruct, dict) else {}
    accepted = {}
    for node in form.schema.children:
        try:
            accepted[node.name] = node.deserialize(cstruct.get(node.name, colander.null))
        except colander.Invalid:
            continue
    return accepted


def field_error(form: deform.Form, name: str, message: str) -> str:
    """Render ``form`` with ``message`` next to field ``name`` (an error found after colander,
    that only the work itself reveals: prefer ``validate(…, check=…)`` for rules)."""
    exc = colander.Invalid(form.schema, "")
    exc[name] = message
    form.widget.handle_error(form, exc)
    return form.render()


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
