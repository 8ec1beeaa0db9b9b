"""The accessibility statement (plugin vvs_accessibility) is public: anyone may read it,
and the footer of every page links to it."""


def test_accessibility_statement_answers_everyone(testapp, make_user):
    # route: accessibility (/accessibilite), public; linked from the footer of every page
    page = testapp.get("/accessibilite", status=200)
    assert "Déclaration d'accessibilité" in page.text and "Voies de recours" in page.text
    assert 'href="/accessibilite"' in testapp.get("/connexion").text
    testapp.login(make_user())
    assert testapp.get("/accessibilite", status=200)
