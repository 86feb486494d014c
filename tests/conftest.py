"""Suite-wide settings. A skipped test fails the run: every test reads its data from the
repository, so a skip can only hide a missing fixture or a broken import (docs/DECISIONS.md, Data
the library ships)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def _skipped(config: pytest.Config) -> list[pytest.TestReport]:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    return list(reporter.stats.get("skipped", [])) if reporter is not None else []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Runs on the controller under xdist, which receives the workers' reports (collection included).
    if _skipped(session.config) and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    skipped = _skipped(config)
    if not skipped:
        return
    terminalreporter.write_sep("=", f"{len(skipped)} skipped: a skip fails this suite", red=True)
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        terminalreporter.write_line(f"{report.nodeid or report.fspath}: {reason}")
