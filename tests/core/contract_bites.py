"""What the tests that show a contract suite biting share: run the suite on a flawed copy
of a provider (in a pytester run) and read which of its tests failed."""
from __future__ import annotations


def run_flawed(pytester, tests_dir, source: str, flaw: str, *args, subprocess: bool = False):
    """Run ``source`` (``{flaw}`` replaced by the class to test), ``tests_dir`` importable."""
    pytester.makepyfile(test_flawed=source.replace("{flaw}", flaw))
    if subprocess:  # e.g. cryptography's classes must not be imported twice in one process
        pytester.makeconftest(f"import sys\nsys.path.insert(0, {str(tests_dir)!r})\n")
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", *args)
    pytester.syspathinsert(tests_dir)
    return pytester.runpytest("-p", "no:cacheprovider", "-q", *args)


def failed_tests(result) -> set[str]:
    return {line.split("::")[-1].split(" ")[0] for line in result.outlines if line.startswith("FAILED")}


def assert_passes(result) -> None:
    assert result.ret == 0, "\n".join(result.outlines[-30:])


def assert_fails(result, must_fail) -> set[str]:
    """The run failed, ``must_fail`` (a test's name or a set of names) among its failed
    tests: the names of all of them."""
    must_fail = {must_fail} if isinstance(must_fail, str) else set(must_fail)
    failed = failed_tests(result)
    assert result.ret != 0 and must_fail <= failed, \
        f"expected {sorted(must_fail)} among the failures, got {sorted(failed)}\n" + "\n".join(result.outlines[-30:])
    return failed
