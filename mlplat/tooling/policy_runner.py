"""Evaluate the policy pack over an offline Plan exactly as the engine does.

The pack's own analyzer servicer (the object `PolicyPack(...)` serves over gRPC) is driven with
the engine's messages, in the engine's order:

1. GetAnalyzerInfo; the engine merges each policy's config-schema defaults, the pack's initial
   config and the `--policy-pack-config` file, then calls Configure with the result;
2. ConfigureStack with the stack's tags; PULUMI_PROJECT/STACK/DRY_RUN/CONFIG set as for the
   analyzer process;
3. Remediate, then Analyze, per resource with its inputs (remediations applied in place);
4. AnalyzeStack once with every resource's outputs, parents and (property) dependencies.

Props travel as protobuf Structs (numbers become floats, unknowns stay the engine's sentinel) and
are wrapped by pulumi_policy itself (`unknown_checking_proxy`), so rules see what they would see
under `pulumi preview --policy-pack`. By default the servicer's repeated pure work is done once
(the analyzer shortcuts of `pulumi_compat`); `evaluate(..., shortcuts=False)` skips none of it, and
the tests check both give the same report. With a pulumi-policy other than the tested minor version,
the shortcuts are left out (one warning) and the unmodified servicer runs, as with `shortcuts=False`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import StackValidationPolicy

from mlplat.policies.pack import DEFAULT_ENFORCEMENT, DESCRIPTION, PACK_NAME, all_policies
from mlplat.policies.presets import pack_config as preset_pack_config
from mlplat.policies.rules import (
    REPORTING_POLICIES,
    UNVERIFIED_RESOURCE_POLICY,
    UNVERIFIED_STACK_POLICY,
    WAIVED_RESOURCE_POLICY,
    WAIVED_STACK_POLICY,
    registered_rules,
)

from . import pulumi_compat
from ._gc import batched_gc
from .plan import Plan, PlannedResource
from .stackfile import engine_value

__all__ = ["PolicyReport", "Remediation", "Violation", "evaluate", "stack_tags_in_config"]

STACK_TAGS_KEY = "pulumi:tags"  # stack tags kept in the stack file; the CLI applies them on every update

_EVALUATION_LOCK = threading.Lock()

_LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
_LEVEL_VALUES = {v: k for k, v in _LEVELS.items()}


@dataclass(frozen=True)
class Violation:
    rule_id: str
    policy: str
    severity: str
    level: str  # advisory | mandatory
    urn: str
    message: str
    remediation: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "ruleId": self.rule_id, "policyName": self.policy, "severity": self.severity,
            "enforcementLevel": self.level, "urn": self.urn, "message": self.message,
            "remediation": self.remediation,
        }


@dataclass(frozen=True)
class Remediation:
    policy: str
    urn: str
    properties: Mapping[str, Any]


@dataclass
class PolicyReport:
    environment: Optional[str]
    source: str = ""  # where the levels, waivers and settings came from
    notes: list[str] = field(default_factory=list)  # what the reader should know about that source
    violations: list[Violation] = field(default_factory=list)
    waived: list[Violation] = field(default_factory=list)
    not_applicable: list[tuple[str, str, str]] = field(default_factory=list)  # (policy, urn, reason)
    unverified: list[Violation] = field(default_factory=list)  # wait for values unknown in preview
    cannot_run: list[Violation] = field(default_factory=list)  # rules with unknowns="skip" in preview
    remediations: list[Remediation] = field(default_factory=list)

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "advisory"]

    @property
    def failed(self) -> bool:
        return bool(self.mandatory)

    def rule_ids(self, level: Optional[str] = None) -> set[str]:
        return {v.rule_id for v in self.violations if level is None or v.level == level}

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "source": self.source,
            "notes": list(self.notes),
            "violations": [v.to_json() for v in self.violations],
            "waived": [v.to_json() for v in self.waived],
            "unverified": [v.to_json() for v in self.unverified],
            "cannotRun": [v.to_json() for v in self.cannot_run],
            "remediations": [{"policyName": r.policy, "urn": r.urn, "properties": dict(r.properties)} for r in self.remediations],
        }


def evaluate(
    plan: Plan,
    *,
    environment: Optional[str] = None,
    pack_config: Optional[Mapping[str, Any]] = None,
    stack_tags: Optional[Mapping[str, str]] = None,
    config: Optional[Mapping[str, Any]] = None,
    shortcuts: bool = True,
    source: Optional[str] = None,
    notes: Sequence[str] = (),
) -> PolicyReport:
    """Run the pack over `plan`.

    `pack_config` is a `--policy-pack-config` document (a project's comes from its pack folder:
    `PackFolder.pack_config(env)`); without it, `environment` selects that environment's levels with
    the rules' default settings and no waivers; with neither, the pack tells the environment itself
    (stack tags, stack config, stack name, else prod), as it does when no file is passed.
    `config` is the stack config the engine hands analyzers (namespace:key -> value); without `stack_tags`,
    the stack's tags are its `pulumi:tags` config, as the CLI sets them before the update. `source` and
    `notes` say in the report where the configuration came from (default: which of the three it was).

    `shortcuts=False` drives one servicer holding every policy with no work shared between calls,
    literally as the engine drives the analyzer plugin. The default skips work that cannot change
    a result (`_Servicers`, `pulumi_compat.shared_pure_work`); tests check both give the same report.
    Outside the tested pulumi-policy minor version the default falls back to `shortcuts=False`.
    """
    shortcuts = shortcuts and pulumi_compat.analyzer_shortcuts_available()
    if source is None:
        source = ("pack configuration" if pack_config is not None
                  else "the rules' defaults (no waivers)" if environment is not None
                  else "the pack's own detection, the rules' defaults (no waivers)")
    if pack_config is None and environment is not None:
        pack_config = preset_pack_config(environment)
    if stack_tags is None:
        stack_tags = stack_tags_in_config(config or {})
    stack_request = analyzer_pb2.AnalyzerStackConfigureRequest(
        stack=plan.stack, project=plan.project, organization="organization", dry_run=plan.preview,
        tags=dict(stack_tags or {}),
    )
    reporting = plan.preview or _has_waivers(pack_config) or not shortcuts
    servicers = _servicers(pack_config or {}, stack_request, reporting=reporting, per_type=shortcuts)
    rules_by_name = {rule.name: rule for rule in registered_rules()}
    report = PolicyReport(environment=environment or _environment_in(pack_config), source=source, notes=list(notes))
    shared = pulumi_compat.shared_pure_work() if shortcuts else contextlib.nullcontext()
    # One evaluation at a time: the analyzer reads process environment variables, and the shared
    # work is installed in pulumi_policy's module for the evaluation's duration.
    with _EVALUATION_LOCK, batched_gc(), _analyzer_environment(plan, config or {}), shared:
        provider_cache: dict[str, analyzer_pb2.AnalyzerProviderResource] = {}
        structs = _Structs()
        for resource in plan.resources:
            servicer = servicers.for_type(resource.type)
            inputs: Mapping[str, Any] = resource.inputs
            request = _analyze_request(plan, resource, structs.of(inputs), provider_cache)
            fixes = []
            if pulumi_compat.remediates(servicer):
                fixes = list(servicer.Remediate(request, None).remediations)
            for fix in fixes:
                inputs = json_format.MessageToDict(fix.properties)
                report.remediations.append(Remediation(fix.policyName, resource.urn, inputs))
            if fixes or not shortcuts:
                request = _analyze_request(plan, resource, structs.of(inputs), provider_cache)
            response = servicer.Analyze(request, None)
            _collect(response, resource.urn, rules_by_name, report)
        stack_response = servicers.for_stack().AnalyzeStack(
            analyzer_pb2.AnalyzeStackRequest(
                resources=[_analyzer_resource(plan, r, structs, provider_cache) for r in plan.resources]
            ),
            None,
        )
        _collect(stack_response, "", rules_by_name, report)
    return report


def stack_tags_in_config(config: Mapping[str, Any]) -> dict[str, str]:
    """The stack tags a stack file sets under `pulumi:tags` (a mapping of tag name to value; anything else: none)."""
    raw = config.get(STACK_TAGS_KEY)
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    if not isinstance(raw, Mapping):
        return {}
    return {str(k): v for k, v in raw.items() if isinstance(v, str)}


@functools.lru_cache(maxsize=1)
def _policies_cached() -> tuple[Any, ...]:
    return tuple(all_policies())


def _policies() -> list[Any]:
    """The pack's policies, built once per process (they hold no state between evaluations)."""
    return list(_policies_cached())


def _servicers(
    pack_config: Mapping[str, Any], stack_request: analyzer_pb2.AnalyzerStackConfigureRequest, *, reporting: bool,
    per_type: bool,
) -> "_Servicers":
    """Configured servicers, reused by evaluations with the same configuration (they keep no state
    between calls: every response is built afresh)."""
    key = (
        json.dumps(pack_config, sort_keys=True, default=str),
        stack_request.SerializeToString(deterministic=True),
        reporting,
        per_type,
    )
    return _servicers_for(key, lambda: _Servicers(pack_config, stack_request, reporting=reporting, per_type=per_type))


_SERVICER_CACHE: dict[Any, "_Servicers"] = {}
_SERVICER_CACHE_SIZE = 8


def _servicers_for(key: Any, build: Callable[[], "_Servicers"]) -> "_Servicers":
    if key not in _SERVICER_CACHE:
        while len(_SERVICER_CACHE) >= _SERVICER_CACHE_SIZE:
            _SERVICER_CACHE.pop(next(iter(_SERVICER_CACHE)))
        _SERVICER_CACHE[key] = build()
    return _SERVICER_CACHE[key]


class _Servicers:
    """The pack's analyzer, configured as the engine configures it (Configure, ConfigureStack).

    With `per_type`, one servicer per resource type: a resource policy whose rule reads other
    types returns at once without a word, and Analyze skips stack policies, so leaving them out of
    a type's servicer changes no result; it saves converting the resource's properties (and
    reading the level of every stack policy) for policies that cannot apply.
    Without it, one servicer holds every policy, as the analyzer plugin does.
    """

    def __init__(
        self, pack_config: Mapping[str, Any], stack_request: analyzer_pb2.AnalyzerStackConfigureRequest, *, reporting: bool,
        per_type: bool = True,
    ) -> None:
        # The waived/unverified reporting policies report only waived findings and, in preview,
        # unknown values: without waivers, outside preview, they have nothing to say.
        self._skip = set() if reporting else set(REPORTING_POLICIES)
        self._per_type = per_type
        self._pack_config = pack_config
        self._stack_request = stack_request
        self._rules = {rule.name: rule for rule in registered_rules()}
        self._by_type: dict[str, Any] = {}
        self._stack: Optional[Any] = None
        self._request: Optional[analyzer_pb2.ConfigureAnalyzerRequest] = None

    def _configured(self, policies: list[Any]) -> Any:
        """A servicer of `policies`, configured as the engine configures it (`SharingServicer` with `per_type`)."""
        servicer = pulumi_compat.analyzer_servicer(
            PACK_NAME, "0.0.1", policies, DEFAULT_ENFORCEMENT, DESCRIPTION, shortcuts=self._per_type
        )
        if self._request is None:
            full = pulumi_compat.analyzer_servicer(PACK_NAME, "0.0.1", _policies(), DEFAULT_ENFORCEMENT, DESCRIPTION)
            self._request = _configure_request(full.GetAnalyzerInfo(None, None), self._pack_config)
        servicer.Configure(self._request, None)
        servicer.ConfigureStack(self._stack_request, None)
        return servicer

    def for_type(self, type_token: str) -> Any:
        if not self._per_type:
            return self.for_stack()
        if type_token not in self._by_type:
            # Analyze runs resource policies only: stack policies (and resource rules of other types)
            # would be skipped for every resource anyway.
            chosen = [
                p for p in _policies()
                if p.name not in self._skip and not isinstance(p, StackValidationPolicy)
                and (p.name not in self._rules or self._rules[p.name].applies_to(type_token))
            ]
            self._by_type[type_token] = self._configured(chosen)
        return self._by_type[type_token]

    def for_stack(self) -> Any:
        if self._stack is None:
            self._stack = self._configured([p for p in _policies() if p.name not in self._skip])
        return self._stack


def _configure_request(info: analyzer_pb2.AnalyzerInfo, file_config: Mapping[str, Any]) -> analyzer_pb2.ConfigureAnalyzerRequest:
    """What the engine sends: schema defaults < pack initial config < the config file."""
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    initial = dict(info.initialConfig)
    all_level = file_config.get("all")
    for policy in info.policies:
        properties: dict[str, Any] = {}
        schema = json_format.MessageToDict(policy.configSchema.properties)
        for key, prop in schema.items():
            if isinstance(prop, dict) and "default" in prop:
                properties[key] = prop["default"]
        level = _LEVELS.get(policy.enforcementLevel, "advisory")
        if policy.name in initial:
            properties.update(json_format.MessageToDict(initial[policy.name].properties))
            level = _LEVELS.get(initial[policy.name].enforcementLevel, level)
        if isinstance(all_level, str):
            level = all_level
        entry = file_config.get(policy.name)
        if isinstance(entry, str):
            level = entry
        elif isinstance(entry, Mapping):
            level = entry.get("enforcementLevel", level)
            properties.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
        config = analyzer_pb2.PolicyConfig(enforcementLevel=_LEVEL_VALUES[level])
        config.properties.update(properties)
        request.policyConfig[policy.name].CopyFrom(config)
    return request


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    try:
        struct.update(values)  # plan values are JSON already (they came from the engine's Structs)
    except (TypeError, ValueError):
        struct = struct_pb2.Struct()
        struct.update(json.loads(json.dumps(values, default=str)))
    return struct


class _Structs:
    """Each property mapping as a Struct, built once per evaluation: a resource's inputs serve its
    Remediate and Analyze requests, and its AnalyzeStack entry when its outputs are its inputs."""

    def __init__(self) -> None:
        self._built: dict[int, tuple[Mapping[str, Any], struct_pb2.Struct]] = {}

    def of(self, values: Mapping[str, Any]) -> struct_pb2.Struct:
        hit = self._built.get(id(values))
        if hit is not None and hit[0] is values:
            return hit[1]
        struct = _struct(values)
        self._built[id(values)] = (values, struct)  # the mapping is kept alive, so its id stays its own
        return struct


def _options(resource: PlannedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    options = analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        ignoreChanges=resource.options.get("ignoreChanges", []),
        deleteBeforeReplace=bool(resource.options.get("deleteBeforeReplace", False)),
        deleteBeforeReplaceDefined="deleteBeforeReplace" in resource.options,
        additionalSecretOutputs=resource.options.get("additionalSecretOutputs", []),
        parent=resource.parent or "",
    )
    return options


def _provider(plan: Plan, resource: PlannedResource, cache: dict[str, analyzer_pb2.AnalyzerProviderResource]):
    ref = plan.provider_ref(resource)
    if not ref:
        return None
    urn = ref.rsplit("::", 1)[0]
    if urn not in cache:
        explicit = next((r for r in plan.resources if r.urn == urn), None)
        props = explicit.inputs if explicit else {"region": _region_of(plan)}
        cache[urn] = analyzer_pb2.AnalyzerProviderResource(
            type=f"pulumi:providers:{resource.package}", properties=_struct(props), urn=urn, name=urn.rsplit("::", 1)[-1]
        )
    return cache[urn]


def _has_waivers(pack_config: Optional[Mapping[str, Any]]) -> bool:
    return any(isinstance(e, Mapping) and e.get("waivers") for e in (pack_config or {}).values())


def _environment_in(pack_config: Optional[Mapping[str, Any]]) -> Optional[str]:
    for entry in (pack_config or {}).values():
        if isinstance(entry, Mapping) and isinstance(entry.get("environment"), str):
            return entry["environment"]
    return None


def _region_of(plan: Plan) -> str:
    """The default provider's region: the stack's `aws:region`, as the engine configures it."""
    region = plan.config.get("aws:region", "")
    return region if isinstance(region, str) else ""


def _analyze_request(plan: Plan, resource: PlannedResource, inputs: struct_pb2.Struct, cache) -> analyzer_pb2.AnalyzeRequest:
    request = analyzer_pb2.AnalyzeRequest(
        type=resource.type, properties=inputs, urn=resource.urn, name=resource.name, options=_options(resource)
    )
    provider = _provider(plan, resource, cache)
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def _analyzer_resource(plan: Plan, resource: PlannedResource, structs: _Structs, cache) -> analyzer_pb2.AnalyzerResource:
    # Stack policies see outputs (after the update; in preview, inputs with unknowns).
    properties = resource.outputs if resource.custom else resource.inputs
    message = analyzer_pb2.AnalyzerResource(
        type=resource.type, properties=structs.of(properties or resource.inputs), urn=resource.urn, name=resource.name,
        options=_options(resource), parent=resource.parent or "", dependencies=list(resource.dependencies),
    )
    for key, urns in resource.property_dependencies.items():
        message.propertyDependencies[key].urns.extend(urns)
    provider = _provider(plan, resource, cache)
    if provider is not None:
        message.provider.CopyFrom(provider)
    return message


def _collect(response: analyzer_pb2.AnalyzeResponse, urn: str, rules_by_name: Mapping[str, Any], report: PolicyReport) -> None:
    for diagnostic in response.diagnostics:
        rule = rules_by_name.get(diagnostic.policyName)
        message = diagnostic.message
        if message.startswith(diagnostic.description):
            message = message[len(diagnostic.description):].lstrip("\n")
        rule_id = rule.id if rule else _rule_id_in(message)
        if rule_id and message.startswith(f"[{rule_id}] "):
            message = message[len(rule_id) + 3:]
        violation = Violation(
            rule_id=rule_id,
            policy=diagnostic.policyName,
            severity=rule.severity if rule else _severity_of(rule_id, rules_by_name),
            level=_LEVELS.get(diagnostic.enforcementLevel, "advisory"),
            urn=diagnostic.urn or urn,
            message=message,
            remediation="\n".join(rule.remediation) if rule else "",
        )
        if diagnostic.policyName in (WAIVED_RESOURCE_POLICY, WAIVED_STACK_POLICY):
            report.waived.append(violation)
        elif diagnostic.policyName in (UNVERIFIED_RESOURCE_POLICY, UNVERIFIED_STACK_POLICY):
            report.unverified.append(violation)
        elif "during preview" in diagnostic.message and diagnostic.message.startswith("can't run policy"):
            report.cannot_run.append(violation)
        else:
            report.violations.append(violation)
    for item in response.not_applicable:
        report.not_applicable.append((item.policy_name, urn, item.reason))


def _rule_id_in(message: str) -> str:
    if message.startswith("[") and "]" in message:
        return message[1:message.index("]")]
    return ""


def _severity_of(rule_id: str, rules_by_name: Mapping[str, Any]) -> str:
    for rule in rules_by_name.values():
        if rule.id == rule_id:
            return rule.severity
    return ""


@contextlib.contextmanager
def _analyzer_environment(plan: Plan, config: Mapping[str, Any]) -> Iterator[None]:
    """The variables the engine gives analyzer processes (the pack reads the stack through them)."""
    values = {
        "PULUMI_PROJECT": plan.project,
        "PULUMI_STACK": plan.stack,
        "PULUMI_DRY_RUN": "true" if plan.preview else "false",
        "PULUMI_CONFIG": json.dumps({k: engine_value(v) for k, v in config.items()}),
    }
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
