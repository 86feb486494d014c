"""The import layers hold, and `make lint` (tools/check_layers.py) fails on an import against them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def check_layers(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "tools" / "check_layers.py"), str(root)],
        capture_output=True, text=True, check=False, timeout=300,
    )


@pytest.fixture
def copy_of_packages(tmp_path: Path) -> Path:
    for folder in ("mlplat", "components", "policies"):
        shutil.copytree(REPO / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_repository_keeps_its_layers(copy_of_packages: Path) -> None:
    result = check_layers(copy_of_packages)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_a_component_importing_the_tooling_breaks_the_layers(copy_of_packages: Path) -> None:
    module = copy_of_packages / "components" / "encryption.py"
    module.write_text(module.read_text() + "\nfrom mlplat.tooling import plan as _plan  # against the layers\n")
    result = check_layers(copy_of_packages)
    assert result.returncode != 0
    assert "mlplat.components.encryption -> mlplat.tooling.plan" in result.stdout


def test_a_policy_importing_a_component_breaks_the_layers(copy_of_packages: Path) -> None:
    module = copy_of_packages / "policies" / "pack.py"
    module.write_text(module.read_text() + "\nimport mlplat.components.network  # against the layers\n")
    result = check_layers(copy_of_packages)
    assert result.returncode != 0
    assert "mlplat.policies.pack -> mlplat.components.network" in result.stdout


def test_importing_another_package_s_private_module_is_refused(copy_of_packages: Path) -> None:
    module = copy_of_packages / "mlplat" / "tooling" / "lineage.py"
    module.write_text(module.read_text() + "\nfrom mlplat.components import _iam  # a private module\n")
    result = check_layers(copy_of_packages)
    assert result.returncode != 0
    assert "imports mlplat.components._iam, a private module of mlplat.components" in " ".join(result.stdout.split())
