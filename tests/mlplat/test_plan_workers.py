"""The forking plan servers of `mlplat plan --env`: a fresh process per run, the caller's environment, errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlplat.tooling.plan_workers import CliWorkers


def test_each_run_sees_the_callers_environment_at_the_time_it_asks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with CliWorkers(1) as workers:
        monkeypatch.setenv("COLUMNS", "60")  # argparse wraps its help at COLUMNS
        narrow = workers.run(["plan", "--help"], tmp_path / "narrow")
        monkeypatch.setenv("COLUMNS", "200")
        wide = workers.run(["plan", "--help"], tmp_path / "wide")
    assert narrow.exit_code == 0 and wide.exit_code == 0
    assert "--stack-outputs" in narrow.stdout
    assert len(narrow.stdout.splitlines()) > len(wide.stdout.splitlines())  # wrapped at 60 columns


def test_a_configuration_error_is_the_runs_exit_code_and_one_message(tmp_path: Path):
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    with CliWorkers(2) as workers:
        run = workers.run(["plan", "--stack", "prod-serving-x", "--cwd", str(tmp_path)], tmp_path / "run")
    assert run.exit_code == 2
    assert "Traceback" not in run.stderr and run.stderr.startswith("mlplat plan:")


def test_a_dead_server_fails_that_run_only(tmp_path: Path):
    with CliWorkers(1) as workers:
        [server] = workers._servers
        server.process.kill()
        server.process.wait()
        run = workers.run(["plan", "--help"], tmp_path / "dead")
        after = workers.run(["plan", "--help"], tmp_path / "after")
    assert run.exit_code == 1 and "the plan server exited" in run.stderr
    assert after.exit_code == 0 and "--stack-outputs" in after.stdout  # a new server took its place


def test_without_fork_each_run_is_its_own_python_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delattr(os, "fork")
    with CliWorkers(2) as workers:
        run = workers.run(["plan", "--help"], tmp_path / "spawned")
    assert run.exit_code == 0 and "--stack-outputs" in run.stdout
