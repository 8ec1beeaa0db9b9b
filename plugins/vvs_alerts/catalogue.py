"""What an alert can be: categories, severities, and their CAP 1.2 equivalents."""
from __future__ import annotations

# (key stored in the database, label shown and sent, CAP category)
CATEGORIES = (
    ("reperage", "véhicule ou individu en repérage", "Security"),
    ("demarchage", "démarchage suspect", "Security"),
    ("tentative_cambriolage", "tentative de cambriolage", "Security"),
    ("cambriolage", "cambriolage", "Security"),
    ("maison_inoccupee", "fenêtre ouverte / maison inoccupée", "Safety"),
    ("personne_vulnerable", "personne vulnérable sans nouvelles", "Safety"),
    ("autre", "autre", "Other"),
)
CATEGORY_LABELS = {key: label for key, label, _cap in CATEGORIES}
CAP_CATEGORIES = {key: cap for key, _label, cap in CATEGORIES}

# (key, label, CAP severity)
SEVERITIES = (
    ("minor", "Faible : pour information", "Minor"),
    ("moderate", "Moyenne : restez attentifs", "Moderate"),
    ("severe", "Élevée : danger ou urgence", "Severe"),
)
SEVERITY_LABELS = {key: label.split(" :")[0] for key, label, _cap in SEVERITIES}
CAP_SEVERITIES = {key: cap for key, _label, cap in SEVERITIES}
# How urgent, as the first word of the SMS (it costs no room: « ALERTE » had its place).
SMS_URGENCY = {"minor": "INFO", "moderate": "ALERTE", "severe": "URGENT"}
HEADLINE_URGENCY = {"minor": "Information", "moderate": "Alerte", "severe": "Alerte urgente"}  # e-mail, feeds

STATUS_LABELS = {
    "held": "en attente de validation",
    "published": "en cours",
    "withdrawn": "retirée par la modération",
    "expired": "expirée",
}

EXPIRY_CHOICES = (2, 6, 12, 24, 48, 72)
UPDATE_LABELS = {"update": "Suite", "all_clear": "Fin d'alerte"}  # an alert's follow-ups (AlertUpdate.kind)
SOURCE_LABELS = {"web": "site", "sms": "SMS"}  # how it was launched (Alert.source)

EMERGENCY_NOTICE = "En cas d'urgence ou de flagrant délit, appelez le 17."
# The same instruction where every character counts: 21 more characters of the alert.
SMS_EMERGENCY_NOTICE = "En cas d'urgence, appelez le 17."
FORMER_MEMBER = "ancien membre"
ANONYMISED_TEXT = "Texte effacé après la durée de conservation des alertes."


def category_label(key: str) -> str:
    return CATEGORY_LABELS.get(key, key)


def severity_words(key: str) -> str:
    """« élevée (danger ou urgence) »: how urgent, in a sentence."""
    level, meaning = dict((k, label) for k, label, _cap in SEVERITIES).get(key, SEVERITIES[1][1]).split(" : ")
    return f"{level.lower()} ({meaning})"
