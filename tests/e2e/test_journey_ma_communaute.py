"""MA COMMUNAUTÉ, as the seeds tell it: « Mouvements », « Historique », « Informations »
(nom, adresse, date de création, nombre de membres), « Référents » (a direct link to
their contact card), « Modifier les informations » for the référent; and « Inviter des
voisins » (« par SMS, par mail… »).

On 360 px phones: Claire, référente du Bourg, reads her community's page, opens her own
card from « Référents », writes the community's description, and invites two neighbours:
by e-mail (the link of the e-mail opens the invitation, then the sign-up) and by SMS
(the console provider's SMS carries the same kind of link, in GSM-7).
"""
import re

import pytest
from playwright.sync_api import expect

from journey import links, mail_to
from vvs_core.testing import wait_for

pytestmark = pytest.mark.browser

CLAIRE = "referent@serris.demo"
DESCRIPTION = ("Le cœur historique de Serris : de la place de l’Église à la rue de Lagny, une centaine de foyers. "
               "Réunion des voisins chaque premier jeudi du mois à la salle Émile-Cloud ; « café des voisins » "
               "le dimanche matin devant la boulangerie. Les nouveaux arrivants sont les bienvenus ! ☕")


def test_claire_reads_edits_and_invites(phone, person, login, shot, live_server, mails, sms):
    login(phone, CLAIRE)
    phone.get_by_role("link", name="Le Bourg", exact=True).first.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Ma communauté : Le Bourg")
    for heading in ("Mouvements", "Informations", "Référents", "Délimitation"):
        expect(phone.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    facts = phone.get_by_role("definition")
    expect(facts.filter(has_text=re.compile(r"^\d{2}/\d{2}/\d{4}$")).first).to_be_visible()  # « Créée le »
    expect(facts.filter(has_text=re.compile(r"^\d+$")).first).to_be_visible()  # « Nombre de membres »
    shot(phone, "journey-communaute-1-page")
    community_url = phone.url

    # « Référents »: a direct link to their contact card.
    phone.get_by_role("region", name="Référents").get_by_role("link", name="Claire Dubois").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Claire Dubois")
    expect(phone.get_by_text("Pseudonyme")).to_be_visible()

    # « Modifier les informations »
    phone.goto(community_url)
    phone.get_by_role("link", name="Modifier les informations").click()
    phone.get_by_label("Description").fill(DESCRIPTION)
    shot(phone, "journey-communaute-2-modifier")
    phone.get_by_role("button", name="Enregistrer").click()
    expect(phone.get_by_text("Les informations de la communauté sont enregistrées.")).to_be_visible()
    expect(phone.get_by_text("« café des voisins » le dimanche matin")).to_be_visible()

    # « Inviter des voisins »: by e-mail…
    phone.get_by_role("link", name="Inviter des voisins").first.click()
    phone.get_by_label("Adresse e-mail de votre voisin").fill("gaelle.lhermitte@example.test")
    phone.get_by_role("button", name="Envoyer l'invitation par e-mail").click()
    expect(phone.get_by_text("Invitation envoyée à gaelle.lhermitte@example.test.")).to_be_visible()
    mail = mail_to(mails, "gaelle.lhermitte@example.test", "Claire Dubois vous invite à rejoindre la communauté « Le Bourg »")
    invitation = next(u for u in links(mail) if u.startswith(live_server))
    gaelle = person()
    gaelle.goto(invitation)
    expect(gaelle.get_by_role("heading", name="Vous êtes invité à rejoindre vos voisins")).to_be_visible()
    gaelle.get_by_role("link", name="Je m'inscris").click()
    expect(gaelle.get_by_label("Adresse postale")).to_be_visible()
    shot(gaelle, "journey-communaute-3-invitation")

    # … and by SMS, for a neighbour without e-mail.
    phone.get_by_label("Téléphone portable de votre voisin").fill("06 12 34 56 79")
    phone.get_by_role("button", name="Envoyer l'invitation par SMS").click()
    expect(phone.get_by_text("Invitation envoyée par SMS.")).to_be_visible()
    # … but not to Élodie, already in Le Bourg (walk, staff 14): nothing is sent
    phone.get_by_label("Adresse e-mail de votre voisin").fill("Elodie.Fontaine@serris.demo")
    phone.get_by_role("button", name="Envoyer l'invitation par e-mail").click()
    expect(phone.get_by_text("La personne qui a cette adresse est déjà membre de la communauté : "
                             "aucune invitation n'est envoyée.")).to_be_visible()
    texto = wait_for(lambda: [s for s in sms() if "vous invite à rejoindre vos voisins" in s.text and s.to.endswith("79")])
    assert texto, [s.text for s in sms()][-3:]
    assert texto[-1].encoding == "GSM-7", texto[-1]
    sms_link = re.search(r"https?://\S+", texto[-1].text).group(0)
    assert sms_link.startswith(live_server + "/invitation/"), texto[-1]
    rene = person()
    rene.goto(sms_link)
    expect(rene.get_by_role("heading", name="Vous êtes invité à rejoindre vos voisins")).to_be_visible()
