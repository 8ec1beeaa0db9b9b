"""Calls to landlines through the outbox (channel "voice"), with the built-in `folder`
provider: who gets a call, no call at night below urgent, the script written (and its
WAV when espeak-ng is installed), the call's progress and keys through the core's
callback URL, the hook that hands keys to plugins, and the fallback SMS → call → e-mail."""
from __future__ import annotations

import os
import shutil
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from vvs_core.hooktypes import NotificationKind
from vvs_core.models import Notification
from vvs_core.notify.actors import deliver_notifications
from vvs_core.notify.calls import CONFIRM_PROMPT, speakable
from vvs_dev_providers.providers import FolderVoiceCaller
from vvs_core.notify.kinds import NotificationKinds, channels_for
from vvs_core.notify.outbox import format_reach, insert_notifications, reach_summary
from vvs_core.plugins import hookimpl
from vvs_core.interfaces import SendResult
from app_changes import changed

TOKEN = "jeton-des-appels-de-test-" + "v" * 32
CALL_URL = f"/fournisseurs/folder/{TOKEN}/appel"
LANDLINE = "+33199000201"
TEXT = "EXERCICE. Mairie de Serris : « crue du ru », l’eau monte rue de l’Église. Plus d’infos : https://exemple.fr/crue"
ALERTS = NotificationKind("alert", "Alertes", always_reach=True, default_channels=("sms", "email"), voice=True)
NEWS = NotificationKind("news", "Nouvelles", default_channels=("sms", "email"))


@pytest.fixture
def calls(app, tmp_path, change):
    caller = FolderVoiceCaller(str(tmp_path / "appels"))
    change(app.registry, providers={"voice": caller}, settings={"vvs.voice.folder.callback_token": TOKEN,
                                                                "vvs.voice.folder.callback_rate": "600/60"})
    return caller


class KeypadListener:
    def __init__(self, say=None):
        self.answers, self.say = [], say

    @hookimpl
    def vvs_voice_keypad_answer(self, request, answer):
        self.answers.append(answer)
        return self.say


@pytest.fixture
def keypad(plug):
    return plug(KeypadListener())


def voice_row(user, key="t", severity="", kind="alert", body=TEXT):
    return dict(dedupe_key=f"{key}:{user.id}:voice", kind=kind, subject_type="essai", subject_id=1,
                recipient_id=user.id, channel="voice", address=user.landline, title="Alerte", body=body,
                severity=severity)


def row_of(dbsession, key):
    dbsession.expire_all()
    return dbsession.scalar(sa.select(Notification).where(Notification.dedupe_key == key))


def test_a_resident_with_only_a_landline_is_called_where_others_get_an_sms():
    usable = ["sms", "email", "voice"]
    landline_only = SimpleNamespace(id=1, email="a@example.test", mobile=None, landline=LANDLINE, notification_prefs={})
    both = SimpleNamespace(id=2, email="b@example.test", mobile="+33639980001", landline=LANDLINE, notification_prefs={})
    assert channels_for(landline_only, ALERTS, usable) == ["email", "voice"]
    assert channels_for(both, ALERTS, usable) == ["sms", "email"]
    assert channels_for(landline_only, NEWS, usable) == ["email"]  # kinds not declared voice never call
    assert channels_for(landline_only, ALERTS, ["sms", "email"]) == ["email"]  # no voice provider: no call
    nothing_else = SimpleNamespace(id=3, email=None, mobile=None, landline=LANDLINE, notification_prefs={"alert": []})
    assert channels_for(nothing_else, ALERTS, usable) == ["voice"]  # always reached, by a call if need be


def test_no_call_at_night_below_urgent(dbsession, make_user, clock):
    user = make_user(mobile=None, landline=LANDLINE)
    kinds = NotificationKinds([ALERTS])
    night = clock.set_local(2026, 11, 24, 23, 30)
    insert_notifications(dbsession, [voice_row(user, "nuit-moyenne", "moderate"), voice_row(user, "nuit-sans"),
                                     voice_row(user, "nuit-urgente", "severe")], kinds=kinds)
    morning = clock.set_local(2026, 11, 25, 8, 0)
    assert row_of(dbsession, f"nuit-moyenne:{user.id}:voice").next_attempt_at == morning
    assert row_of(dbsession, f"nuit-sans:{user.id}:voice").next_attempt_at == morning
    urgent = row_of(dbsession, f"nuit-urgente:{user.id}:voice")
    assert urgent.next_attempt_at == night and urgent.severity == "severe"
    clock.set_local(2026, 11, 25, 14, 0)
    insert_notifications(dbsession, [voice_row(user, "jour", "minor")], kinds=kinds)
    assert row_of(dbsession, f"jour:{user.id}:voice").next_attempt_at == clock.now()


def test_a_call_is_placed_confirmed_with_1_and_the_keys_reach_the_plugins(app, testapp, dbsession, make_user, calls,
                                                                          keypad, clock):
    clock.set_local(2026, 11, 25, 10, 0)
    user = make_user(mobile=None, landline=LANDLINE)
    [nid] = insert_notifications(dbsession, [voice_row(user)])
    assert deliver_notifications([nid], registry=app.registry) == {"sent": 1}
    row = row_of(dbsession, f"t:{user.id}:voice")
    assert (row.status, row.provider) == ("sent", "folder")
    script = next(p for p in os.listdir(calls.folder) if p.endswith(".txt"))
    text = open(os.path.join(calls.folder, script), encoding="utf-8").read()
    assert speakable(TEXT) in text and "https://" not in text and CONFIRM_PROMPT in text
    assert "+3319900**01" in text and LANDLINE not in text  # the number masked, as in the logs
    assert any(p.endswith(".wav") for p in os.listdir(calls.folder)) == bool(shutil.which("espeak-ng"))
    assert "appels : 1 appelé" in format_reach(reach_summary(dbsession, "essai", 1))

    ref = row.provider_ref
    assert testapp.post(CALL_URL, {"ref": ref, "etat": "decroche"}).text == "enregistré"
    assert row_of(dbsession, row.dedupe_key).status == "delivered"
    answer = testapp.post(CALL_URL, {"ref": ref, "etat": "touche", "touches": "1"})
    assert answer.text == "Merci, votre confirmation est enregistrée. Au revoir."
    row = row_of(dbsession, row.dedupe_key)
    assert (row.status, row.reaction) == ("delivered", "confirmed") and row.reacted_at is not None
    [given] = keypad.answers
    assert (given.notification_id, given.digits, given.kind, given.subject_type, given.subject_id,
            given.recipient_id, given.provider, given.provider_ref) == (nid, "1", "alert", "essai", 1, user.id,
                                                                        "folder", ref)
    # a replay records nothing and is not passed on; a later, lesser event lowers nothing
    assert testapp.post(CALL_URL, {"ref": ref, "etat": "touche", "touches": "1"}).text == "déjà reçu"
    testapp.post(CALL_URL, {"ref": ref, "etat": "ecoute"})
    assert row_of(dbsession, row.dedupe_key).reaction == "confirmed" and len(keypad.answers) == 1
    summary = format_reach(reach_summary(dbsession, "essai", 1))
    assert summary == "appels : 1 décroché, 1 écouté jusqu'au bout, 1 confirmé par la touche 1"


def test_vvs_voice_keypad_answer(app, testapp, dbsession, make_user, calls, keypad, clock):
    """A plugin (a roll-call) reads the keys its own way and says its sentence."""
    clock.set_local(2026, 11, 25, 10, 0)
    keypad.say = "Nous avons noté que vous avez besoin d’aide : la mairie vous rappelle."
    user = make_user(mobile=None, landline=LANDLINE)
    [nid] = insert_notifications(dbsession, [voice_row(user, "appel-2")])
    deliver_notifications([nid], registry=app.registry)
    ref = row_of(dbsession, f"appel-2:{user.id}:voice").provider_ref
    assert testapp.post(CALL_URL, {"ref": ref, "etat": "touche", "touches": "2"}).text == keypad.say
    row = row_of(dbsession, f"appel-2:{user.id}:voice")
    assert row.reaction == "listened" and keypad.answers[0].digits == "2"


def test_bad_call_events_are_refused_and_change_nothing(app, testapp, dbsession, make_user, calls, keypad):
    user = make_user(mobile=None, landline=LANDLINE)
    [nid] = insert_notifications(dbsession, [voice_row(user, "appel-3", "severe")])
    deliver_notifications([nid], registry=app.registry)
    ref = row_of(dbsession, f"appel-3:{user.id}:voice").provider_ref
    testapp.post(f"/fournisseurs/folder/{'x' * 40}/appel", {"ref": ref, "etat": "touche", "touches": "1"}, status=403)
    testapp.post(CALL_URL, {"ref": ref, "etat": "touche", "touches": "<script>"}, status=400)
    testapp.post(CALL_URL, {"ref": "../../etc/passwd", "etat": "decroche"}, status=400)
    testapp.post(CALL_URL, {"ref": ref, "etat": "envolé"}, status=400)
    assert testapp.post(CALL_URL, {"ref": "0" * 32, "etat": "decroche"}).text == "référence inconnue"
    # Not taken for a replay when it comes again (a fast provider's callback can
    # overtake the outbox that records the reference).
    assert testapp.post(CALL_URL, {"ref": "0" * 32, "etat": "decroche"}).text == "référence inconnue"
    row = row_of(dbsession, f"appel-3:{user.id}:voice")
    assert (row.status, row.reaction) == ("sent", "") and keypad.answers == []


class RefusingSMS:
    name = "refus"

    def send_batch(self, messages):
        return [SendResult(m.key, ok=False, error="numéro désactivé") for m in messages]


def test_an_alert_falls_back_from_sms_to_a_call_then_to_e_mail(app, testapp, dbsession, make_user, calls, clock):
    clock.set_local(2026, 11, 25, 10, 0)
    registry = app.registry
    with changed(registry, providers={"sms": RefusingSMS()}):
        user = make_user(mobile="+33639980777", landline=LANDLINE)
        [nid] = insert_notifications(dbsession, [dict(
            dedupe_key=f"alerte:9:{user.id}:sms", kind="alert", subject_type="alert", subject_id=9,
            recipient_id=user.id, channel="sms", address=user.mobile, title="Alerte", body="Cambriolage rue Haute.",
            severity="moderate")])
        deliver_notifications([nid], registry=registry)
    assert row_of(dbsession, f"alerte:9:{user.id}:sms").status == "failed"
    call = row_of(dbsession, f"alerte:9:{user.id}:sms>voice")
    assert (call.channel, call.address, call.body, call.severity) == ("voice", LANDLINE, "Cambriolage rue Haute.",
                                                                      "moderate")
    deliver_notifications([call.id], registry=registry)
    ref = row_of(dbsession, call.dedupe_key).provider_ref
    testapp.post(CALL_URL, {"ref": ref, "etat": "sans-reponse"})
    assert row_of(dbsession, call.dedupe_key).status == "failed"
    mail = row_of(dbsession, f"alerte:9:{user.id}:sms>voice>email")
    assert (mail.channel, mail.address) == ("email", user.email)
    # written once: a replayed failure adds nothing
    testapp.post(CALL_URL, {"ref": ref, "etat": "occupe"})
    assert dbsession.scalar(sa.select(sa.func.count()).select_from(Notification)
                            .where(Notification.subject_type == "alert", Notification.subject_id == 9)) == 3


def test_a_resident_may_choose_calls_for_the_kinds_that_call(testapp, dbsession, make_user, calls):
    """The settings page offers « Appel sur le téléphone fixe » for the alerts (kinds
    declared voice) and not for the others; the choice is kept."""
    user = make_user(landline=LANDLINE)
    testapp.login(user)
    form = testapp.get("/parametres/notifications").forms["notifications"]
    kind, boxes = None, []  # deform names every box "checkbox", after a "__start__" naming its kind
    for name, field in form.field_order:
        if name == "__start__":
            kind = field.value.split(":")[0]
        elif name == "checkbox":
            boxes.append((kind, field))
    calling = {kind for kind, field in boxes if field._value == "voice"}
    assert {"alert", "mairie_alert"} <= calling and not calling & {"gazette", "message", "account"}
    for kind, field in boxes:
        field.checked = field._value == ("voice" if kind in ("alert", "mairie_alert") else "email")
    form.submit("submit", status=303)
    dbsession.refresh(user)
    assert user.notification_prefs["alert"] == ["voice"] and user.notification_prefs["gazette"] == ["email"]
    assert channels_for(user, ALERTS, ["sms", "email", "voice"]) == ["voice"]


def test_the_folder_script_ends_with_the_curl_commands_that_play_the_person(app, testapp, dbsession, make_user,
                                                                            calls, tmp_path, clock, change):
    """From the settings (as in development.ini), the script gives its reference and the
    callback URL in two ready-made curl commands; the WAV does not say them."""
    clock.set_local(2026, 11, 25, 10, 0)
    settings = {**app.registry.settings, "vvs.voice.script_folder": str(tmp_path / "dev-appels"),
                "vvs.public_url": "http://localhost:6543/"}
    caller = FolderVoiceCaller.from_settings(settings)
    change(app.registry, providers={"voice": caller})
    user = make_user(mobile=None, landline=LANDLINE)
    [nid] = insert_notifications(dbsession, [voice_row(user, key="curl")])
    assert deliver_notifications([nid], registry=app.registry) == {"sent": 1}
    ref = row_of(dbsession, f"curl:{user.id}:voice").provider_ref
    [script] = [p.read_text(encoding="utf-8") for p in (tmp_path / "dev-appels").glob("*.txt")]
    url = f"http://localhost:6543{CALL_URL}"
    assert script.endswith(f"curl -d ref={ref} -d etat=decroche {url}\n"
                           f"curl -d ref={ref} -d etat=touche -d touches=1 {url}\n")
    assert testapp.post(CALL_URL, {"ref": ref, "etat": "decroche"}).text == "enregistré"  # the URL answers
    # without a token, no URL to give (every call would answer 403)
    del settings["vvs.voice.folder.callback_token"]
    assert FolderVoiceCaller.from_settings(settings).callback_url == ""


def test_a_renderer_may_say_no_keypad_prompt(app, plug, dbsession, make_user, calls, clock):
    """``"prompt": ""`` from vvs_render_notification: no « appuyez sur la touche 1 » (absent: the default)."""
    from vvs_core.notify.actors import render

    clock.set_local(2026, 11, 25, 10, 0)
    request = SimpleNamespace(registry=app.registry, dbsession=dbsession)

    class Silent:
        @hookimpl
        def vvs_render_notification(self, request, notification, channel):
            return {"subject": "Code", "text": "Votre code est 1 2 3.", "prompt": ""} if notification.kind == "code" else None

    plug(Silent())
    code = SimpleNamespace(kind="code", channel="voice", title="Code", body="x", html=None, dedupe_key="k")
    other = SimpleNamespace(kind="alert", channel="voice", title="Alerte", body=TEXT, html=None, dedupe_key="a",
                            recipient_id=1)
    assert render(request, code)["prompt"] == ""
    assert render(request, other)["prompt"] == CONFIRM_PROMPT


def test_every_call_reads_its_text_without_emoji_quotes_nor_links(app, dbsession, make_user, calls, clock):
    """One cleaning for every voice message, whatever plugin wrote it: the emoji of a
    mairie alert, the « » around a name, an empty bracket left by an emoji."""
    clock.set_local(2026, 12, 6, 14, 47)
    user = make_user(mobile=None, landline=LANDLINE)
    body = ("Vigilance orange « vents violents » 🌬️.\nRentrez le mobilier du parc de l’Église 🌳 (voir photo 📷), "
            "à 15 °C. Merci à nos agents 🙏🏽 et à « Ciarán » 👨‍👩‍👧 ! https://exemple.fr/a/1")
    [nid] = insert_notifications(dbsession, [voice_row(user, key="nettoyage", body=body)])
    assert deliver_notifications([nid], registry=app.registry) == {"sent": 1}
    script = next(p for p in os.listdir(calls.folder) if p.endswith(".txt"))
    text = open(os.path.join(calls.folder, script), encoding="utf-8").read()
    assert ("Vigilance orange vents violents.\nRentrez le mobilier du parc de l’Église (voir photo), à 15 °C. "
            "Merci à nos agents et à Ciarán !") in text
    assert not set("«»🌬🌳📷🙏👨\u200d\ufe0f") & set(text) and "https" not in text and "()" not in text
    assert speakable("  🚨🚨  ") == ""


def test_the_settings_of_a_resident_with_only_a_landline_show_the_call_they_get(testapp, dbsession, make_user, calls):
    """Walk-through: the page ticked « SMS » for a resident without a mobile while the
    alerts called their landline. It shows the call, offers no SMS, and says why."""
    user = make_user(mobile=None, landline=LANDLINE)
    testapp.login(user)
    page = testapp.get("/parametres/notifications")
    assert "vous êtes appelé sur votre téléphone fixe" in page.text
    form = page.forms["notifications"]
    ticked, kind = {}, None
    for name, field in form.field_order:
        if name == "__start__":
            kind = field.value.split(":")[0]
        elif name == "checkbox":
            assert field._value != "sms"
            ticked.setdefault(kind, set()).update({field._value} if field.checked else set())
    assert ticked["alert"] == set(channels_for(user, ALERTS, ["sms", "email", "voice"])) == {"email", "voice"}
    form.submit("submit", status=303)
    dbsession.refresh(user)
    assert channels_for(user, ALERTS, ["sms", "email", "voice"]) == ["email", "voice"]
