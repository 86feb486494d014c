"""The suite's own rule: a skipped test fails the run (tests/conftest.py), with the skip named."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).resolve().parent / "conftest.py"


def test_a_skip_fails_the_run_and_is_named(pytester: pytest.Pytester):
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(test_data="""
import pytest

def test_ok():
    pass

def test_needs_a_fixture_file():
    pytest.skip("fixture file missing")
""")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*1 skipped: a skip fails this suite*",
                                 "test_data.py::test_needs_a_fixture_file: Skipped: fixture file missing"])


def test_a_run_without_skips_passes(pytester: pytest.Pytester):
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(test_data="def test_ok():\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    assert "a skip fails this suite" not in result.stdout.str()
