"""Test modules have unique names: pytest imports them by basename (rootdir mode
"prepend"), and two tests/…/test_api.py stopped the whole suite at collection."""
from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_two_test_modules_share_a_name():
    names = Counter(p.name for p in TESTS.rglob("test_*.py"))
    assert [n for n, count in names.items() if count > 1] == []
