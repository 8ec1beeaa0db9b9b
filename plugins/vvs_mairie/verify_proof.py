"""``vvs-verify-proof FILE --cle KEY.pem``: check a proof of warning (CSV) without this
site, as a prefecture, a court or a journalist would: the chained fingerprints of every
line, then the Ed25519 signature of the whole file under the commune's public key
(``/communes/{insee}/cle-publique.pem``). Exit status 0 when both hold, 1 otherwise,
2 when a file cannot be read. Needs no configuration, database or secret.
"""
from __future__ import annotations

import argparse
import sys

from vvs_core.web.french import count

from .proof import ed25519_verifies, read_chained, split_signed


def verify(text: str, public_pem: bytes) -> tuple[bool, str]:
    data, verdict = read_chained(text)
    if data is None:
        return False, verdict
    signed = split_signed(text)
    if signed is None or not data["ed25519"]:
        return False, "Ce fichier ne porte pas de signature Ed25519."
    if not ed25519_verifies(public_pem, signed[1], signed[0]):
        return False, "La signature Ed25519 ne correspond pas à cette clé : le fichier a été modifié, ou la clé n'est pas celle de la commune."
    return True, (f"Preuve intègre et signée par la clé donnée : {count(len(data['table']), 'ligne', 'lignes')}, alerte n° "
                  f"{data['alert_id']} de la commune {data['insee']} (clé publiée : {data['key_url']}).")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="vvs-verify-proof", description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="the proof (CSV) exported by the mairie")
    parser.add_argument("--cle", "--public-key", dest="key", required=True,
                        help="the commune's public key (PEM), downloaded from /communes/INSEE/cle-publique.pem")
    args = parser.parse_args(argv)
    try:
        with open(args.file, "rb") as fh:
            text = fh.read(20_000_000).decode("utf-8")
        with open(args.key, "rb") as fh:
            public_pem = fh.read(10_000)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"Lecture impossible : {exc}", file=sys.stderr)
        return 2
    ok, verdict = verify(text, public_pem)
    print(verdict)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
