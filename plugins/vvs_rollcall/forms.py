"""Reading the posted forms of the roll-call: launching, and the commune's settings.
Each returns (clean data, French errors by field); nothing is changed on an error."""
from __future__ import annotations

from vvs_core.geo.areas import parse_area

from .models import DUTIES, MAX_RETENTION_DAYS, MAX_WAVE_MINUTES, MAX_WAVES, TARGETS
from .service import MESSAGE_MAX


def _ids(params, name) -> list[int]:
    values = params.getall(name) if hasattr(params, "getall") else []
    return [int(v) for v in values if str(v).isdigit() and len(str(v)) < 12]


def parse_launch(params, allowed_community_ids: list[int], referent: bool) -> tuple[dict, dict]:
    """``allowed_community_ids``: the communities the launcher may ask (a référent: theirs)."""
    errors = {}
    data = {"target": params.get("target", "") if not referent else "communities",
            "community_ids": [], "area": None, "area_json": params.get("area") or "",
            "message": " ".join(str(params.get("message") or "").split()),
            "exercise": params.get("exercise") == "1"}
    if len(data["message"]) > MESSAGE_MAX:
        errors["message"] = f"Le message doit tenir en {MESSAGE_MAX} caractères."
    if data["target"] not in TARGETS:
        errors["target"] = "Choisissez qui interroger."
    elif data["target"] == "communities":
        data["community_ids"] = sorted(set(_ids(params, "communities")) & set(allowed_community_ids))
        if not data["community_ids"]:
            errors["communities"] = "Cochez au moins une communauté."
    elif data["target"] == "area":
        data["area"], problem = parse_area(data["area_json"])
        if problem:
            errors["area"] = problem
    return data, errors


def parse_settings(params) -> tuple[dict, dict]:
    """Waves: ``minutes_N`` and ``to_N`` (duties) for N = 1…MAX_WAVES; an empty delay drops the wave."""
    errors, waves = {}, []
    for n in range(1, MAX_WAVES + 1):
        raw = str(params.get(f"minutes_{n}") or "").strip()
        duties = [d for d in (params.getall(f"to_{n}") if hasattr(params, "getall") else []) if d in DUTIES]
        if not raw and not duties:
            continue
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_WAVE_MINUTES:
            errors[f"minutes_{n}"] = f"Relance {n} : indiquez un délai entre 1 et {MAX_WAVE_MINUTES} minutes."
            continue
        if not duties:
            errors[f"to_{n}"] = f"Relance {n} : cochez au moins un destinataire."
            continue
        waves.append({"minutes": int(raw), "to": list(dict.fromkeys(duties))})
    minutes = [w["minutes"] for w in waves]
    if not errors and minutes != sorted(minutes):
        errors["waves"] = "Les relances doivent se suivre dans le temps : chaque délai plus long que le précédent."
    elif not errors and len(set(minutes)) != len(minutes):
        errors["waves"] = "Deux relances ont le même délai : regroupez leurs destinataires."
    raw = str(params.get("retention_days") or "").strip()
    retention = int(raw) if raw.isdigit() and len(raw) < 6 else None
    if raw and (retention is None or retention > MAX_RETENTION_DAYS):
        errors["retention_days"] = (f"Durée de conservation : un nombre de jours entre 0 (pour toujours) et "
                                    f"{MAX_RETENTION_DAYS}, ou vide pour la durée du site.")
    return {"waves": waves, "referents_may_launch": params.get("referents_may_launch") == "1",
            "retention_days": retention}, errors
