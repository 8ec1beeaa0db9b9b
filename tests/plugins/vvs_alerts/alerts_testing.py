"""Helpers for the alert tests (imported by name: no __init__.py in tests)."""


def commit_hooks(request):
    """Run what would have happened after commit (the enqueues), then start afresh."""
    txn = request.tm.get()
    for hook, args, kws in list(txn.getAfterCommitHooks()):
        hook(True, *args, **kws)
    request.tm.abort()
    request.tm.begin()
