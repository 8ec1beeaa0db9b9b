"""Geocoder provider for the French national address database (BAN), through the
Géoplateforme API (``/search`` and ``/reverse``). Choose it with
``vvs.geocoder.provider = ban``; ``vvs.geocoder.ban.url`` points at the API (or at a
self-hosted addok)."""
from __future__ import annotations

from vvs_core import hookimpl
from vvs_core.hooktypes import ProviderSpec
from vvs_core.settings import Setting, as_float

from .geocoder import BANGeocoder


@hookimpl
def vvs_register_providers():
    return [ProviderSpec(
        "geocoder", "ban", BANGeocoder.from_settings,
        settings=[
            Setting("vvs.geocoder.ban.url", "https://data.geopf.fr/geocodage",
                    "Base URL of the BAN geocoding API (`/search` and `/reverse` are appended)."),
            Setting("vvs.geocoder.ban.timeout", 5.0,
                    "Seconds to wait for the BAN API; past it the resident places the marker by hand.", parse=as_float),
        ],
        description="French national address database (BAN, Géoplateforme).",
    )]


def includeme(config):
    """Nothing to wire: the core registers the provider as the IGeocoder service."""
