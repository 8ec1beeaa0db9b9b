"""SMS text: the GSM 03.38 alphabet, the transliteration that keeps French in it,
the length of a text in parts, and the shortening that keeps what must survive.

Every SMS leaves through this module: the outbox gives providers texts that went
through ``fit_text`` (so transliterated and at most ``vvs.sms.max_segments`` parts),
a plugin builds a long SMS with ``fit``, a provider reads the coding from
``measure``, and the counter under the alert form asks the server (it never counts in
JavaScript). docs/providers.md lists the transliteration table.

Why transliterate: GSM-7 holds 160 characters in one SMS, 153 per part once
concatenated; a single character outside it ("ê", "’", "«") turns the whole SMS into
UCS-2, 70 characters, 67 per part. French written on a phone is full of them, so
without transliteration every alert loses more than half of its room.

Emoji: GSM-7 has none, and one emoji turns the SMS into UCS-2. With the two parts an
alert may use, UCS-2 leaves 134 characters: less than the parts of an alert SMS that
must survive (community, category, author, link, "appelez le 17"), so keeping an
emoji would cost the whole description. The SMS therefore stays GSM-7: pictographs
that carry a fact become a word (🚗 → "voiture", 🔥 → "feu", 🚨 → "(!)", see
``EMOJI_WORDS``); those that carry a tone (faces, hearts, hands) are dropped. The
alert's page, its e-mail and its push notification keep the emoji, and every alert
SMS links to the page. Text in other scripts (Cyrillic, Arabic, Chinese…) has no
faithful equivalent: it stays, and the SMS is sent in UCS-2.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# GSM 03.38 basic character set (one septet each) and extension table (an escape
# septet plus one: two septets each).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

# What French (and what phones type in French) uses outside GSM-7, and its GSM-7
# twin. Letters not listed here are decomposed (á → a, ł is listed); see to_gsm7.
TRANSLITERATION = {
    # letters
    "â": "a", "À": "A", "Â": "A", "ê": "e", "ë": "e", "È": "E", "Ê": "E", "Ë": "E", "î": "i", "ï": "i", "Î": "I",
    "Ï": "I", "Ì": "I", "ô": "o", "Ô": "O", "Ò": "O", "û": "u", "Û": "U", "Ù": "U", "ÿ": "y", "Ÿ": "Y", "ç": "c",
    "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i",
    # apostrophes and quotes
    "’": "'", "‘": "'", "‚": "'", "‛": "'", "′": "'", "ʼ": "'", "`": "'", "´": "'", "‹": '"', "›": '"', "«": '"',
    "»": '"', "“": '"', "”": '"', "„": '"', "″": '"',
    # dashes, ellipsis, bullets
    "…": "...", "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-", "•": "-", "·": ".", "‧": ".",
    # spaces: non-breaking, narrow, thin…; invisible characters disappear
    "\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2008": " ", "\u2009": " ", "\u200a": " ", "\u2002": " ",
    "\u2003": " ", "\u2004": " ", "\u2005": " ", "\u2006": " ", "\u3000": " ", "\t": " ", "\u2028": "\n",
    "\u2029": "\n", "\u00ad": "", "\u200b": "", "\u200c": "", "\u2060": "", "\ufeff": "", "\u200e": "", "\u200f": "",
    # signs
    "°": "o", "№": "No", "×": "x", "÷": "/", "©": "(c)", "®": "(R)", "™": "(TM)", "‰": " pour mille", "½": "1/2",
    "¼": "1/4", "¾": "3/4", "⁄": "/", "¢": "c", "₣": "F"}

# Pictographs that carry a fact, and the word they become. Others are dropped.
EMOJI_WORDS = {
    "🚨": "(!)", "⚠": "(!)", "❗": "!", "❕": "!", "‼": "!!", "❓": "?", "❔": "?", "⁉": "!?", "➡": "->", "👉": "->",
    "⬅": "<-", "👈": "<-", "⬆": "^", "⬇": "v", "✅": "(ok)", "✔": "(ok)", "✓": "(ok)", "☑": "(ok)", "❌": "(x)",
    "✖": "(x)", "⛔": "(interdit)", "🚫": "(interdit)", "📞": "tel.", "☎": "tel.", "📱": "tel.", "✉": "courriel",
    "📧": "courriel", "🚗": "voiture", "🚘": "voiture", "🚙": "voiture", "🚕": "taxi", "🚐": "camionnette", "🚚": "camion",
    "🚛": "camion", "🏍": "moto", "🛵": "scooter", "🚲": "vélo", "🚌": "bus", "🚜": "tracteur", "🚓": "police",
    "🚔": "police", "👮": "police", "🚒": "pompiers", "🧑‍🚒": "pompiers", "🚑": "ambulance", "🔥": "feu", "💧": "eau",
    "🌊": "inondation", "⚡": "orage", "🌩": "orage", "⛈": "orage", "❄": "neige", "🌫": "brouillard", "💨": "vent",
    "🌪": "tempete", "🐱": "chat", "🐈": "chat", "🐶": "chien", "🐕": "chien", "🐦": "oiseau", "🐴": "cheval", "🏠": "maison",
    "🏡": "maison", "🏫": "école", "⛪": "église", "🏥": "hopital", "🔑": "clé", "🔒": "fermé", "🔓": "ouvert", "🚪": "porte",
    "🪟": "fenetre", "💡": "lumière", "🕐": "heure", "⏰": "heure", "📍": "lieu", "🗺": "carte", "💶": "euros",
    "💰": "argent", "👤": "personne", "👥": "personnes", "👶": "bébé", "👴": "personne agée", "👵": "personne agée"}
_EMOJI_FIRST = {k[0]: k for k in EMOJI_WORDS}  # keys are one code point except a few sequences
# Other words (accents folded, a plural « s » allowed) that say what an emoji says: next to one, or to its own word,
# the emoji adds nothing (see emoji_word).
_POLICE, _CAT, _DOG, _STORM = "gendarme|gendarmerie|policier", "chaton", "chiot", "foudre|eclair"
EMOJI_SAID = {"🔥": "incendie|flamme", "🚒": "pompier|sapeur", "🚓": _POLICE, "🚔": _POLICE, "👮": _POLICE, "🐱": _CAT,
              "🐈": _CAT, "🐶": _DOG, "🐕": _DOG, "🚗": "vehicule", "🌊": "crue|inonde|inondee", "⚡": _STORM, "⛈": _STORM}
_WORD = re.compile(r"\w[\w'’-]*")

ELLIPSIS = "..."       # GSM-7: "…" would turn the whole SMS into UCS-2
WORD_SLACK = 20        # a cut moves back to the last space when it is this close


@dataclass(frozen=True)
class SMSLength:
    encoding: str      # "GSM-7" or "UCS-2"
    units: int         # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int      # parts the text costs (0 for an empty text)
    per_segment: int   # capacity of one part at this length
    remaining: int     # units left before one more part is needed

    @property
    def coding(self) -> str:
        """The SMS data coding as providers name it (OVH: ``7bit`` or ``8bit``)."""
        return "7bit" if self.encoding == "GSM-7" else "8bit"


@dataclass(frozen=True)
class FittedSMS:
    text: str
    length: SMSLength
    body_kept: int     # characters of the (transliterated) body in ``text``
    body_total: int    # characters of the whole transliterated body

    @property
    def shortened(self) -> bool:
        return self.body_kept < self.body_total


# --- transliteration ---------------------------------------------------------------

def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


_FRENCH_QUOTES = re.compile(r"«[ \u00a0\u202f\u2009]*|[ \u00a0\u202f\u2009]*»")


def _is_emoji_component(c: str) -> bool:
    """Joiners, variation selectors, skin tones, tags, keycaps: parts of an emoji."""
    code = ord(c)
    return (c == "\u200d" or 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF
            or 0xE0020 <= code <= 0xE007F or c == "\u20e3")


def _decomposed(c: str) -> str | None:
    """``c`` without its diacritics (compatibility decomposition), if that is GSM-7."""
    plain = "".join(d for d in unicodedata.normalize("NFKD", c) if not unicodedata.combining(d))
    if plain and plain != c and is_gsm7(plain):
        return plain
    return None


def _folded(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c)
                   and not _is_emoji_component(c))


# What an inbound SMS says to be sent nothing more (« Stop », « ARRÊT », « fin. »): accents, case, signs aside.
STOP_WORDS = frozenset({"stop", "arret", "arreter", "stopsms", "stopalertes", "desabonner", "desinscrire", "fin", "unsubscribe"})


def says_stop(text: str) -> bool:
    return re.sub(r"[^a-z0-9]", "", _folded(str(text or ""))) in STOP_WORDS


def emoji_word(key: str, before: str = "", after: str = "") -> str:
    """What the emoji ``key`` becomes between ``before`` and ``after``: its word, or "" when one of the three words
    on either side of it (same line) says it already (« Coupure d’eau 💧 », « Chat perdu 🐱 », « Incendie 🔥 »).
    The SMS and the PDFs both say emoji through it, so they agree."""
    word = EMOJI_WORDS[key]
    near = _WORD.findall(_folded(before).split("\n")[-1])[-3:] + _WORD.findall(_folded(after).split("\n")[0])[:3]
    says = r"\b(?:{})s?\b".format("|".join(filter(None, (re.escape(_folded(word)), EMOJI_SAID.get(key)))))
    return "" if word[:1].isalpha() and re.search(says, " ".join(near)) else word


def to_gsm7(text: str) -> str:
    """``text`` in GSM-7 wherever a faithful equivalent exists (see the module doc).

    Idempotent. Characters without an equivalent (other scripts) are kept: the text
    is then sent in UCS-2.
    """
    text = _FRENCH_QUOTES.sub('"', unicodedata.normalize("NFC", text or ""))
    out: list[str] = []
    space_after_word = False   # a word that replaced an emoji wants a space after it
    swallow_space = False      # a dropped emoji leaves no double space behind
    i = 0
    while i < len(text):
        c = text[i]
        i += 1
        if c in GSM7_BASIC or c in GSM7_EXTENSION:
            if space_after_word and c not in " \n.,;:!?)":
                out.append(" ")
            if swallow_space and c == " " and (not out or out[-1] in " \n"):
                space_after_word = swallow_space = False
                continue
            if swallow_space and c in ".,)\n" and out and out[-1] == " ":
                out.pop()  # « serré 😬. » is « serré. », not « serré . »
            space_after_word = swallow_space = False
            out.append(c)
            continue
        if c in TRANSLITERATION:
            replacement = TRANSLITERATION[c]
            if space_after_word and replacement[:1] not in ("", " ", "\n"):
                out.append(" ")
            space_after_word = swallow_space = False
            out.append(replacement)
            continue
        if _is_emoji_component(c) or (unicodedata.combining(c) and out and is_gsm7(out[-1][-1:])):
            continue  # part of an emoji, or an accent left over on a Latin letter
        key = _EMOJI_FIRST.get(c)
        if said := key is not None and text.startswith(key[1:], i):
            i += len(key) - 1
            said = emoji_word(key, "".join(out[-80:]), text[i:i + 80])  # as written: « 🐕🐕 » is one « chien »
        if said:
            out.extend([" ", said] if out and out[-1][-1:] not in (" ", "\n") else [said])
            space_after_word, swallow_space = True, False
            continue
        if said == "" or unicodedata.category(c) in ("So", "Sk", "Co", "Cs"):
            swallow_space = not space_after_word  # a pictograph that says no fact (or one said already): dropped
            continue
        plain = _decomposed(c)
        out.append(plain if plain is not None else c)
        space_after_word = swallow_space = False
    return "".join(out[:-1] if swallow_space and out and out[-1] == " " else out)  # ended by a dropped one


# --- length ------------------------------------------------------------------------

def _units(text: str, encoding: str) -> list[int]:
    if encoding == "GSM-7":
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def measure(text: str) -> SMSLength:
    """The cost of ``text`` exactly as given (transliterate first with ``to_gsm7``)."""
    text = text or ""
    encoding = "GSM-7" if is_gsm7(text) else "UCS-2"
    units = _units(text, encoding)
    single, part = (GSM7_SINGLE, GSM7_PART) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_PART)
    total = sum(units)
    if total <= single:
        return SMSLength(encoding, total, 1 if total else 0, single, single - total)
    segments, used = 1, 0
    for u in units:  # greedy packing: an escape pair or a surrogate pair is never split
        if used + u > part:
            segments += 1
            used = 0
        used += u
    return SMSLength(encoding, total, segments, part, part - used)


def fits(text: str, max_segments: int) -> bool:
    return measure(text).segments <= max_segments


# --- shortening --------------------------------------------------------------------

def fit(head: str, body: str, tail: str = "", max_segments: int = 1, keep_at_least: int = 0) -> FittedSMS:
    """``head + body + tail`` transliterated and shortened to ``max_segments`` parts.

    What is cut is the end of ``body``, replaced by "..." (GSM-7, never "…"), at a word
    boundary when one is close, unless that would keep fewer than ``keep_at_least``
    characters of it (then the cut falls inside a word). ``head`` and ``tail`` (what must survive: the
    category and community, the author, the link, "appelez le 17") are kept whole
    as long as they fit on their own; beyond that ``head`` is cut, then ``tail``.
    """
    head, body, tail = to_gsm7(head), to_gsm7(body), to_gsm7(tail)
    max_segments = max(1, int(max_segments))
    whole = head + body + tail
    if fits(whole, max_segments):
        return FittedSMS(whole, measure(whole), len(body), len(body))
    kept = _longest_prefix(body, lambda cut: head + cut + ELLIPSIS + tail, max_segments, floor=keep_at_least)
    if kept or fits(head + ELLIPSIS + tail, max_segments):
        text = head + kept + ELLIPSIS + tail
        return FittedSMS(text, measure(text), len(kept), len(body))
    # Not even the fixed parts fit (tiny max_segments, huge names): keep the tail.
    short_head = _longest_prefix(head, lambda cut: cut + ELLIPSIS + tail, max_segments)
    text = short_head + ELLIPSIS + tail
    if not fits(text, max_segments):
        text = _longest_prefix(tail, lambda cut: cut, max_segments, at_word=False)
    return FittedSMS(text, measure(text), 0, len(body))


def _longest_prefix(text: str, build, max_segments: int, at_word: bool = True, floor: int = 0) -> str:
    """The longest start of ``text`` for which ``build(start)`` fits, without trailing
    spaces or dangling punctuation, moved back to a word boundary when one is close."""
    # Every character costs at least one unit: a longer start cannot fit.
    low, high = 0, min(len(text), max_segments * GSM7_SINGLE)
    while low < high:  # bisection: a shorter start never costs more parts
        middle = (low + high + 1) // 2
        if fits(build(text[:middle].rstrip()), max_segments):
            low = middle
        else:
            high = middle - 1
    cut = text[:low]
    if at_word and low < len(text) and not text[low].isspace():
        space = max(cut.rfind(" "), cut.rfind("\n"))
        if space > 0 and low - space <= WORD_SLACK and space >= min(floor, low):
            cut = cut[:space]
    return cut.rstrip(" \n,;:-(") if at_word else cut


# Links and the emergency line survive any shortening of a free text.
LINK = re.compile(r"https?://\S+")
EMERGENCY_LINE = re.compile(r"(?:en cas d'urgence[^.!?\n]*?)?appelez le 17\b[^.!?\n]*[.!?]?", re.IGNORECASE)


@lru_cache(maxsize=256)  # an alert's text is fitted once for its hundreds of recipients
def fit_text(text: str, max_segments: int) -> str:
    """Any SMS text, transliterated and shortened to ``max_segments`` parts.

    The outbox passes every SMS through it before a provider sees it. A text that
    fits is only transliterated. A longer one loses the end of its prose; its links
    and its "appelez le 17" sentence are kept and moved to its end.
    """
    text = to_gsm7(text)
    if fits(text, max_segments):
        return text
    kept = [m.group(0) for m in LINK.finditer(text)]
    notice = EMERGENCY_LINE.search(LINK.sub(" ", text))
    if notice:
        kept.append(notice.group(0).strip())
    prose = LINK.sub(" ", text)
    if notice:
        prose = prose.replace(notice.group(0), " ")
    prose = re.sub(r"[ \t]+", " ", re.sub(r"\s*\n\s*", "\n", prose)).strip()
    tail = "".join(" " + part for part in kept)
    return fit("", prose, tail, max_segments).text
