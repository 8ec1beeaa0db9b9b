"""GSM-7 / UCS-2 lengths and the cut that keeps the emergency line."""
from vvs_sms_ovh.sms_encoding import fit, measure

LINE_17 = "En cas d'urgence ou de flagrant délit, appelez le 17."


def test_gsm7_counts_septets_and_extension_characters_twice():
    assert measure("a" * 160) == measure("a" * 160)
    assert measure("a" * 160).segments == 1 and measure("a" * 161).segments == 2
    assert measure("€" * 80).units == 160 and measure("€" * 80).segments == 1
    assert measure("a" * 306).segments == 2 and measure("a" * 307).segments == 3


def test_one_character_outside_gsm7_makes_it_ucs2():
    assert measure("été à l'école").encoding == "gsm7"
    assert measure("fenêtre").encoding == "ucs2"
    assert measure("ê" * 70).segments == 1 and measure("ê" * 71).segments == 2
    assert measure("😀" * 35).units == 70 and measure("😀" * 35).segments == 1


def test_typographic_punctuation_is_made_gsm7_before_measuring():
    assert fit("« Alerte » l’école – vite…") == "\"Alerte\" l'école - vite..."
    assert measure(fit("l’école")).encoding == "gsm7"


def test_a_text_that_fits_is_unchanged():
    text = "Cambriolage rue des Lilas.\n" + LINE_17
    assert fit(text) == text


def test_the_cut_keeps_the_17_line_and_marks_the_cut():
    text = "Démarchage suspect " * 20 + "\n" + LINE_17
    cut = fit(text)
    assert measure(cut).segments == 1 and cut.endswith("\n" + LINE_17)
    assert cut.split("\n")[0].endswith("...")


def test_a_unicode_text_is_cut_with_a_real_ellipsis_within_70():
    text = "Fenêtre ouverte " * 10 + "\n" + LINE_17
    cut = fit(text)
    assert measure(cut).units <= 70 and "…\n" in cut and cut.endswith("17.")


def test_more_segments_when_allowed():
    text = "Individu en repérage " * 12 + "\n" + LINE_17
    assert fit(text, max_segments=3) == text
    assert measure(fit(text, max_segments=2)).segments == 2


def test_the_17_sentence_is_kept_when_it_shares_the_line_of_the_alert():
    text = "Démarchage suspect " * 20 + "au 3 rue des Lilas. " + LINE_17
    cut = fit(text)
    assert measure(cut).segments == 1 and cut.endswith("... " + LINE_17)
    assert fit("x" * 200 + " " + LINE_17 + " Merci.").endswith(LINE_17)
