"""axe-core on every page the browser tests visit (RGAA 4.1 / WCAG 2.1 AA).

Every browser context of the suite (the ``page`` fixture's and those a test opens with
``browser.new_context``) gets ``AxeAudit.install``: axe-core, bundled by the
``axe-playwright-python`` package (no network), is added to every document of the
test server and runs by itself once the page is built (DOMContentLoaded); it reports
through a binding. A page is never left before its report arrived: a navigation
request waits for it (the route below), and so does the context's close. A test fails
on any serious or critical violation. At the end of the run, the visits and the
keyboard-only journeys are written to ``var/accessibility/axe-results.json``, which
``vvs accessibility`` turns into the data of the /accessibilite page.

(Why not evaluate axe from Python before leaving a page: while a navigation request
is held by a route, Chromium answers no evaluation in that page.)

Service workers are blocked in these contexts (a navigation answered by a service
worker skips the route); a test that needs one passes ``service_workers="allow"``.
"""
from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

from axe_playwright_python.base import AXE_SCRIPT

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(os.environ.get("VVS_A11Y_RESULTS", ROOT / "var" / "accessibility" / "axe-results.json"))
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = ("critical", "serious")
OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
AXE_VERSION = AXE_SCRIPT[AXE_SCRIPT.find("axe v") + 5:].split()[0] if "axe v" in AXE_SCRIPT[:200] else ""
TEST_ORIGIN = "http://127.0.0.1:"
WAIT_SECONDS = 30

RUN_ON_EVERY_PAGE = AXE_SCRIPT + """
;(function () {
  if (window.top !== window || location.href.indexOf(%(origin)s) !== 0) { return; }
  function report(data) { data.url = location.href; return window.__vvsAxeReport(data); }
  function run() {
    if (document.contentType !== "text/html") { report({ skipped: true }); return; }
    // The same page in the same state (same path, as many elements, as many errors) is
    // checked once per run: a login page seen fifty times is one page.
    var signature = location.pathname + location.search + "|" + document.getElementsByTagName("*").length + "|" +
      document.querySelectorAll(".error, .invalid-feedback, [role=alert], [aria-invalid=true]").length;
    var seen = window.__vvsAxeSeen || [];
    if (seen.indexOf(signature) >= 0) { report({ skipped: true, duplicate: true }); return; }
    check(signature);
  }
  function check(signature) {
    axe.run(document, %(options)s).then(function (r) {
      report({ signature: signature, title: document.title, width: window.innerWidth, violations: r.violations.map(function (v) {
        return { id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(function (n) {
          return { target: n.target.map(String), html: n.html.slice(0, 300) }; }) }; }) });
    }, function (e) { report({ error: String(e) }); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", function () { setTimeout(run, 0); }); }
  else { setTimeout(run, 0); }
})();
""" % {"origin": json.dumps(TEST_ORIGIN), "options": json.dumps(OPTIONS)}


class AxeAudit:
    def __init__(self, origin: str = TEST_ORIGIN):
        self.origin = origin
        self.visits: list[dict] = []
        self.keyboard: list[dict] = []
        self.current_test = ""
        self.current_failures: list[str] = []
        self.browser_version = ""
        self.viewports: set[int] = set()
        self.pages: dict[int, dict] = {}
        self.seen: set[str] = set()
        self.contexts: list = []
        self.seen_count = 0

    # --- wiring ------------------------------------------------------------------
    def install(self, context) -> None:
        # What was checked already is told to the pages through init scripts, never by
        # answering a call from the page: the answer would be an evaluation, which a page
        # does not get while its navigation is held (see above).
        context.add_init_script("window.__vvsAxeSeen = %s;" % json.dumps(sorted(self.seen)))
        context.add_init_script(RUN_ON_EVERY_PAGE)
        self.contexts.append(context)
        context.expose_binding("__vvsAxeReport", lambda source, data: self.receive(source["page"], data))
        context.on("page", self.watch)

        def before_navigation(route):
            request = route.request
            try:
                if request.is_navigation_request() and request.frame.parent_frame is None:
                    self.wait_for_report(request.frame.page)
            finally:
                route.fallback()

        context.route("**/*", before_navigation)
        close = context.close

        def close_after_reports(*args, **kwargs):
            for pg in list(context.pages):
                self.wait_for_report(pg)
            if context in self.contexts:
                self.contexts.remove(context)
            return close(*args, **kwargs)

        context.close = close_after_reports

    def watch(self, page) -> None:
        # What a page waits for is the report of the document it shows, not a count of
        # loads and reports: a test may leave a document before Python heard of its
        # DOMContentLoaded (the text it waited for was visible before the deferred
        # scripts ran); that document never reports, and a count stayed one short for
        # the rest of the page's life, holding each of its next navigations for 30 s
        # (the sanctions and twinning browser tests failed so in the whole suite).
        # A fresh state for each new page: ids of closed pages are reused.
        # A report heard before its DOMContentLoaded (the two come by different ways)
        # is kept as "early" so that the load does not wait for it again.
        state = self.pages[id(page)] = {"pending": None, "early": None}

        def loaded(pg):
            if not pg.url.startswith(self.origin):
                return
            url = pg.url.split("#")[0]
            if state["early"] == url:
                state["early"] = None
            else:
                state["pending"] = url

        page.on("domcontentloaded", loaded)

    def wait_for_report(self, page) -> None:
        state = self.pages.get(id(page))
        if state is None or page.is_closed():
            return
        deadline = time.monotonic() + WAIT_SECONDS
        while state["pending"] and time.monotonic() < deadline and not page.is_closed():
            page.wait_for_timeout(25)  # not a sleep: the report comes back through Playwright, only during its calls
        state["pending"] = None

    def remember(self, signature: str) -> None:
        if not signature or signature in self.seen:
            return
        self.seen.add(signature)
        script = "window.__vvsAxeSeen && window.__vvsAxeSeen.push(%s);" % json.dumps(signature)
        for context in list(self.contexts):
            try:
                context.add_init_script(script)
            except Exception:  # a context closed meanwhile (its close may have removed it)
                if context in self.contexts:
                    self.contexts.remove(context)

    # --- one report -----------------------------------------------------------------
    def receive(self, page, data: dict) -> None:
        state = self.pages.setdefault(id(page), {"pending": None, "early": None})
        url = (data.get("url") or "").split("#")[0]   # a skip link may have added a fragment
        if state["pending"] == url:
            state["pending"] = None
        else:
            state["early"] = url
        self.seen_count += 1
        if data.get("skipped"):
            return
        url = data.get("url", "")
        path = url[url.index("/", len("http://")):] if url.count("/") >= 3 else url
        if data.get("error"):
            self.current_failures.append(f"{path}: axe-core did not run: {data['error']}")
            return
        self.remember(data.get("signature", ""))
        self.viewports.add(data.get("width") or 0)
        violations = data["violations"]
        self.visits.append({"path": path, "title": (data.get("title") or "").rsplit(" · ", 1)[0],
                            "test": self.current_test, "violations": violations})
        for v in violations:
            if v["impact"] in BLOCKING:
                targets = "; ".join(" ".join(n["target"]) + " " + n["html"][:160] for n in v["nodes"])
                self.current_failures.append(f"{path}: {v['impact']} {v['id']} ({v['help']}): {targets}")

    # --- per test and per run ---------------------------------------------------
    def start(self, nodeid: str) -> None:
        self.current_test = nodeid
        self.current_failures = []

    def finish(self) -> list[str]:
        failures, self.current_failures = self.current_failures, []
        return failures

    def record_keyboard(self, nodeid: str, doc: str, outcome: str) -> None:
        self.keyboard.append({"test": nodeid, "doc": doc, "outcome": outcome})

    def write(self) -> None:
        if not self.visits:
            return
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "axe_version": AXE_VERSION, "tags": TAGS, "browser": self.browser_version,
            "viewports": sorted(self.viewports), "pages_shown": self.seen_count,
            "visits": self.visits, "keyboard": self.keyboard,
        }, ensure_ascii=False, indent=1), "utf-8")
