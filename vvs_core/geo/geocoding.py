"""The built-in geocoder: no network. The map opens on the commune's centre and the
resident places the marker by hand, as the seeds' "positionnez le marqueur" step."""

from vvs_core.interfaces import GeocodeResult


class ManualGeocoder:
    name = "manual"

    @classmethod
    def from_settings(cls, settings):
        return cls()

    def search(self, query, *, limit=5, citycode=None, near=None):
        # Without an address database we cannot find the address; the caller falls
        # back to the commune's centre and lets the resident place the marker.
        return []

    def reverse(self, lon, lat):
        return None
