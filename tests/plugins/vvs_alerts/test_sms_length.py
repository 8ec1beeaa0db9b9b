"""SMS length: GSM-7 160/153, UCS-2 70/67, extension characters count twice."""
from vvs_alerts.sms_length import fit_sms, sms_length


def test_gsm7_single_and_parts():
    assert sms_length("a" * 160).segments == 1
    assert sms_length("a" * 161).segments == 2
    assert sms_length("a" * 306).segments == 2 and sms_length("a" * 307).segments == 3
    assert sms_length("€" * 80).units == 160 and sms_length("€" * 80).encoding == "GSM-7"
    assert sms_length("é è à ù Ç").encoding == "GSM-7"


def test_ucs2_single_and_parts():
    assert sms_length("ç" * 70).segments == 1 and sms_length("ç" * 70).encoding == "UCS-2"
    assert sms_length("ç" * 71).segments == 2
    assert sms_length("ê" * 134).segments == 2 and sms_length("ê" * 135).segments == 3
    assert sms_length("🚨").units == 2


def test_fit_keeps_the_ending():
    ending = " En cas d'urgence ou de flagrant délit, appelez le 17."
    text = fit_sms("x" * 500, 1, ending)
    assert text.endswith(ending) and sms_length(text).segments == 1 and "…" in text
    assert fit_sms("court", 1, ending) == "court" + ending


def test_the_javascript_port_counts_the_same():
    """static/sms_length.js (the counter under the form) agrees with the server."""
    import json
    import subprocess
    from pathlib import Path

    import vvs_alerts

    script = Path(vvs_alerts.__file__).with_name("static") / "sms_length.js"
    samples = ["", "a" * 160, "a" * 161, "€" * 81, "ç" * 70, "ç" * 71, "Voiture grise {plaque} ~ ^", "x" * 400 + "ê"]
    code = (f"const f = require({json.dumps(str(script))});"
            f"console.log(JSON.stringify({json.dumps(samples)}.map(s => [f(s).encoding, f(s).units, f(s).segments])));")
    out = subprocess.run(["node", "-e", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [[sms_length(s).encoding, sms_length(s).units, sms_length(s).segments] for s in samples]
