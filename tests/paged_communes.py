"""The lists of communes paged 50 by 50 (the administrators' and the mairies' platform
list): for their plugins' tests (a module of tests/, on the path of every test)."""
from __future__ import annotations


def second_page_of_communes(testapp, dbsession, make_user, path: str):
    """With Serris, 55 communes « Zédé-sur-Mer 00 » to « 54 »: an administrator opens
    ``path``, whose first page ends at « Zédé-sur-Mer 48 » (checked); its second page."""
    from shapely.geometry import Point

    from vvs_core.models import Commune

    for n in range(55):
        dbsession.add(Commune(insee=f"9{n:04d}", name=f"Zédé-sur-Mer {n:02d}", postcodes=["99000"],
                              centre=Point(2.78, 48.84)))
    dbsession.flush()
    testapp.login(make_user(is_admin=True))
    first = testapp.get(path)
    assert "Page 1 sur 2" in first.text and "Zédé-sur-Mer 48" in first.text and "Zédé-sur-Mer 49" not in first.text
    return testapp.get(path, {"page": "2"})
