"""Waiting, with a deadline, for what the served app sends: e-mails in its mail folder (the
``mails`` fixture; subjects decoded: French subjects arrive RFC 2047-encoded), SMS in its
console log (``sms``), or anything a reader returns (``arrived``)."""
from __future__ import annotations

from email.header import decode_header, make_header

from vvs_core.testing import mail_text, wait_for


def subject_of(message) -> str:
    return str(make_header(decode_header(message["Subject"] or "")))


def arrived(read, predicate, what: str, timeout: float = 30) -> list:
    """The items of ``read()`` that match ``predicate``, once there is one (oldest first);
    fails naming ``what`` and the last items read when none came within ``timeout`` s."""
    found = wait_for(lambda: [item for item in read() if predicate(item)], timeout=timeout)
    assert found, f"{what}: none within {timeout} s (last: {read()[-3:]})"
    return found


def wait_for_mail(mails, address: str, subject_part: str, body_part: str = "", deadline: float = 30):
    return arrived(mails, lambda m: (address in (m["To"] or "") and subject_part in subject_of(m)
                                     and body_part in mail_text(m)),
                   f"no e-mail « {subject_part} » to {address}", deadline)[0]
