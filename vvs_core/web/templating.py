"""Chameleon templates compiled one at a time in a process.

A template is compiled (Python source generated, then parsed with ``ast``) on the first
request that renders it. With threaded workers (gunicorn ``gthread``, as in
``production.ini``; dramatiq's threads render e-mails) two first requests can compile at
the same moment, and CPython 3.11's ``ast`` module keeps its recursion depth in
interpreter-wide state: one of them fails with ``SystemError: AST constructor recursion
depth mismatch`` — a 500 seen under the mixed load of ``bench_mixed`` (issue 15.6).
Compiling is done once per template and process, so a lock around it costs nothing after
the first requests. Re-entrant: compiling a template may load and compile its macros'.
"""

import threading

from chameleon.template import BaseTemplate

_lock = threading.RLock()


def includeme(config) -> None:
    serialise_compilation()


def serialise_compilation() -> None:
    """Wrap ``BaseTemplate.cook`` (every Chameleon template) in a process-wide lock; once."""
    cook = BaseTemplate.cook
    if getattr(cook, "vvs_serialised", False):
        return

    def serialised_cook(self, body):
        with _lock:
            return cook(self, body)

    serialised_cook.vvs_serialised = True
    serialised_cook.vvs_original = cook
    BaseTemplate.cook = serialised_cook
