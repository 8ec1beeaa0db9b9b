"""The roll-call's forms, written in the templates and read with
``vvs_core.web.forms.read_fields``: launching, the commune's settings, and a resident's
answer. Each parser returns (clean data, French errors by field, all in one pass);
nothing is changed on an error."""
from __future__ import annotations

import colander

from vvs_core.geo.areas import read_audience
from vvs_core.web.forms import Schema, StrippedString, number_node, read_fields, text_node, typed

from .models import ANSWERS, DUTIES, MAX_RETENTION_DAYS, MAX_WAVE_MINUTES, MAX_WAVES, TARGETS
from .service import MESSAGE_MAX

CHOOSE_ANSWER = "Choisissez « Je suis en sécurité » ou « J'ai besoin d'aide »."
RETENTION = (f"Durée de conservation : un nombre de jours entre 0 (pour toujours) et {MAX_RETENTION_DAYS}, "
             "ou vide pour la durée du site.")


def _one_line(value):
    return " ".join(value.split()) if isinstance(value, str) else value


def _choices(name):
    return colander.SchemaNode(colander.Sequence(), colander.SchemaNode(StrippedString(), missing=""),
                               name=name, missing=[])


def _ticked(name):
    return colander.SchemaNode(StrippedString(), name=name, missing="")  # "1" when ticked


class LaunchSchema(Schema):
    target = colander.SchemaNode(StrippedString(), missing_msg="Choisissez qui interroger.",
                                 validator=colander.OneOf(list(TARGETS), msg_err="Choisissez qui interroger."))
    communities = _choices("communities")
    area = colander.SchemaNode(StrippedString(), missing="")
    message = text_node("Message", max=MESSAGE_MAX, required=False, preparer=_one_line,
                        too_long="Le message doit tenir en {max} caractères.")
    exercise = _ticked("exercise")


class AnswerSchema(Schema):
    answer = colander.SchemaNode(StrippedString(), missing_msg=CHOOSE_ANSWER,
                                 validator=colander.OneOf(list(ANSWERS), msg_err=CHOOSE_ANSWER))
    note = text_node("Message", max=MESSAGE_MAX, required=False, preparer=_one_line,
                     too_long="Votre message doit tenir en {max} caractères.")


def parse_launch(params, allowed_community_ids: list[int], referent: bool) -> tuple[dict, dict]:
    """``allowed_community_ids``: the communities the launcher may ask (a référent: theirs,
    and no other target)."""
    schema = LaunchSchema()
    if referent:
        del schema["target"]
    accepted, errors = read_fields(params, schema)
    shown = typed(params, "target", "message")
    data = {"target": "communities" if referent else shown["target"], "community_ids": [], "area": None,
            "area_json": accepted.get("area", ""), "message": accepted.get("message", _one_line(shown["message"])),
            "exercise": accepted.get("exercise") == "1"}
    if "target" in errors:
        return data, errors
    read_audience(data, errors, accepted.get("communities", []), allowed_community_ids)
    return data, errors


def parse_answer(params) -> tuple[dict, dict]:
    """A resident's answer: ``answer`` (a key of ``ANSWERS``) and an optional ``note``."""
    return read_fields(params, AnswerSchema())


def _settings_schema() -> colander.Schema:
    schema = Schema()
    for n in range(1, MAX_WAVES + 1):
        schema.add(number_node(f"Relance {n}", name=f"minutes_{n}", min=1, max=MAX_WAVE_MINUTES, missing=None,
                               message=f"Relance {n} : indiquez un délai entre 1 et {MAX_WAVE_MINUTES} minutes."))
        schema.add(_choices(f"to_{n}"))
    schema.add(_ticked("referents_may_launch"))
    schema.add(number_node("Durée de conservation", name="retention_days", min=0, max=MAX_RETENTION_DAYS,
                           missing=None, message=RETENTION))
    return schema


def parse_settings(params) -> tuple[dict, dict]:
    """Waves: ``minutes_N`` and ``to_N`` (duties) for N = 1…MAX_WAVES; an empty delay with no
    duty drops the wave."""
    accepted, errors = read_fields(params, _settings_schema())
    waves = []
    for n in range(1, MAX_WAVES + 1):
        minutes = accepted.get(f"minutes_{n}")
        duties = list(dict.fromkeys(d for d in accepted.get(f"to_{n}", []) if d in DUTIES))
        if f"minutes_{n}" not in errors and minutes is None and not duties:
            continue
        if minutes is None and f"minutes_{n}" not in errors:
            errors[f"minutes_{n}"] = f"Relance {n} : indiquez un délai entre 1 et {MAX_WAVE_MINUTES} minutes."
        if not duties:
            errors[f"to_{n}"] = f"Relance {n} : cochez au moins un destinataire."
        if minutes is not None and duties:
            waves.append({"minutes": minutes, "to": duties})
    minutes = [w["minutes"] for w in waves]
    if minutes != sorted(minutes):
        errors["waves"] = "Les relances doivent se suivre dans le temps : chaque délai plus long que le précédent."
    elif len(set(minutes)) != len(minutes):
        errors["waves"] = "Deux relances ont le même délai : regroupez leurs destinataires."
    return {"waves": waves, "referents_may_launch": accepted.get("referents_may_launch") == "1",
            "retention_days": accepted.get("retention_days")}, errors
