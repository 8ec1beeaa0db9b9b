"""Waiting for an e-mail in the served app's mail folder (the ``mails`` fixture), with a
deadline: subjects are decoded (French subjects arrive RFC 2047-encoded)."""
from __future__ import annotations

import time
from email.header import decode_header, make_header

from vvs_core.testing import mail_text


def subject_of(message) -> str:
    return str(make_header(decode_header(message["Subject"] or "")))


def wait_for_mail(mails, address: str, subject_part: str, body_part: str = "", deadline: float = 30):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        for message in mails():
            if (address in (message["To"] or "") and subject_part in subject_of(message)
                    and body_part in mail_text(message)):
                return message
        time.sleep(0.1)
    raise AssertionError(f"no e-mail « {subject_part} » to {address}")
