"""Templates are compiled one at a time in a process (vvs_core/web/templating.py): two threads
compiling at once hit CPython 3.11's ``SystemError: AST constructor recursion depth
mismatch`` (a 500 seen under the mixed load, with gunicorn's threaded workers)."""
from __future__ import annotations

import threading
import time

from chameleon import PageTemplate
from chameleon.template import BaseTemplate

from vvs_core.web import templating


def test_threads_compile_templates_one_at_a_time(monkeypatch):
    chameleon_cook = getattr(BaseTemplate.cook, "vvs_original", BaseTemplate.cook)
    inside, most, errors = [0], [0], []
    count = threading.Lock()

    def probe(self, body):  # Chameleon's compilation, counting the threads inside it
        with count:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            time.sleep(0.02)  # widen the window two threads would share without the lock
            return chameleon_cook(self, body)
        finally:
            with count:
                inside[0] -= 1

    monkeypatch.setattr(BaseTemplate, "cook", probe)
    templating.serialise_compilation()

    def render(n):
        try:
            html = PageTemplate(f"<p tal:content=\"'« voisin »' + str(n)\">x</p><!-- {n} -->")(n=n)
            assert f"« voisin »{n}" in html
        except Exception as exc:  # noqa: BLE001 — a thread's failure fails the test
            errors.append(exc)

    threads = [threading.Thread(target=render, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert most[0] == 1


def test_the_application_installs_it_once(app):
    assert getattr(BaseTemplate.cook, "vvs_serialised", False)
    wrapped = BaseTemplate.cook
    templating.serialise_compilation()
    assert BaseTemplate.cook is wrapped


def test_every_template_is_compiled_before_the_first_request(app_registry):
    """Issue 16: each page's first request compiled its templates (100-560 ms of CPU in the
    tail of that page). ``settle`` compiles them all where Chameleon keeps them on disk
    (``CHAMELEON_CACHE``, as the tests do): the core's, every enabled plugin's (the
    dashboard's panels included) and the forms' (deform's and the core's overrides)."""
    from pathlib import Path

    import deform
    from pyramid.renderers import get_renderer

    import vvs_core
    import vvs_mairie
    from vvs_core.web import compile_templates

    core = len(list(Path(vvs_core.__file__).parent.rglob("*.pt")))
    forms = sum(len(list(Path(folder).glob("*.pt"))) for folder in deform.Form.default_renderer.loader.search_path)
    assert compile_templates(app_registry) >= core + forms + len(list(Path(vvs_mairie.__file__).parent.rglob("*.pt")))
    for spec in ("vvs_core:communities/templates/home.pt", "vvs_mairie:templates/dashboard.pt"):
        template = get_renderer(spec, registry=app_registry).implementation()
        assert template._cooked and not template.cook_check(), spec  # compiled, and not again
    assert deform.Form.default_renderer.load("form")._cooked
