"""The SDKs' private APIs are used in the compatibility modules only.

Every use of an internal of the Pulumi SDK, pulumi_policy or a provider SDK sits in
`mlplat/tooling/pulumi_compat.py` (runtime, analyzer) or `mlplat/core/sdk_compat.py` (what the
layers below tooling need): one place to adapt, and tied to the tested versions. This test reads
the sources (imports and attribute chains, by their AST) and lists every other use.

Private means: a module or name the SDK does not export (`pulumi.runtime` and `pulumi_policy`
publish their `__all__`; other submodules of `pulumi.runtime`, such as `rpc`, `mocks`, `settings`,
and of `pulumi_policy` are internal), any `_`-prefixed name of an SDK package, and the internals
below that are reached through objects rather than modules (`cls._internal_init`,
`servicer._callbacks`).
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import Iterator

import pulumi
import pulumi.runtime
import pulumi_policy
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("mlplat", "components", "policies", "stacks", "bench")
COMPAT_MODULES = {"mlplat/tooling/pulumi_compat.py", "mlplat/core/sdk_compat.py"}

# The engine's gRPC messages (`pulumi.runtime.proto`) are the protocol engine and plugins speak,
# kept compatible by the engine across versions; the Python names around them are not.
PUBLIC_RUNTIME = (set(pulumi.runtime.__all__) - {"rpc"}) | {"proto"}
PUBLIC_POLICY = set(pulumi_policy.__all__)
PUBLIC_PULUMI_SUBMODULES = {"log", "dynamic", "provider", "automation", "runtime"}

# Internals reached through objects, whatever the variable holding them is called.
PRIVATE_ATTRIBUTES = {
    "_internal_init",  # generated provider resource classes: the constructor listing every input
    "mod_info",  # generated provider SDKs' resource-module registrations
    "_RESOURCE_MODULES", "_special_sig_key", "_special_secret_sig",  # pulumi.runtime.rpc
    "_sync_await", "_ensure_event_loop",  # pulumi.runtime.sync_await
    "_CallbackServicer", "_servicers", "_callbacks",  # pulumi.runtime._callbacks
    "ResourceRegistration", "rpc_manager",  # the mock monitor's table, the run settings
    "_PolicyAnalyzerServicer", "_NotApplicableError", "_configure_runtime_settings", "_get_enforcement_level",
    "_create_report_violation", "_get_resource_options", "_get_provider_resource", "_get_policy_config",
    "_map_enforcement_level",  # pulumi_policy.policy
}
MANGLED_PREFIX = "_PolicyAnalyzerServicer__"


def _is_sdk(top_level: str) -> bool:
    return top_level == "pulumi" or top_level.startswith("pulumi_")


def private_sdk_path(dotted: str) -> bool:
    """True when `dotted` (`pulumi.runtime.rpc.UNKNOWN`) names something an SDK does not publish."""
    parts = dotted.split(".")
    if not _is_sdk(parts[0]):
        return False
    if any(p.startswith("_") and not p.startswith("__") for p in parts[1:]):
        return True
    if parts[:2] == ["pulumi", "runtime"] and len(parts) > 2:
        return parts[2] not in PUBLIC_RUNTIME
    if parts[0] == "pulumi_policy" and len(parts) > 1:
        return parts[1] not in PUBLIC_POLICY
    if parts[0] == "pulumi" and len(parts) > 1 and parts[1] not in pulumi.__all__:
        return parts[1] not in PUBLIC_PULUMI_SUBMODULES and importlib.util.find_spec(f"pulumi.{parts[1]}") is not None
    return False


def _private_attribute(name: str) -> bool:
    return name in PRIVATE_ATTRIBUTES or name.startswith(MANGLED_PREFIX)


def _chain(node: ast.Attribute) -> list[str] | None:
    names = [node.attr]
    value = node.value
    while isinstance(value, ast.Attribute):
        names.append(value.attr)
        value = value.value
    if not isinstance(value, ast.Name):
        return None
    return [value.id, *reversed(names)]


def private_uses(source: str) -> Iterator[tuple[int, str]]:
    """(line, what) for every use of an SDK internal in `source`."""
    tree = ast.parse(source)
    bound: dict[str, str] = {}  # local name -> the SDK module or object it was imported as
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if private_sdk_path(alias.name):
                    yield node.lineno, f"import {alias.name}"
                bound[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                dotted = f"{node.module}.{alias.name}"
                if private_sdk_path(dotted) or (_is_sdk(node.module.split(".")[0]) and _private_attribute(alias.name)):
                    yield node.lineno, f"from {node.module} import {alias.name}"
                bound[alias.asname or alias.name] = dotted
    inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if _private_attribute(node.attr):
                yield node.lineno, f".{node.attr}"
            elif id(node) not in inner:
                chain = _chain(node)
                if chain and chain[0] in bound:
                    dotted = ".".join([bound[chain[0]], *chain[1:]])
                    if private_sdk_path(dotted):
                        yield node.lineno, dotted
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _private_attribute(node.value):
            yield node.lineno, repr(node.value)  # getattr(cls, "_internal_init")


def _sources() -> list[Path]:
    files = [ROOT / "__main__.py"]
    for folder in SCANNED:
        files.extend(sorted((ROOT / folder).rglob("*.py")))
    return [f for f in files if ".venv" not in f.parts]


# --- the scanner finds what it is meant to find -------------------------------------------------------

PRIVATE_SNIPPETS = [
    "from pulumi.runtime.sync_await import _sync_await",
    "from pulumi.runtime.mocks import MockMonitor",
    "from pulumi.runtime.mocks import Mocks",  # public, but only from pulumi.runtime
    "from pulumi.runtime import rpc",
    "from pulumi.runtime.rpc import UNKNOWN",
    "import pulumi.runtime.settings",
    "import pulumi\npulumi.runtime.settings.SETTINGS.outputs.clear()",
    "import pulumi\nx = pulumi.output.Unknown",
    "from pulumi_policy.policy import _PolicyAnalyzerServicer",
    "from pulumi_policy.proxy import UnknownValueError",
    "import pulumi_policy.policy as servicer_module",
    "import pulumi_aws as aws\naws._utilities.get_version()",
    "signature = inspect.signature(cls._internal_init)",
    "init = getattr(cls, '_internal_init', None)",
    "policies = self._PolicyAnalyzerServicer__policies",
    "for servicer in list(servicers_class._servicers): pass",
]
PUBLIC_SNIPPETS = [
    "from pulumi.runtime import Mocks, MockResourceArgs, set_mocks, run_in_stack, set_all_config",
    "import pulumi\npulumi.runtime.register_resource_transform(f)\npulumi.runtime.get_config('aws:region')",
    "import pulumi\npulumi.log.info('x')\npulumi.Output.from_input(1)\npulumi.UNKNOWN",
    "from pulumi.runtime.proto import analyzer_pb2",
    "from pulumi_policy import PolicyPack, ResourceValidationPolicy",
    "import pulumi_aws as aws\naws.s3.Bucket('b')",
    "from mlplat.tooling.pulumi_compat import UNKNOWN, deserialize_properties\nfrom ._monitor import RecordingMonitor",
    "self._lock = None\nself._parents = {}",
]


@pytest.mark.parametrize("source", PRIVATE_SNIPPETS)
def test_the_scanner_flags_a_private_use(source: str):
    assert list(private_uses(source)), source


@pytest.mark.parametrize("source", PUBLIC_SNIPPETS)
def test_the_scanner_passes_public_api(source: str):
    assert list(private_uses(source)) == []


def test_the_compatibility_modules_hold_the_internals():
    """They are where the scanner finds them: the allow-list is what keeps the build green."""
    for relative in COMPAT_MODULES:
        assert list(private_uses((ROOT / relative).read_text())), relative


# --- the repository ---------------------------------------------------------------------------------


def test_no_sdk_internals_outside_the_compatibility_modules():
    sources = _sources()
    assert {p.relative_to(ROOT).parts[0] for p in sources} >= set(SCANNED)  # every folder was read
    found = []
    for path in sources:
        relative = path.relative_to(ROOT).as_posix()
        if relative in COMPAT_MODULES:
            continue
        for line, what in private_uses(path.read_text()):
            found.append(f"{relative}:{line}: {what}")
    assert not found, (
        "SDK internals used outside mlplat/tooling/pulumi_compat.py and mlplat/core/sdk_compat.py "
        "(add a small function there and call it):\n" + "\n".join(found)
    )
