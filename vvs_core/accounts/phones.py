"""Phone numbers: validated and normalised to E.164 with ``phonenumbers``; masked in logs.

ARCEP keeps the blocks 06 39 98 xx xx and 01 99 00 xx xx for fiction (films, books,
demos): the numbers are well formed but assigned to nobody, so ``phonenumbers`` calls
them "possible", not "valid". The demo commune (``vvs demo``) and the README use them,
so they are accepted here, as mobiles and landlines: an SMS or a call to one reaches nobody."""

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType


def normalise_phone(text: str, kind: str = "any", region: str = "FR") -> tuple[str | None, str | None]:
    """(E.164 number, None) or (None, French error message). ``kind``: mobile, landline, any."""
    text = (text or "").strip()
    if not text:
        return None, None
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return None, "Numéro de téléphone invalide."
    if is_fiction_number(number):
        ntype = PhoneNumberType.MOBILE
    elif is_fiction_number(number, FICTION_LANDLINE_PREFIX):
        ntype = PhoneNumberType.FIXED_LINE
    elif not phonenumbers.is_valid_number(number):
        return None, "Numéro de téléphone invalide."
    else:
        ntype = phonenumbers.number_type(number)
    mobile_types = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if kind == "mobile" and ntype not in mobile_types:
        return None, "Ce numéro n'est pas un numéro de portable (06 ou 07)."
    if kind == "landline" and ntype in (PhoneNumberType.MOBILE,):
        return None, "Ce numéro est un portable : indiquez-le dans le champ « Téléphone portable »."
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


FICTION_MOBILE_PREFIX = "+3363998"  # ARCEP's fiction block 06 39 98 xx xx
FICTION_LANDLINE_PREFIX = "+3319900"  # and 01 99 00 xx xx


def is_fiction_number(number: phonenumbers.PhoneNumber, prefix: str = FICTION_MOBILE_PREFIX) -> bool:
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return (e164.startswith(prefix) and len(e164) == 12
            and phonenumbers.is_possible_number(number))


def display_phone(e164: str | None) -> str:
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "FR")
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def mask_phone(e164: str | None) -> str:
    """For log lines: '+33612345678' → '+3361234**78', never the whole number."""
    number = str(e164 or "")
    if len(number) < 6:
        return "***"
    return number[:-4] + "**" + number[-2:]
