"""Messages to an address that is not (yet) an account's: a plugin's message to a
neighbour who is not a member, the confirmation link sent to a new e-mail address. They go through the
outbox like everything else, so providers, retries and receipts are the same."""

from vvs_core.notify.outbox import enqueue_delivery_after_commit, insert_notifications


def send_to_address(request, *, channel: str, address: str, kind: str, title: str, body: str,
                    dedupe_key: str, recipient_id: int | None = None,
                    subject: tuple[str, int | None] = ("", None)) -> list[int]:
    """Queue one message to ``address`` on ``channel`` ("email" or "sms"); sent after commit."""
    ids = insert_notifications(request.dbsession, [dict(
        dedupe_key=dedupe_key, kind=kind, channel=channel, address=address,
        recipient_id=recipient_id, subject_type=subject[0], subject_id=subject[1], title=title, body=body,
    )])
    enqueue_delivery_after_commit(request, ids)
    return ids
