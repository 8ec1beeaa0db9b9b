"""LA GAZETTE, as the seeds tell it: « un journal de la communauté » for « l'entraide et
la convivialité » (petites annonces, co-voiturage, fête des voisins…), « Ajouter une
information ».

On 360 px phones: Julien announces the neighbours' party (an event at 19:00, Paris),
shown at 19:00 on the post and in the agenda link (iCal) a calendar application reads;
Monique answers, at the hour she answered; a neighbour reports the answer, the référente
hides it and puts the announcement back.
"""
import re

import pytest
from playwright.sync_api import expect

from journey import ActionTime, Hours
from menu import open_menu

pytestmark = pytest.mark.browser

JULIEN = "resident@serris.demo"
MONIQUE = "monique.lefevre@serris.demo"
CLAIRE = "referent@serris.demo"       # référente du Bourg
TITLE = "Fête des voisins du Bourg : on compte sur vous ! 🎉"
TEXT = ("Bonjour à tous, la fête des voisins aura lieu place de l’Église, derrière l’école Henri-Matisse. "
        "Formule « auberge espagnole » : chacun apporte un plat salé ou sucré (crêpes, quiche, œufs mimosa…) "
        "et ses couverts. Les enfants pourront jouer au molkky ; prévoyez un pull, les soirées de juin sont "
        "fraîches. Pour ceux qui ne peuvent pas porter de tables, frappez au n° 14 : Gérard en prête trois. "
        "À très bientôt, et n’hésitez pas à répondre ici pour dire ce que vous apportez !")
REPLY = "Je viendrai avec une tarte aux pommes et mon voisin Loïc apporte sa guitare ; on sera là dès 18 h 45."


def meta(page, text):
    """The paragraph of the author's name and hour, for the post or the answer that contains ``text``."""
    return page.locator("p", has_text=re.compile(r"\d{2}/\d{2}/\d{4}( à)? \d{1,2}:\d{2}")).filter(has_text=text).first


def test_an_event_a_reply_and_the_moderation(phone, person, login, shot):
    hours = Hours()
    login(phone, JULIEN)
    open_menu(phone).get_by_role("link", name="La Gazette").first.click()
    phone.get_by_role("link", name="Ajouter une information").click()
    phone.get_by_label("Rubrique").select_option("evenement")
    phone.get_by_label("Titre").fill(TITLE)
    phone.get_by_label("Texte").fill(TEXT)
    phone.get_by_role("button", name="Publier").click()
    expect(phone.get_by_text("Indiquez la date et l'heure de l'événement.")).to_be_visible()  # nothing lost
    expect(phone.get_by_label("Titre")).to_have_value(TITLE)
    shot(phone, "journey-gazette-1-erreur")
    phone.get_by_label("Date de l'événement").fill("2031-06-20T19:00")  # a Friday of June, 19:00 in Paris
    with ActionTime() as posted:
        phone.get_by_role("button", name="Publier").click()
        phone.get_by_role("heading", name=TITLE).wait_for()
    expect(phone.get_by_text("Le 20/06/2031 à 19:00").first).to_be_visible()
    expect(phone.get_by_text("chacun apporte un plat salé ou sucré (crêpes, quiche, œufs mimosa…)")).to_be_visible()
    hours.check(meta(phone, "Julien").inner_text(), posted, "annonce de la Gazette")
    shot(phone, "journey-gazette-2-annonce")
    post_url = phone.url

    # The agenda link, as a calendar application reads it: the party starts at 19:00 in Paris.
    phone.get_by_role("link", name="← La Gazette").click()
    feed = phone.get_by_label("Lien de l'agenda (iCal)").input_value()
    ical = phone.request.get(feed).text()
    starts = re.findall(r"^DTSTART(;TZID=Europe/Paris)?:(\d{8}T\d{6}Z?)\r?$", ical, re.M)
    hours.expect(("", "20310620T170000Z") in starts or (";TZID=Europe/Paris", "20310620T190000") in starts,
                 "agenda iCal", f"the event at 19:00 in Paris is exported as {starts}")

    monique = person(MONIQUE)
    monique.goto(post_url)
    monique.get_by_label("Votre réponse").fill(REPLY)
    with ActionTime() as replied:
        monique.get_by_role("button", name="Répondre").click()
        monique.get_by_text(REPLY).wait_for()
    hours.check(meta(monique, "Monique").inner_text(), replied, "réponse de la Gazette")
    shot(monique, "journey-gazette-3-reponse")

    # Someone finds the answer out of place; the référente hides it, then puts it back.
    bernard = person("bernard.girard@serris.demo")
    bernard.goto(post_url)
    bernard.get_by_role("link", name="Signaler cette réponse").click()
    bernard.get_by_label("Pourquoi signalez-vous ce contenu ?").fill("Ce n’est pas une réponse à l’annonce, à mon avis.")
    bernard.get_by_role("button", name="Signaler").click()
    bernard.get_by_text("votre signalement est transmis").wait_for()
    claire = person(CLAIRE)
    claire.goto(post_url.split("/annonce/")[0] + "/moderation")
    expect(claire.get_by_text("Ce n’est pas une réponse à l’annonce")).to_be_visible()
    shot(claire, "journey-gazette-4-moderation")
    claire.get_by_label("Motif de la décision").fill("Réponse masquée le temps d’en parler avec Monique.")
    claire.get_by_role("button", name="Masquer", exact=True).click()
    claire.get_by_text("Contenu masqué.").wait_for()
    claire.goto(post_url)
    claire.get_by_label("Motif").first.fill("Après discussion, la réponse est rétablie.")
    claire.get_by_role("button", name="Rétablir la réponse").click()
    claire.get_by_text("Contenu rétabli.").wait_for()
    expect(claire.get_by_text(REPLY)).to_be_visible()
    hours.verify()


def test_the_author_sees_delete_as_the_quieter_button(phone, login):
    """On his post, « Supprimer » was the filled blue button and « Modifier » the grey one: the
    irreversible action looked like the one to press. Both are secondary, as their markup says."""
    login(phone, JULIEN)
    phone.goto("/gazette/communaute/1/ajouter")
    phone.get_by_label("Rubrique").select_option(label="Vie du quartier")
    phone.get_by_label("Titre").fill("Boîte à livres « rue de l’Église »")
    phone.get_by_label("Texte").fill("Une boîte à livres est installée près de l’école : servez-vous, déposez-en 📚.")
    phone.get_by_role("button", name="Publier").click()
    delete = phone.get_by_role("button", name="Supprimer")
    edit = phone.get_by_role("link", name="Modifier")
    expect(edit).to_be_visible()  # the post's page (on a busy machine the form's page was still there)
    expect(delete).to_be_visible()
    phone.wait_for_load_state("load")  # the style sheets too: on a busy machine the button was still unstyled
    colour = "e => getComputedStyle(e).backgroundColor"
    assert delete.evaluate(colour) == edit.evaluate(colour) != "rgb(239, 239, 239)"  # not the browser's own grey


def test_deleting_a_post_asks_first_at_the_keyboard(phone, login, shot):
    """One tap on « Supprimer » took the post for good. Now a page asks, says what goes with
    it, and « Annuler » goes back; at the keyboard alone, on a 360 px phone."""
    login(phone, JULIEN)
    phone.goto("/gazette/communaute/1/ajouter")
    phone.get_by_label("Rubrique").select_option(label="Prêt / don d'objet")
    phone.get_by_label("Titre").fill("Je donne une poussette « bébé confort »")
    phone.get_by_label("Texte").fill("En très bon état, à récupérer rue de l’Église. Premier arrivé, premier servi 🙂")
    phone.get_by_role("button", name="Publier").click()
    expect(phone.get_by_role("link", name="Modifier")).to_be_visible()
    post_url = phone.url
    phone.get_by_role("button", name="Supprimer").focus()
    phone.keyboard.press("Enter")
    question = phone.get_by_role("heading", name="Supprimer « Je donne une poussette « bébé confort » » ?")
    expect(question).to_be_visible()
    expect(phone.get_by_text("Elle disparaîtra de la Gazette. C'est définitif.")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    shot(phone, "gazette-delete-question")
    phone.get_by_role("link", name="Annuler").focus()
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("link", name="Modifier")).to_be_visible()
    expect(phone).to_have_url(post_url)
    phone.get_by_role("button", name="Supprimer").focus()
    phone.keyboard.press("Enter")
    expect(question).to_be_visible()
    phone.get_by_role("button", name="Supprimer définitivement").focus()
    phone.keyboard.press("Enter")
    expect(phone.get_by_text("Votre information est supprimée.")).to_be_visible()
    expect(phone.get_by_text("Je donne une poussette")).to_have_count(0)
