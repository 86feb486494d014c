"""The README's test example runs as written against this project."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_readme_testing_example_passes(pytester: pytest.Pytester):
    readme = (ROOT / "README.md").read_text()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "def test_" in b]
    assert len(blocks) == 1, "the README should hold one test example"
    pytester.makepyfile(test_readme_example=blocks[0])
    # A subprocess: an in-process run restores sys.modules afterwards, dropping the pulumi_aws modules the example
    # imported, and later tests in this worker then resolve the SDK's type hints against modules that are gone.
    result = pytester.runpytest_subprocess(f"--mlplat-project={ROOT}", timeout=600)
    result.assert_outcomes(passed=2)
