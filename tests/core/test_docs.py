"""The docs keep up with the code: every setting and every hook is documented, every
hook has its own test, and the code reads no setting that is not declared."""
from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from vvs_core import hookspecs
from vvs_core.app import load_settings
from vvs_core.testing import TEST_SECRET
from vvs_devtools import docs as generated  # the generator behind `vvs docs`

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
REGENERATE = "run `vvs docs development.ini` and commit docs/"
SETTING_KEY = re.compile(r"vvs\.[a-z0-9_.]*[a-z0-9_]")


@pytest.fixture(scope="module")
def every_plugin():
    """Settings and plugin manager with every installed plugin enabled."""
    settings, pm, declared, names, specs = load_settings({"vvs.plugins": "*", "vvs.secret": TEST_SECRET})
    return pm, declared


def hook_names() -> list[str]:
    return [name for name, _f in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("vvs_")]


# --- docs/configuration.md ----------------------------------------------------

def test_every_declared_setting_is_in_configuration_md(every_plugin):
    _pm, declared = every_plugin
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [name for name in declared.declared if f"### `{name}`" not in text]
    assert not missing, f"settings missing from docs/configuration.md: {missing}; {REGENERATE}"


def test_configuration_md_is_current(every_plugin):
    pm, declared = every_plugin
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    assert text == generated.configuration_markdown(pm, declared), f"docs/configuration.md is stale: {REGENERATE}"


# --- docs/plugin-hooks.md -----------------------------------------------------

def test_every_hook_is_in_plugin_hooks_md_with_its_docstring():
    text = (DOCS / "plugin-hooks.md").read_text(encoding="utf-8")
    for name in hook_names():
        assert f"### `{name}`" in text, f"{name} missing from docs/plugin-hooks.md; {REGENERATE}"
        doc = inspect.getdoc(getattr(hookspecs, name))
        assert doc, f"hookspec {name} has no docstring"
        assert generated.hook_doc_markdown(doc) in text, f"the docstring of {name} changed; {REGENERATE}"


def test_every_hookspec_is_typed(every_plugin):
    """Every parameter and every return of every hook (the core's and those plugins
    declare through vvs_addhooks) is annotated; the reference shows the signatures."""
    pm, _declared = every_plugin
    untyped = []
    for name in dir(pm.hook):
        spec = getattr(getattr(pm.hook, name), "spec", None)
        if not name.startswith("vvs_") or spec is None:
            continue
        signature = inspect.signature(spec.function)
        untyped += [f"{name}({p})" for p, param in signature.parameters.items() if param.annotation is param.empty]
        if signature.return_annotation is signature.empty:
            untyped.append(f"{name} -> ?")
        assert generated.hook_signature(spec.function) in (DOCS / "plugin-hooks.md").read_text(encoding="utf-8"), name
    assert untyped == []


def test_every_hook_is_in_a_section_of_the_generated_reference():
    sectioned = [name for _title, names in generated.hook_sections() for name in names]
    assert sorted(sectioned) == sorted(hook_names())


def test_plugin_hooks_md_is_current(every_plugin):
    pm, _declared = every_plugin
    text = (DOCS / "plugin-hooks.md").read_text(encoding="utf-8")
    assert text == generated.hooks_markdown(pm), f"docs/plugin-hooks.md is stale: {REGENERATE}"


# --- One test per hook --------------------------------------------------------

def test_every_hook_has_its_own_test():
    sources = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "tests").rglob("*.py"))
    missing = [name for name in hook_names() if not re.search(rf"^\s*def test_{name}\b", sources, re.M)]
    assert not missing, f"no test function named test_<hook> under tests/ for: {missing}"


# --- Settings read by the code are declared -----------------------------------

def is_settings(node: ast.expr) -> bool:
    """``settings``, ``registry.settings``, ``config.get_settings()``… by their source text."""
    return re.search(r"(^|\.)\w*settings(\(\))?$", ast.unparse(node)) is not None


def literal_key(node) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and SETTING_KEY.fullmatch(node.value):
        return node.value
    return None


def settings_read_in_python(path: Path) -> set[str]:
    keys = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Subscript) and is_settings(node.value):
            keys.add(literal_key(node.slice))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("get", "setdefault", "pop") and is_settings(node.func.value) and node.args):
            keys.add(literal_key(node.args[0]))
    return keys - {None}


TEMPLATE_READ = re.compile(r"settings(?:\[|\.get\()\s*['\"](vvs\.[a-z0-9_.]+)['\"]")


def settings_read_by_the_code() -> dict[str, str]:
    """Setting key → the first file that reads it, in vvs_core/ and plugins/."""
    found: dict[str, str] = {}
    for folder in (ROOT / "vvs_core", ROOT / "plugins"):
        for path in sorted(folder.rglob("*.py")):
            for key in settings_read_in_python(path):
                found.setdefault(key, str(path.relative_to(ROOT)))
        for path in sorted(folder.rglob("*.pt")):
            for key in TEMPLATE_READ.findall(path.read_text(encoding="utf-8")):
                found.setdefault(key, str(path.relative_to(ROOT)))
    return found


def test_the_scan_sees_settings_reads():
    found = settings_read_by_the_code()
    assert "vvs.database_url" in found and "vvs.secret" in found


def test_every_setting_the_code_reads_is_declared_and_documented(every_plugin):
    _pm, declared = every_plugin
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    found = settings_read_by_the_code()
    undeclared = {key: where for key, where in found.items() if key not in declared.declared}
    assert not undeclared, f"read but never declared (declare them with vvs_register_settings): {undeclared}"
    undocumented = sorted(key for key in found if f"### `{key}`" not in text)
    assert not undocumented, f"read but not in docs/configuration.md: {undocumented}; {REGENERATE}"


# --- paths named in the docs ----------------------------------------------------

CORE_FILE = re.compile(r"vvs_core/[A-Za-z0-9_./-]*[A-Za-z0-9_/]")
CORE_ASSET = re.compile(r"vvs_core:([A-Za-z0-9_./-]*[A-Za-z0-9_])")
CORE_DOTTED = re.compile(r"\bvvs_core(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def _resolves(dotted: str) -> bool:
    """The longest module of ``dotted`` is a file (never imported: some modules act when
    imported), and the next name is defined or imported in it."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:i])
        source = next((f for f in (base.with_suffix(".py"), base / "__init__.py") if f.exists()), None)
        if source is None:
            continue
        if i == len(parts):
            return True
        names = set()
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).split(".")[0])
        return parts[i] in names
    return False


def test_every_core_path_named_in_the_docs_exists():
    """After a move (e.g. the core split into packages), no doc names a file, template or
    module that is gone (`vvs_core/views/`, `vvs_core.security`, `vvs_core:templates/…`)."""
    stale = []
    for doc in [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]:
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            missing = [m for m in CORE_FILE.findall(line) if not (ROOT / m).exists()]
            missing += [f"vvs_core:{m}" for m in CORE_ASSET.findall(line) if not (ROOT / "vvs_core" / m).exists()]
            missing += [m for m in CORE_DOTTED.findall(line) if not _resolves(m)]
            stale += [f"{doc.name}:{number}: {m}" for m in missing]
    assert not stale, "\n".join(stale)
