"""The words of an alert as they leave the platform: SMS, e-mail, names, links."""
from __future__ import annotations

from markupsafe import escape

from .catalogue import EMERGENCY_NOTICE, FORMER_MEMBER, category_label
from .sms_length import fit_sms


def author_name(user) -> str:
    """The author's name, as the charter wants it: no anonymous alert."""
    if user is None or user.is_closed:
        return FORMER_MEMBER
    return user.full_name


def short_author(user) -> str:
    """'Julien M.': enough to know who speaks, short enough for an SMS."""
    if user is None or user.is_closed:
        return FORMER_MEMBER
    initial = (user.last_name or "")[:1]
    return f"{user.first_name} {initial}.".strip() if user.first_name else user.display_pseudonym


def alert_url(settings, alert_id: int) -> str:
    return f"{settings['vvs.public_url'].rstrip('/')}/alertes/{alert_id}"


def headline(alert, update=None) -> str:
    label = category_label(alert.category)
    if update is None:
        return f"Alerte : {label}"
    if update.kind == "all_clear":
        return f"Fin d'alerte : {label}"
    return f"Suite de l'alerte : {label}"


def sms_prefix(community_name: str, alert, update=None) -> str:
    if update is None:
        return f"ALERTE {community_name} - {category_label(alert.category)} : "
    if update.kind == "all_clear":
        return f"FIN D'ALERTE {community_name} - {category_label(alert.category)} : "
    return f"SUITE ALERTE {community_name} - {category_label(alert.category)} : "


def sms_text(settings, community_name, alert, update, author) -> str:
    """The SMS, fitted to ``vvs.alerts.sms_max_segments`` parts; the 17 notice is never cut."""
    body = (update.text if update is not None else alert.text).strip()
    if update is not None and update.kind == "all_clear" and not body:
        body = "la situation est revenue à la normale."
    ending = f" ({short_author(author)}) {alert_url(settings, alert.id)} {EMERGENCY_NOTICE}"
    return fit_sms(sms_prefix(community_name, alert, update) + body, settings["vvs.alerts.sms_max_segments"], ending)


def email_content(settings, community_name, alert, update, author) -> tuple[str, str, str]:
    """(subject, text, html) of the e-mail."""
    url = alert_url(settings, alert.id)
    title = f"{headline(alert, update)} ({community_name})"
    lines = []
    if update is not None:
        lines.append("Alerte d'origine : " + alert.text)
        lines.append("")
        lines.append(("Fin d'alerte" if update.kind == "all_clear" else "Nouvelle information") + " : "
                     + (update.text or "la situation est revenue à la normale."))
    else:
        lines.append(alert.text)
    lines += ["", f"Signalé par : {author_name(author)}", f"Voir l'alerte : {url}", "", EMERGENCY_NOTICE]
    text = "\n".join(lines)
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in lines if line and not line.startswith("Voir"))
    html = (f"<h1>{escape(title)}</h1>{paragraphs}"
            f"<p><a href=\"{escape(url)}\">Voir l'alerte sur le site</a></p>")
    return title, text, html
