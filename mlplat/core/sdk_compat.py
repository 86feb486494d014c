"""The SDK internals the bottom layer relies on, and the SDK versions mlplat is tested with.

The Pulumi SDKs publish no way to do three things components and policies need:

- find the provider SDK class of a type token: the resource-module registry that every provider
  package fills on import (`pulumi.runtime.rpc.get_resource_module` and its table);
- list the inputs a resource type accepts: the public `__init__` of a generated resource class is
  overloaded (`*args, **kwargs`); its generated `_internal_init` names every input;
- tell a value unknown during preview from a rule's own error: `pulumi_policy`'s property proxy
  raises `UnknownValueError`, from a module the package does not export (looked up when the pack
  imports it, so that components never load pulumi_policy).

They sit here, and only here in the layers that `mlplat.tooling` builds on (the runtime and analyzer
internals of the tooling are in `mlplat.tooling.pulumi_compat`, which shares the version table below).
A missing internal raises `PlatformError` naming the installed SDK version and the tested range
rather than planning wrongly (a resource whose inputs cannot be listed would silently lose its tags).

`TESTED_MINOR_VERSIONS` are the minor versions the suite runs against (constraints.txt pins them and
pyproject.toml allows no other minor version; a test keeps the three in step).
"""

from __future__ import annotations

import functools
import importlib.metadata
import inspect
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from pulumi.runtime import rpc

from .errors import PlatformError

if TYPE_CHECKING:
    from pulumi_policy.proxy import UnknownValueError

__all__ = [
    "TESTED_MINOR_VERSIONS",
    "SdkVersion",
    "UnknownValueError",
    "installed_version",
    "registered_modules",
    "module_classes",
    "resource_input_signature",
    "sdk_version",
]

TESTED_MINOR_VERSIONS: dict[str, tuple[int, int]] = {
    "pulumi": (3, 272),
    "pulumi-policy": (1, 21),
}


@dataclass(frozen=True)
class SdkVersion:
    """An SDK distribution's installed version against the minor version mlplat is tested with."""

    distribution: str
    installed: Optional[str]  # None: not installed
    tested_minor: tuple[int, int]

    @property
    def tested(self) -> bool:
        return self.installed is not None and _minor(self.installed) == self.tested_minor

    @property
    def tested_range(self) -> str:
        """The requirement specifier of the tested minor version (`>=3.272,<3.273`)."""
        major, minor = self.tested_minor
        return f">={major}.{minor},<{major}.{minor + 1}"

    def describe(self) -> str:
        """`pulumi 3.280.0 is installed; mlplat is tested with pulumi>=3.272,<3.273`."""
        installed = f"{self.distribution} {self.installed} is installed" if self.installed else f"{self.distribution} is not installed"
        return f"{installed}; mlplat is tested with {self.distribution}{self.tested_range}"


def installed_version(distribution: str) -> Optional[str]:
    """The installed version of a distribution (None when it is not installed); the one lookup."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=None)
def sdk_version(distribution: str) -> SdkVersion:
    """`distribution`'s installed version against the tested one, looked up once per process."""
    return SdkVersion(distribution, installed_version(distribution), TESTED_MINOR_VERSIONS[distribution])


def __getattr__(name: str) -> Any:
    """`UnknownValueError`, looked up when the pack first imports it (components never need it)."""
    if name == "UnknownValueError":
        try:
            from pulumi_policy.proxy import UnknownValueError
        except ImportError:
            raise _missing("pulumi_policy.proxy.UnknownValueError", "pulumi-policy") from None
        return UnknownValueError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _minor(version: str) -> Optional[tuple[int, int]]:
    match = re.match(r"(\d+)\.(\d+)", version)
    return (int(match[1]), int(match[2])) if match else None


def _missing(what: str, distribution: str) -> PlatformError:
    version = sdk_version(distribution)
    return PlatformError(
        f"{what} is missing from the installed SDK: {version.describe()} (pip install '{distribution}{version.tested_range}')"
    )


# --- the resource-module registry ----------------------------------------------------------------


def registered_modules(package: str) -> list[str]:
    """Names of the resource modules a provider package registered (`s3/bucket`, `apps/v1`, ...)."""
    try:
        table: dict[str, Any] = rpc._RESOURCE_MODULES
    except AttributeError:
        raise _missing("pulumi.runtime.rpc's resource-module table", "pulumi") from None
    prefix = f"{package}:"
    return sorted(key[len(prefix):] for key in list(table) if key.startswith(prefix))


def module_classes(package: str, module: str) -> dict[str, tuple[str, str]]:
    """{type token: (Python module, class name)} of a registered resource module; empty when the
    package did not register it (its SDK is not installed or not imported)."""
    try:
        lookup = rpc.get_resource_module
    except AttributeError:
        raise _missing("pulumi.runtime.rpc.get_resource_module", "pulumi") from None
    registered = lookup(package, module, "")
    info = getattr(registered, "mod_info", None)  # what the generated provider SDKs register
    if not info:
        return {}
    return {token: (info["fqn"], name) for token, name in info.get("classes", {}).items()}


def resource_input_signature(cls: type) -> inspect.Signature:
    """The signature listing every input of a generated resource class (`_internal_init`)."""
    init = getattr(cls, "_internal_init", None)
    if init is None:
        distribution = cls.__module__.split(".")[0].replace("_", "-")
        version = installed_version(distribution) or "unknown"
        raise PlatformError(
            f"{cls.__module__}.{cls.__qualname__} has no _internal_init (the generated constructor mlplat reads a "
            f"type's inputs from); {distribution} {version} generates its classes differently from the versions "
            "mlplat is tested with (constraints.txt)"
        )
    return inspect.signature(init)
