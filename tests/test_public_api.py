"""Every public module of mlplat says what it exports (`__all__`), and exports only what it has."""

from __future__ import annotations

import importlib
import pkgutil

import pytest


# components/ and policies/ are mapped into the namespace (an editable install does not nest them): walk each.
ROOTS = ("mlplat", "mlplat.components", "mlplat.policies")


def public_modules() -> list[str]:
    names = set(ROOTS)
    for root in ROOTS:
        package = importlib.import_module(root)
        for info in pkgutil.walk_packages(package.__path__, f"{root}."):
            # Private modules, and everything inside a private package, answer to their own package only.
            if not any(part.startswith("_") for part in info.name.split(".")[1:]):
                names.add(info.name)
    return sorted(names)


def test_the_walk_sees_the_mapped_packages() -> None:
    modules = public_modules()
    assert {"mlplat.components.artifact_store", "mlplat.policies.pack", "mlplat.core.errors"} <= set(modules)


@pytest.mark.parametrize("name", public_modules())
def test_public_module_declares_what_it_exports(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert isinstance(exported, (list, tuple)), f"{name} has no __all__"
    missing = [item for item in exported if not hasattr(module, item)]
    assert not missing, f"{name}.__all__ names what it does not have: {missing}"
    assert len(set(exported)) == len(exported), f"{name}.__all__ lists a name twice"
