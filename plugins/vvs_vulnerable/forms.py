"""The register's sign-up form, written in signup.pt and read with
``vvs_core.web.forms.read_fields``: each field's own rule (its length, the e-mail's shape,
the origin) is the schema's; the rules that depend on who registers whom are
``check_form``'s. All the errors come in one pass; nothing is written on an error."""
from __future__ import annotations

import colander

from vvs_core.accounts.phones import normalise_phone
from vvs_core.web.forms import CleanText, Schema, clean_text, email_problem, read_fields, refusing, typed

from . import register as service
from .models import ORIGINS, SITUATIONS

LIMITS = {"name": 120, "address": 255, "phone": 40, "email": 254, "needs": 1000, "contact": 200,
          "quality": 120, "relationship": 120, "written_request": 4000}


def _text(name: str, then=None):
    """An optional text field of at most ``LIMITS[name]`` characters, then ``then``'s rule."""
    def fits(node, value):
        if len(value) > LIMITS[name]:
            raise colander.Invalid(node, f"Ce champ doit tenir en {LIMITS[name]} caractères.")
        if then is not None and value:
            then(node, value)
    return colander.SchemaNode(CleanText(), name=name, missing="", validator=fits)


class SignupSchema(Schema):
    origin = colander.SchemaNode(CleanText(), missing_msg="Indiquez qui vous inscrivez.", validator=colander.OneOf(
        list(ORIGINS), msg_err="Indiquez qui vous inscrivez."))
    name, address, phone = _text("name"), _text("address"), _text("phone")
    email = _text("email", refusing(lambda _node, value: (value, email_problem(value))))
    situations = colander.SchemaNode(colander.Sequence(), colander.SchemaNode(CleanText(), missing=""), missing=[])
    needs, contact, quality = _text("needs"), _text("contact"), _text("quality")
    relationship, written_request = _text("relationship"), _text("written_request")
    consent = colander.SchemaNode(CleanText(), missing="")  # "1" when ticked
    inform = colander.SchemaNode(CleanText(), missing="")  # "1" when ticked


def _rules(origin: str, values: dict, ticked: dict) -> dict:
    """{field: French message} for what a field's own rule cannot see."""
    third = origin == "third_party"
    return {"name": not values["name"] and "Indiquez le nom et le prénom de la personne.",
            "address": not values["address"] and "Indiquez l'adresse où la personne vit : le CCAS doit pouvoir s'y rendre.",
            "situations": not values["situations"] and (
                "Cochez la situation de la personne (la loi réserve le registre à ces trois cas)."),
            "consent": origin in ("self", "representative") and ticked.get("consent") != "1" and (
                "Le registre ne peut inscrire personne sans son consentement : cochez la case."),
            "quality": origin == "representative" and not values["quality"] and (
                "Indiquez à quel titre vous représentez la personne (tuteur, curateur…)."),
            "written_request": third and len(values["written_request"]) < 20 and (
                "Écrivez votre demande (20 caractères au moins) : elle est conservée."),
            "relationship": third and not values["relationship"] and "Indiquez votre lien avec la personne.",
            "inform": third and ticked.get("inform") != "1" and (
                "Cochez la case : la personne est informée et peut s'opposer à son inscription.")}


def check_form(request) -> tuple[str, dict, dict, dict]:
    """(origin, sealed data, errors by field, values to show again)."""
    accepted, errors = read_fields(request, SignupSchema())
    shown = typed(request, "origin", *LIMITS)
    values = {k: accepted[k] if k in accepted else clean_text(shown[k]) for k in ["origin", *LIMITS]}
    values["situations"] = [s for s in accepted.get("situations", []) if s in SITUATIONS]
    origin = values["origin"]
    phone, problem = normalise_phone(values["phone"]) if "phone" not in errors else (None, None)
    if problem:
        errors["phone"] = "Numéro de téléphone invalide (par exemple 06 12 34 56 78 ou 01 60 43 27 15)."
    errors.update({k: m for k, m in _rules(origin, values, accepted).items() if m and k not in errors})
    data = {"name": values["name"], "address": values["address"], "phone": phone or "", "email": values["email"],
            "situations": values["situations"], "needs": values["needs"], "contact": values["contact"],
            "consent": origin in ("self", "representative"), "consent_at": service.stamp_now()}
    if origin == "representative":
        data["representative"] = {"name": request.user.full_name, "quality": values["quality"]}
    if origin == "third_party":
        data["requester"] = {"name": request.user.full_name, "email": request.user.email,
                             "relationship": values["relationship"]}
        data["written_request"] = values["written_request"]
    return origin, data, errors, values
