"""The browser's position compared with the resident's home point. Only the result
is kept (distance, accuracy, passed or failed, time): never the position itself."""
from __future__ import annotations

import math

from vvs_core.communities.membership import distance_m

from .checks import KycError, after_pass, new_check, record


def parse_reading(lon, lat, accuracy) -> tuple[float, float, float]:
    try:
        lon, lat, accuracy = float(lon), float(lat), float(accuracy)
    except (TypeError, ValueError):
        raise KycError("Votre position n'a pas pu être lue : autorisez la géolocalisation puis recommencez.") from None
    if not all(math.isfinite(v) for v in (lon, lat, accuracy)) or not (-180 <= lon <= 180 and -90 <= lat <= 90) \
            or not 0 <= accuracy <= 1_000_000:
        raise KycError("Votre position n'a pas pu être lue : autorisez la géolocalisation puis recommencez.")
    return lon, lat, accuracy


def record_reading(request, user, lon, lat, accuracy):
    """Compare one reading with ``user``'s home; returns the KycCheck (passed or failed).

    Passes when the position is within ``vvs.kyc.geolocation_max_m`` of the home
    point and the browser's accuracy is within that distance too (a position guessed
    from an internet address is kilometres wide: it cannot pass).
    """
    lon, lat, accuracy = parse_reading(lon, lat, accuracy)
    if user.home is None:
        raise KycError("Votre domicile n'est pas encore placé sur la carte : placez-le d'abord.")
    limit = request.registry.settings["vvs.kyc.geolocation_max_m"]
    distance = distance_m(user.home, (lon, lat))
    passed = distance <= limit and accuracy <= limit
    check = new_check(request, user, "geolocation", "passed" if passed else "failed",
                      details={"distance_m": round(distance), "accuracy_m": round(accuracy), "max_m": limit})
    record(request, check, "kyc_geolocation", actor=user, passed=passed)
    if passed:
        after_pass(request, user)
    return check
