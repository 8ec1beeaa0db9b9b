"""The words of an alert as they leave the platform: SMS, e-mail, names, links."""
from __future__ import annotations

import re

from markupsafe import escape

from vvs_core.notify import sms
from vvs_core.clock import utcnow
from vvs_core.web.french import count
from vvs_core.web.links import absolute_url
from vvs_core.web.timefmt import dates

from .catalogue import (EMERGENCY_NOTICE, FORMER_MEMBER, HEADLINE_URGENCY, SMS_EMERGENCY_NOTICE, SMS_URGENCY,
                        category_label, severity_words)


# ``shown``: how the recipient is to see the author (``Recipient.shown``): "name", or
# "pseudonym" for someone outside the alert's community, who is given the author's pseudonym
# and no link to the alert's page (its community's: they could not open it).
PSEUDONYM = "pseudonym"


def author_name(user, shown="name") -> str:
    """The author's name, as the charter wants it: no anonymous alert."""
    if user is None or user.is_closed:
        return FORMER_MEMBER
    return user.display_pseudonym if shown == PSEUDONYM else user.full_name


def short_author(user, shown="name") -> str:
    """'Julien M.': enough to know who speaks, short enough for an SMS."""
    if user is None or user.is_closed:
        return FORMER_MEMBER
    if shown == PSEUDONYM:
        return user.display_pseudonym
    initial = (user.last_name or "")[:1]
    return f"{user.first_name} {initial}.".strip() if user.first_name else user.display_pseudonym


def alert_url(source, alert_id: int) -> str:
    """The alert's public page; ``source``: the request, or the registry."""
    return absolute_url(source, "alert_view", alert_id=alert_id)


def headline(alert, update=None) -> str:
    label = category_label(alert.category)
    if update is None:  # how urgent, as its SMS says it (« URGENT », « INFO »)
        return f"{HEADLINE_URGENCY.get(alert.severity, 'Alerte')} : {label}"
    if update.kind == "all_clear":
        return f"Fin d'alerte : {label}"
    return f"Suite de l'alerte : {label}"


def sms_prefix(community_name: str, alert, update=None) -> str:
    """How urgent (its first word), where and what: an SMS is read alone."""
    if update is None:
        return f"{SMS_URGENCY.get(alert.severity, 'ALERTE')} {community_name} - {category_label(alert.category)} : "
    if update.kind == "all_clear":
        return f"FIN D'ALERTE {community_name} - {category_label(alert.category)} : "
    return f"SUITE ALERTE {community_name} - {category_label(alert.category)} : "


SMS_MIN_DESCRIPTION = 100  # characters of the description an alert SMS keeps, even cut mid-word


def sms_body(alert, update=None) -> str:
    """What the SMS says of the facts, on one line (an SMS has no room for blank lines)."""
    body = (update.text if update is not None else alert.text) or ""
    if update is not None and update.kind == "all_clear" and not body.strip():
        body = "la situation est revenue à la normale."
    return re.sub(r"\s+", " ", body).strip()


def sms_ending(request, alert_id: int, author, shown="name") -> str:
    link = "" if shown == PSEUDONYM else f" {alert_url(request, alert_id)}"
    return f" ({short_author(author, shown)}){link} {SMS_EMERGENCY_NOTICE}"


def fit_alert_sms(request, community_name, alert, update, author, body=None, shown="name") -> sms.FittedSMS:
    """The SMS in ``vvs.alerts.sms_max_segments`` parts: category, community, author, link and
    the 17 line always survive; what is cut is the end of the description."""
    return sms.fit(sms_prefix(community_name, alert, update), sms_body(alert, update) if body is None else body,
                   sms_ending(request, alert.id or 0, author, shown), request.registry.settings["vvs.alerts.sms_max_segments"],
                   keep_at_least=SMS_MIN_DESCRIPTION)


def sms_text(request, community_name, alert, update, author, shown="name") -> str:
    return fit_alert_sms(request, community_name, alert, update, author, shown=shown).text


def voice_text(community_name, alert, update, author, shown="name") -> str:
    """What a call to a landline reads: the whole description (no SMS length limit
    on a call), who wrote it and the 17 line; no link (a call cannot follow one). The
    outbox cleans it for speech (``vvs_core.notify.calls.speakable``)."""
    return (f"{sms_prefix(community_name, alert, update)}{sms_body(alert, update)}\n"
            f"Signalé par {short_author(author, shown).rstrip('.')}.\n{SMS_EMERGENCY_NOTICE}")


PUSH_MAX_DESCRIPTION = 240  # a notification shows a few lines; the tap opens the whole alert


def push_text(request, community_name, alert, update, author, shown="name") -> str:
    """The push notification: the French as written (accents, emoji: a push is not an
    SMS), the description shortened to a few lines, the link that a tap opens."""
    body = sms_body(alert, update)
    if len(body) > PUSH_MAX_DESCRIPTION:
        body = body[:PUSH_MAX_DESCRIPTION].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    link = "" if shown == PSEUDONYM else f" {alert_url(request, alert.id)}"
    return (f"{sms_prefix(community_name, alert, update)}{body} ({short_author(author, shown)})"
            f"{link} {SMS_EMERGENCY_NOTICE}")


def sms_preview(request, community, category: str, text: str, next_id: int, severity: str = "moderate") -> dict:
    """The SMS the alert being written would send, for the counter under the form:
    the same function as the real SMS, so the counter cannot disagree with it."""
    from types import SimpleNamespace

    alert = SimpleNamespace(id=next_id, category=category, text=text, severity=severity)
    fitted = fit_alert_sms(request, community.name, alert, None, request.user)
    limit = request.registry.settings["vvs.alerts.sms_max_segments"]
    parts = fitted.length.segments
    messages = count(parts, "message", "messages")
    if not sms_body(alert):
        sentence = ""
    elif fitted.shortened:
        sentence = (f"SMS : {messages} (le maximum). Il reprendra les {fitted.body_kept} premiers caractères "
                    "de votre texte ; le texte complet reste sur le site, au bout du lien.")
    else:
        sentence = f"SMS : {messages} sur {limit} possibles. Il reprendra tout votre texte."
    return {"sms": fitted.text, "parts": parts, "max_parts": limit, "encoding": fitted.length.encoding,
            "kept": fitted.body_kept, "total": fitted.body_total, "shortened": fitted.shortened,
            "message": sentence}


def email_content(request, community_name, alert, update, author, shown="name") -> tuple[str, str, str]:
    """(subject, text, html) of the e-mail."""
    url = alert_url(request, alert.id)
    title = f"{headline(alert, update)} ({community_name})"
    lines = []
    if update is not None:
        lines.append("Alerte d'origine : " + alert.text)
        lines.append("")
        lines.append(("Fin d'alerte" if update.kind == "all_clear" else "Nouvelle information") + " : "
                     + (update.text or "la situation est revenue à la normale."))
    else:
        lines += [alert.text, "", f"Gravité : {severity_words(alert.severity)}"]
    when = (update.created_at if update is not None else alert.created_at) or utcnow()
    where = (f"Cette alerte est celle de la communauté « {community_name} » : sa page n'est ouverte qu'à ses membres."
             if shown == PSEUDONYM else f"Voir l'alerte : {url}")
    lines += ["", f"Signalé par : {author_name(author, shown)}, le {dates.datetime(when)}", where, "",
              EMERGENCY_NOTICE]
    text = "\n".join(lines)
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in lines if line and line != where)
    link = (f"<p>{escape(where)}</p>" if shown == PSEUDONYM
            else f"<p><a href=\"{escape(url)}\">Voir l'alerte sur le site</a></p>")
    html = f"<h1>{escape(title)}</h1>{paragraphs}{link}"
    return title, text, html
