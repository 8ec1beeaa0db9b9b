"""« Mes données » is read by the resident: every value that is a code where it is stored
(a channel, a state, a method, an answer, a category…) is written in the words the pages
use, in every section — the core's and each plugin's (walk: ``canal = "email"``,
``etat = "passed"`` in the archive)."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

from vvs_core.clock import utcnow
from vvs_core.notify.outbox import insert_notifications

# Codes stored in the tables the archive reads; none may be a value of the archive.
CODES = {"sms", "email", "push", "voice", "web", "link", "agent",  # channels, answered via
         "passed", "failed", "pending", "expired", "geolocation", "document", "attestation", "partner",  # kyc
         "application/pdf", "image/jpeg", "image/png",
         "safe", "help",  # roll call
         "note", "message", "activation", "cell", "register", "end", "refused",  # main courante
         "update", "all_clear", "published", "withdrawn",  # alerts
         "annonce", "pret_don", "evenement", "vie_quartier", "mairie",  # gazette
         "Moderate", "Severe", "Extreme",  # warnings
         "self", "representative", "third_party", "age65", "age60", "handicap", "active", "waiting",  # register
         "member", "referent", "rejected", "left", "sent", "delivered", "cancelled"}


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(inner, (*path, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _leaves(inner, (*path, i))
    else:
        yield path, value


def test_every_section_of_my_data_writes_words_not_codes(testapp, dbsession, make_user, make_community, commune,
                                                          app_registry):
    from vvs_alerts.models import Alert, AlertUpdate, FeedToken
    from vvs_core.communities.events import record_event
    from vvs_gazette.models import GazettePost
    from vvs_invitations.models import Invitation
    from vvs_kyc.models import KycCheck, KycDocument
    from vvs_mairie.models import MairieAgent
    from vvs_pcs.models import PcsCrisis, PcsLogEntry
    from vvs_rollcall.models import RollCall, RollCallPerson
    from vvs_vulnerable.models import VulnerableEntry
    from vvs_vulnerable.sealing import seal
    from vvs_warnings.models import CommuneWarningSettings

    now = utcnow()
    user = make_user(first_name="Hélène", last_name="Lefèvre-Œuvray", notification_prefs={"alert": ["sms", "email"]},
                     housing={"owner": "oui", "dwelling": "appartement", "alarm": "non"})
    community = make_community(name="L’Église « haute » 🌳", members=[user])
    insert_notifications(dbsession, [dict(dedupe_key=f"mots:{user.id}", kind="alert", subject_type="essai",
                                          subject_id=1, recipient_id=user.id, channel="email",
                                          address="helene@exemple.fr", title="Crue 🌊 à l’Église", body="L’eau monte",
                                          severity="")])
    alert = Alert(community_id=community.id, commune_id=commune.id, author_id=user.id, category="cambriolage",
                  text="Voiture fracturée rue de l’Église 🚗, vers 23 h 30 « vitre cassée »", severity="moderate",
                  created_at=now, published_at=now, expires_at=now + timedelta(hours=6), status="published",
                  idempotency_key="mots-fr", source="sms")
    dbsession.add(alert)
    dbsession.flush()
    crisis = PcsCrisis(commune_id=commune.id, title="Crue de la Marne 🌊 — « vigilance rouge »", started_by_id=user.id)
    rollcall = RollCall(commune_id=commune.id, author_id=user.id, target="commune", message="Êtes-vous en sécurité ?")
    check = KycCheck(user_id=user.id, community_id=community.id, method="document", status="passed",
                     decided_at=now, reason="Facture d’électricité conforme ✅")
    dbsession.add_all([
        AlertUpdate(alert_id=alert.id, author_id=user.id, kind="all_clear", text="C’est fini, merci à tous 🙏"),
        GazettePost(community_id=community.id, author_id=user.id, category="pret_don", title="Perceuse à prêter 🔧",
                    text="Je prête ma perceuse, à rendre « propre »."),
        Invitation(code="mots-fr-1", community_id=community.id, sender_id=user.id, channel="email",
                   address="zoé@exemple.fr"),
        Invitation(code="mots-fr-2", community_id=community.id, sender_id=user.id, channel="sms",
                   address="+33612345678"),
        MairieAgent(user_id=user.id, commune_id=commune.id, alert_channels=["sms", "email"]),
        crisis, rollcall, check, FeedToken(community_id=community.id, user_id=user.id, token_hash="f" * 64),
        KycCheck(user_id=user.id, community_id=community.id, method="geolocation", status="failed",
                 details={"distance_m": 812, "accuracy_m": 30}),
        CommuneWarningSettings(commune_id=commune.id, threshold="Severe", automatic=True, updated_by_id=user.id),
        VulnerableEntry(commune_id=commune.id, user_id=user.id, created_by_id=user.id, origin="self", status="active",
                        sealed=seal(app_registry.settings, {
                            "name": "Hélène Lefèvre", "address": "3 rue de l’Église", "phone": "+33612345678",
                            "email": "", "situations": ["age65", "handicap"], "needs": "Fauteuil roulant ♿",
                            "contact": "Zoé, sa fille", "consent": True, "consent_at": now.isoformat()})),
    ])
    dbsession.flush()
    dbsession.add_all([
        KycDocument(check_id=check.id, content_type="application/pdf", size=48213),
        PcsLogEntry(crisis_id=crisis.id, author_id=user.id, kind="note", text="Digue de l’Œuvre surveillée 👀"),
        RollCallPerson(rollcall_id=rollcall.id, user_id=user.id, answer="safe", answered_at=now, answered_via="sms",
                       note="Tout va bien, merci ❤️"),
    ])
    record_event(dbsession, "join_requested", community=community, actor=user, subject=user, data={"role": "member"})
    dbsession.flush()
    testapp.login(user)
    archive = zipfile.ZipFile(io.BytesIO(testapp.get("/parametres/mes-donnees.zip").body))
    data = json.loads(archive.read("donnees.json"))

    codes = [(path, value) for path, value in _leaves(data) if isinstance(value, str) and value in CODES]
    assert not codes, codes
    # The words are the pages' words, one way for the channels whatever the section.
    assert data["compte"]["habitation"] == {"proprietaire": "Oui", "type_de_logement": "Appartement",
                                            "logement_equipe_d_une_alarme": "Non"}  # « Mon profil »'s, not owner: oui
    assert data["compte"]["preferences_notifications"] == [{"type": "Alertes de vos voisins", "canaux": ["SMS", "E-mail"]}]
    assert [i["canal"] for i in data["invitations_envoyees"]] == ["E-mail", "SMS"]
    assert data["notifications"][0]["canal"] == "E-mail"
    assert data["mairie_vigilante"][0]["canaux"] == ["SMS", "E-mail"]
    kyc = data["verifications_d_adresse"]
    assert (kyc[0]["methode"], kyc[0]["etat"], kyc[0]["document"]["type"]) == (
        "Justificatif de domicile", "réussie", "PDF")
    assert (kyc[1]["methode"], kyc[1]["etat"]) == ("Géolocalisation", "échouée")
    [answer] = data["appels_etes_vous_en_securite"]
    assert (answer["reponse"], answer["par"], answer["message"]) == ("En sécurité", "SMS", "Tout va bien, merci ❤️")
    assert data["plan_communal_de_sauvegarde_main_courante"][0]["etape"] == "Note"
    alerts = data["alertes"]
    assert alerts["alertes_lancees"][0]["source"] == "SMS"
    assert alerts["suites_et_fins_d_alerte"][0]["type"] == "Fin d'alerte"
    assert data["gazette"]["annonces"][0]["rubrique"] == "Prêt / don d'objet"
    [setting] = data["avertissements_officiels"]
    assert (setting["reglage_de_la_commune"], setting["seuil"]) == ("Serris", "Vigilance orange et au-dessus")
    [entry] = data["registre_des_personnes_vulnerables"]
    assert entry["donnees"]["situations"] == ["Personne âgée de 65 ans et plus", "Personne adulte handicapée"]
    assert entry["donnees"]["besoins"] == "Fauteuil roulant ♿" and entry["donnees"]["nom"] == "Hélène Lefèvre"
    # A community by its name, not its number, wherever a section names one.
    name = "L’Église « haute » 🌳"
    assert data["gazette"]["annonces"][0]["communaute"] == name
    assert alerts["liens_de_flux"][0]["communaute"] == name
    assert [e["communaute"] for e in data["historique"]] == [name]
    # French text and emoji come back as typed (no escapes in the file: it is read as it is).
    raw = archive.read("donnees.json").decode("utf-8")
    assert "rue de l’Église 🚗" in raw and "\\u" not in raw
