"""Settings of vvs_kyc (``vvs.kyc.*``), documented in docs/configuration.md by ``vvs docs``."""
from __future__ import annotations

from vvs_core.encryption import key_setting
from vvs_core.settings import Setting, as_float, as_int

MODES = ("none", "any")


def parse_required(value) -> str | list[str]:
    """``none``, ``any`` or a list of method names (spaces or commas between them)."""
    if isinstance(value, (list, tuple)):
        names = [str(v).strip() for v in value if str(v).strip()]
    else:
        names = [part for part in str(value or "").replace(",", " ").split() if part]
    if not names:
        return "none"
    if len(names) == 1 and names[0] in MODES:
        return names[0]
    if any(n in MODES for n in names):
        raise ValueError("none and any stand alone")
    return names


SETTINGS = [
    Setting("vvs.kyc.required", "any",
            "Proof a resident needs before their membership may be accepted: `any` (the default: one method "
            "passed — geolocation at home, attestation by a référent or an agent, or a proof of address), "
            "`none` (no proof: whoever validates decides alone) or method names "
            "(`document geolocation attestation partner`: each must pass). "
            "A mairie may override it for its commune at /kyc/commune/{insee}.", parse=parse_required),
    key_setting("vvs.kyc.encryption_key", "proof-of-address files"),
    Setting("vvs.kyc.storage_dir", "var/kyc",
            "Folder of the encrypted proof files (outside any static path; created with mode 0700)."),
    Setting("vvs.kyc.max_upload_bytes", 5 * 1024 * 1024, "Largest proof file accepted, in bytes.", parse=as_int),
    Setting("vvs.kyc.max_pdf_pages", 10, "Most pages a PDF proof may have.", parse=as_int),
    Setting("vvs.kyc.max_image_pixels", 40_000_000,
            "Most pixels (width × height) an image proof may declare; checked before decoding.", parse=as_int),
    Setting("vvs.kyc.retention_days", 30,
            "Days after upload after which a proof file is destroyed, decided or not.", parse=as_float),
    Setting("vvs.kyc.sweep_interval", 3600,
            "Seconds between two passes of the task destroying expired proof files.", parse=as_int),
    Setting("vvs.kyc.geolocation_max_m", 300,
            "Largest distance in metres between the browser's position and the home point for the "
            "geolocation to pass (the reading's accuracy must be within it too).", parse=as_float),
]
