"""A resident whose request is still pending is told, on every page they cannot open
yet, where their request stands (community, date sent) and who decides."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from vvs_core.models import Membership


@pytest.fixture
def pending(make_user, make_community, dbsession):
    referent, resident = make_user(), make_user(first_name="Mireille")
    community = make_community(name="Les Charmettes", referents=[referent])
    # 23:30 UTC on 3 December is already 4 December in Paris.
    dbsession.add(Membership(user_id=resident.id, community_id=community.id, status="pending",
                             requested_at=datetime(2026, 12, 3, 23, 30, tzinfo=timezone.utc)))
    dbsession.flush()
    return community, resident


@pytest.mark.parametrize("path", ["/communaute/{id}", "/communaute/{id}/annuaire", "/alertes/nouvelle",
                                  "/gazette/communaute/{id}"])
def test_every_closed_page_says_where_the_request_stands(testapp, pending, path):
    community, resident = pending
    testapp.login(resident)
    page = testapp.get(path.format(id=community.id), status=403)
    assert "Accès refusé" not in page.text
    assert "Demande d'adhésion en attente" in page.text
    assert "« Les Charmettes »" in page.text and "le 4 décembre 2026" in page.text
    assert "examinée par le référent de votre communauté" in page.text
    assert 'href="/activation"' in page.text


def test_without_any_request_the_page_says_how_to_join(testapp, make_user, make_community):
    make_community(name="Le Bourg")
    loner = make_user()
    testapp.login(loner)
    page = testapp.get("/alertes/nouvelle", status=403)
    assert "vous n'en avez pas encore rejoint" in page.text and 'href="/inscription/communaute"' in page.text


def test_an_active_member_of_another_community_gets_the_plain_refusal(testapp, make_user, make_community):
    member = make_user()
    make_community(name="Le Bourg", members=[member])
    other = make_community(name="Les Charmettes")
    testapp.login(member)
    page = testapp.get(f"/communaute/{other.id}", status=403)
    assert "Accès refusé" in page.text and "Demande d'adhésion" not in page.text


def test_a_pending_resident_is_not_promised_a_staff_page(testapp, pending):
    """Walk-through: a pending resident refused a staff page was told it « s'ouvrira »
    once accepted. Only pages a validated resident can open say so; others say why not."""
    _community, resident = pending
    testapp.login(resident)
    page = " ".join(testapp.get("/admin/demandes", status=403).text.split())
    assert "s'ouvrira" not in page and "Demande d'adhésion en attente" not in page
    assert "Cette page est réservée à un rôle que votre compte n'a pas" in page and "demandez-le" in page


def test_another_communitys_page_says_whose_it_is(testapp, make_user, make_community):
    member = make_user()
    make_community(name="Le Bourg", members=[member])
    other = make_community(name="Les Charmettes")
    testapp.login(member)
    page = " ".join(testapp.get(f"/communaute/{other.id}", status=403).text.split())
    assert "Cette page est celle de la communauté « Les Charmettes », dont vous n'êtes pas membre" in page


def test_a_form_posted_signed_out_says_to_sign_in(testapp, make_community):
    community = make_community(name="Le Bourg")
    page = testapp.post(f"/communaute/{community.id}/demandes/1", {}, status=403).text
    assert "réservée aux personnes connectées" in page and 'href="/connexion"' in page


def test_a_pending_resident_learns_the_request_waits_for_them_not_only_for_the_referent(testapp, pending, plug):
    """Walk-through (en-attente@): « Activation du compte » said « Pour accélérer la validation,
    vous pouvez prouver votre adresse », while the référent could not accept before a proof: the
    request waited for ever. It says what the request waits for, as the pages closed to them do."""
    from vvs_core import hookimpl

    community, resident = pending

    class ProofNeeded:
        @hookimpl
        def vvs_membership_blockers(self, request, membership):
            return ["Adresse non vérifiée : aucune preuve n’a encore abouti"]

    testapp.login(resident)
    plug(ProofNeeded())
    page = " ".join(testapp.get("/activation").html.text.split())
    assert "Pour accélérer la validation" not in page
    assert ("Avant de pouvoir être acceptée, elle attend encore : "
            "Adresse non vérifiée : aucune preuve n’a encore abouti") in page


def test_the_home_of_a_pending_resident_leads_to_what_is_left_to_do(testapp, pending):
    """Walk-through: the home said « Vous recevrez un e-mail dès qu'elle sera acceptée » — a
    refusal is e-mailed too, and a proof of address may be what the request waits for — with no
    way from the card to « Où en est ma demande »."""
    _community, resident = pending
    testapp.login(resident)
    card = testapp.get("/").html.select_one("[aria-labelledby=h-communaute]")
    said = " ".join(card.text.split())
    assert "dès que la décision sera prise" in said and "dès qu'elle sera acceptée" not in said
    assert card.select_one('a[href="/activation"]').text.strip() == "Où en est ma demande"
