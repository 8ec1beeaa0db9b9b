"""The project's deform templates (vvs_core/web/templates/deform): boxes and radios
carry no autofocus="False", a group of boxes is a fieldset named by its legend, and
the error summary counts its errors in French."""
import re


def test_boxes_have_no_false_autofocus_and_a_group_is_named_by_its_legend(testapp, make_user):
    user = make_user(first_name="Hélène", last_name="Lefèvre-Ducôté", mobile="+33639981234")
    testapp.login(user)
    page = testapp.get("/parametres/notifications")
    assert 'autofocus="False"' not in page.text and "autofocus=\"None\"" not in page.text
    form = page.html.find("form", id="notifications")
    group = form.find("fieldset", class_="choice-group")
    boxes = group.find_all("input", type="checkbox")
    assert len(boxes) >= 2 and group.find("legend").get_text(strip=True)
    assert all(b.get("id", "").startswith(group["id"] + "-") for b in boxes)
    # every <label for> names an element of the page
    ids = {e["id"] for e in page.html.find_all(id=True)}
    assert [lab["for"] for lab in page.html.find_all("label", attrs={"for": True}) if lab["for"] not in ids] == []
    assert page.text.count("autofocus=") == 1  # deform focuses the first field of a form, once


def test_one_error_is_announced_as_one(testapp, make_user):
    user = make_user(first_name="Noël", last_name="Brûlé-Gaëtan", mobile="+33639981235")
    testapp.login(user)
    page = testapp.get("/parametres/notifications")
    first = page.html.find("fieldset", class_="choice-group")["id"]  # the neighbours' alerts: always reached
    form = page.forms["notifications"]
    for field in form.fields.get("checkbox", []):
        if field.id.startswith(first + "-"):
            field.checked = False
    refused = form.submit("submit", status=400)
    summary = refused.html.find(class_="error-summary")
    links = summary.find_all("a")
    assert summary.find("strong").get_text() == "Le formulaire contient une erreur, à corriger dans ce champ :"
    assert len(links) == 1 and refused.html.find(id=links[0]["href"][1:]) is not None
    groups = [g["id"] for g in page.html.find_all("fieldset", class_="choice-group")][:2]  # alerts, mairie
    form = testapp.get("/parametres/notifications").forms["notifications"]
    for field in form.fields.get("checkbox", []):
        if field.id.rsplit("-", 1)[0] in groups:
            field.checked = False
    twice = form.submit("submit", status=400).html.find(class_="error-summary")
    assert twice.find("strong").get_text() == "Le formulaire contient 2 erreurs, à corriger dans ces champs :"
