"""vvs_alerts answers the mairie's ``vvs_commune_activity`` with every alert of the commune,
held, withdrawn and ended ones labelled (the mairie keeps them), with their severity."""
from datetime import timedelta

from vvs_core.clock import utcnow


def test_vvs_commune_activity_lists_every_alert_with_its_state(app_registry, dbsession, make_user, make_community, commune):
    from pyramid.scripting import prepare

    from vvs_alerts.models import Alert

    author = make_user()
    community = make_community(members=[author])
    now = utcnow()
    shown = Alert(community_id=community.id, commune_id=commune.id, author_id=author.id, category="cambriolage",
                  text="Porte fracturée rue des Lilas", expires_at=now + timedelta(hours=6), status="published",
                  idempotency_key="act-1")
    held = Alert(community_id=community.id, commune_id=commune.id, author_id=author.id, category="autre",
                 text="En attente", expires_at=now + timedelta(hours=6), status="held", idempotency_key="act-2")
    withdrawn = Alert(community_id=community.id, commune_id=commune.id, author_id=author.id, category="autre",
                      text="Retirée", expires_at=now + timedelta(hours=6), status="withdrawn", idempotency_key="act-3",
                      severity="severe")
    ended = Alert(community_id=community.id, commune_id=commune.id, author_id=author.id, category="autre",
                  text="Finie", expires_at=now + timedelta(hours=6), status="published", idempotency_key="act-4",
                  all_clear_at=now)
    dbsession.add_all([shown, held, withdrawn, ended])
    dbsession.flush()
    env = prepare(registry=app_registry)
    request = env["request"]
    request.dbsession = dbsession
    try:
        answers = app_registry.vvs_plugins.hook.vvs_commune_activity(
            request=request, commune=commune, since=now - timedelta(hours=1))
    finally:
        env["closer"]()
    items = [item for answer in answers for item in (answer or [])]
    by_id = {i["id"]: i for i in items}
    assert set(by_id) == {shown.id, held.id, withdrawn.id, ended.id}
    assert [(by_id[a.id]["state"], by_id[a.id]["state_label"]) for a in (shown, held, withdrawn, ended)] == [
        ("active", "en cours"), ("held", "en attente de validation"), ("withdrawn", "retirée par la modération"),
        ("ended", "terminée")]
    assert by_id[withdrawn.id]["severity"] == "Élevée" and by_id[shown.id]["severity"] == "Moyenne"
    item = by_id[shown.id]
    assert item["author_id"] == author.id and item["kind"] == "alert"
    assert item["url"].endswith(f"/alertes/{shown.id}")
