"""The quiet-hours and severity fields of the notification settings form (the rules
themselves are in ``vvs_core.notify.preferences``); shown only for the declared kinds
that use them (``vvs_core.notify.kinds``)."""

import re

import colander
import deform

from vvs_core.notify.preferences import SEVERITIES, SEVERITY_LABELS, parse_quiet_hours
from vvs_core.web.timefmt import dates

_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
CHANNEL_LABELS = {"sms": "SMS", "email": "E-mail", "push": "Notification sur le téléphone", "voice": "Appel sur le téléphone fixe"}
CHANNEL_NAMES = {c: "par " + (label if label.isupper() else label.lower()) for c, label in CHANNEL_LABELS.items()}


def _time_node(name, title, description):
    def check(node, value):
        if value and not _HHMM.match(value):
            raise colander.Invalid(node, "Heure invalide : écrivez-la comme 22:00.")
    return colander.SchemaNode(colander.String(), name=name, title=title, missing="", description=description,
                               validator=check, widget=deform.widget.TextInputWidget(attributes={"type": "time"}))


def quiet_hours_problems(data) -> dict:
    """The rule across the two quiet-hour fields, for ``validate(…, check=)``: told with the other
    errors, not once they are fixed (a schema validator runs only when every field is valid)."""
    start, end = data.get("quiet_start"), data.get("quiet_end")
    if "quiet_start" in data and "quiet_end" in data and bool(start) != bool(end):
        return {"quiet_end" if start else "quiet_start": "Indiquez le début et la fin des heures calmes (ou aucun des deux)."}
    return {"quiet_end": "La fin des heures calmes doit différer de leur début."} if start and start == end else {}


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:]


def _quiet_description(kinds) -> str:
    waiting = [_lower(k.label) for k in kinds.in_settings() if k.quiet]
    text = f"Pendant les heures calmes, ces notifications attendent le matin : {', '.join(waiting)}."
    never = [_lower(k.label) for k in kinds.in_settings() if not k.quiet]
    if never:
        text += f" Les autres arrivent toujours : {', '.join(never)}."
    return text


def add_delivery_nodes(schema, channels, kinds) -> None:
    if any(k.quiet for k in kinds.in_settings()):
        schema.add(_time_node("quiet_start", "Heures calmes : début", _quiet_description(kinds)))
        schema.add(_time_node("quiet_end", "Heures calmes : fin", "Par exemple de 22:00 à 07:00 (heure de Paris)."))
    graded = kinds.with_severities()
    if not graded:
        return
    values = [(s, SEVERITY_LABELS[s]) for s in SEVERITIES]
    what = ", ".join(k.label for k in graded)
    for channel in channels:
        schema.add(colander.SchemaNode(
            colander.String(), name=f"min_severity_{channel}", missing="minor",
            title=f"{what} reçues {CHANNEL_NAMES.get(channel, channel)}",
            description="Les urgences (gravité élevée) vous parviennent toujours.",
            validator=colander.OneOf(SEVERITIES), widget=deform.widget.SelectWidget(values=values)))


def delivery_values(user, channels, kinds) -> dict:
    prefs = user.notification_prefs or {}
    quiet = parse_quiet_hours(prefs.get("quiet_hours"))
    minimum = prefs.get("min_severity") or {}
    values = {"quiet_start": dates.time(quiet[0]) if quiet else "",
              "quiet_end": dates.time(quiet[1]) if quiet else ""}
    for channel in channels:
        values[f"min_severity_{channel}"] = minimum.get(channel) if minimum.get(channel) in SEVERITIES else "minor"
    return values


def delivery_prefs(data, channels, kinds) -> dict:
    """The ``notification_prefs`` keys these fields set (none for fields not shown)."""
    out = {}
    if kinds.with_severities():
        out["min_severity"] = {c: data[f"min_severity_{c}"] for c in channels
                                     if data.get(f"min_severity_{c}", "minor") != "minor"}
    if any(k.quiet for k in kinds.in_settings()):
        out["quiet_hours"] = ({"start": data["quiet_start"], "end": data["quiet_end"]}
                              if data.get("quiet_start") and data.get("quiet_end") else None)
    return out
