"""Check the direction of imports on the installed layout: `python tools/check_layers.py [ROOT]`.

components/ and policies/ sit at the repository's top and install as mlplat.components and
mlplat.policies (pyproject's package-dir), which import-linter cannot follow; so this assembles the
installed tree under ROOT/build/layers from pyproject's mapping and runs lint-imports on it with the
contracts of ROOT/pyproject.toml. Exits with lint-imports' status.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path


def assemble(root: Path) -> Path:
    """The installed layout of `root`'s packages, as a directory to put on sys.path."""
    setuptools = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping: dict[str, str] = setuptools.get("package-dir", {})
    target = root / "build" / "layers"
    shutil.rmtree(target, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in sorted(p for p in setuptools["packages"] if "." not in p):
        shutil.copytree(root / mapping.get(package, package), target / package, ignore=ignore)
    for package, folder in sorted(mapping.items(), key=lambda item: item[0].count(".")):
        if "." in package:
            destination = target.joinpath(*package.split("."))
            shutil.rmtree(destination, ignore_errors=True)
            shutil.copytree(root / folder, destination, ignore=ignore)
    return target


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else Path(__file__).resolve().parent.parent).resolve()
    tree = assemble(root)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tree), str(Path(__file__).resolve().parent)]))
    lint = Path(sys.executable).with_name("lint-imports")
    command = [str(lint), "--no-cache", "--config", str(root / "pyproject.toml")]
    return subprocess.run(command, cwd=tree, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
