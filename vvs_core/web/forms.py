"""deform helpers: every form has a CSRF token, French messages, and one way to be
validated (``validate``), so views stay short."""

import re
import unicodedata

import colander
import deform
from deform.schema import CSRFSchema
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.renderers import render_to_response

from vvs_core.errors import ActionRefused, ChangedMeanwhile


class Schema(CSRFSchema):
    """Base of every form schema: a hidden ``csrf_token`` checked by Pyramid and deform."""


def make_form(request, schema: colander.Schema, button: str, formid: str = "deform", **kw) -> deform.Form:
    """A deform form whose fields' ids start with ``formid``: deform numbers them from 1 in
    every form, so two forms on one page would share ids, and a label would name the
    other form's field (« Téléphone portable » naming the e-mail box). ``before_buttons=html``
    puts that HTML (a map, say) between the fields and the submit button."""
    form = deform.Form(schema.bind(request=request), buttons=(deform.Button("submit", button),), formid=formid, **kw)
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
    exc, fields = invalid if invalid is not None else colander.Invalid(form.schema, ""), {f.name: f for f in form.children}
    for name, message in problems.items():
        error = fields[name].error if name in fields else None
        if error is None:
            exc[name] = message
        elif name in appstruct:  # a widget's own error (two passwords that differ): both at once, the rule first
            error.msg = f"{message} {request.localizer.translate(error.msg)}"
    form.widget.handle_error(form, exc)
    focus_first_error(form)
    return None, form.render()  # what was typed (form.cstruct), with the errors


def posted(request, form: deform.Form, check=None, values=colander.null):
    """``validate`` for a page that also shows ``form`` on a GET: (None, the form with ``values``)
    then; a POST with errors answers 400."""
    if request.method != "POST":
        return None, form.render(values)
    data, rendered = validate(request, form, check)
    if rendered is not None:
        request.response.status = 400
    return data, rendered


def act(request, form: deform.Form, apply, page, check=None):
    """An action posted through ``form``: ``apply(data) -> (French message flashed, URL to go to)``;
    else ``page(rendered=…)`` (errors: 400) or ``page(error=…)`` (refused: 400, changed meanwhile: 409)."""
    data, rendered = validate(request, form, check)
    if data is None:
        request.response.status = 400
        return page(rendered=rendered)
    try:
        message, url = apply(data)
    except ActionRefused as exc:
        request.response.status = 409 if isinstance(exc, ChangedMeanwhile) else 400
        return page(error=str(exc))
    request.flash(message, "success")
    return HTTPSeeOther(url)


def confirmed(request, question: str, consequences: str, button: str, back: str, **page):
    """None once the person confirmed an action that cannot be undone; else the page asking it (its
    button posts here first): what goes, ``button`` to go on, « Annuler » back; ``page``: its assets."""
    if request.POST.get("__formid__") == "confirmation":
        return None
    form = make_form(request, Schema(), button, formid="confirmation", action=request.path_qs)
    return render_to_response("vvs_core:web/templates/form_page.pt", {
        **page, "title": question, "intro": consequences, "form": form.render(), "back": back}, request=request)


def refusing(parse):
    """A colander validator from ``parse(node, value) -> (result, French problem or None)``."""
    def check(node, value):
        if problem := parse(node, value)[1]:
            raise colander.Invalid(node, problem)
    return check


def read(request, schema: colander.Schema):
    """(appstruct, None), or (None, the first French message in field order): for a small
    form in a page's template whose view answers with a flash message and a redirect."""
    data, errors = read_fields(request, schema)
    return (data, None) if not errors else (None, next(iter(errors.values())))


def read_fields(request, schema: colander.Schema):
    """(appstruct, {}) when the POST's fields of ``schema`` are valid, else (the fields that
    were valid, {field name: French message} in field order): for the forms written in a
    page's template that show each error beside its field. ``request``: the request, or
    its POST. The CSRF token is checked by Pyramid before the view; a value that is not
    text (an uploaded file) counts as empty; a sequence node reads every value of its name."""
    post, bound, data, errors = getattr(request, "POST", request), schema.clone(), {}, {}
    bound.children = [node for node in bound.children if node.name != "csrf_token"]
    bound = bound.bind(request=request)
    for node in bound.children:
        if isinstance(node.typ, colander.Sequence):
            value = [v for v in post.getall(node.name) if isinstance(v, str)] if hasattr(post, "getall") else []
        else:
            value = post.get(node.name) if isinstance(post.get(node.name), str) else colander.null
        try:
            data[node.name] = node.deserialize(value)
        except colander.Invalid as exc:
            errors[node.name] = next((m for m in exc.asdict().values() if m), "Valeur invalide.")
    if not errors and bound.validator is not None:  # the rules across fields
        try:
            bound.validator(bound, data)
        except colander.Invalid as exc:
            errors = {name: m for name, m in exc.asdict().items() if m} or {"": "Formulaire invalide."}
    return data, errors


def typed(request, *names: str) -> dict[str, str]:
    """What was typed in the fields ``names`` (to show beside the errors); a file counts as empty."""
    post = getattr(request, "POST", request)
    return {name: v.strip() if isinstance(v, str) else "" for name in names for v in [post.get(name, "")]}


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
    focus_first_error(form)
    return form.render()


class StrippedString(colander.String):
    def deserialize(self, node, cstruct):
        if isinstance(cstruct, str):  # one spelling of « é » (a phone may send e + accent)
            cstruct = unicodedata.normalize("NFC", cstruct.strip()) or colander.null
        return super().deserialize(node, cstruct)


deform.Field.focusable_input_types += (StrippedString,)  # deform focused the first plain String instead


def focus_first_error(form: deform.Form) -> None:
    """The cursor in the first field in error (deform leaves it on the form's first field)."""
    wrong = [f for f in form.children if f.error]
    for field in form.children if wrong else ():
        field.autofocus = "autofocus" if field is wrong[0] else None


def number_node(title, *, min: int, max: int, message: str, **kw):
    """A whole number from ``min`` to ``max``, as an int; anything else (« -3 », « 2.5 », « ３ », emoji,
    30 digits; nothing when required) answers ``message``, where colander's Integer answers in English."""
    class WholeNumber(StrippedString):
        def deserialize(self, node, cstruct):
            value = super().deserialize(node, cstruct)
            if value is colander.null:
                return value
            if not (value.isascii() and value.isdigit() and len(value) < 20 and min <= int(value) <= max):
                raise colander.Invalid(node, message)
            return int(value)
    return colander.SchemaNode(WholeNumber(), title=title, missing_msg=message, **kw)


def email_problem(text: str, existing: bool = False) -> str | None:
    """Why mail cannot reach ``text`` (French), or None. A domain without a dot (« helene@orange ») is
    refused unless ``existing``: the address of an account to find (it may predate the rule)."""
    if any(c.isspace() or not c.isascii() and c.isalpha() for c in text):
        return "Adresse e-mail invalide. Une adresse e-mail ne contient ni accent ni espace."
    if not existing and "." not in text.rpartition("@")[2].removesuffix(".") and re.fullmatch(colander.EMAIL_RE, text.removesuffix(".")):
        return "Adresse e-mail incomplète : il manque la fin, par exemple « @orange.fr »."
    if len(text) > 254 or len(text.rpartition("@")[0]) > 64 or not re.fullmatch(colander.EMAIL_RE, text):
        return "Adresse e-mail invalide."


def email_node(title="Adresse e-mail", existing=False, **kw):
    return colander.SchemaNode(StrippedString(), title=title, name=kw.pop("name", "email"),
                               validator=refusing(lambda _node, value: (value, email_problem(value, existing))),
                               widget=deform.widget.TextInputWidget(attributes={"type": "email", "autocomplete": "email"}), **kw)


def password_node(title="Mot de passe actuel"):
    """The account's password typed again (login, « Mes paramètres », closing the account)."""
    return colander.SchemaNode(colander.String(), title=title, validator=colander.Length(max=256),
                               widget=deform.widget.PasswordWidget(attributes={"autocomplete": "current-password"}))


def new_password_node(title="Nouveau mot de passe"):
    """A new password typed twice (sign-up, reset, « Mes paramètres »); its rules are
    ``accounts.security.password_problem``, checked with the fields (``validate(check=)``)."""
    return colander.SchemaNode(colander.String(), title=title, description="Au moins 12 caractères ; une phrase de plusieurs mots est idéale.",
                               widget=deform.widget.CheckedPasswordWidget(attributes={"autocomplete": "new-password"},
                                                                          mismatch_message="Les deux mots de passe ne correspondent pas."))


PERSON_NAME = re.compile(r"[^\W\d_]+(?:[ .’'-]+[^\W\d_]+)*\.?")  # letters of any alphabet, then ’ ' - . or spaces


def name_node(title: str, autocomplete: str, **kw):
    """A person's name (sign-up, account settings): what goes out in every SMS and e-mail."""
    def person_name(node, value):
        if not PERSON_NAME.fullmatch(value):
            raise colander.Invalid(node, "Un nom s'écrit avec des lettres, et au besoin des espaces, traits d'union, "
                                         "apostrophes ou points (ni chiffres, ni symboles).")
    return colander.SchemaNode(StrippedString(), title=title, widget=deform.widget.TextInputWidget(attributes={"autocomplete": autocomplete}),
                               validator=colander.All(colander.Length(max=80, max_err="80 caractères au plus."), person_name), **kw)


# The invisible control characters (Unicode "Cc") that a keyboard does not type; line breaks
# and tabs are kept, and so are « » ’, accents and emoji (joiners included).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(value: str) -> str:
    """``value`` without its control characters (Windows line breaks become "\\n"), stripped."""
    return CONTROL.sub("", value.replace("\r\n", "\n")).strip()


class CleanText(StrippedString):
    """Text whose control characters a paste brings are dropped, not refused (PostgreSQL
    refuses NUL in text): what is copied from a letter or a file goes through."""
    def deserialize(self, node, cstruct):
        return super().deserialize(node, clean_text(cstruct) if isinstance(cstruct, str) else cstruct)


def text_node(title, *, max, too_long, min=0, too_short=None, required=True, **kw):
    """A stripped text field with French messages. ``too_long`` and ``too_short`` may name
    ``{max}``, ``{min}`` and ``{length}`` (the length received); an empty field answers
    ``too_short`` (or ``missing_msg``) when required, else is ``""``."""
    def length(node, value):
        if CONTROL.search(value):
            raise colander.Invalid(node, "Le texte contient des caractères de contrôle invisibles : retirez-les.")
        if len(value) > max:
            raise colander.Invalid(node, too_long.format(max=max, min=min, length=len(value)))
        if len(value) < min:
            raise colander.Invalid(node, (too_short or too_long).format(max=max, min=min, length=len(value)))

    if required:
        kw.setdefault("missing_msg", (too_short or "Ce champ est obligatoire.").format(max=max, min=min, length=0))
    else:
        kw.setdefault("missing", "")
    kw.setdefault("widget", deform.widget.TextAreaWidget(attributes={"maxlength": str(max)}))
    return colander.SchemaNode(StrippedString(), title=title, validator=length, **kw)


# Forms of the platform team and the town hall: an action with its reason, kept in the journal.
REASON_MIN, REASON_MAX = 5, 1000


def reason_node():
    return text_node("Motif (gardé dans le journal)", name="reason", min=REASON_MIN, max=REASON_MAX,
                     missing_msg="Indiquez le motif de cette action : il est gardé dans le journal.",
                     too_short="Le motif doit comporter au moins {min} caractères.",
                     too_long="Le motif ne doit pas dépasser {max} caractères.",
                     widget=deform.widget.TextAreaWidget(rows=3, attributes={"maxlength": str(REASON_MAX)}))


def pseudonym_node():
    """The only name people outside the resident's community see: one rule at sign-up and in the profile."""
    return text_node("Pseudonyme", min=2, max=40, too_short="{min} caractères au moins.", too_long="{max} caractères au plus.",
                     description="Le pseudonyme est la seule information partagée avec les utilisateurs du site, non "
                                 "membres de votre communauté.", missing_msg="Ce champ est obligatoire.",
                     widget=deform.widget.TextInputWidget(attributes={"autocomplete": "nickname", "maxlength": "40"}))


def state_node():
    """The state of the row the person saw (hidden): a conditional UPDATE refuses a change
    made meanwhile (``vvs_core.errors.ChangedMeanwhile``)."""
    return colander.SchemaNode(colander.String(), name="etat", missing="", widget=deform.widget.HiddenWidget())


def choice_node(name: str, title: str, choices: list[tuple[str, str]]):
    keys = {key for key, _label in choices}

    def one_of(node, value):
        if value not in keys:
            raise colander.Invalid(node, "Choisissez une valeur de la liste.")

    return colander.SchemaNode(
        colander.String(), name=name, title=title,
        missing_msg="Choisissez une valeur de la liste.", validator=one_of,
        widget=deform.widget.SelectWidget(values=[("", "— choisir —"), *choices]))
