"""Who is to blame when a plan stops: the user's program, a package it lacks, or the runner.

`explain(error, project_dir)` turns an exception that escaped `run_stack` into one message a user can
act on, without the runner's internals:

- the program raised (its own code, or an SDK call it made with wrong values): the program's own
  frames (file relative to the project, line, code) and the exception;
- the program imports a module that is not installed: the module, where, and the install hint;
- the runner failed with no frame of the program involved: a bug of mlplat, said so, with the
  full trace to put in a report.
"""

from __future__ import annotations

import importlib.util
import os
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Optional

import mlplat
import mlplat.components
import mlplat.policies

__all__ = ["Failure", "explain", "install_hint"]

_MLPLAT_DIRS = tuple(
    str(Path(module.__file__).resolve().parent) + os.sep for module in (mlplat, mlplat.components, mlplat.policies)
)
# Where a plan starts: in every traceback, not a sign of where it failed.
_ENTRY_POINTS = tuple(str(Path(mlplat.__file__).resolve().parent / "tooling" / name) for name in ("offline.py", "cli.py"))
_VENDORED = ("site-packages", "dist-packages", f"{os.sep}.venv{os.sep}", f"{os.sep}venv{os.sep}")

# Import names whose distribution is named otherwise (the rest: `pulumi_gcp` -> `pulumi-gcp`).
_DISTRIBUTIONS = {
    "yaml": "PyYAML", "PIL": "Pillow", "sklearn": "scikit-learn", "cv2": "opencv-python", "dateutil": "python-dateutil",
    "jwt": "PyJWT", "dotenv": "python-dotenv", "Crypto": "pycryptodome", "bs4": "beautifulsoup4", "attr": "attrs",
}  # fmt: skip


@dataclass(frozen=True)
class Failure:
    """What to tell the user: `kind` is "program", "missing-package" or "runner"."""

    kind: str
    message: str

    @property
    def is_runner_bug(self) -> bool:
        return self.kind == "runner"


def explain(error: BaseException, project_dir: Path) -> Failure:
    """The message for an exception a program's plan raised (see the module docstring)."""
    root = str(Path(project_dir).resolve()) + os.sep
    missing = _missing_module(error)
    if missing is not None:
        module, frame = missing
        where = f" ({_relative(frame.filename, root)}, line {frame.lineno})" if frame is not None and _is_program(frame.filename, root) else ""
        return Failure("missing-package", f"the program imports `{module}`{where}, which is not installed in this "
                                          f"environment: {install_hint(module, Path(project_dir))}")
    chain = _chain(error)
    frames = [(exc, f) for exc in chain for f in _frames(exc.__traceback__) if _is_program(f.filename, root)]
    if frames:
        culprit = frames[0][0]
        own = [f for exc, f in frames if exc is culprit]
        lines = ["the program raised an error (traceback of its own code, most recent call last):"]
        for frame in own:
            lines.append(f'  File "{_relative(frame.filename, root)}", line {frame.lineno}, in {frame.name}')
            if frame.line:
                lines.append(f"    {frame.line.strip()}")
        lines.append(_exception_line(culprit))
        return Failure("program", "\n".join(lines))
    if any(_is_mlplat(f.filename) for exc in chain for f in _frames(exc.__traceback__)):
        trace = "".join(traceback.format_exception(error)).rstrip()
        return Failure("runner", "internal error in mlplat's offline runner (a bug of mlplat, not of your program); "
                                 "please report it with the trace below and, if you can, the program:\n" + trace)
    # Raised inside the Pulumi SDK or a provider SDK, from no frame of the program's (a resource
    # registration or an Output the SDK resolves for it): the program's values, not the runner.
    return Failure("program", "the program failed inside the Pulumi SDK:\n" + _exception_line(error))


def install_hint(module: str, project_dir: Optional[Path] = None) -> str:
    """`pip install pulumi-gcp` (and the project's requirements file when it has one)."""
    top = module.split(".", 1)[0]
    distribution = _DISTRIBUTIONS.get(top, top.replace("_", "-"))
    hint = f"pip install {distribution}"
    if project_dir is not None and (Path(project_dir) / "requirements.txt").is_file():
        hint += " (or pip install -r requirements.txt in the project's virtualenv)"
    return hint


def _missing_module(error: BaseException) -> Optional[tuple[str, Optional[traceback.FrameSummary]]]:
    for exc in _chain(error):
        if isinstance(exc, ModuleNotFoundError) and exc.name:
            top = exc.name.split(".", 1)[0]
            if _importable(top) and top != exc.name:
                continue  # a submodule the package does not have: the program's mistake, not a missing package
            frames = _frames(exc.__traceback__)
            caller = next((f for f in reversed(frames) if not f.filename.startswith("<frozen")), None)
            return exc.name, caller
    return None


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _chain(error: BaseException) -> list[BaseException]:
    """The exception and those it was raised from or while handling, outermost first."""
    chain: list[BaseException] = []
    current: Optional[BaseException] = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return chain


def _frames(tb: Optional[TracebackType]) -> list[traceback.FrameSummary]:
    return list(traceback.extract_tb(tb)) if tb is not None else []


def _is_mlplat(filename: str) -> bool:
    """A frame of mlplat's own code below the entry point (the runner, its fakes, the components)."""
    return filename.startswith(_MLPLAT_DIRS) and not filename.startswith(_ENTRY_POINTS)


def _is_program(filename: str, root: str) -> bool:
    if filename.startswith("<"):  # `<frozen runpy>`, `<string>`: the interpreter's, not a file of the project
        return False
    try:
        resolved = str(Path(filename).resolve())
    except (OSError, ValueError):
        return False
    return resolved.startswith(root) and not any(part in resolved[len(root) - 1:] for part in _VENDORED)


def _relative(filename: str, root: str) -> str:
    resolved = str(Path(filename).resolve())
    return resolved[len(root):] if resolved.startswith(root) else filename


def _exception_line(error: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(error), error)).strip()
