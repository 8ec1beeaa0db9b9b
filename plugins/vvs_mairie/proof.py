"""Proof of warning: for a commune alert (with its updates and all-clear), who was
reached, per household, on which channel, when, and with what status (for a call:
appelé, décroché, répondeur, écouté jusqu'au bout, confirmé (touche 1)) — as a CSV and
a PDF that a maire can show.

Each line carries a chained SHA-256 fingerprint (the previous one, then the line), so
that removing, adding or changing a line breaks every fingerprint after it; the last
one is signed with the commune's key (HMAC-SHA256 under a key derived from
``vvs.secret`` and the commune's INSEE code). ``verify_csv`` checks an exported file
again: the chain, then the signature.

Anyone can check a proof without this site's secret: the CSV's last line is an Ed25519
signature of every byte before it, under the commune's key pair (derived from
``vvs.secret`` and the INSEE code, so it needs no storage), whose public key is
published at ``/communes/{insee}/cle-publique.pem`` (route ``mairie_proof_key``). The
PDF carries the Ed25519 signature of ``vvs-preuve|{insee}|{alert id}|{final
fingerprint}``. ``openssl pkeyutl -verify -rawin`` checks both (docs/mairie-proof.md);
``vvs-verify-proof`` (``vvs_mairie.verify_proof``) checks the chain too.
"""
from __future__ import annotations

import base64
import csv
import functools
import hashlib
import hmac
import io

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sqlalchemy import select

from vvs_core.web import french
from vvs_core.web.french import count, sort_key
from vvs_core.models import User
from vvs_core.models.notification import Notification
from vvs_core.accounts.phones import mask_phone
from vvs_core.web.timefmt import dates

from .commune_alerts import SUBJECT, who_of, without_account_name
from .models import MairieAlert

HEADER = ["message", "foyer", "destinataire", "canal", "adresse", "statut", "envoyé le", "remis le", "empreinte"]
STATUS_LABELS = {"pending": "en attente", "sending": "en cours d'envoi", "sent": "envoyé", "delivered": "remis",
                 "failed": "en échec", "cancelled": "annulé"}
KIND_LABELS = {"alert": "alerte", "update": "mise à jour", "all_clear": "fin d'alerte"}
CHANNEL_LABELS = {"sms": "SMS", "email": "e-mail", "push": "notification", "voice": "appel"}
# A call says more than its status: placed, answered (by a machine), listened to the
# end, confirmed with the key "1" (vvs_core.notify.calls).
CALL_LABELS = {"sent": "appelé", "delivered": "décroché", "failed": "sans réponse"}
REACTION_LABELS = {"voicemail": "répondeur", "listened": "écouté jusqu'au bout", "confirmed": "confirmé (touche 1)"}
REACHED = {"envoyé", "remis", *CALL_LABELS.values(), *REACTION_LABELS.values()} - {"sans réponse"}
SIGNATURE_LABEL = "signature Ed25519"


def _mask_email(address: str) -> str:
    name, _at, domain = (address or "").partition("@")
    return f"{name[:1]}***@{domain}" if domain else "***"


def status_label(notification) -> str:
    if notification.channel == "voice":
        if notification.reaction in REACTION_LABELS:
            return REACTION_LABELS[notification.reaction]
        if notification.status in CALL_LABELS:
            return CALL_LABELS[notification.status]
    return STATUS_LABELS.get(notification.status, notification.status)


def _masked(channel: str, address: str) -> str:
    if channel in ("sms", "voice"):
        return mask_phone(address)
    if channel == "email":
        return _mask_email(address)
    return "appareil enregistré"


def lines_of(dbsession, alert: MairieAlert, follow_ups: list[MairieAlert]) -> list[list[str]]:
    """The proof's lines (without fingerprints), message by message, then by household."""
    messages = [alert, *follow_ups]
    kinds = {m.id: m for m in messages}
    rows = dbsession.execute(
        select(Notification, User).outerjoin(User, User.id == Notification.recipient_id)
        .where(Notification.subject_type == SUBJECT, Notification.subject_id.in_(list(kinds)))).all()
    order = {m.id: n for n, m in enumerate(messages)}

    def household(user) -> str:
        return (user.address_label or "").strip() if user is not None and user.address_label else "—"

    def name(notification, user) -> str:
        if notification.recipient_id is None:  # a follower without an account: no name kept
            return without_account_name(who_of(notification.dedupe_key))
        return user.full_name if user is not None else "compte supprimé"

    rows.sort(key=lambda r: (order[r[0].subject_id], sort_key(household(r[1])), sort_key(name(r[0], r[1])), r[0].channel))
    out = []
    for notification, user in rows:
        message = kinds[notification.subject_id]
        out.append([
            f"{KIND_LABELS.get(message.kind, message.kind)} du {dates.datetime(message.created_at)}",
            household(user), name(notification, user),
            CHANNEL_LABELS.get(notification.channel, notification.channel),
            _masked(notification.channel, notification.address),
            status_label(notification),
            dates.datetime_seconds(notification.sent_at), dates.datetime_seconds(notification.delivered_at)])
    return out


def _seed(insee: str, alert_id: int) -> str:
    return hashlib.sha256(f"vvs-preuve|{insee}|{alert_id}".encode()).hexdigest()


def chained(insee: str, alert_id: int, lines: list[list[str]]) -> tuple[list[list[str]], str]:
    """Each line with its fingerprint appended, and the last fingerprint."""
    previous, out = _seed(insee, alert_id), []
    for line in lines:
        previous = hashlib.sha256((previous + "|" + "\x1f".join(line)).encode("utf-8")).hexdigest()
        out.append([*line, previous])
    return out, previous


def signature(secret: str, insee: str, last: str) -> str:
    key = hmac.new(secret.encode(), f"vvs-preuve-commune:{insee}".encode(), hashlib.sha256).digest()
    return hmac.new(key, last.encode(), hashlib.sha256).hexdigest()


def signing_key(secret: str, insee: str) -> Ed25519PrivateKey:
    """The commune's Ed25519 key, derived from the site's secret: the same on every web
    process and after a restart, different for each commune."""
    seed = hmac.new(secret.encode(), f"vvs-preuve-ed25519:{insee}".encode(), hashlib.sha256).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_pem(secret: str, insee: str) -> bytes:
    return signing_key(secret, insee).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint_message(insee: str, alert_id: int, last: str) -> bytes:
    """What the PDF's Ed25519 signature signs."""
    return f"vvs-preuve|{insee}|{alert_id}|{last}".encode()


def ed25519_verifies(public_pem: bytes, signature_b64: str, signed: bytes) -> bool:
    try:
        key = serialization.load_pem_public_key(public_pem)
        if not isinstance(key, Ed25519PublicKey):
            return False
        key.verify(base64.b64decode(signature_b64, validate=True), signed)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def proof(request, commune, alert: MairieAlert, follow_ups: list[MairieAlert]) -> dict:
    from vvs_core.web.links import absolute_url

    lines, last = chained(commune.insee, alert.id, lines_of(request.dbsession, alert, follow_ups))
    secret = request.registry.settings["vvs.secret"]
    households = {line[1] for line in lines if line[1] != "—"} | {line[2] for line in lines if line[1] == "—"}
    reached = {(line[1], line[2]) for line in lines if line[5] in REACHED}
    return {"commune": commune, "alert": alert, "lines": lines, "last": last, "households": len(households),
            "people": len({line[2] for line in lines}), "reached": len(reached),
            "signature": signature(secret, commune.insee, last), "key": signing_key(secret, commune.insee),
            "key_url": absolute_url(request, "mairie_proof_key", insee=commune.insee),
            "fingerprint_signature": base64.b64encode(signing_key(secret, commune.insee).sign(
                fingerprint_message(commune.insee, alert.id, last))).decode()}


def proof_csv(data: dict) -> str:
    """The CSV as text, starting with a byte order mark (spreadsheets then read it as
    UTF-8); its last line signs, with Ed25519, the UTF-8 bytes of everything before it."""
    out = io.StringIO()
    out.write("\ufeff")
    w = csv.writer(out, delimiter=";")
    w.writerow(["preuve d'alerte", data["commune"].name, data["commune"].insee, data["alert"].id])
    w.writerow(["titre", data["alert"].title])
    w.writerow(HEADER)
    w.writerows(data["lines"])
    w.writerow(["empreinte finale", data["last"]])
    w.writerow(["signature de la commune", data["signature"]])
    w.writerow(["clé publique", data["key_url"]])
    signed = out.getvalue().encode("utf-8")
    w.writerow([SIGNATURE_LABEL, base64.b64encode(data["key"].sign(signed)).decode()])
    return out.getvalue()


def split_signed(text: str) -> tuple[bytes, str] | None:
    """(the signed bytes, the base64 signature) of an exported CSV, or None. The file
    starts with a byte order mark, which is signed; a copy that lost it (a text
    reader drops it) still verifies: it is not content."""
    start = text.rfind(SIGNATURE_LABEL + ";")
    if start <= 0 or text[start - 1] != "\n":
        return None
    signed = "\ufeff" + text[:start].lstrip("\ufeff")
    return signed.encode("utf-8"), text[start + len(SIGNATURE_LABEL) + 1:].strip()


TRAILER = ("empreinte finale", "signature de la commune", "clé publique", SIGNATURE_LABEL)


def read_csv(text: str) -> dict | None:
    """The parts of an exported proof, or None when it is not one."""
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
        head = rows[0]
        end = next(i for i, r in enumerate(rows) if r and r[0] == "empreinte finale" and i >= 3)
        trailer = {r[0]: r[1] for r in rows[end:] if len(r) == 2}
        data = {"insee": head[2], "alert_id": int(head[3]), "table": rows[3:end], "last": trailer["empreinte finale"],
                "signature": trailer.get("signature de la commune", ""), "key_url": trailer.get("clé publique", ""),
                "ed25519": trailer.get(SIGNATURE_LABEL, "")}
    except (IndexError, ValueError, StopIteration, KeyError, csv.Error):
        return None
    if (head[0] != "preuve d'alerte" or rows[2] != HEADER or any(len(r) != len(HEADER) for r in data["table"])
            or any(r and r[0] not in TRAILER for r in rows[end:])):
        return None
    return data


def check_chain(data: dict) -> tuple[bool, str]:
    table = data["table"]
    recomputed, last = chained(data["insee"], data["alert_id"], [r[:-1] for r in table])
    for number, (given, again) in enumerate(zip(table, recomputed), start=1):
        if given[-1] != again[-1]:
            return False, f"La ligne {number} a été modifiée, ajoutée ou retirée : la preuve n'est pas intègre."
    if last != data["last"]:
        return False, "L'empreinte finale ne correspond pas aux lignes : la preuve n'est pas intègre."
    return True, ""


NOT_A_PROOF = "Ce fichier n'est pas une preuve d'alerte exportée par ce site."


def read_chained(text: str) -> tuple[dict | None, str]:
    """(the proof's data, "") when ``text`` is an exported proof whose chain holds, else
    (None, the French verdict): the first check of the site and of ``vvs-verify-proof``."""
    data = read_csv(text)
    if data is None:
        return None, NOT_A_PROOF
    ok, verdict = check_chain(data)
    return (data, "") if ok else (None, verdict)


def verify_csv(secret: str, text: str) -> tuple[bool, str]:
    """(valid, the French verdict) of an exported proof: the chain, the commune's HMAC
    and, when the file has one, its Ed25519 signature."""
    data, verdict = read_chained(text)
    if data is None:
        return False, verdict
    if not hmac.compare_digest(signature(secret, data["insee"], data["last"]), data["signature"]):
        return False, "La signature ne correspond pas : ce fichier n'a pas été signé pour cette commune par ce site."
    if data["ed25519"]:
        signed = split_signed(text)
        if signed is None or not ed25519_verifies(public_key_pem(secret, data["insee"]), signed[1], signed[0]):
            return False, "La signature Ed25519 ne correspond pas : le fichier a été modifié après sa signature."
    return True, (f"Preuve intègre et signée : {count(len(data['table']), 'ligne', 'lignes')}, alerte n° {data['alert_id']} "
                  f"de la commune {data['insee']}.")


COLUMN_WIDTHS = [102, 160, 95, 36, 82, 88, 72, 72, 56]
FONT_SIZE, CELL_PADDING = 7, 2


@functools.lru_cache(maxsize=4096)  # a proof repeats its labels, statuses and dates on every line
def fitted(text: str, width: float, font: str, size: float, lines: int = 2) -> str:
    """``text`` within ``width`` points: broken between words onto ``lines`` lines at most
    (a word longer than the column, and the last line, cut with « … »)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def fits(part: str) -> bool:
        return stringWidth(part, font, size) <= width

    def cut(part: str) -> str:
        if fits(part):
            return part
        while part and not fits(part + "…"):
            part = part[:-1]
        return part.rstrip() + "…"

    if fits(text):
        return text
    words, out = text.split(), []
    while words and len(out) < lines - 1:
        line = words.pop(0)
        while words and fits(f"{line} {words[0]}"):
            line += " " + words.pop(0)
        out.append(cut(line))
    if words:
        out.append(cut(" ".join(words)))
    return "\n".join(out)


def proof_pdf(data: dict, site_name: str) -> bytes:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    from functools import partial

    from vvs_core.web import pdf
    from vvs_core.web.pdf import fonts, stylesheet

    plain, para = partial(pdf.plain, every=True), partial(pdf.para, every=True)  # every emoji of what people typed said

    styles = stylesheet()
    buffer = io.BytesIO()
    alert = data["alert"]
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), title=f"Preuve d'alerte {alert.id}", author=site_name,
                            leftMargin=28, rightMargin=28)
    story = [Paragraph(para(f"Preuve d'alerte — Mairie {french.de(data['commune'].name)}"), styles["Title"]),
             Paragraph(para(f"{'EXERCICE · ' if alert.exercise else ''}{alert.title} — "
                            f"{dates.datetime(alert.created_at)}"), styles["Heading2"]),
             Paragraph(para(f"{data['households']} foyers, {data['people']} personnes, {data['reached']} jointes "
                       f"(envoyé, remis ou appelé sur au moins un canal)."), styles["Normal"])]
    confirmed = sum(1 for line in data["lines"] if line[5] == REACTION_LABELS["confirmed"])
    if confirmed:
        story.append(Paragraph(para(f"{confirmed} confirmation{'s' if confirmed > 1 else ''} par la touche 1 "
                               f"au téléphone fixe."), styles["Normal"]))
    story.append(Spacer(1, 8))
    # The columns fit the landscape page (786 points between the margins); a cell's text
    # wraps within its column, on two lines at most, the rest cut with « … »: it never
    # runs into the next column (walk-through: « …à 06:2211 place Antoine Mauny »).
    font, room = fonts()[0], [w - 2 * CELL_PADDING for w in COLUMN_WIDTHS]
    short = [[fitted(plain(c), room[i], font, FONT_SIZE) for i, c in enumerate([*line[:-1], line[-1][:12] + "…"])]
             for line in data["lines"]]
    story.append(Table([HEADER] + short, repeatRows=1, colWidths=COLUMN_WIDTHS,
                       style=[("FONTSIZE", (0, 0), (-1, -1), FONT_SIZE), ("FONTNAME", (0, 0), (-1, -1), font),
                              ("LEADING", (0, 0), (-1, -1), FONT_SIZE + 1.5), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("FONTNAME", (0, 0), (-1, 0), fonts()[1]),
                              ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                              ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING)]))
    story += [Spacer(1, 8), Paragraph(para(f"Empreinte finale (SHA-256 chaîné) : {data['last']}"), styles["Normal"]),
              Paragraph(para(f"Signature de la commune (HMAC-SHA256) : {data['signature']}"), styles["Normal"]),
              Paragraph(para(f"Signature Ed25519 de « vvs-preuve|{data['commune'].insee}|{alert.id}|empreinte finale » : "
                        f"{data['fingerprint_signature']}"), styles["Normal"]),
              Paragraph(para(f"Clé publique de la commune : {data['key_url']}"), styles["Normal"]),
              Paragraph(para("Le fichier CSV de la même alerte porte toutes les empreintes ; la page « Vérifier une "
                        "preuve » du tableau de bord de la mairie le contrôle."), styles["Normal"])]
    doc.build(story)
    return buffer.getvalue()
