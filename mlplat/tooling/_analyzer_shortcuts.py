"""Work pulumi_policy's analyzer servicer repeats without need, done once: same results, less time.

The servicer (the object `PolicyPack(...)` serves to the engine) rebuilds what it hands each
policy on every call and for every policy: it converts a resource's properties from protobuf,
deserializes them and wraps them in unknown-checking proxies once per policy, re-applies the
runtime settings before every call, and AnalyzeStack rebuilds every resource of the stack once
per stack policy. `mlplat.policy_runner.evaluate` (with `shortcuts`, the default) drives it
inside `shared_pure_work()` and through `SharingServicer`, which do each of those once.

Sharing relies on one thing the pack guarantees: rules read what they are given and never
change it (`ResourceView.props` is a read-only Mapping). The policy tests compare every report
with the one the unmodified servicer gives (`evaluate(..., shortcuts=False)`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from inspect import isawaitable
from typing import Any, Callable, Iterator

from google.protobuf import json_format
from pulumi.runtime import proto
from pulumi_policy.policy import (
    EnforcementLevel,
    PolicyResource,
    StackValidationArgs,
    StackValidationPolicy,
    _NotApplicableError,
    _PolicyAnalyzerServicer,
)
from pulumi_policy.proxy import UnknownValueError


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


class _JsonFormatOnce:
    """Stands in for `json_format` inside the servicer's module: one conversion per message."""

    def __init__(self) -> None:
        self.MessageToDict = _once_per_argument(json_format.MessageToDict)  # noqa: N815 (protobuf's name)

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)


@contextlib.contextmanager
def shared_pure_work() -> Iterator[None]:
    """For one evaluation: each message's properties converted, deserialized and proxied once and
    shared by every policy; the Settings signature inspected once; the runtime settings (from
    environment variables that do not change during an evaluation) applied once."""
    import pulumi_policy.policy as servicer_module

    saved = {
        "json_format": servicer_module.json_format,
        "signature": servicer_module.signature,
        "deserialize_properties": servicer_module.deserialize_properties,
        "unknown_checking_proxy": servicer_module.unknown_checking_proxy,
    }
    configure = _PolicyAnalyzerServicer._configure_runtime_settings
    configured: list[bool] = []

    def configure_once(self: _PolicyAnalyzerServicer) -> None:
        if not configured:
            configure(self)
            configured.append(True)

    servicer_module.json_format = _JsonFormatOnce()  # type: ignore[assignment]
    servicer_module.signature = functools.lru_cache(maxsize=None)(saved["signature"])  # type: ignore[assignment]
    servicer_module.deserialize_properties = _once_per_argument(saved["deserialize_properties"])  # type: ignore[assignment]
    servicer_module.unknown_checking_proxy = _once_per_argument(saved["unknown_checking_proxy"])  # type: ignore[assignment]
    _PolicyAnalyzerServicer._configure_runtime_settings = configure_once  # type: ignore[method-assign]
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(servicer_module, name, value)
        _PolicyAnalyzerServicer._configure_runtime_settings = configure  # type: ignore[method-assign]


class SharingServicer(_PolicyAnalyzerServicer):
    """The pack's servicer, except that AnalyzeStack builds the stack's resources once for all
    stack policies (upstream rebuilds them per policy: half of the pack's time on a reference
    stack) and Remediate is not run where no policy is at the remediate level (it would answer
    with nothing). Everything else, and each policy's handling, is upstream's."""

    def has_remediate_level(self) -> bool:
        return any(self._get_enforcement_level(p) == EnforcementLevel.REMEDIATE for p in self._policies())

    def _policies(self) -> list[Any]:
        return self._PolicyAnalyzerServicer__policies  # type: ignore[attr-defined]

    def _stack_resources(self, request: Any) -> list[PolicyResource]:
        """Upstream's construction, once: resources, then parents and dependencies linked."""
        built: list[tuple[PolicyResource, Any]] = []
        for r in request.resources:
            props = self._props_of(r)
            resource = PolicyResource(
                r.type, props, r.urn, r.name, self._get_resource_options(r), self._get_provider_resource(r), None, [], {}
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
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        resources: list[PolicyResource] | None = None
        for policy in self._policies():
            enforcement_level = self._get_enforcement_level(policy)
            if enforcement_level == EnforcementLevel.DISABLED or not isinstance(policy, StackValidationPolicy):
                continue
            if enforcement_level == EnforcementLevel.REMEDIATE:
                enforcement_level = EnforcementLevel.MANDATORY  # as upstream: stack policies cannot remediate
            report_violation = self._create_report_violation(
                response, policy.name, policy.description, enforcement_level, policy.severity
            )
            if resources is None:
                resources = self._stack_resources(request)
            args = StackValidationArgs(resources, self._get_policy_config(policy.name), self._stack_tags())
            try:
                result = policy.validate(args, report_violation)
                if isawaitable(result):
                    loop = asyncio.new_event_loop()
                    loop.run_until_complete(asyncio.Task(result, loop=loop))
                    loop.close()
            except UnknownValueError as e:
                response.diagnostics.append(self._cannot_run(policy, e))
            except _NotApplicableError as e:
                response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or ""))
        return response

    def _stack_tags(self) -> Any:
        return self._PolicyAnalyzerServicer__stack_tags  # type: ignore[attr-defined]

    def _cannot_run(self, policy: Any, error: UnknownValueError) -> Any:
        name = self._PolicyAnalyzerServicer__policy_pack_name  # type: ignore[attr-defined]
        version = self._PolicyAnalyzerServicer__policy_pack_version  # type: ignore[attr-defined]
        return proto.AnalyzeDiagnostic(
            policyName=policy.name,
            policyPackName=name,
            policyPackVersion=version,
            message=f"can't run policy '{policy.name}' from policy pack '{name}@v{version}' during preview: {error.message}",
            urn="",
            description=policy.description,
            enforcementLevel=self._map_enforcement_level(EnforcementLevel.ADVISORY),
        )
