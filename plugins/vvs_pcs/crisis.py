"""The crisis itself: activation (the cell told on every channel through the outbox),
messages to the population (through ``vvs_pcs_population_message``), notes of the main
courante, and « fin de crise » (the end told to everyone reached, the log closed as a
PDF). Every step writes its line in the main courante, with its time and author.

Two agents may click at the same moment: the commune's row is locked while a crisis is
opened or closed (and a unique index keeps one open crisis per commune), so the second
is told what the first did.
"""
from __future__ import annotations

from sqlalchemy import select

from vvs_core.web.french import count
from vvs_core.notify import sms
from vvs_core.clock import utcnow
from vvs_core.web.french import de
from vvs_core.web.links import absolute_url
from vvs_core.models import Commune
from vvs_core.notify.outbox import enqueue_delivery_after_commit, insert_notifications
from vvs_core.providers import channels_with_provider
from vvs_core.web.timefmt import dates

from .models import PcsCellMember, PcsCrisis, PcsLogEntry, PcsTemplate

KIND = "pcs_cell"
SUBJECT = "pcs_crisis"
EXERCISE_MARK = "EXERCICE"
CHANNEL_LABELS = {"sms": "SMS", "voice": "appel", "email": "e-mail"}


class CrisisRefused(Exception):
    """A step that cannot be taken now; ``str(error)`` is the French sentence to show."""


ALREADY_SENT = ("Un message est parti depuis l'ouverture de cette confirmation (un second clic, une page rechargée "
                "ou un autre agent) : rien n'a été envoyé de nouveau. Vérifiez la main courante avant de renvoyer.")


def author_name(user) -> str:
    return user.full_name if user is not None else "le système"


def log(dbsession, crisis: PcsCrisis, author, kind: str, text: str) -> PcsLogEntry:
    entry = PcsLogEntry(crisis_id=crisis.id, at=utcnow(), author_id=getattr(author, "id", None),
                        author_name=author_name(author)[:240], kind=kind, text=text)
    dbsession.add(entry)
    dbsession.flush()
    return entry


def log_of(dbsession, crisis_id: int) -> list[PcsLogEntry]:
    return list(dbsession.scalars(select(PcsLogEntry).where(PcsLogEntry.crisis_id == crisis_id)
                                  .order_by(PcsLogEntry.at, PcsLogEntry.id)))


def cell_of(dbsession, commune_id: int) -> list[PcsCellMember]:
    return list(dbsession.scalars(select(PcsCellMember).where(PcsCellMember.commune_id == commune_id)
                                  .order_by(PcsCellMember.id)))


def templates_of(dbsession, commune_id: int) -> list[PcsTemplate]:
    return list(dbsession.scalars(select(PcsTemplate).where(PcsTemplate.commune_id == commune_id)
                                  .order_by(PcsTemplate.id)))


def open_crisis(dbsession, commune_id: int) -> PcsCrisis | None:
    return dbsession.scalar(select(PcsCrisis).where(PcsCrisis.commune_id == commune_id,
                                                    PcsCrisis.ended_at.is_(None)))


def crises_of(dbsession, commune_id: int, limit: int = 20) -> list[PcsCrisis]:
    return list(dbsession.scalars(select(PcsCrisis).where(PcsCrisis.commune_id == commune_id)
                                  .order_by(PcsCrisis.started_at.desc(), PcsCrisis.id.desc()).limit(limit)))


def _lock_commune(dbsession, commune_id: int) -> None:
    """Serialise the openings and closings of one commune (PostgreSQL: a row lock until
    commit; SQLite serialises writers by itself)."""
    dbsession.execute(select(Commune.id).where(Commune.id == commune_id).with_for_update())


# --- The cell ---------------------------------------------------------------------

def _cell_texts(commune, crisis: PcsCrisis, what: str, body: str) -> tuple[str, str]:
    mark = f"{EXERCISE_MARK} - " if crisis.exercise else ""
    return f"{mark}PCS {de(commune.name)} : {what}", f"{mark}{body}"


def cell_pairs(request, commune, call: bool) -> list[tuple[PcsCellMember, list[tuple[str, str]]]]:
    """Each member of the cell with the (channel, address) pairs a message reaches them on: SMS and e-mail,
    and a call when ``call`` — on the channels the site has a provider for."""
    channels = channels_with_provider(request)
    return [(member, [(c, a) for c, a in (("sms", member.phone), ("voice", member.phone if call else ""),
                                          ("email", member.email)) if a and c in channels])
            for member in cell_of(request.dbsession, commune.id)]


def cell_reach(request, commune, call: bool = False) -> dict:
    """What ``tell_cell`` would send now: ``{"people": members reached, "channels": {channel: messages}}``."""
    pairs = cell_pairs(request, commune, call)
    channels = {c: sum(1 for _m, ps in pairs for ch, _a in ps if ch == c) for c in CHANNEL_LABELS}
    return {"people": sum(1 for _m, ps in pairs if ps), "channels": {c: n for c, n in channels.items() if n}}


def cell_sms(request, commune, crisis: PcsCrisis, what: str, body: str) -> str:
    """The SMS the cell gets: « PCS de Serris : cellule de crise activée. Crue de la Marne. Activé par… »."""
    title, _text = _cell_texts(commune, crisis, what, body)
    return sms.fit(title + ". ", " ".join(body.split()), "", request.registry.settings["vvs.sms.max_segments"]).text


def population_reach(request, commune, message: dict, alert_ids=None) -> dict | None:
    """Who a message to the population would reach now (``alert_ids`` None: a new message to the whole
    commune; a list: the end told to everyone those alerts reached), by the plugin sending commune alerts."""
    hook = getattr(request.registry.vvs_plugins.hook, "vvs_pcs_population_reach", None)
    if hook is None:
        return None
    return hook(request=request, commune=commune, message=message,
                alert_ids=None if alert_ids is None else list(alert_ids))


def tell_cell(request, commune, crisis: PcsCrisis, step: str, what: str, body: str,
              call: str = "") -> tuple[int, int, str]:
    """Tell every member of the cell, on every channel they have an address and the site a
    provider for: SMS and e-mail, and a call read aloud (``call``, its text) when the
    outbox has a voice provider — a real crisis calls at night too, an exercise waits for
    the morning. ``step``: part of the dedupe key, so a retried request sends nothing
    twice. Returns (members reached, notifications queued, how: "SMS, appel, e-mail")."""
    title, text = _cell_texts(commune, crisis, what, body)
    texts = {"sms": cell_sms(request, commune, crisis, what, body), "email": text, "voice": call}
    urgent = {} if crisis.exercise else {"severity": "severe"}
    rows, members = [], 0
    for member, pairs in cell_pairs(request, commune, bool(call)):
        members += bool(pairs)
        rows += [dict(dedupe_key=f"pcs:{crisis.id}:{step}:{member.id}:{channel}", kind=KIND, subject_type=SUBJECT,
                      subject_id=crisis.id, recipient_id=None, channel=channel, address=address, title=title,
                      body=texts[channel], **(urgent if channel == "voice" else {})) for channel, address in pairs]
    ids = insert_notifications(request.dbsession, rows)
    enqueue_delivery_after_commit(request, ids)
    used = {r["channel"] for r in rows}
    how = ", ".join(label for channel, label in CHANNEL_LABELS.items() if channel in used)
    return members, len(rows), how


# --- The steps ----------------------------------------------------------------------

def activate(request, commune, author, title: str, exercise: bool) -> PcsCrisis:
    dbsession = request.dbsession
    _lock_commune(dbsession, commune.id)
    if open_crisis(dbsession, commune.id) is not None:
        raise CrisisRefused("Le PCS est déjà activé pour cette commune : la crise en cours est ouverte ci-dessous.")
    crisis = PcsCrisis(commune_id=commune.id, title=title, exercise=exercise, started_at=utcnow(),
                       started_by_id=author.id, alert_ids=[])
    dbsession.add(crisis)
    dbsession.flush()
    log(dbsession, crisis, author, "activation",
        f"{'Exercice du PCS' if exercise else 'PCS activé'} : {title}")
    at = absolute_url(request, "pcs_crisis", insee=commune.insee, crisis_id=crisis.id)
    spoken = "\n".join([*(["Exercice."] if exercise else []), f"Plan communal de sauvegarde {de(commune.name)}.",
                         "La cellule de crise est activée.", f"{title.rstrip('.')}.",
                         f"Activé par {author_name(author)}.", "Le détail vous est envoyé par SMS et par e-mail."])
    members, sent, how = tell_cell(request, commune, crisis, "activation", "cellule de crise activée",
                                   f"{title}. Activé par {author_name(author)}. Main courante : {at}", call=spoken)
    log(dbsession, crisis, None, "cell",
        f"Cellule de crise prévenue : {count(members, 'membre', 'membres')}, {count(sent, 'message', 'messages')} ({how})" if members else
        "Aucun membre de la cellule de crise n'a de téléphone ni d'e-mail joignable : personne n'a été prévenu.")
    tell_ccas_of_register(request, commune, crisis, author)
    return crisis


def tell_ccas_of_register(request, commune, crisis: PcsCrisis, author) -> None:
    """Registered people first: the register of vulnerable residents (vvs_vulnerable's hook
    ``vvs_vulnerable_tell_ccas``, when that plugin is on) sends the commune's CCAS, at once,
    the link of the list of everyone it holds; the main courante says so."""
    hook = getattr(request.registry.vvs_plugins.hook, "vvs_vulnerable_tell_ccas", None)
    if hook is None:
        return
    reason = (f"{'Exercice du PCS' if crisis.exercise else 'PCS'} {de(commune.name)} activé le "
              f"{dates.datetime(crisis.started_at)} par {author_name(author)} : {crisis.title}")
    answer = hook(request=request, commune=commune, user_ids=None, reason=reason)
    if not answer:
        return
    people = count(answer["people"], "personne inscrite", "personnes inscrites")
    log(request.dbsession, crisis, None, "register",
        f"Liste de {people} à joindre en priorité envoyée au CCAS "
        f"({count(answer['agents'], 'agent', 'agents')})" if answer["agents"] else
        f"{people} à joindre en priorité, mais aucun agent du CCAS à prévenir")


def send_message(request, commune, crisis: PcsCrisis, author, template: PcsTemplate,
                 sent_before: int | None = None) -> dict:
    """``sent_before``: how many messages the crisis had sent when the agent opened the confirmation; if
    another left since (a second click, a replayed form, another agent), nothing is sent (``ALREADY_SENT``)."""
    _lock_commune(request.dbsession, commune.id)
    request.dbsession.refresh(crisis)
    if not crisis.is_open:
        raise CrisisRefused("Cette crise est close : aucun message ne peut plus être envoyé.")
    if sent_before is not None and sent_before != len(crisis.alert_ids or []):
        raise CrisisRefused(ALREADY_SENT)
    answer = request.registry.vvs_plugins.hook.vvs_pcs_population_message(
        request=request, commune=commune, author=author,
        message={"title": template.title, "body": template.body, "exercise": crisis.exercise})
    if answer is None:
        log(request.dbsession, crisis, author, "refused", f"« {template.title} » n'a pas pu être envoyé : la mairie "
                                                          "de cette commune ne peut pas alerter ses habitants.")
        raise CrisisRefused("La mairie de cette commune ne peut pas encore alerter ses habitants (abonnement "
                            "inactif) : le message n'est pas parti.")
    crisis.alert_ids = [*crisis.alert_ids, int(answer["id"])]
    log(request.dbsession, crisis, author, "message", f"« {template.title} » envoyé à la population : "
                                                      f"{answer.get('reach', '')}")
    return answer


def add_note(request, crisis: PcsCrisis, author, text: str) -> PcsLogEntry:
    if not crisis.is_open:
        raise CrisisRefused("Cette crise est close : sa main courante ne change plus.")
    return log(request.dbsession, crisis, author, "note", text)


def end(request, commune, crisis: PcsCrisis, author, body: str) -> PcsCrisis:
    from .logpdf import log_pdf

    dbsession = request.dbsession
    _lock_commune(dbsession, commune.id)
    dbsession.refresh(crisis)
    if not crisis.is_open:
        raise CrisisRefused("Cette crise a déjà été close.")
    members, _sent, _how = tell_cell(request, commune, crisis, "end", "fin de crise", body)
    parts = [f"cellule : {count(members, 'membre', 'membres')}"]
    if crisis.alert_ids:
        answer = request.registry.vvs_plugins.hook.vvs_pcs_population_end(
            request=request, commune=commune, alert_ids=list(crisis.alert_ids), body=body, author=author)
        parts.append(f"population : {answer['reach']}" if answer else "population : message de fin impossible")
    crisis.ended_at, crisis.ended_by_id = utcnow(), author.id
    log(dbsession, crisis, author, "end", f"Fin de crise annoncée ({' ; '.join(parts)}) : {body}")
    crisis.log_pdf = log_pdf(request, commune, crisis, log_of(dbsession, crisis.id))
    return crisis
