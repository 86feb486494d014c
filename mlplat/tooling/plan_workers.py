"""Fresh processes for layer plans, forked from servers that imported the CLI once.

The Pulumi SDK keeps a run's state in process globals, so every layer of `mlplat plan --env` plans in
a process of its own. Starting each with `python -m mlplat.tooling.cli` pays the imports (pulumi_aws,
pulumi_kubernetes, the components: about 5 s of CPU) once per stack. Instead, `jobs` servers
(`python -m mlplat.tooling.plan_workers`) import the CLI once each, then for every request fork a
child that runs it and exits: a child never plans twice, and the server never plans, so a child
starts with no SDK state and no threads (the server is single-threaded). multiprocessing's forkserver
is not used: it re-runs the caller's `__main__` module in the server, which a library cannot ask of
its callers.

Requests and answers are JSON lines on the server's stdin and stdout. A child sees the environment
variables of the caller at the moment it asked, and hash seed 0 (set iteration order reaches the
report), as the `mlplat plan` processes did. Without `os.fork` (Windows), each plan is a
`python -m mlplat.tooling.cli` process.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Optional, Sequence

__all__ = ["CliRun", "CliWorkers", "serve"]

_HASH_SEED = "0"
_CRASHED = 70  # EX_SOFTWARE: the child raised instead of returning an exit code


@dataclass(frozen=True)
class CliRun:
    exit_code: int
    stdout: str
    stderr: str


class _Server:
    """One forking server process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mlplat.tooling.plan_workers"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env={**os.environ, "PYTHONHASHSEED": _HASH_SEED},
        )

    def run(self, argv: Sequence[str], stdout: Path, stderr: Path) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        request = {"argv": list(argv), "env": dict(os.environ), "stdout": str(stdout), "stderr": str(stderr)}
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        except OSError:
            answer = ""
        if not answer:
            raise RuntimeError(f"the plan server exited (exit code {self.process.wait()})")
        return int(json.loads(answer)["exit_code"])

    def close(self) -> None:
        if self.process.stdin is not None:
            try:
                self.process.stdin.close()  # the server's end of input: it exits
            except OSError:  # it is gone already
                pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class CliWorkers:
    """Up to `jobs` CLI runs at once, each in a fresh process. Use as a context manager; `run` is thread-safe."""

    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, jobs)
        self._idle: "queue.Queue[_Server]" = queue.Queue()
        self._servers: list[_Server] = []

    def __enter__(self) -> "CliWorkers":
        if hasattr(os, "fork"):
            self._servers = [_Server() for _ in range(self.jobs)]  # their imports run in parallel, once
            for server in self._servers:
                self._idle.put(server)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for server in self._servers:
            server.close()
        self._servers = []

    def run(self, argv: Sequence[str], scratch: Path) -> CliRun:
        """`mlplat <argv>` in a fresh process; its output goes through files next to `scratch`."""
        if not self._servers:
            done = subprocess.run([sys.executable, "-m", "mlplat.tooling.cli", *argv], capture_output=True, text=True,
                                  check=False, env={**os.environ, "PYTHONHASHSEED": _HASH_SEED})
            return CliRun(done.returncode, done.stdout, done.stderr)
        stdout, stderr = scratch.with_name(scratch.name + ".stdout"), scratch.with_name(scratch.name + ".stderr")
        server = self._idle.get()
        try:
            code = server.run(argv, stdout, stderr)
        except (RuntimeError, ValueError) as exc:  # the server died: that layer fails, the others go on
            return CliRun(1, _read(stdout), f"{_read(stderr)}\n{exc}".strip())
        finally:
            if server.process.poll() is not None:  # a dead server is replaced: later runs still get a process
                self._servers[self._servers.index(server)] = server = _Server()
            self._idle.put(server)
        return CliRun(code, _read(stdout), _read(stderr))


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.is_file() else ""


# --- the server --------------------------------------------------------------------------------------


def _child(request: dict[str, Any]) -> int:
    """In the forked child: the CLI, its output in the request's files (file descriptors too: the SDK's own writes)."""
    os.environ.clear()
    os.environ.update(request["env"])
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - the process ends after this run
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    from mlplat.tooling.cli import main

    try:
        return main(request["argv"])
    except SystemExit as exc:  # argparse exits
        return exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # a bug: the traceback is the layer's message
        traceback.print_exc()
        return _CRASHED
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def serve(requests: IO[str], answers: IO[str]) -> None:
    """Import the CLI, then fork a child per request line and answer its exit code, one request at a time."""
    import mlplat.tooling.cli  # noqa: F401 - the point of the server: imported once, shared by every child

    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _child(request)
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        answers.write(json.dumps({"exit_code": code if code >= 0 else 128 - code}) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve(sys.stdin, sys.stdout)
