"""The alert SMS, as residents write alerts: accents, typographic apostrophes,
« guillemets », emoji, long texts.

Corrected test: this file used to assert that a shortened SMS contains "…". That
character is not GSM-7, so it switched every shortened alert to UCS-2 (134
characters in two parts instead of 306): the test protected the defect. A shortened
SMS now ends its description with "..." and stays GSM-7.
"""
import logging
import re
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pyramid.request import Request

from alerts_testing import commit_hooks
from app_changes import changed
from vvs_core.notify import sms
from vvs_core.testing import run_tasks

PUBLIC_URL = "https://voisins.mairie-de-serris.fr"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/alertes/\d+")

# Real-looking alerts, as neighbours type them on a phone.
CORPUS = [
    "Camionnette blanche immatriculée en Belgique, deux hommes regardent les boîtes aux lettres rue de l’Église "
    "depuis ce matin, ils s’arrêtent à chaque maison. Ne leur ouvrez pas « pour un contrôle ».",
    "Notre chat Caramel (roux, collier bleu) a disparu depuis hier soir vers l’impasse des Tilleuls. "
    "Si vous le voyez, appelez-moi au 06 39 98 12 34, merci 🙏🐱",
    "Appels suspects : une femme se présente comme « la mairie » et demande si vous êtes seul(e) à la maison "
    "pour « un recensement ». La mairie confirme n’avoir lancé aucune enquête par téléphone.",
    "🚨 La D231 est inondée entre le rond-point de Chessy et le pont de la Marne : 30 cm d’eau, une voiture "
    "bloquée. Passez par la rue Émile Cloud.",
    "Tentative de cambriolage cette nuit au 14 allée des Charmes : porte-fenêtre forcée, le chien a aboyé et "
    "ils sont partis en courant vers le parc. Vérifiez vos volets !",
    "Deux jeunes à scooter (casques noirs, pas de plaque) font le tour du lotissement depuis 20 h, ils "
    "photographient les maisons. La police municipale est prévenue.",
    "Faux plombiers « Eaux de France » : ils disent qu’il faut vérifier la pression… et demandent 50 € en "
    "liquide. Ne les laissez pas entrer, aucun contrôle n’est prévu.",
    "Fenêtre du 1er étage restée ouverte au 3 rue de la Fontaine alors que les voisins sont en vacances "
    "jusqu’à dimanche. Quelqu’un a-t-il leurs clés ?",
    "Mme Lefèvre, 87 ans, n’a pas répondu au téléphone depuis hier et ses volets sont fermés. Sa fille à "
    "Lyon est inquiète ; le référent est passé sonner sans réponse.",
    "Voiture grise (Peugeot 308, plaque en AB-123-…) garée moteur tournant devant l’école depuis 40 min, "
    "le conducteur observe la sortie des classes.",
    "Démarcheurs pour des panneaux solaires « subventionnés à 100 % par l’État » : ils insistent pour voir "
    "vos factures d’électricité. C’est une arnaque connue.",
    "Coupure d’électricité dans tout le quartier du Parc depuis 18 h 30 ; Enedis annonce un retour vers 22 h. "
    "Pensez à vos voisins âgés qui vivent seuls.",
    "Un homme a tenté d’ouvrir les portières des voitures garées rue des Lilas vers 3 h du matin — "
    "il est parti à pied vers la gare quand une alarme s’est déclenchée.",
    "Incendie de poubelles derrière le gymnase 🔥, les pompiers sont sur place. Évitez le secteur et "
    "fermez vos fenêtres à cause de la fumée.",
    "Colis volés devant les portes ce matin, boulevard Robert Thiboust : un livreur « bis » suit les vrais "
    "livreurs. Faites-vous livrer en point relais si possible.",
    "Chien perdu : Océane, petit bichon blanc, très craintif, ne répond pas à son nom. Vu pour la dernière "
    "fois près de l’étang du Parc. Ne le poursuivez pas ! 🐶",
    "Cambriolage au 5 rue de Lagny cet après-midi entre 14 h et 16 h ; les voleurs sont passés par le jardin "
    "et la haie côté chemin. Les gendarmes font les constatations.",
    "Individu en repérage : sweat à capuche gris, sac à dos, il note quelque chose sur un carnet devant "
    "chaque boîte aux lettres de la résidence Les Charmettes.",
    "Arbre tombé sur la chaussée avenue du Château après l’orage ⚡ : la route est coupée dans les deux sens, "
    "déviation par Bailly-Romainvilliers.",
    "Attention : SMS frauduleux « Votre colis est en attente, payez 1,99 € ici » — ne cliquez pas sur le "
    "lien, ce n’est ni La Poste ni la mairie.\n\nSignalez-le au 33700.",
]
COMMUNITIES = ["Le Bourg", "Rue Émile Cloud", "Quartier du Parc", "Val d'Europe", "Les Charmettes",
               "Résidence des Hauts de Val d’Europe – bât. C"]
AUTHORS = [("Julien", "Martin"), ("Marie-Thérèse", "Dupré"), ("Éloïse", "Œttinger"), ("Noël", "Çelik"),
           ("Jean-François", "Lefèvre")]
CATEGORIES = ["reperage", "demarchage", "tentative_cambriolage", "cambriolage", "maison_inoccupee",
              "personne_vulnerable", "autre"]


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A real application (SQLite: no database is read) whose public address is not localhost."""
    from vvs_core.testing import build_app, migrated_url

    return build_app(migrated_url("sqlite", tmp_path_factory.mktemp("db")), **{"vvs.public_url": PUBLIC_URL}).registry


def alert_sms(registry, text, *, community="Le Bourg", category="reperage", author=("Julien", "Martin"),
              alert_id=12345, update=None, max_segments=None, severity="moderate"):
    from vvs_alerts.texts import fit_alert_sms

    request = Request.blank("/")
    request.registry = registry
    with changed(registry, settings={} if max_segments is None else {"vvs.alerts.sms_max_segments": max_segments}):
        writer = SimpleNamespace(first_name=author[0], last_name=author[1], is_closed=False, display_pseudonym="")
        alert = SimpleNamespace(id=alert_id, category=category, text=text, severity=severity)
        return fit_alert_sms(request, community, alert, update, writer)


def test_a_shortened_alert_stays_gsm7_and_uses_its_two_parts(registry):
    fitted = alert_sms(registry, "Voiture grise qui tourne dans le quartier depuis une heure. " * 20)
    assert fitted.shortened and fitted.length.encoding == "GSM-7" and fitted.length.segments == 2
    assert "…" not in fitted.text and "... (Julien M.) " in fitted.text
    assert fitted.length.units > 280  # the two parts are used, not 134 characters of UCS-2
    assert fitted.text.endswith(f"{PUBLIC_URL}/alertes/12345 En cas d'urgence, appelez le 17.")


def test_the_acceptance_alert_reads_boites_aux_lettres(registry):
    fitted = alert_sms(registry, CORPUS[0])
    assert fitted.text.startswith("ALERTE Le Bourg - véhicule ou individu en repérage : Camionnette blanche "
                                  "immatriculée en Belgique, deux hommes regardent les boites aux lettres rue de "
                                  "l'Église depuis ce matin")
    assert sms.is_gsm7(fitted.text) and fitted.length.segments <= 2


@pytest.mark.parametrize("severity, word", [("minor", "INFO"), ("moderate", "ALERTE"), ("severe", "URGENT")])
def test_the_sms_says_how_urgent_the_alert_is(registry, severity, word):
    """A neighbour reads from the SMS alone how urgent the alert is (its first word: the
    author chose « Faible : pour information », « Moyenne : restez attentifs » or « Élevée :
    danger ou urgence ») and what kind it is; a follow-up and an end say which alert they follow."""
    fitted = alert_sms(registry, CORPUS[4], category="tentative_cambriolage", severity=severity)
    assert fitted.text.startswith(f"{word} Le Bourg - tentative de cambriolage : Tentative de cambriolage")
    assert sms.is_gsm7(fitted.text) and fitted.length.segments <= 2
    update = SimpleNamespace(kind="update", text="Les gendarmes sont passés.")
    assert alert_sms(registry, "", severity=severity, update=update).text.startswith(
        "SUITE ALERTE Le Bourg - véhicule ou individu en repérage : Les gendarmes")
    end = SimpleNamespace(kind="all_clear", text="")
    assert alert_sms(registry, "", severity=severity, update=end).text.startswith(
        "FIN D'ALERTE Le Bourg - véhicule ou individu en repérage : la situation")


@pytest.mark.parametrize("severity", ["minor", "severe"])
@pytest.mark.parametrize("text", CORPUS, ids=range(len(CORPUS)))
def test_every_alert_of_the_corpus_keeps_its_facts(registry, text, severity):
    fitted = alert_sms(registry, text, community="Résidence des Hauts de Val d’Europe – bât. C",
                       category="personne_vulnerable", author=("Marie-Thérèse", "Dupré"), alert_id=123456,
                       severity=severity)
    assert fitted.length.encoding == "GSM-7" and fitted.length.segments <= 2
    assert fitted.body_kept >= min(100, fitted.body_total)
    assert f"(Marie-Thérèse D.) {PUBLIC_URL}/alertes/123456 En cas d'urgence, appelez le 17." in fitted.text
    assert "Résidence des Hauts de Val d'Europe - bat. C - personne vulnérable sans nouvelles" in fitted.text


# --- the property --------------------------------------------------------------------

WORDS = ["camionnette", "blanche", "immatriculée", "boîtes", "aux", "lettres", "rue", "de", "l’Église", "ils",
         "s’arrêtent", "à", "chaque", "maison", "fenêtre", "forcée", "cœur", "œil", "château", "île", "sûr",
         "garçon", "Noël", "maïs", "« pour un contrôle »", "“faux agent”", "…", "–", "—", "n°", "12", "h", "30",
         "l'école", "aujourd’hui", "qu’il", "Ça", "été", "où", "déjà", "très", "vers", "la", "gare", "la D231",
         "🚨", "🐱", "🚗", "🔥", "😊", "🙏", "👍🏽", "👮‍♂️", "🇫🇷", "⚠️", "!", "?", ",", ".", ":", ";", "(", ")",
         "\n", "\u00a0", "\u202f"]
SEPARATORS = [" ", " ", " ", "", "\n", "\u00a0"]
# GSM-7 extension characters (€ [ ] { } ~ ^ | \) cost two septets: a description made of
# them cannot keep 100 characters in two parts; the corpus has "€" in real sentences.
description = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=1100).map(
    lambda parts: "".join(w + s for w, s in parts)[:5000])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(text=description, community=st.sampled_from(COMMUNITIES), category=st.sampled_from(CATEGORIES),
       author=st.sampled_from(AUTHORS), alert_id=st.integers(1, 999_999), max_segments=st.integers(2, 6),
       kind=st.sampled_from([None, "update", "all_clear"]))
def test_any_french_alert_fits_keeps_link_17_and_100_characters(registry, text, community, category, author,
                                                                alert_id, max_segments, kind):
    update = None if kind is None else SimpleNamespace(kind=kind, text=text)
    fitted = alert_sms(registry, text, community=community, category=category, author=author,
                       alert_id=alert_id, update=update, max_segments=max_segments)
    assert fitted.length.segments <= max_segments
    assert sms.is_gsm7(fitted.text)  # French and emoji: never UCS-2
    assert fitted.text.endswith(f" {PUBLIC_URL}/alertes/{alert_id} En cas d'urgence, appelez le 17.")
    assert sms.to_gsm7(community) in fitted.text and sms.to_gsm7(f"({author[0]} {author[1][0]}.)") in fitted.text
    assert fitted.body_kept >= min(100, fitted.body_total)
    if fitted.shortened:
        assert "..." in fitted.text and "…" not in fitted.text


def test_with_one_part_the_link_and_the_17_still_survive(registry):
    fitted = alert_sms(registry, CORPUS[2], max_segments=1)
    assert fitted.length.segments == 1
    assert fitted.text.endswith(f"{PUBLIC_URL}/alertes/12345 En cas d'urgence, appelez le 17.")


# --- what the console provider prints ------------------------------------------------

def test_the_console_provider_prints_each_alert_of_the_corpus(app, dbsession, alert_request, post, make_user,
                                                              make_community, caplog):
    member = make_user(mobile="+33639981234")
    authors = [make_user(first_name="Julien", last_name="Martin") for _ in CORPUS]
    community = make_community(name="Le Bourg", members=[member, *authors])
    alerts = [post(author, community, text=text, category=CATEGORIES[i % len(CATEGORIES)])
              for i, (author, text) in enumerate(zip(authors, CORPUS))]
    with caplog.at_level(logging.INFO, logger="vvs_dev_providers.providers"):
        commit_hooks(alert_request)
        run_tasks()
    printed = [r.getMessage() for r in caplog.records if r.getMessage().startswith("SMS à +33")]
    for alert, text in zip(alerts, CORPUS):
        link = f"http://localhost/alertes/{alert.id} "
        lines = [line for line in printed if link in line]
        assert lines, f"no SMS printed for alert {alert.id}: {printed[:3]}"
        line = lines[0]  # one per recipient: the member and the other authors
        assert "(GSM-7, 1 SMS," in line or "(GSM-7, 2 SMS," in line
        sent = line.split(" : ", 1)[1]
        assert sent.endswith(f"(Julien M.) {link}En cas d'urgence, appelez le 17.")
        start = sms.to_gsm7(re.sub(r"\s+", " ", text))[:100]
        assert start in sent.replace("\\n", "\n")
    assert any("les boites aux lettres rue de l'Église" in line for line in printed)
    assert not any("…" in line or "’" in line or "«" in line for line in printed)


def test_push_notifications_keep_the_french_as_written(registry):
    """A push is not an SMS: accents, apostrophes and emoji stay; only its length is kept short."""
    from vvs_alerts.texts import push_text

    request = Request.blank("/")
    request.registry = registry
    writer = SimpleNamespace(first_name="Éloïse", last_name="Œttinger", is_closed=False, display_pseudonym="")
    text = push_text(request, "Rue Émile Cloud", SimpleNamespace(id=7, category="autre", text=CORPUS[3] * 3, severity="moderate"), None,
                     writer)
    assert text.startswith("ALERTE Rue Émile Cloud - autre : 🚨 La D231 est inondée") and "d’eau" in text
    assert "…" in text and len(text) < 400
    assert text.endswith(f"(Éloïse Œ.) {PUBLIC_URL}/alertes/7 En cas d'urgence, appelez le 17.")


@pytest.mark.parametrize("severity, subject, said", [
    ("minor", "Information : démarchage suspect (Le Bourg)", "Gravité : faible (pour information)"),
    ("moderate", "Alerte : démarchage suspect (Le Bourg)", "Gravité : moyenne (restez attentifs)"),
    ("severe", "Alerte urgente : démarchage suspect (Le Bourg)", "Gravité : élevée (danger ou urgence)")])
def test_the_email_says_how_urgent_the_alert_is(registry, severity, subject, said):
    """The e-mail said « Alerte : … » for every alert: its subject and its text say how urgent."""
    from vvs_alerts.texts import email_content

    request = Request.blank("/")
    request.registry = registry
    writer = SimpleNamespace(first_name="Noël", last_name="Çelik", full_name="Noël Çelik", is_closed=False)
    alert = SimpleNamespace(id=9, category="demarchage", text=CORPUS[6], severity=severity, created_at=None)
    title, text, html = email_content(request, "Le Bourg", alert, None, writer)
    assert title == subject
    assert said in text and said in html
