"""The test suite's wall time, from a real run in a subprocess.

`python -m pytest -q -p no:randomly tests --ignore=tests/bench` (the benchmarks' own smoke test
would run the benchmarks again), timed from outside, outcomes read from a JUnit XML report. Two
baselines from the same run make the figure comparable across machines: the same command with
`--collect-only` (interpreter start, plugins, imports and collection: what no test can make
faster), and the median whole plan of the dev stack measured by the overhead bench (the suite as
a number of plans).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Optional, Sequence

from . import REPO_ROOT

DEFAULT_PATHS: tuple[str, ...] = ("tests",)
DEFAULT_IGNORE: tuple[str, ...] = ("tests/bench",)


def command(paths: Sequence[str], ignore: Sequence[str], *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *paths,
        *(f"--ignore={path}" for path in ignore), *extra,
    ]


def measure(
    paths: Sequence[str] = DEFAULT_PATHS,
    *,
    ignore: Sequence[str] = DEFAULT_IGNORE,
    cwd: Path = REPO_ROOT,
    timeout: float = 1800,
    dev_plan_ms: Optional[float] = None,
) -> dict[str, Any]:
    """Run the suite once (and its collection once); `dev_plan_ms` adds the suite-to-plan ratio."""
    with tempfile.TemporaryDirectory(prefix="mlplat-bench-suite-") as tmp:
        report = Path(tmp) / "junit.xml"
        run = _run(command(paths, ignore, f"--junitxml={report}"), cwd, timeout)
        outcomes = _outcomes(report)
    collect = _run(command(paths, ignore, "--collect-only"), cwd, timeout)
    result: dict[str, Any] = {
        "command": " ".join(["python", *command(paths, ignore)[1:]]),
        "returncode": run["returncode"],
        "passed": run["returncode"] == 0,
        "outcomes": outcomes,
        "seconds": {"suite_wall": run["seconds"], "collect_only_wall": collect["seconds"]},
        "collection_share": round(collect["seconds"] / run["seconds"], 4) if run["seconds"] > 0 else None,
        "suite_in_dev_plans": round(run["seconds"] * 1000 / dev_plan_ms, 1) if dev_plan_ms else None,
    }
    if run["returncode"] != 0:
        result["output_tail"] = run["tail"]
    return result


def _run(cmd: list[str], cwd: Path, timeout: float) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        returncode, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        returncode, output = -1, f"timed out after {timeout} s: {exc}"
    return {
        "seconds": round(time.perf_counter() - start, 3),
        "returncode": returncode,
        "tail": "\n".join(output.strip().splitlines()[-15:]),
    }


def _outcomes(report: Path) -> dict[str, Any]:
    """tests / failures / errors / skipped (and pytest's own time) from a JUnit XML report."""
    if not report.is_file():
        return {"tests": None, "failures": None, "errors": None, "skipped": None, "pytest_seconds": None}
    root = ET.parse(report).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    totals: dict[str, Any] = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "pytest_seconds": 0.0}
    for suite in suites:
        for key in ("tests", "failures", "errors", "skipped"):
            totals[key] += int(suite.get(key, 0))
        totals["pytest_seconds"] += float(suite.get("time", 0.0))
    totals["pytest_seconds"] = round(totals["pytest_seconds"], 3)
    return totals
