"""Posting the new-conversation form of vvs_messaging by hand, to a recipient the form
does not offer (a module of tests/, on the path of every test)."""
from __future__ import annotations


def post_new_conversation(testapp, recipient_id: int, text: str):
    """The answer to /messagerie/nouveau with ``recipient_id`` ticked, no subject and ``text``:
    a refusal (400), the form does not offer them."""
    params = {"csrf_token": testapp.csrf(), "__start__": "recipients:sequence", "checkbox": str(recipient_id),
              "__end__": "recipients:sequence", "subject": "", "text": text, "submit": "submit",
              "__formid__": "new-conversation", "_charset_": "UTF-8"}
    return testapp.post("/messagerie/nouveau", params, status=400)
