"""Twenty POSTs of one form at the same moment make exactly one alert (PostGIS,
real transactions in parallel threads)."""
import threading
import uuid

import pytest
import webtest
from sqlalchemy import delete, func, select

from vvs_alerts.models import Alert
from vvs_core.geo import square_around
from vvs_core.models import Commune, Community, Membership, Notification, User, get_engine, get_session_factory
from vvs_core.accounts.security import hash_password
from vvs_core.testing import DEMO_PASSWORD, VVSTestApp


@pytest.mark.parametrize("backend", ["postgis"], indirect=True, scope="session")
def test_twenty_parallel_posts_make_one_alert(app, db_url):
    engine = get_engine(db_url, pool_size=25)
    factory = get_session_factory(engine)
    saved = app.registry["dbsession_factory"]
    tag = uuid.uuid4().hex[:8]
    with factory() as s:
        commune = Commune(insee="99" + tag[:3], name="Parallèle", centre=None or square_around((2.0, 48.0), 10).centroid)
        s.add(commune)
        s.flush()
        community = Community(commune_id=commune.id, name=f"Parallèle {tag}", boundary=square_around((2.0, 48.0), 300))
        author = User(email=f"par-{tag}@example.test", password_hash=hash_password(DEMO_PASSWORD), first_name="Para")
        s.add_all([community, author])
        s.flush()
        s.add(Membership(user_id=author.id, community_id=community.id, status="active"))
        s.commit()
        ids = (commune.id, community.id, author.id)
    app.registry["dbsession_factory"] = factory
    try:
        client = VVSTestApp(app)
        client.login(f"par-{tag}@example.test")
        page = client.get("/alertes/nouvelle")
        form = page.forms["alerte"]
        fields = dict(form.submit_fields())
        fields.update(category="cambriolage", text="Porte forcée au 4 rue de la Paix, deux personnes en fuite à pied.")
        barrier = threading.Barrier(20)
        statuses = []

        def one():
            t = webtest.TestApp(app, cookiejar=client.t.cookiejar)
            barrier.wait()
            statuses.append(t.post("/alertes/nouvelle", fields).status_int)

        threads = [threading.Thread(target=one) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [303] * 20
        with factory() as s:
            assert s.scalar(select(func.count()).select_from(Alert).where(Alert.community_id == ids[1])) == 1
    finally:
        app.registry["dbsession_factory"] = saved
        with factory() as s:
            alert_ids = s.scalars(select(Alert.id).where(Alert.community_id == ids[1])).all()
            s.execute(delete(Notification).where(Notification.subject_id.in_(alert_ids)))
            s.execute(delete(Alert).where(Alert.community_id == ids[1]))
            s.execute(delete(Membership).where(Membership.community_id == ids[1]))
            s.execute(delete(Community).where(Community.id == ids[1]))
            s.execute(delete(User).where(User.id == ids[2]))
            s.execute(delete(Commune).where(Commune.id == ids[0]))
            s.commit()
        engine.dispose()
