"""The rule framework: metadata, typed config, environments, waivers, and the CrossGuard adapter.

A rule is a small function over what the engine shows a policy:

    @resource_rule(id="MLP-KMS-01", name="mlplat-kms-key-rotation-enabled", severity="high",
                   levels=("remediate", "mandatory"), types=("aws:kms/key:Key",), ...)
    def key_rotation(r: ResourceView, cfg: NoConfig, ctx: RuleContext) -> Iterable[Finding]:
        if r.get("enableKeyRotation") is not True:
            yield Finding("rotation is off")

Resource rules see one resource's inputs; stack rules see every resource with its outputs,
parent and (property) dependencies. A resource rule declared with `joins=True` is written like any
resource rule but may read the resources a resource references (`r.referenced("launchTemplate")`,
`r.referencing(...)`, `r.stack`): since CrossGuard shows other resources to stack policies only,
it runs as one stack policy that checks each resource of its types in turn, and its findings name
that resource (scope "stack" in the catalogue). `mlplat plan` drives the same policy. `to_policy` turns a rule into a pulumi_policy policy whose
description carries the rule id, whose config schema comes from the rule's pydantic config model,
and whose validate applies the environment's level and the waivers before reporting.

Unknown values (preview) are explicit per rule: `unknowns="report"` turns an unknown value the
rule needs into a violation ("cannot be verified during preview"); `unknowns="skip"` lets the
engine record that the policy could not run on it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import ipaddress
import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal, Mapping, Optional, Sequence

import pulumi
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pydantic import BaseModel, ConfigDict

from mlplat.core.paths import value_at
from mlplat.core.sdk_compat import UnknownValueError
from mlplat.core.vocabulary import ENVIRONMENT_TAG, ENVIRONMENTS, environment_of_stack

from ..waivers import Waiver, applicable_waiver, parse_waivers
from ._references import StackIndex, stack_index

Level = Literal["advisory", "mandatory", "remediate", "disabled"]
SeverityName = Literal["low", "medium", "high", "critical"]
ENVIRONMENT_TAGS: tuple[str, ...] = (ENVIRONMENT_TAG, "environment", "env")


class NoConfig(BaseModel):
    """For rules that take no configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleConfig(BaseModel):
    """Base of typed rule configuration: every field has a default (merged in-process)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Finding:
    """One violation. `urn` names the resource (stack rules); `key` identifies the finding for
    per-finding waivers (e.g. the wildcard action "s3:*")."""

    message: str
    urn: Optional[str] = None
    key: Optional[str] = None
    unverified: bool = False  # the rule could not check a value unknown during preview


@dataclass
class ResourceView:
    """What a rule reads: the engine's camelCase props (unknowns raise UnknownValueError)."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    parent: Optional[str] = None
    protect: bool = False
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    stack: Optional[StackIndex] = field(default=None, repr=False, compare=False)  # joined rules and stack rules

    def _index(self) -> StackIndex:
        if self.stack is None:
            raise RuntimeError(f"{self.urn}: other resources are visible to stack rules and joins=True rules only")
        return self.stack

    def referenced(self, prop: str, types: Optional[Sequence[str]] = None) -> list["ResourceView"]:
        """The stack's resources (of `types`) this resource's top-level property `prop` was computed from."""
        return self._index().referenced(self, prop, types)

    def referencing(self, types: Optional[Sequence[str]] = None, props: Optional[Sequence[str]] = None) -> list["ResourceView"]:
        """The stack's resources (of `types`) with a property (one of `props`) computed from this one."""
        return self._index().referencing(self, types, props)

    def get(self, path: str, default: Any = None) -> Any:
        return value_at(self.props, path, default)

    def known(self, path: str, default: Any = None) -> Any:
        """Like `get`, but an unknown value reads as `default` (for values a rule only joins on)."""
        try:
            return self.get(path, default)
        except UnknownValueError:
            return default

    @property
    def tags(self) -> Mapping[str, Any]:
        tags = self.known("tags")
        return tags if isinstance(tags, Mapping) else {}

    def json(self, prop: str) -> Any:
        """A prop holding a JSON document (IAM and bucket policies), parsed; None when absent."""
        value = self.get(prop)
        if value is None or isinstance(value, Mapping):
            return value
        return parsed_json(value) if isinstance(value, str) else None


@functools.lru_cache(maxsize=2048)
def parsed_json(text: str) -> Any:
    """A JSON document parsed once per distinct text (several rules read the same policy); None
    when it is not JSON. The result is shared: read it, never change it."""
    try:
        return json.loads(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class RuleContext:
    environment: str
    environment_source: str
    stack_tags: Mapping[str, str] = field(default_factory=dict)
    today: dt.date = field(default_factory=dt.date.today)
    waivers_raw: Any = None

    @property
    def is_prod_like(self) -> bool:
        return self.environment in ("staging", "prod")


ResourceCheck = Callable[[ResourceView, Any, RuleContext], Iterable[Finding]]
StackCheck = Callable[[list[ResourceView], Any, RuleContext], Iterable[Finding]]
Remediation = Callable[[ResourceView, Any, RuleContext], Optional[Mapping[str, Any]]]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: SeverityName
    description: str
    remediation: tuple[str, ...]
    frameworks: tuple[str, ...]
    scope: Literal["resource", "stack"]
    levels: Mapping[str, Level]
    check: Callable[..., Iterable[Finding]]
    config: type[BaseModel] = NoConfig
    types: Optional[tuple[str, ...]] = None
    unknowns: Literal["report", "skip"] = "report"
    remediate: Optional[Remediation] = None
    joins: bool = False  # a per-resource check that reads other resources (runs as a stack policy)

    def level(self, environment: str) -> Level:
        return self.levels.get(environment, self.levels["prod"])

    def applies_to(self, type_token: str) -> bool:
        """`types` lists type tokens; one ending in "*" matches every token with that prefix."""
        if self.types is None or type_token in self.types:
            return True
        return any(t.endswith("*") and type_token.startswith(t[:-1]) for t in self.types)


_REGISTRY: dict[str, Rule] = {}


def _levels(dev_prod: tuple[Level, Level]) -> dict[str, Level]:
    dev, prod = dev_prod
    return {"dev": dev, "staging": prod, "prod": prod}  # staging carries prod's level


def _register(rule: Rule) -> Rule:
    if rule.id in _REGISTRY:
        raise ValueError(f"rule id {rule.id} is registered twice")
    if any(r.name == rule.name for r in _REGISTRY.values()):
        raise ValueError(f"policy name {rule.name} is registered twice")
    _REGISTRY[rule.id] = rule
    return rule


def resource_rule(
    *, id: str, name: str, severity: SeverityName, description: str, remediation: Sequence[str],
    frameworks: Sequence[str], levels: tuple[Level, Level], types: Optional[Sequence[str]] = None,
    config: type[BaseModel] = NoConfig, unknowns: Literal["report", "skip"] = "report",
    remediate: Optional[Remediation] = None, joins: bool = False,
) -> Callable[[ResourceCheck], ResourceCheck]:
    """Register a rule over one resource's inputs. `levels` is (dev, prod); staging follows prod.

    With `joins=True` the check may also read the resources the resource references (and those
    referencing it) through `r.referenced` / `r.referencing` / `r.stack`: the rule runs as a stack
    policy over every resource of `types` (every resource when `types` is None), with the
    resources' outputs as stack policies see them. No remediation then (the engine remediates
    resource policies only)."""
    if joins and remediate is not None:
        raise ValueError(f"{id}: a rule that joins other resources runs as a stack policy and cannot remediate")

    def register(fn: ResourceCheck) -> ResourceCheck:
        chosen = tuple(types) if types else None
        if joins:
            _register(Rule(id, name, severity, description, tuple(remediation), tuple(frameworks), "stack",
                           _levels(levels), _each_resource(fn, chosen, unknowns), config, chosen, "report", None, True))
        else:
            _register(Rule(id, name, severity, description, tuple(remediation), tuple(frameworks), "resource",
                           _levels(levels), fn, config, chosen, unknowns, remediate))
        return fn

    return register


def _each_resource(fn: ResourceCheck, types: Optional[tuple[str, ...]], unknowns: str) -> StackCheck:
    """A stack check running `fn` on each resource of `types`; findings name the resource, and an
    unknown value stops the check of that resource only (unverified, or skipped with unknowns="skip")."""
    wanted = frozenset(types) if types else None

    def check(views: list[ResourceView], cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
        index = stack_index(views)
        for view in index.of_type(*wanted) if wanted is not None else index.views:
            if view.stack is None:
                view.stack = index
            try:
                found = list(fn(view, cfg, ctx))
            except UnknownValueError as exc:
                if unknowns == "skip":
                    continue
                found = [Finding(f"{view.name}: {exc.message}: cannot be verified until the value is known "
                                 "(checked again by `pulumi up`)", unverified=True)]
            for finding in found:
                yield finding if finding.urn else dataclasses.replace(finding, urn=view.urn)

    return check


def stack_rule(
    *, id: str, name: str, severity: SeverityName, description: str, remediation: Sequence[str],
    frameworks: Sequence[str], levels: tuple[Level, Level], config: type[BaseModel] = NoConfig,
    unknowns: Literal["report", "skip"] = "report",
) -> Callable[[StackCheck], StackCheck]:
    """Register a rule over the whole stack (every resource's outputs, parents, dependencies)."""

    def register(fn: StackCheck) -> StackCheck:
        _register(Rule(id, name, severity, description, tuple(remediation), tuple(frameworks), "stack",
                       _levels(levels), fn, config, None, unknowns))
        return fn

    return register


def registered_rules() -> list[Rule]:
    return sorted(_REGISTRY.values(), key=lambda r: r.id)


# --- reading values --------------------------------------------------------------------------

MISSING = object()  # absent or null
UNKNOWN = object()  # known only after `pulumi up` (a value computed from another resource)


def state(r: ResourceView | Mapping[str, Any], path: str) -> Any:
    """The value at `path` of a resource (or plain props), `MISSING` when absent or null,
    `UNKNOWN` when known only after `pulumi up`."""
    try:
        if isinstance(r, ResourceView):
            value = r.get(path, MISSING)
        else:
            value = ResourceView("", "", "", r).get(path, MISSING)
    except UnknownValueError:
        return UNKNOWN
    return MISSING if value is None else value


def strings(value: Any) -> list[str]:
    """A string or a list of values as a list of strings (anything else: none)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [str(v) for v in value]
    return []


def is_open_cidr(cidr: str) -> bool:
    """True for a block that admits every address (0.0.0.0/0, ::/0)."""
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


# --- environment -----------------------------------------------------------------------------


def detect_environment(policy_config: Mapping[str, Any], stack_tags: Mapping[str, str]) -> tuple[str, str]:
    """The stack's environment and where it came from: pack config (the presets write it), stack
    tags, the stack's `ml-platform:platform` config, the stack name; prod when none can tell."""
    return told_environment(policy_config, stack_tags) or ("prod", "default (environment could not be told)")


def told_environment(policy_config: Mapping[str, Any], stack_tags: Mapping[str, str]) -> Optional[tuple[str, str]]:
    """`detect_environment` without the default: None when nothing tells the environment."""
    env = policy_config.get("environment")
    if env in ENVIRONMENTS:
        return env, "pack configuration"
    for tag in ENVIRONMENT_TAGS:
        if stack_tags.get(tag) in ENVIRONMENTS:
            return stack_tags[tag], f"stack tag {tag}"
    raw = pulumi.runtime.get_config("ml-platform:platform")
    if isinstance(raw, str):
        env = environment_in_config(raw)
        if env in ENVIRONMENTS:
            return env, "stack config ml-platform:platform"
    try:
        stack = pulumi.get_stack()
    except Exception:  # the engine did not say which stack this is
        stack = ""
    env = environment_of_stack(stack)
    if env is not None:
        return env, f"stack name {stack}"
    return None


@functools.lru_cache(maxsize=8)
def environment_in_config(raw: str) -> Any:
    """`environment` of the stack's platform config (parsed once per distinct config text)."""
    try:
        return json.loads(raw).get("environment")
    except (ValueError, AttributeError):
        return None


# --- config ----------------------------------------------------------------------------------

WAIVER_SCHEMA = {
    "type": "array",
    "description": "Reviewed exceptions: rule, finding?, urn?/name?/type? globs, reason, owner, expires (YYYY-MM-DD).",
    "items": {"type": "object"},
}


def config_schema(rule: Rule) -> PolicyConfigSchema:
    """The engine-facing schema: the rule's own fields plus environment and waivers."""
    properties: dict[str, dict[str, Any]] = {}
    schema = rule.config.model_json_schema()
    try:
        defaults = rule.config().model_dump(mode="json")
    except Exception as exc:  # a field without a default
        raise ValueError(f"{rule.id}: every config field needs a default ({exc})") from None
    for key, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k != "title"}
        prop["default"] = defaults[key]
        properties[key] = _plain_schema(prop, schema.get("$defs", {}))
    properties["environment"] = {"type": "string", "enum": list(ENVIRONMENTS), "description": "dev, staging or prod."}
    properties["waivers"] = dict(WAIVER_SCHEMA, default=[])
    return PolicyConfigSchema(properties=properties)


def _plain_schema(prop: dict[str, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    # The engine validates config against a plain JSON schema: inline refs and drop nullables.
    if "$ref" in prop:
        return _plain_schema({**defs[prop["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in prop.items() if k != "$ref"}}, defs)
    if "anyOf" in prop:
        options = [o for o in prop["anyOf"] if o.get("type") != "null"]
        merged = {k: v for k, v in prop.items() if k != "anyOf"}
        if len(options) == 1:
            return _plain_schema({**options[0], **merged}, defs)
    if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
        prop = {**prop, "items": _plain_schema(prop["items"], defs)}
    return prop


def typed_config(rule: Rule, raw: Mapping[str, Any]) -> Any:
    """The rule's config model from engine config (schema defaults already merged by the engine).
    Validated on every call: pydantic's validation costs less than any key a cache would need."""
    own = {k: v for k, v in raw.items() if k in rule.config.model_fields}
    return rule.config.model_validate(own)


# --- running a rule --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    reported: list[Finding]
    waived: list[tuple[Finding, Waiver]]
    unverified: list[Finding] = field(default_factory=list)  # values unknown during preview


def _findings(rule: Rule, run: Callable[[], Iterable[Finding]]) -> tuple[list[Finding], list[Finding]]:
    """(findings, unverified): with unknowns="report", an unknown value the rule needs is an
    unverified finding (reported by an advisory policy, so a new stack's preview is not blocked);
    with unknowns="skip" the engine records that the policy could not run."""
    try:
        found = list(run())
        return [f for f in found if not f.unverified], [f for f in found if f.unverified]
    except UnknownValueError as exc:
        if rule.unknowns == "skip":
            raise
        return [], [Finding(f"{exc.message}: {rule.id} cannot be verified until the value is known (checked again by `pulumi up`)")]


def evaluate_resource(rule: Rule, view: ResourceView, raw_config: Mapping[str, Any], ctx: RuleContext) -> Outcome:
    config = typed_config(rule, raw_config)
    findings, unverified = _findings(rule, lambda: rule.check(view, config, ctx))
    return _apply_waivers(rule, findings, unverified, raw_config, ctx, {view.urn: view})


def evaluate_stack(rule: Rule, views: list[ResourceView], raw_config: Mapping[str, Any], ctx: RuleContext) -> Outcome:
    config = typed_config(rule, raw_config)
    findings, unverified = _findings(rule, lambda: rule.check(views, config, ctx))
    return _apply_waivers(rule, findings, unverified, raw_config, ctx, {v.urn: v for v in views})


def _apply_waivers(
    rule: Rule, findings: list[Finding], unverified: list[Finding], raw_config: Mapping[str, Any], ctx: RuleContext,
    views: Mapping[str, ResourceView],
) -> Outcome:
    if not findings:
        return Outcome([], [], unverified)
    waivers, _ = parse_waivers(raw_config.get("waivers"))
    reported, waived = [], []
    for finding in findings:
        view = views.get(finding.urn or "") or (next(iter(views.values())) if len(views) == 1 else None)
        # A finding about the stack itself (no resource) is covered by a waiver that selects no resource.
        urn, name, type_ = (view.urn, view.name, view.type) if view is not None else ("", "", "")
        waiver = None
        if view is not None or not finding.urn:
            waiver = applicable_waiver(
                waivers, rule_id=rule.id, severity=rule.severity, finding=finding.key, urn=urn,
                name=name, type_=type_, environment=ctx.environment, today=ctx.today,
            )
        if waiver is None:
            reported.append(finding)
        else:
            waived.append((finding, waiver))
    return Outcome(reported, waived, unverified)


def _context(raw_config: Mapping[str, Any], stack_tags: Mapping[str, str]) -> RuleContext:
    env, source = detect_environment(raw_config, stack_tags)
    return RuleContext(env, source, dict(stack_tags), waivers_raw=raw_config.get("waivers"))


def view_of_args(args: ResourceValidationArgs) -> ResourceView:
    return ResourceView(
        type=args.resource_type, name=args.name, urn=args.urn, props=args.props,
        parent=args.opts.parent, protect=bool(args.opts.protect),
    )


def views_of_stack(args: StackValidationArgs) -> list[ResourceView]:
    """Views of the stack's resources; one list per `args.resources` list (analyzers that hand
    every stack policy the same resources get the views built once)."""
    cached = _STACK_VIEWS.get("last")
    if cached is not None and cached[0] is args.resources:
        return cached[1]
    views = _build_views(args)
    _STACK_VIEWS["last"] = (args.resources, views)
    return views


_STACK_VIEWS: dict[str, tuple[Any, list[ResourceView]]] = {}


def _build_views(args: StackValidationArgs) -> list[ResourceView]:
    views = [
        ResourceView(
            type=r.resource_type, name=r.name, urn=r.urn, props=r.props,
            parent=r.parent.urn if r.parent is not None else None,
            protect=bool(r.opts.protect),
            dependencies=tuple(d.urn for d in r.dependencies),
            property_dependencies={k: tuple(d.urn for d in v) for k, v in r.property_dependencies.items()},
        )
        for r in args.resources
    ]
    index = StackIndex(views)
    for view in views:
        view.stack = index
    return views


def _message(rule: Rule, finding: Finding) -> str:
    return f"[{rule.id}] {finding.message}"


def to_policy(rule: Rule) -> ResourceValidationPolicy | StackValidationPolicy:
    """The CrossGuard policy of one rule (default level: prod's; presets set the others)."""
    common = dict(
        name=rule.name,
        description=f"[{rule.id}] {rule.description}",
        enforcement_level=EnforcementLevel(rule.level("prod")),
        config_schema=config_schema(rule),
        severity=Severity(rule.severity),
        tags=[rule.id, *rule.frameworks],
        remediation_steps="\n".join(rule.remediation),
    )
    if rule.scope == "stack":

        def validate_stack(args: StackValidationArgs, report_violation) -> None:
            raw = args.get_config()
            ctx = _context(raw, args.stack_tags)
            if rule.level(ctx.environment) == "disabled":
                return
            outcome = evaluate_stack(rule, views_of_stack(args), raw, ctx)
            for finding in outcome.reported:
                report_violation(_message(rule, finding), finding.urn)

        return StackValidationPolicy(validate=validate_stack, **common)

    def validate_resource(args: ResourceValidationArgs, report_violation) -> None:
        if not rule.applies_to(args.resource_type):
            return
        raw = args.get_config()
        ctx = _context(raw, args.stack_tags)
        if rule.level(ctx.environment) == "disabled":
            return
        outcome = evaluate_resource(rule, view_of_args(args), raw, ctx)
        for finding in outcome.reported:
            report_violation(_message(rule, finding))

    remediate = None
    if rule.remediate is not None:
        fix = rule.remediate

        def remediate(args: ResourceValidationArgs) -> Optional[Mapping[str, Any]]:
            if not rule.applies_to(args.resource_type):
                return None
            raw = args.get_config()
            ctx = _context(raw, args.stack_tags)
            return fix(view_of_args(args), typed_config(rule, raw), ctx)

    return ResourceValidationPolicy(validate=validate_resource, remediate=remediate, **common)


WAIVED_RESOURCE_POLICY = "mlplat-waived-resource-findings"
WAIVED_STACK_POLICY = "mlplat-waived-stack-findings"
UNVERIFIED_RESOURCE_POLICY = "mlplat-unverified-resource-findings"
UNVERIFIED_STACK_POLICY = "mlplat-unverified-stack-findings"
REPORTING_POLICIES = (WAIVED_RESOURCE_POLICY, WAIVED_STACK_POLICY, UNVERIFIED_RESOURCE_POLICY, UNVERIFIED_STACK_POLICY)


def _is_preview() -> bool:
    return os.environ.get("PULUMI_DRY_RUN") == "true"


def reporting_policies(rules: list[Rule]) -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """Advisory policies that report what the rules' own policies do not enforce: waived findings
    (a waiver is never a silent pass) and, in preview, findings that wait for unknown values."""
    schema = PolicyConfigSchema(
        properties={"environment": {"type": "string", "enum": list(ENVIRONMENTS)}, "waivers": dict(WAIVER_SCHEMA, default=[])}
    )

    def waived(rule: Rule, outcome: Outcome) -> Iterable[tuple[str, Optional[str]]]:
        for finding, waiver in outcome.waived:
            yield f"[{rule.id}] waived: {finding.message} ({waiver.describe()})", finding.urn

    def unverified(rule: Rule, outcome: Outcome) -> Iterable[tuple[str, Optional[str]]]:
        for finding in outcome.unverified:
            yield f"[{rule.id}] unverified: {finding.message}", finding.urn

    def candidates(raw: Mapping[str, Any], ctx: RuleContext, scope: str, wanted: str) -> list[Rule]:
        if wanted == "waived":
            waivers, _ = parse_waivers(raw.get("waivers"))
            ids = {w.rule for w in waivers}
            chosen = [r for r in rules if r.id in ids]
        else:
            chosen = rules if _is_preview() else []
        return [r for r in chosen if r.scope == scope and r.level(ctx.environment) != "disabled"]

    def resource_policy(wanted: str, pick) -> Callable[[ResourceValidationArgs, Any], None]:
        def validate(args: ResourceValidationArgs, report_violation) -> None:
            raw = args.get_config()
            ctx = _context(raw, args.stack_tags)
            for rule in candidates(raw, ctx, "resource", wanted):
                if not rule.applies_to(args.resource_type):
                    continue
                outcome = evaluate_resource(rule, view_of_args(args), raw, ctx)
                for message, _ in pick(rule, outcome):
                    report_violation(message)

        return validate

    def stack_policy(wanted: str, pick) -> Callable[[StackValidationArgs, Any], None]:
        def validate(args: StackValidationArgs, report_violation) -> None:
            raw = args.get_config()
            ctx = _context(raw, args.stack_tags)
            views = views_of_stack(args)
            for rule in candidates(raw, ctx, "stack", wanted):
                outcome = evaluate_stack(rule, views, raw, ctx)
                for message, urn in pick(rule, outcome):
                    report_violation(message, urn)

        return validate

    advisory = dict(enforcement_level=EnforcementLevel.ADVISORY, config_schema=schema)
    return [
        ResourceValidationPolicy(name=WAIVED_RESOURCE_POLICY, description="Findings waived by a reviewed waiver (reported, not enforced)",
                                 validate=resource_policy("waived", waived), **advisory),
        StackValidationPolicy(name=WAIVED_STACK_POLICY, description="Stack findings waived by a reviewed waiver (reported, not enforced)",
                              validate=stack_policy("waived", waived), **advisory),
        ResourceValidationPolicy(name=UNVERIFIED_RESOURCE_POLICY, description="Findings that wait for values unknown during preview",
                                 validate=resource_policy("unverified", unverified), **advisory),
        StackValidationPolicy(name=UNVERIFIED_STACK_POLICY, description="Stack findings that wait for values unknown during preview",
                              validate=stack_policy("unverified", unverified), **advisory),
    ]
