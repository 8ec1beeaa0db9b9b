"""vvs_alerts answers the mairie's ``vvs_commune_activity`` with the commune's published alerts."""
from datetime import timedelta

from vvs_core.clock import utcnow


def test_vvs_commune_activity_lists_published_alerts(app_registry, dbsession, make_user, make_community, commune):
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
    dbsession.add_all([shown, held])
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
    assert [i["id"] for i in items] == [shown.id]
    assert items[0]["author_id"] == author.id and items[0]["kind"] == "alert"
    assert items[0]["url"].endswith(f"/alertes/{shown.id}")
