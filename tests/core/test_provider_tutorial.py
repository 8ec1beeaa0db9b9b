"""The provider tutorial of docs/providers.md is the code of tests/fixtures/vvs_sms_rapide,
word for word; it stays under 150 lines and imports only the documented API."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
TUTORIAL = ROOT / "tests" / "fixtures" / "vvs_sms_rapide"
DOCUMENTED = {"vvs_core.interfaces", "vvs_core.providers", "vvs_core.testing"}
THIRD_PARTY = {"requests", "pytest", "pyramid.request"}


def test_the_docs_show_the_files_that_are_tested():
    docs = (ROOT / "docs" / "providers.md").read_text()
    for name in ("vvs_sms_rapide.py", "test_vvs_sms_rapide.py"):
        code = (TUTORIAL / name).read_text()
        assert f"```python\n# {name}\n{code}```" in docs, f"docs/providers.md no longer shows {name} as it is"


def test_the_plugin_is_short_and_imports_only_the_documented_api():
    for name, limit in (("vvs_sms_rapide.py", 150), ("test_vvs_sms_rapide.py", 150)):
        source = (TUTORIAL / name).read_text()
        assert len(source.splitlines()) < limit
        for node in ast.walk(ast.parse(source)):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module] if isinstance(node, ast.ImportFrom) else [])
            for module in modules:
                top = module.split(".")[0]
                assert (module in DOCUMENTED or module in THIRD_PARTY or top in sys.stdlib_module_names
                        or module in ("__future__", "vvs_sms_rapide")), f"{name} imports {module}"
