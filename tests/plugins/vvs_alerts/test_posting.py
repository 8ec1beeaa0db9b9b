"""Posting an alert from the web: the form, idempotency, refusals."""
import re

from sqlalchemy import func, select

from vvs_alerts.models import Alert, PostingSuspension
from vvs_core.clock import utcnow
from datetime import timedelta


def _form_key(page):
    return re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)


def _post(testapp, page, **fields):
    form = page.forms["alerte"]
    form["category"] = fields.get("category", "demarchage")
    form["text"] = fields.get("text", "Deux hommes en gilet orange sonnent aux portes, camionnette blanche AB-123-CD.")
    return form.submit("submit")


def test_form_shows_the_17_the_charter_and_the_counter(testapp, make_user, make_community):
    author = make_user()
    make_community(members=[author])
    testapp.login(author)
    page = testapp.get("/alertes/nouvelle")
    assert "appelez le 17" in page.text
    assert "origine, la religion ou l'apparence" in page.text
    assert 'id="sms-count"' in page.text and 'data-sms-preview="/alertes/nouvelle/sms"' in page.text
    assert "personne vulnérable sans nouvelles" in page.text.lower()
    assert len(_form_key(page)) >= 8


def test_the_counter_shows_the_sms_the_server_would_send(testapp, make_user, make_community):
    author = make_user(first_name="Julien", last_name="Martin")
    make_community(name="Le Bourg", members=[author])
    testapp.login(author)
    text = ("Camionnette blanche immatriculée en Belgique, deux hommes regardent les boîtes aux lettres rue de "
            "l’Église depuis ce matin, ils s’arrêtent à chaque maison. Ne leur ouvrez pas « pour un contrôle ».")
    short = testapp.post_csrf("/alertes/nouvelle/sms", {"text": text, "category": "reperage"}).json
    assert short["sms"].startswith("ALERTE Le Bourg - véhicule ou individu en repérage : Camionnette blanche")
    assert "les boites aux lettres rue de l'Église" in short["sms"] and short["encoding"] == "GSM-7"
    assert short["sms"].endswith("(Julien M.) http://localhost/alertes/" + short["sms"].rsplit("/", 1)[1])
    assert short["max_parts"] == 2 and short["parts"] <= 2
    assert short["message"].startswith("SMS : ")
    long = testapp.post_csrf("/alertes/nouvelle/sms", {"text": text * 3, "category": "nimporte"}).json
    assert long["shortened"] and long["parts"] == 2 and long["kept"] >= 100
    assert f"les {long['kept']} premiers caractères" in long["message"]
    assert long["sms"].startswith("ALERTE Le Bourg - autre : ")  # an unknown category counts as "autre"
    urgent = testapp.post_csrf("/alertes/nouvelle/sms", {"text": text, "category": "cambriolage", "severity": "severe"})
    assert urgent.json["sms"].startswith("URGENT Le Bourg - cambriolage : Camionnette blanche")
    odd = testapp.post_csrf("/alertes/nouvelle/sms", {"text": text, "category": "cambriolage", "severity": "<b>"})
    assert odd.json["sms"].startswith("ALERTE Le Bourg - cambriolage : ")  # an unknown severity counts as "moderate"
    assert testapp.post_csrf("/alertes/nouvelle/sms", {"text": ""}).json["message"] == ""
    assert testapp.post_csrf("/alertes/nouvelle/sms", {"text": "x" * 100_000}).json["parts"] == 2


def test_post_creates_one_published_alert_and_a_second_submit_returns_it(testapp, dbsession, make_user, make_community):
    author = make_user()
    community = make_community(members=[author, make_user()])
    testapp.login(author)
    page = testapp.get("/alertes/nouvelle")
    first = _post(testapp, page)
    assert first.status_int == 303
    again = _post(testapp, page)  # the same form submitted twice: same hidden key
    assert again.location == first.location
    alerts = dbsession.scalars(select(Alert).where(Alert.community_id == community.id)).all()
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.status == "published" and alert.source == "web" and alert.author_id == author.id
    shown = testapp.get(first.location)
    assert "démarchage suspect" in shown.text.lower() and author.full_name in shown.text
    assert "appelez le 17" in shown.text


def test_the_where_map_comes_before_the_send_button(testapp, make_user, make_community):
    author = make_user()
    make_community(members=[author])
    testapp.login(author)
    html = testapp.get("/alertes/nouvelle").text
    start = html.index('id="alerte"')
    form = html[start:html.index("</form>", start)]
    assert form.index("Où ? (facultatif)") < form.index('id="alert-map"')
    assert form.index('id="alert-map"') < form.index("Envoyer l'alerte")


def test_the_alert_page_shows_the_delivery_as_it_runs(testapp, dbsession, make_user, make_community, clock):
    from vvs_core.testing import run_tasks

    author = make_user()
    make_community(members=[author, make_user(), make_user()])
    testapp.login(author)
    posted = _post(testapp, testapp.get("/alertes/nouvelle"))
    alert_id = int(posted.location.rsplit("/", 1)[1])
    page = testapp.get(posted.location)
    reach = re.search(r'<p id="alert-reach"[^>]*>([^<]*)</p>', page.text)
    # right after posting: the fan-out is on its way, not "aucune notification"
    assert reach.group(1).startswith("Envoi en cours"), reach.group(1)
    assert f'data-reach-url="/alertes/{alert_id}/portee"' in page.text and 'data-done="0"' in page.text
    assert "Actualiser" in page.text  # without JavaScript
    live = testapp.get(f"/alertes/{alert_id}/portee").json
    assert live == {"text": "Envoi en cours… les notifications se préparent.", "done": False}
    clock.advance(seconds=3600)  # however long the queue takes: still "en cours" until the fan-out ran
    assert testapp.get(f"/alertes/{alert_id}/portee").json["done"] is False
    run_tasks()
    live = testapp.get(f"/alertes/{alert_id}/portee").json
    assert live["done"] and "e-mail : 2 envoyés" in live["text"] and "Envoi en cours" not in live["text"], live
    page = testapp.get(posted.location)
    assert live["text"] in page.text and 'data-done="1"' in page.text and "Actualiser" not in page.text


def test_a_neighbour_cannot_read_the_reach(testapp, make_user, make_community):
    author, neighbour = make_user(), make_user()
    make_community(members=[author, neighbour])
    testapp.login(author)
    alert_id = int(_post(testapp, testapp.get("/alertes/nouvelle")).location.rsplit("/", 1)[1])
    testapp.reset()
    testapp.login(neighbour)
    testapp.get(f"/alertes/{alert_id}/portee", status=403)


def test_bad_input_is_explained_next_to_the_field(testapp, dbsession, make_user, make_community):
    author = make_user()
    make_community(members=[author])
    testapp.login(author)
    page = testapp.get("/alertes/nouvelle")
    form = page.forms["alerte"]
    form["text"] = "court"
    answer = form.submit("submit")
    assert answer.status_int == 200
    assert "Choisissez ce que vous signalez." in answer.text
    assert "10 caractères au moins" in answer.text
    assert dbsession.scalar(select(func.count()).select_from(Alert)) == 0


def test_suspended_author_and_rate_limit_are_refused(testapp, dbsession, make_user, make_community):
    author = make_user()
    make_community(members=[author])
    dbsession.add(PostingSuspension(user_id=author.id, until=utcnow() + timedelta(days=2), reason="propos déplacés"))
    dbsession.flush()
    testapp.login(author)
    answer = _post(testapp, testapp.get("/alertes/nouvelle"))
    assert answer.status_int == 200 and "suspendue" in answer.text and "propos déplacés" in answer.text
    assert dbsession.scalar(select(func.count()).select_from(Alert)) == 0


def test_rate_limit_per_author(testapp, dbsession, make_user, make_community):
    author = make_user()
    make_community(members=[author])
    testapp.login(author)
    for _ in range(3):
        assert _post(testapp, testapp.get("/alertes/nouvelle")).status_int == 303
    refused = _post(testapp, testapp.get("/alertes/nouvelle"))
    assert refused.status_int == 200 and "dans l'heure" in refused.text
    assert dbsession.scalar(select(func.count()).select_from(Alert)) == 3


def test_staff_without_a_community_are_not_offered_alert_pages_they_cannot_open(testapp, make_user, make_community):
    """The platform administrator (every permission, no community) opened « Alertes » and
    « Lancer une alerte » from the menu and got « Page introuvable »: every menu link opens."""
    admin = make_user(is_admin=True)
    community = make_community(members=[make_user()])
    testapp.login(admin)
    home = testapp.get("/")
    menu = home.html.find("nav", id="menu-principal")
    links = [a["href"] for a in menu.find_all("a")]
    assert "/alertes/nouvelle" not in links and "/alertes" not in links, links
    for href in links:
        assert testapp.get(href, expect_errors=True).status_int != 404, href
    panel = testapp.get(f"/communaute/{community.id}")
    assert 'href="/alertes/nouvelle"' not in panel.text


def test_the_form_shows_every_error_itself_and_the_hourly_limit_at_once(testapp, make_user, make_community):
    """The browser's own check (« required ») named one empty field at a time, in a bubble outside the
    page's error summary: the form asks the server (novalidate), which names both fields, beside
    each and in the summary, while the fields stay marked required. Past the hourly limit, the
    form says so when it opens and with the fields' errors — not once they are filled in."""
    author = make_user()
    make_community(members=[author, make_user()])
    testapp.login(author)
    page = testapp.get("/alertes/nouvelle")
    form_tag = page.html.select_one("form#alerte")
    assert form_tag.has_attr("novalidate")
    assert page.html.select_one("select[name=category]").has_attr("required")
    form = page.forms["alerte"]
    page = form.submit("submit")
    beside = [e.get_text(" ", strip=True) for e in page.html.select(".invalid-feedback")]
    assert beside == ["Choisissez ce que vous signalez.", "Décrivez ce que vous avez vu."], beside
    assert "2 erreurs" in page.html.select_one(".error-summary").get_text(" ", strip=True)
    for _ in range(3):
        assert _post(testapp, testapp.get("/alertes/nouvelle")).status_int == 303
    limit = "Vous avez déjà lancé 3 alertes dans l'heure"
    page = testapp.get("/alertes/nouvelle")
    assert limit in page.text
    page = page.forms["alerte"].submit("submit")
    assert limit in page.text and "Décrivez ce que vous avez vu." in page.text


def test_the_home_page_says_how_urgent_each_recent_alert_is(testapp, dbsession, make_user, make_community):
    """« Activité récente » said « Alerte : … » for every alert, as its e-mail did."""
    import uuid
    from datetime import timedelta

    from vvs_alerts.models import Alert
    from vvs_core.clock import utcnow

    member, author = make_user(), make_user()
    community = make_community(members=[member, author])
    now = utcnow()
    for text, category, severity in (("Porte forcée au 5 rue de Lagny", "cambriolage", "severe"),
                                     ("Démarcheurs « EDF » rue des Lilas", "demarchage", "minor")):
        dbsession.add(Alert(community_id=community.id, commune_id=community.commune_id, author_id=author.id,
                            category=category, text=text, severity=severity, created_at=now, published_at=now,
                            expires_at=now + timedelta(hours=6), status="published", idempotency_key=uuid.uuid4().hex))
    dbsession.flush()
    testapp.login(member)
    items = [li.get_text(" ", strip=True) for li in testapp.get("/").html.select("main li")]
    assert any(i.startswith("Alerte urgente : cambriolage") for i in items), items
    assert any(i.startswith("Information : démarchage suspect") for i in items), items


def test_the_community_list_says_how_urgent_each_alert_in_progress_is(testapp, dbsession, make_user, make_community):
    """« Alertes en cours » listed an urgent alert like any other."""
    import uuid
    from datetime import timedelta

    from vvs_alerts.models import Alert
    from vvs_core.clock import utcnow

    member = make_user()
    community = make_community(members=[member])
    now = utcnow()
    dbsession.add(Alert(community_id=community.id, commune_id=community.commune_id, author_id=member.id,
                        category="cambriolage", text="Porte forcée au 5 rue de Lagny", severity="severe", created_at=now,
                        published_at=now, expires_at=now + timedelta(hours=6), status="published",
                        idempotency_key=uuid.uuid4().hex))
    dbsession.flush()
    testapp.login(member)
    [item] = testapp.get(f"/alertes/communaute/{community.id}").html.select(".alert-list li")
    assert "cambriolage · gravité élevée · " in item.get_text(" ", strip=True)
