"""Every internal of the Pulumi SDK and pulumi_policy that mlplat's tooling relies on, in one place.

The offline runner and the policy runner do what neither SDK publishes an API for:

- run a program against a monitor of our own: the SDK's process-wide run settings (`SETTINGS`,
  the root-resource context variable, `MockSettings`), the stock mock monitor and engine as base
  classes, the per-thread event loop and `_sync_await` of the SDK's synchronous paths, its property
  (de)serialisation with unknowns and secret envelopes;
- run resource transforms as the engine does: through the callback server the program registered
  them with (`_CallbackServicer`);
- drive the policy pack's analyzer servicer (`_PolicyAnalyzerServicer`, what `PolicyPack(...)`
  serves to the engine) with the engine's messages, and do its repeated pure work once (the
  analyzer shortcuts: module globals of `pulumi_policy.policy`, the servicer's private members).

Nothing else in mlplat touches them (a test greps the sources); the bottom layer's few (the
resource-module registry, generated `_internal_init`, `UnknownValueError`) are in
`mlplat.core.sdk_compat`, with the table of tested versions this module checks against.

Versions. These internals change without notice between minor releases, so their use is tied to the
minor versions the suite runs against (`TESTED_MINOR_VERSIONS`), looked up once per process:

- the offline runner (`require_tested_runtime`) refuses an untested pulumi with a `PlatformError`
  naming the installed version and the tested range: there is no other faithful way to run a
  program offline, and a plan from a runtime that moved underneath would be silently wrong;
- the analyzer shortcuts (`analyzer_shortcuts_available`) are left out with an untested
  pulumi-policy, after a one-line warning: `evaluate` then drives the unmodified servicer as with
  `shortcuts=False` (same report, slower). That servicer is upstream's own code driven through its
  gRPC methods, as the engine drives it; only its construction is internal, and if that fails
  (`analyzer_servicer`) the error names the version.

Apart from the engine's unknown sentinel, no internal is touched when this module is imported:
each is looked up where it is used, after the version check, so an SDK that moved one fails with
the message above, not an ImportError.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from inspect import isawaitable
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Optional

import pulumi
from pulumi.runtime import rpc, set_mocks

from mlplat.core import sdk_compat
from mlplat.core.errors import PlatformError
from mlplat.core.sdk_compat import TESTED_MINOR_VERSIONS, SdkVersion

if TYPE_CHECKING:
    from google.protobuf import struct_pb2
    from pulumi.runtime.mocks import MockEngine, MockMonitor

__all__ = [
    "TESTED_MINOR_VERSIONS",
    "UNKNOWN",
    "MockEngine",
    "MockMonitor",
    "SharingServicer",
    "analyzer_servicer",
    "analyzer_shortcuts_available",
    "configure_mock_run",
    "deserialize_properties",
    "forget_root_resource",
    "is_secret_envelope",
    "is_unknown_value",
    "record_resource_state",
    "recorded_state",
    "recorded_urns",
    "remediates",
    "require_tested_runtime",
    "reset_version_checks",
    "output_is_secret",
    "failed_rpc_traceback",
    "output_type_properties",
    "output_type_property_docs",
    "is_output_type",
    "secret_envelope",
    "serialize_properties",
    "shared_pure_work",
    "struct_to_dict",
    "thread_event_loop",
    "transform_callback",
    "use_stock_mocks",
]

_log = logging.getLogger("mlplat")
_warned: set[str] = set()

# --- versions ------------------------------------------------------------------------------------


def require_tested_runtime(feature: str = "the offline runner") -> None:
    """Raise `PlatformError` unless the installed pulumi is the minor version mlplat is tested with."""
    version = sdk_compat.sdk_version("pulumi")
    if not version.tested:
        raise PlatformError(
            f"{feature} relies on internals of the Pulumi SDK that change between minor versions: {version.describe()} "
            f"(pip install '{version.distribution}{version.tested_range}')"
        )


def analyzer_shortcuts_available() -> bool:
    """True with the tested pulumi-policy; otherwise False, after a one-line warning (once)."""
    version = sdk_compat.sdk_version("pulumi-policy")
    if version.tested:
        return True
    _warn_once(
        "analyzer-shortcuts",
        f"mlplat: {version.describe()}; the policy runner drives the unmodified analyzer instead of its "
        "shortcuts (as evaluate(..., shortcuts=False): the same report, more slowly)",
    )
    return False


def reset_version_checks() -> None:
    """Look the versions up again and warn again (for tests that change what the lookup says)."""
    sdk_compat.sdk_version.cache_clear()
    _warned.clear()


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        _log.warning(message)


def _untested_analyzer(error: Exception) -> PlatformError:
    version: SdkVersion = sdk_compat.sdk_version("pulumi-policy")
    return PlatformError(
        f"the policy runner cannot build pulumi_policy's analyzer servicer ({type(error).__name__}: {error}): "
        f"{version.describe()} (pip install '{version.distribution}{version.tested_range}')"
    )


# --- the runtime: settings, monitor, event loops, serialisation ------------------------------------

UNKNOWN: str = rpc.UNKNOWN  # the engine's sentinel for a value unknown during preview
_UNKNOWN_VALUE_TYPE = type(pulumi.UNKNOWN)  # what deserialisation keeping unknowns yields


def __getattr__(name: str) -> Any:
    """The stock mock monitor and engine (base classes of the offline runner's), looked up on use."""
    if name in ("MockMonitor", "MockEngine"):
        from pulumi.runtime import mocks

        return getattr(mocks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def configure_mock_run(monitor: Any, engine: Any, *, project: str, stack: str, preview: bool) -> None:
    """Point the SDK's process-wide run settings at `monitor` and `engine`, as `set_mocks` does,
    but with no root stack registered (the program's `run_in_stack` registers it) and nothing left
    over from an earlier run (pending RPCs, outputs)."""
    from google.protobuf import empty_pb2
    from pulumi.runtime import configure
    from pulumi.runtime.mocks import MockSettings
    from pulumi.runtime.settings import ROOT, SETTINGS

    ROOT.set(None)
    features = set(monitor.GetDeploymentInfo(empty_pb2.Empty()).supportedFeatures)
    configure(
        MockSettings(
            monitor=monitor,
            monitor_features=features,
            engine=engine,
            project=project,
            stack=stack,
            dry_run=preview,
            organization="organization",
            callbacks=None,
        )
    )
    SETTINGS.rpc_manager.clear()
    SETTINGS.outputs.clear()


class _NotYetRoot:
    """Stands in as the root resource while `set_mocks` runs, so that it registers no stack."""


def use_stock_mocks(mocks: pulumi.runtime.Mocks, monitor: Any, *, project: str, stack: str, logger: logging.Logger) -> None:
    """`pulumi.runtime.set_mocks` with `monitor`, but without the root stack it registers: the
    program's `run_in_stack` then registers the one root stack, as under the offline runner."""
    from pulumi.runtime.settings import ROOT, SETTINGS

    SETTINGS.outputs.clear()
    ROOT.set(_NotYetRoot())  # type: ignore[arg-type]
    set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor, logger=logger)
    ROOT.set(None)


def forget_root_resource() -> None:
    """Clear the SDK's root resource (the process-wide stack of the last run)."""
    from pulumi.runtime.settings import ROOT

    ROOT.set(None)


def thread_event_loop() -> asyncio.AbstractEventLoop:
    """The event loop the SDK uses on the calling thread (created on first use, as the SDK does)."""
    from pulumi.runtime.sync_await import _ensure_event_loop

    return _ensure_event_loop()


def serialize_properties(values: Mapping[str, Any]) -> struct_pb2.Struct:
    """`values` as the Struct a monitor answers a registration with (runs the SDK's coroutine)."""
    from pulumi.runtime.sync_await import _sync_await

    return _sync_await(rpc.serialize_properties(values, {}))


def deserialize_properties(struct: Any) -> Any:
    """A Struct the SDK sent, as Python values: unknowns kept (`is_unknown_value`), secrets kept as
    envelopes (`is_secret_envelope`), internal keys dropped, resource references as their URN."""
    if _has_resource_reference(struct):
        copied = type(struct)()
        copied.CopyFrom(struct)
        _references_to_urns(copied)
        struct = copied
    return rpc.deserialize_properties(struct, keep_unknowns=True, keep_internal=False)


def _is_resource_reference(struct: Any) -> bool:
    sig = struct.fields.get(rpc._special_sig_key)
    return sig is not None and sig.string_value == rpc._special_resource_sig


def _has_resource_reference(struct: Any) -> bool:
    if _is_resource_reference(struct):
        return True
    return any(_value_has_reference(value) for value in struct.fields.values())


def _value_has_reference(value: Any) -> bool:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return _has_resource_reference(value.struct_value)
    if kind == "list_value":
        return any(_value_has_reference(item) for item in value.list_value.values)
    return False


def _references_to_urns(struct: Any) -> None:
    """Replace resource references by their URN in place. Deserialising one would rebuild the
    resource (a component's outputs naming its children: a v3 Chart's `resources`) on the monitor's
    thread, outside the program's event loop, where the SDK cannot construct it."""
    for value in list(struct.fields.values()):
        _value_references_to_urns(value)


def _value_references_to_urns(value: Any) -> None:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        if _is_resource_reference(value.struct_value):
            value.string_value = value.struct_value.fields["urn"].string_value
        else:
            _references_to_urns(value.struct_value)
    elif kind == "list_value":
        for item in value.list_value.values:
            _value_references_to_urns(item)


def is_secret_envelope(value: Mapping[str, Any]) -> bool:
    """True for the SDK's wrapping of a secret value (the value is under "value")."""
    return value.get(rpc._special_sig_key) == rpc._special_secret_sig


def secret_envelope(value: Any) -> dict[str, Any]:
    """`value` wrapped as the engine sends a secret (the SDK resolves it to a secret Output)."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def output_is_secret(output: pulumi.Output[Any]) -> bool:
    """Whether a resolved Output is secret (its data future is done when its `apply` callbacks run)."""
    data = getattr(output, "_data", None)
    return bool(data is not None and data.done() and not data.cancelled() and data.exception() is None
                and data.result().is_secret)


def is_unknown_value(value: Any) -> bool:
    """True for a value the SDK does not know yet (inside an Output during preview, or kept by
    `deserialize_properties`)."""
    return isinstance(value, _UNKNOWN_VALUE_TYPE)


def transform_callback(token: str) -> Optional[Callable[[bytes], Any]]:
    """The resource transform a program registered under `token` with the SDK's callback server, as
    a blocking call (serialised TransformRequest -> TransformResponse) run on the server's event
    loop; None when no callback server holds it."""
    from pulumi.runtime._callbacks import _CallbackServicer

    for servicer in list(_CallbackServicer._servicers):
        function = servicer._callbacks.get(token)
        if function is None:
            continue
        loop = servicer._loop

        def call(request: bytes, function: Any = function, loop: asyncio.AbstractEventLoop = loop) -> Any:
            return asyncio.run_coroutine_threadsafe(function(request), loop).result()

        return call
    return None


def record_resource_state(monitor: Any, urn: str, resource_id: str, state: dict[str, Any]) -> None:
    """Make the stock monitor answer reads of `urn` (`get`, ReadResource) with `state`."""
    from pulumi.runtime.mocks import MockMonitor

    monitor.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id, state)


def recorded_state(monitor: Any, urn: str) -> dict[str, Any]:
    """The state the stock monitor holds for `urn`."""
    return dict(monitor.resources[urn].state)


def recorded_urns(monitor: Any) -> list[str]:
    """The URNs the stock monitor registered, in registration order."""
    return list(monitor.resources)


def failed_rpc_traceback(error: BaseException) -> Any:
    """The traceback `error` had where it was raised, when it failed one of the SDK's RPCs (a
    registration, an Output the SDK resolved): the SDK re-raises such errors from its final wait,
    which leaves only its own frames on them; its RPC manager kept the original. None otherwise."""
    from pulumi.runtime.settings import SETTINGS

    manager = SETTINGS.rpc_manager
    if getattr(manager, "unhandled_exception", None) is error:
        return getattr(manager, "exception_traceback", None)
    return None


# --- the provider SDKs' type information ----------------------------------------------------------


def is_output_type(cls: Any) -> bool:
    """True for a class marked `@pulumi.output_type` (a provider SDK's nested output or invoke result)."""
    from pulumi import _types

    return isinstance(cls, type) and _types.is_output_type(cls)


def output_type_properties(cls: type) -> tuple[tuple[str, Any], ...]:
    """(engine name, return annotation) of every `@pulumi.getter` property of a resource class or an
    output type, base classes first: the names the engine's state uses, the types the SDK declares."""
    from pulumi import _types

    return tuple(
        (pulumi_name, prop.fget.__annotations__.get("return")) for _, pulumi_name, prop in _types._py_properties(cls)
    )


def output_type_property_docs(cls: type) -> dict[str, str]:
    """Engine name -> docstring of every `@pulumi.getter` property of an output type (the provider's
    documentation of the field: what it is, the default it takes)."""
    from pulumi import _types

    return {pulumi_name: prop.__doc__ or "" for _, pulumi_name, prop in _types._py_properties(cls)}


# --- the policy pack's analyzer ------------------------------------------------------------------


def analyzer_servicer(
    name: str, version: str, policies: list[Any], enforcement_level: Any, description: str, *, shortcuts: bool = False
) -> Any:
    """The analyzer servicer `PolicyPack(name, policies, ...)` would serve to the engine; with
    `shortcuts`, wrapped in `SharingServicer` (call `analyzer_shortcuts_available()` first)."""
    try:
        from pulumi_policy.policy import _PolicyAnalyzerServicer

        servicer = _PolicyAnalyzerServicer(name, version, policies, enforcement_level, None, description)
    except (ImportError, AttributeError, TypeError) as exc:
        raise _untested_analyzer(exc) from exc
    return SharingServicer(servicer) if shortcuts else servicer


def remediates(servicer: Any) -> bool:
    """Whether Remediate can change anything: always for the unmodified servicer (the engine calls
    it for every resource); for `SharingServicer`, only with a policy at the remediate level."""
    return not isinstance(servicer, SharingServicer) or servicer.has_remediate_level()


def _once_per_argument(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn(value)` computed once per argument object (kept alive, so its id stays unique); calls
    with further arguments are passed through."""
    results: dict[int, tuple[Any, Any]] = {}

    def once(value: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return fn(value, *args, **kwargs)
        hit = results.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        result = fn(value)
        results[id(value)] = (value, result)
        return result

    return once


def _once_per_content(fn: Callable[[Any], Any], with_options: Callable[..., Any]) -> Callable[..., Any]:
    """`fn(message)` computed once per message content (type and serialised bytes): equal messages
    (a resource's properties in Analyze and AnalyzeStack, the provider each request carries a copy
    of) share one result. Calls with further arguments go to `with_options`."""
    results: dict[tuple[str, bytes], Any] = {}

    def once(message: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return with_options(message, *args, **kwargs)
        key = (message.DESCRIPTOR.full_name, message.SerializeToString(deterministic=True))
        if key not in results:
            results[key] = fn(message)
        return results[key]

    return once


def _once_per_request(method: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """A servicer method of the request alone (`_get_resource_options`, `_get_provider_resource`),
    computed once per request object: Analyze calls it again for every policy."""
    results: dict[int, tuple[Any, Any]] = {}

    def once(self: Any, request: Any) -> Any:
        hit = results.get(id(request))
        if hit is not None and hit[0] is request:
            return hit[1]
        result = method(self, request)
        results[id(request)] = (request, result)  # the request is kept alive, so its id stays its own
        return result

    return once


def struct_to_dict(message: Any, fallback: Callable[[Any], Any]) -> Any:
    """`json_format.MessageToDict` of a `google.protobuf.Struct` (the properties of every message the
    analyzer converts), by the proto3 JSON mapping of Struct, Value and ListValue as json_format
    applies it, without its generic per-field dispatch; any other message, and a number JSON cannot
    hold (which json_format rejects with its own error), go to `fallback`."""
    if message.DESCRIPTOR.full_name != "google.protobuf.Struct":
        return fallback(message)
    try:
        return _struct_fields(message)
    except _NotJson:
        return fallback(message)


class _NotJson(Exception):
    pass


def _struct_fields(struct: Any) -> dict[str, Any]:
    fields = struct.fields
    return {key: _json_value(fields[key]) for key in fields}


def _json_value(value: Any) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "number_value":
        number = value.number_value
        if number != number or number in (_INFINITY, -_INFINITY):
            raise _NotJson()
        return number
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return _struct_fields(value.struct_value)
    if kind == "list_value":
        return [_json_value(item) for item in value.list_value.values]
    return None  # null_value, or no kind set


_INFINITY = float("inf")


class _JsonFormatOnce:
    """Stands in for `json_format` inside the servicer's module: one conversion per message content."""

    def __init__(self, json_format: Any) -> None:
        self._json_format = json_format
        convert = functools.partial(struct_to_dict, fallback=json_format.MessageToDict)
        self.MessageToDict = _once_per_argument(_once_per_content(convert, json_format.MessageToDict))  # noqa: N815

    def __getattr__(self, name: str) -> Any:
        return getattr(self._json_format, name)


@contextlib.contextmanager
def shared_pure_work() -> Iterator[None]:
    """The analyzer shortcuts, for one evaluation: each message's properties converted (once per
    content), deserialized and proxied once and shared by every policy; a request's resource
    options and provider built once for all policies; the Settings signature inspected once; the
    runtime settings (from environment variables that do not change during an evaluation) applied
    once.

    Sharing relies on one thing the pack guarantees: rules read what they are given and never
    change it (`ResourceView.props` is a read-only Mapping). Tests compare every report with the
    one the unmodified servicer gives (`evaluate(..., shortcuts=False)`).
    """
    import pulumi_policy.policy as servicer_module

    servicer_class = servicer_module._PolicyAnalyzerServicer
    saved = {
        "json_format": servicer_module.json_format,
        "signature": servicer_module.signature,
        "deserialize_properties": servicer_module.deserialize_properties,
        "unknown_checking_proxy": servicer_module.unknown_checking_proxy,
    }
    configure = servicer_class._configure_runtime_settings
    per_request = {name: getattr(servicer_class, name) for name in ("_get_resource_options", "_get_provider_resource")}
    configured: list[bool] = []

    def configure_once(self: Any) -> None:
        if not configured:
            configure(self)
            configured.append(True)

    servicer_module.json_format = _JsonFormatOnce(saved["json_format"])  # type: ignore[assignment]
    servicer_module.signature = functools.lru_cache(maxsize=None)(saved["signature"])  # type: ignore[assignment]
    servicer_module.deserialize_properties = _once_per_argument(saved["deserialize_properties"])  # type: ignore[assignment]
    servicer_module.unknown_checking_proxy = _once_per_argument(saved["unknown_checking_proxy"])  # type: ignore[assignment]
    servicer_class._configure_runtime_settings = configure_once  # type: ignore[method-assign]
    for name, method in per_request.items():
        setattr(servicer_class, name, _once_per_request(method))
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(servicer_module, name, value)
        servicer_class._configure_runtime_settings = configure  # type: ignore[method-assign]
        for name, method in per_request.items():
            setattr(servicer_class, name, method)


class SharingServicer:
    """The pack's servicer, except that AnalyzeStack builds the stack's resources once for all
    stack policies (upstream rebuilds them per policy: half of the pack's time on a reference
    stack) and Remediate need not run where no policy is at the remediate level (it would answer
    with nothing: `remediates`). Every other call, and each policy's handling, is upstream's."""

    def __init__(self, upstream: Any) -> None:
        self._upstream = upstream

    def __getattr__(self, name: str) -> Any:  # GetAnalyzerInfo, Configure, ConfigureStack, Analyze, Remediate
        return getattr(self._upstream, name)

    def _private(self, name: str) -> Any:
        return getattr(self._upstream, f"_PolicyAnalyzerServicer__{name}")

    def has_remediate_level(self) -> bool:
        from pulumi_policy import EnforcementLevel

        return any(
            self._upstream._get_enforcement_level(p) == EnforcementLevel.REMEDIATE for p in self._private("policies")
        )

    def _stack_resources(self, request: Any) -> list[Any]:
        """Upstream's construction, once: resources, then parents and dependencies linked."""
        from pulumi_policy import PolicyResource

        upstream = self._upstream
        built: list[tuple[Any, Any]] = []
        for r in request.resources:
            resource = PolicyResource(
                r.type, self._props_of(r), r.urn, r.name, upstream._get_resource_options(r),
                upstream._get_provider_resource(r), None, [], {},
            )
            built.append((resource, r))
        by_urn = {resource.urn: resource for resource, _ in built}
        for resource, r in built:
            if r.parent in by_urn:
                resource.parent = by_urn[r.parent]
            resource.dependencies.extend(by_urn[d] for d in r.dependencies if d in by_urn)
            for key, deps in r.propertyDependencies.items():
                resource.property_dependencies[key] = [by_urn[d] for d in deps.urns if d in by_urn]
        return [resource for resource, _ in built]

    @staticmethod
    def _props_of(r: Any) -> Any:
        import pulumi_policy.policy as servicer_module  # the (possibly shared) functions upstream calls

        return servicer_module.unknown_checking_proxy(
            servicer_module.deserialize_properties(servicer_module.json_format.MessageToDict(r.properties))
        )

    def AnalyzeStack(self, request: Any, _context: Any) -> Any:  # noqa: N802 (gRPC method name)
        from pulumi.runtime import proto
        from pulumi_policy import EnforcementLevel, StackValidationArgs, StackValidationPolicy
        from pulumi_policy.policy import _NotApplicableError

        upstream = self._upstream
        upstream._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        resources: list[Any] | None = None
        for policy in self._private("policies"):
            enforcement_level = upstream._get_enforcement_level(policy)
            if enforcement_level == EnforcementLevel.DISABLED or not isinstance(policy, StackValidationPolicy):
                continue
            if enforcement_level == EnforcementLevel.REMEDIATE:
                enforcement_level = EnforcementLevel.MANDATORY  # as upstream: stack policies cannot remediate
            report_violation = upstream._create_report_violation(
                response, policy.name, policy.description, enforcement_level, policy.severity
            )
            if resources is None:
                resources = self._stack_resources(request)
            args = StackValidationArgs(resources, upstream._get_policy_config(policy.name), self._private("stack_tags"))
            try:
                result = policy.validate(args, report_violation)
                if isawaitable(result):
                    loop = asyncio.new_event_loop()
                    loop.run_until_complete(asyncio.Task(result, loop=loop))
                    loop.close()
            except sdk_compat.UnknownValueError as e:
                response.diagnostics.append(self._cannot_run(policy, e))
            except _NotApplicableError as e:
                response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or ""))
        return response

    def _cannot_run(self, policy: Any, error: Any) -> Any:
        from pulumi.runtime import proto
        from pulumi_policy import EnforcementLevel

        name, version = self._private("policy_pack_name"), self._private("policy_pack_version")
        return proto.AnalyzeDiagnostic(
            policyName=policy.name,
            policyPackName=name,
            policyPackVersion=version,
            message=f"can't run policy '{policy.name}' from policy pack '{name}@v{version}' during preview: {error.message}",
            urn="",
            description=policy.description,
            enforcementLevel=self._upstream._map_enforcement_level(EnforcementLevel.ADVISORY),
        )
