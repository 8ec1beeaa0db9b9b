"""The browser contexts of the browser tests: French, a phone's screen unless told, the
suite's default timeout; the page's script errors noted for the test to check; a page
read again until the server has done what it does in the background (``reload_until``)."""
from __future__ import annotations

import contextlib

from vvs_core.testing import wait_for

PHONE = {"width": 360, "height": 740}
TALL_PHONE = {"width": 360, "height": 800}


def open_page(browser, base_url, errors: list | None = None, *, viewport=TALL_PHONE, timeout: float = 15000,
              **options):
    """(context, page): a new French context on ``base_url`` (``options``: Playwright's,
    e.g. ``timezone_id``, ``accept_downloads``) and its page, whose script errors go to
    ``errors``."""
    context = browser.new_context(locale="fr-FR", viewport=viewport, base_url=base_url, **options)
    context.set_default_timeout(timeout)
    page = context.new_page()
    if errors is not None:
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    return context, page


@contextlib.contextmanager
def browsing(browser, base_url, errors: list | None = None, **options):
    """``with browsing(browser, url, errors) as page:`` an ``open_page``, its context closed
    after the block."""
    context, page = open_page(browser, base_url, errors, **options)
    try:
        yield page
    finally:
        context.close()


def reload_until(page, predicate, what: str, timeout: float = 30) -> None:
    """Reads ``page`` again every half second until ``predicate()`` (what the server does in
    the background: a page that does not update itself); fails naming ``what`` after ``timeout`` s."""
    def seen() -> bool:
        if predicate():
            return True
        page.reload()
        return False
    assert wait_for(seen, timeout=timeout, interval=0.5), f"{what}: not within {timeout} s on {page.url}"
