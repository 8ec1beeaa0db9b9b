"""A geometry column that is PostGIS ``geometry(…, 4326)`` on PostgreSQL and WKB bytes on SQLite.

Python code always sees Shapely geometries in (lon, lat) order. Only ``vvs_core.geo``
runs spatial predicates; it knows which backend is in use.
"""

import shapely
from geoalchemy2 import Geometry as PostGISGeometry
from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import to_shape
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

SRID = 4326


class Geometry(TypeDecorator):
    impl = LargeBinary
    cache_ok = True
    # Read by GeoAlchemy2's DDL hooks: our migrations create the GiST indexes themselves.
    spatial_index = False
    use_N_D_index = False
    use_typmod = None
    srid = SRID
    dimension = 2
    nullable = True

    def __init__(self, geometry_type: str = "GEOMETRY"):
        super().__init__()
        self.geometry_type = geometry_type

    def load_dialect_impl(self, dialect):
        if getattr(dialect, "name", None) == "postgresql":
            return dialect.type_descriptor(
                PostGISGeometry(geometry_type=self.geometry_type, srid=SRID, spatial_index=False))
        if dialect is None:  # GeoAlchemy2's DDL hooks ask without a dialect
            return LargeBinary()
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "postgresql":
            return WKBElement(shapely.to_wkb(value), srid=SRID)
        return shapely.to_wkb(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, WKBElement):
            return to_shape(value)
        if isinstance(value, str):  # hex EWKB
            return shapely.from_wkb(bytes.fromhex(value))
        return shapely.from_wkb(bytes(value))
