"""vvs_core.notify.sms: GSM-7 and UCS-2 lengths, the French transliteration, emoji, and the
shortening that keeps what must survive."""
import pytest
from hypothesis import given, settings, strategies as st

from vvs_core.notify import sms
from vvs_core.notify.sms import fit, fit_text, measure, to_gsm7

NOTICE = "En cas d'urgence, appelez le 17."


# --- lengths -------------------------------------------------------------------------

def test_gsm7_one_part_then_153_per_part_extension_characters_count_twice():
    assert measure("").segments == 0
    assert measure("a" * 160).segments == 1 and measure("a" * 161).segments == 2
    assert measure("a" * 306).segments == 2 and measure("a" * 307).segments == 3
    assert measure("€" * 80).units == 160 and measure("€" * 80).segments == 1
    assert measure("é è à ù Ç É").encoding == "GSM-7"


def test_an_escape_pair_is_never_split_between_two_parts():
    # 152 septets then "€" (2): the pair moves to the second part.
    assert measure("a" * 152 + "€" + "a" * 152).segments == 3
    assert measure("a" * 151 + "€" + "a" * 153).segments == 2


def test_ucs2_70_then_67_per_part_and_an_emoji_is_two_units():
    assert measure("ж" * 70).segments == 1 and measure("ж" * 70).encoding == "UCS-2"
    assert measure("ж" * 71).segments == 2
    assert measure("ж" * 134).segments == 2 and measure("ж" * 135).segments == 3
    assert measure("😀").units == 2 and measure("😀" * 35).segments == 1
    assert measure("ж").coding == "8bit" and measure("e").coding == "7bit"


# --- transliteration -----------------------------------------------------------------

@pytest.mark.parametrize("typed, sent", [
    ("les boîtes aux lettres", "les boites aux lettres"),
    ("fenêtre, château, île, côté, sûr", "fenetre, chateau, ile, coté, sur"),  # é is GSM-7
    ("Noël, maïs, Saül, L'Haÿ-les-Roses", "Noel, mais, Saül, L'Hay-les-Roses"),  # ü is GSM-7
    ("ça, garçon, Ça", "ca, garcon, Ça"),  # Ç is GSM-7, ç is not
    ("cœur, Œuvre, sœur", "coeur, OEuvre, soeur"),
    ("Æsop, æ", "Æsop, æ"),  # GSM-7 has æ and Æ
    ("l’Église, aujourd‘hui", "l'Église, aujourd'hui"),
    ("« pour un contrôle »", '"pour un controle"'),
    ("“vite”", '"vite"'),
    ("attendez…", "attendez..."),
    ("10 – 12 h — urgent", "10 - 12 h - urgent"),
    ("10\u00a0€ et 5\u202f% ?", "10 € et 5 % ?"),
    ("ÀÂÈÊËÎÏÔÛÙŸ", "AAEEEIIOUUY"),
    ("n° 12, 3°C", "no 12, 3oC"),
    ("Łódź, São Tomé, Ångström", "Lodz, Sao Tomé, Ångström"),  # decomposed, or GSM-7 already
    ("e\u0301te\u0301", "été"),  # typed as e + combining accent (some phones)
])
def test_french_becomes_gsm7(typed, sent):
    assert to_gsm7(typed) == sent
    assert sms.is_gsm7(sent)


@pytest.mark.parametrize("typed, sent", [
    ("🚨 Camionnette suspecte", "(!) Camionnette suspecte"),
    ("Chat perdu 🐱 !", "Chat perdu !"),             # its word stands next to it: said once
    ("Chat 🐱 noir", "Chat noir"),
    ("Une 🚗 rouge", "Une voiture rouge"),
    ("📞 06 39 98 00 00", "tel. 06 39 98 00 00"),
    ("Merci 🙏 à tous 😊", "Merci à tous"),
    ("👮‍♂️ sur place", "police sur place"),       # a ZWJ sequence: the first pictograph speaks
    ("Famille 👨‍👩‍👧 partie", "Famille partie"),
    ("Bravo 👍🏽 !", "Bravo !"),                  # skin tone modifier
    ("1️⃣ porte", "1 porte"),                       # keycap
    ("🇫🇷 fête", "fete"),                          # flags carry no fact
    ("⚠️Attention", "(!) Attention"),
])
def test_emoji_become_a_word_or_disappear_and_the_sms_stays_gsm7(typed, sent):
    assert to_gsm7(typed) == sent
    assert sms.is_gsm7(sent)


@pytest.mark.parametrize("typed, sent", [
    ("Le stationnement est serré 😬.", "Le stationnement est serré."),
    ("C’est serré 😬, on attend les dépanneuses 🙏 !", "C'est serré, on attend les dépanneuses !"),
    ("Route dégagée 👍\nMerci à tous", "Route dégagée\nMerci à tous"),
    ("Rue de l’Église barrée (travaux 😤)", "Rue de l'Église barrée (travaux)"),
    ("Trop 😬😬 serré 😬.", "Trop serré."),
    ("Super 👍 : on passe", "Super : on passe"),           # « : » keeps its French space
])
def test_a_dropped_emoji_leaves_no_space_before_punctuation_nor_at_the_end(typed, sent):
    assert to_gsm7(typed) == sent


def test_an_emoji_at_the_end_of_the_body_leaves_no_double_space_before_the_tail():
    fitted = fit("Mairie de Serris - Crue : ", "Montez à l’étage, c’est serré 😬", " (source : Vigicrues)", 2)
    assert fitted.text == "Mairie de Serris - Crue : Montez à l'étage, c'est serré (source : Vigicrues)"


def test_other_scripts_have_no_equivalent_and_make_the_sms_ucs2():
    assert to_gsm7("Вор на улице") == "Вор на улице"
    assert measure(to_gsm7("Voleur : Вор")).encoding == "UCS-2"
    assert to_gsm7("مرحبا") == "مرحبا"


@given(st.text())
def test_transliteration_is_idempotent(text):
    once = to_gsm7(text)
    assert to_gsm7(once) == once


FRENCH = st.lists(st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?'\"-()\n")
    + list("éèêëàâîïôöûùüçÉÈÊÀÂÎÔÛÇœŒæÆÿ’‘«»“”…–—\u00a0\u202f°€") + ["🚨", "🐱", "😊", "👍🏽", "🇫🇷", "⚠️"]),
    max_size=600).map("".join)


@given(FRENCH)
def test_french_with_emoji_is_always_gsm7(text):
    assert sms.is_gsm7(to_gsm7(text))


# --- shortening ----------------------------------------------------------------------

def test_a_text_that_fits_is_only_transliterated():
    fitted = fit("ALERTE : ", "Fenêtre ouverte", " " + NOTICE, 1)
    assert fitted.text == "ALERTE : Fenetre ouverte " + NOTICE and not fitted.shortened


def test_the_end_of_the_body_is_cut_with_three_gsm7_dots_at_a_word_boundary():
    body = "Deux hommes regardent les boîtes aux lettres " * 10
    fitted = fit("ALERTE : ", body, " http://localhost:6711/alertes/3 " + NOTICE, 2)
    assert fitted.length.encoding == "GSM-7" and fitted.length.segments == 2
    assert fitted.text.endswith("... http://localhost:6711/alertes/3 " + NOTICE)
    assert "…" not in fitted.text
    cut = fitted.text[len("ALERTE : "):fitted.text.index("...")]
    assert to_gsm7(body).startswith(cut) and to_gsm7(body)[len(cut)] == " "  # a whole word
    assert fitted.body_kept == len(cut) and fitted.shortened
    assert fitted.length.remaining < 25  # the room left is less than one more word


def test_a_ucs2_body_is_cut_without_adding_a_non_gsm_character():
    fitted = fit("ALERTE : ", "Вор " * 100, " " + NOTICE, 2)
    assert fitted.length.encoding == "UCS-2" and fitted.length.segments <= 2
    assert "…" not in fitted.text and fitted.text.endswith("... " + NOTICE)


def test_when_even_the_fixed_parts_do_not_fit_the_tail_survives():
    fitted = fit("ALERTE " + "Résidence " * 30, "texte", " http://x.fr/alertes/1 " + NOTICE, 1)
    assert fitted.length.segments == 1 and fitted.text.endswith(" http://x.fr/alertes/1 " + NOTICE)


def test_fit_text_keeps_links_and_the_17_line_of_any_message():
    text = ("Bonjour,\n\nVotre voisin vous a écrit un message très long. " + "Blabla " * 80
            + "\nLire : http://localhost:6711/messagerie/3\n\nEn cas d'urgence, appelez le 17.")
    short = fit_text(text, 1)
    assert measure(short).segments == 1
    assert "http://localhost:6711/messagerie/3" in short and short.endswith("appelez le 17.")
    assert short.startswith("Bonjour,\nVotre voisin vous a écrit un message très long")
    assert fit_text("Court et « simple »", 1) == 'Court et "simple"'


@settings(max_examples=200, deadline=None)
@given(FRENCH, st.integers(min_value=1, max_value=4))
def test_fit_text_never_exceeds_the_parts_and_keeps_the_link(prose, parts):
    text = prose + " http://voisins.example.fr/alertes/42 " + NOTICE
    short = fit_text(text, parts)
    assert measure(short).segments <= parts
    assert "http://voisins.example.fr/alertes/42" in short and "appelez le 17" in short


def test_every_replacement_of_the_tables_is_gsm7():
    assert all(sms.is_gsm7(v) for v in sms.TRANSLITERATION.values())
    assert all(sms.is_gsm7(v) for v in sms.EMOJI_WORDS.values())
    assert not any(sms.is_gsm7(k) for k in sms.TRANSLITERATION)  # nothing listed that GSM-7 already has


REAL_ALERTS = [
    ("Coupure d’eau 💧 rue de l’Église", "Coupure d'eau rue de l'Église"),
    ("Incendie 🔥 près de l’école", "Incendie près de l'école"),
    ("Chat perdu 🐱", "Chat perdu"),
    ("⚠️ Attention", "(!) Attention"),
    ("🚒 Les pompiers sont là, « rue du Four » 🔥 !", "Les pompiers sont là, \"rue du Four\" feu !"),
    ("Une 🚗 grise tourne depuis 23 h 30, puis une autre voiture", "Une voiture grise tourne depuis 23 h 30, puis une autre voiture"),
    ("Fuite 💧 place de l’Église\n💧 eau coupée à 8 h", "Fuite eau place de l'Église\neau coupée à 8 h"),
    ("Crue 🌊 de la Marne, 🚓 gendarmes sur place", "Crue de la Marne, gendarmes sur place"),
]


@pytest.mark.parametrize("typed, sent", REAL_ALERTS)
def test_an_emoji_whose_word_stands_next_to_it_is_not_said_twice(typed, sent):
    """« Coupure d’eau 💧 » is « Coupure d'eau », never « Coupure d'eau eau »: an emoji is dropped
    when one of the three words on either side of it (same line) says it already."""
    assert to_gsm7(typed) == sent and sms.is_gsm7(sent)


@pytest.mark.parametrize("typed", [t for t, _ in REAL_ALERTS] + ["Œuvre 🐕🐕 de Zoé… " * 20])
def test_the_pdfs_and_the_sms_say_the_same_words(typed):
    """The mairie's PDFs draw what the font has and say the rest in words, in brackets: once
    through the SMS's transliteration, the same words as the SMS, none doubled, none lost."""
    from vvs_core.web.pdf import plain

    assert to_gsm7(plain(typed)).translate({ord("("): None, ord(")"): None}) == \
        to_gsm7(typed).translate({ord("("): None, ord(")"): None})


def test_says_stop_hears_stop_as_people_type_it():
    from vvs_core.notify.sms import says_stop

    for text in ("STOP", " Stop. ", "ARRÊT", "arrêter", "Fin", "stop sms", "STOP ALERTES", "Désinscrire"):
        assert says_stop(text), text
    for text in ("", None, "Stoppez le camion rue de l’Église", "fin de l'alerte ?", "OUI", "🛑"):
        assert not says_stop(text), text
