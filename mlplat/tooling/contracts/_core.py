"""Contract checks: the AWS API requests a plan implies, validated against botocore's models.

The provider turns a resource's inputs into API requests (CreateEndpointConfig, PutMetricAlarm,
...). A mapper per resource type rebuilds those requests from the planned inputs; `validate`
checks them against the operation's input shape in botocore's service model: member names,
types, required members, enums, patterns, lengths and numeric bounds. botocore's own
ParamValidator checks names, types, required members and minimums only, so enums, patterns and
maximums are checked here from the shape metadata.

Values unknown at plan time are skipped (a preview cannot know them); everything else is checked.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional

from botocore.model import ListShape, MapShape, Shape, StructureShape

from mlplat.core.aws_models import operation_model

from ..plan import UNKNOWN, Plan, PlannedResource, is_unknown
from ..secrets import Redactor


@dataclass(frozen=True)
class ContractError:
    """One way a planned resource's API request would be refused by AWS."""

    urn: str
    operation: str  # "sagemaker:CreateEndpointConfig"
    path: str  # "ProductionVariants[0].InstanceType"
    message: str

    def render(self) -> str:
        return f"{self.urn}: {self.operation} {self.path}: {self.message}"

    def to_json(self) -> dict[str, str]:
        return {"urn": self.urn, "operation": self.operation, "path": self.path, "message": self.message}


class MappingGap(LookupError):
    """A planned property has no counterpart in the API request shape (a mapper must say where it goes)."""


@dataclass(frozen=True)
class Request:
    service: str  # botocore service name: "sagemaker", "cloudwatch"
    operation: str  # "CreateEndpointConfig"
    params: dict[str, Any]
    # Where the request comes from when a document carries it ("pipeline step Train"); reported with its errors.
    context: str = ""

    @property
    def label(self) -> str:
        where = f" ({self.context})" if self.context else ""
        return f"{self.service}:{self.operation}{where}"


@dataclass(frozen=True)
class Refusal:
    """A problem a mapper finds itself in a document a request carries (a pipeline definition's step
    that is not a step, a reference to no parameter): AWS would refuse the request for it."""

    operation: str  # "sagemaker:CreatePipeline"
    path: str  # "PipelineDefinition.Steps[2].Name"
    message: str


Mapper = Callable[[PlannedResource, Plan], Iterable["Request | Refusal"]]
_MAPPERS: dict[str, Mapper] = {}


def contract(*type_tokens: str) -> Callable[[Mapper], Mapper]:
    """Register the function that maps a resource type's inputs to its API requests."""

    def register(fn: Mapper) -> Mapper:
        for token in type_tokens:
            _MAPPERS[token] = fn
        return fn

    return register


def mapped_types() -> frozenset[str]:
    return frozenset(_MAPPERS)


def requests_for(resource: PlannedResource, plan: Plan) -> list[Request]:
    """The API requests the provider would send to create `resource` (none for an unmapped type).

    Not the requests a document the resource carries makes later (a pipeline's steps: they have a
    `context`), nor a mapper's refusals."""
    mapper = _MAPPERS.get(resource.type)
    if mapper is None:
        return []
    return [r for r in mapper(resource, plan) if isinstance(r, Request) and not r.context]


def validate(request: Request) -> list[tuple[str, str]]:
    """(path, message) for every way `request.params` breaks the operation's input shape."""
    shape = operation_model(request.service, request.operation).input_shape
    problems: list[tuple[str, str]] = []
    _check(shape, request.params, "", problems)
    return problems


def check_plan(plan: Plan) -> list[ContractError]:
    """Every contract error of every mapped resource in the plan."""
    errors: list[ContractError] = []
    for resource in plan.custom_resources:
        mapper = _MAPPERS.get(resource.type)
        if mapper is None:
            continue
        try:
            requests = list(mapper(resource, plan))
        except MappingGap as gap:
            errors.append(ContractError(resource.urn, "(mapping)", "", str(gap)))
            continue
        # A check may say a secret input is malformed, never what it is. A check quotes one member
        # of a secret structure (the API key inside `authParameters`): mask the members one by one.
        redactor = Redactor.of(_members(resource.secret_values))
        for request in requests:
            if isinstance(request, Refusal):
                errors.append(ContractError(resource.urn, request.operation, request.path, request.message))
                continue
            for path, message in validate(request):
                errors.append(ContractError(resource.urn, request.label, path, redactor.text(message)))
    return errors


def _members(values: Iterable[Any]) -> Iterator[Any]:
    """Every scalar inside `values` (secret structures' members included)."""
    for value in values:
        if isinstance(value, Mapping):
            yield from _members(value.values())
        elif isinstance(value, list):
            yield from _members(value)
        else:
            yield value


# --- mapping helpers -------------------------------------------------------------------------


def input_shape(service: str, operation: str) -> Shape:
    return operation_model(service, operation).input_shape


def tag_list(tags: Any, *, key: str = "Key", value: str = "Value") -> Any:
    """A provider map (`tags`, `dimensions`) as the API's `[{Key, Value}]` list, sorted by key;
    anything else (an unknown) passes through."""
    if isinstance(tags, Mapping):
        return [{key: k, value: tags[k]} for k in sorted(tags)]
    return tags


def planned_name(resource: PlannedResource, prop: str, plan: Plan) -> Any:
    """A name the program set or the provider generated: inputs, then outputs; unknown in a
    preview when neither has it yet."""
    for source in (resource.inputs, resource.outputs):
        value = source.get(prop)
        if value not in (None, ""):
            return value
    return UNKNOWN if plan.preview else None


def to_request(
    props: Mapping[str, Any],
    shape: Shape,
    *,
    renames: Optional[Mapping[str, str]] = None,
    drop: Iterable[str] = (),
    path: str = "",
) -> dict[str, Any]:
    """Map camelCase provider props onto `shape`'s members (case-insensitive match).

    `renames` maps a prop path (`"kmsKeyArn"` or `"productionVariants.serverlessConfig.memorySizeInMb"`)
    to a member name where the two differ; `drop` lists prop paths the API does not take (tags
    go elsewhere, provider-only fields). An unmatched prop raises MappingGap, so a new provider
    field cannot slip past the check unnoticed.
    """
    renames = dict(renames or {})
    dropped = set(drop)
    if not isinstance(shape, StructureShape):
        raise MappingGap(f"{path or 'request'} is not a structure in the API shape")
    by_lower = {name.lower(): name for name in shape.members}
    out: dict[str, Any] = {}
    for key, value in props.items():
        prop_path = f"{path}.{key}" if path else key
        if prop_path in dropped or value is None:
            continue
        member = renames.get(prop_path) or by_lower.get(key.lower())
        if member is None or member not in shape.members:
            raise MappingGap(f"property {prop_path!r} has no member in {shape.name} (members: {', '.join(shape.members)})")
        out[member] = _to_value(value, shape.members[member], renames, dropped, prop_path)
    return out


def _to_value(value: Any, shape: Shape, renames: Mapping[str, str], dropped: set[str], path: str) -> Any:
    if is_unknown(value):
        return value
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        return to_request(value, shape, renames=renames, drop=dropped, path=path)
    if isinstance(shape, ListShape):
        items = value if isinstance(value, list) else [value]
        return [_to_value(v, shape.member, renames, dropped, path) for v in items]
    return value


# --- validation ------------------------------------------------------------------------------

_INTEGER_TYPES = ("integer", "long")
_FLOAT_TYPES = ("float", "double")


def _check(shape: Shape, value: Any, path: str, problems: list[tuple[str, str]]) -> None:
    if is_unknown(value):
        return
    type_name = shape.type_name
    meta = shape.metadata
    here = path or "(request)"
    if isinstance(shape, StructureShape):
        if not isinstance(value, Mapping):
            problems.append((here, f"expected a structure ({shape.name}), got {type(value).__name__}"))
            return
        for required in shape.required_members:
            if required not in value:
                problems.append((_join(path, required), "is required"))
        for key, item in value.items():
            member = shape.members.get(key)
            if member is None:
                problems.append((_join(path, key), f"is not a member of {shape.name}"))
                continue
            _check(member, item, _join(path, key), problems)
        return
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            problems.append((here, f"expected a list, got {type(value).__name__}"))
            return
        _bounds(len(value), meta, here, problems, "items")
        for index, item in enumerate(value):
            _check(shape.member, item, f"{path}[{index}]", problems)
        return
    if isinstance(shape, MapShape):
        if not isinstance(value, Mapping):
            problems.append((here, f"expected a map, got {type(value).__name__}"))
            return
        _bounds(len(value), meta, here, problems, "entries")
        for key, item in value.items():
            _check(shape.key, key, f"{path}.<key {key!r}>", problems)
            _check(shape.value, item, f"{path}[{key!r}]", problems)
        return
    if type_name == "string":
        if not isinstance(value, str):
            problems.append((here, f"expected a string, got {value!r}"))
            return
        if shape.enum and value not in shape.enum:
            allowed = ", ".join(shape.enum[:12]) + (f", ... ({len(shape.enum)} values)" if len(shape.enum) > 12 else "")
            problems.append((here, f"{value!r} is not one of the API's values ({allowed})"))
        _bounds(len(value), meta, here, problems, "characters")
        pattern = meta.get("pattern")
        if pattern and not _matches(pattern, value):
            problems.append((here, f"{value!r} does not match the API pattern {pattern}"))
        return
    if type_name in _INTEGER_TYPES:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(value, float) and not value.is_integer()):
            problems.append((here, f"expected an integer, got {value!r}"))
            return
        _bounds(value, meta, here, problems, "")
        return
    if type_name in _FLOAT_TYPES:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append((here, f"expected a number, got {value!r}"))
            return
        _bounds(value, meta, here, problems, "")
        return
    if type_name == "boolean" and not isinstance(value, bool):
        problems.append((here, f"expected a boolean, got {value!r}"))


def _bounds(measure: float, meta: Mapping[str, Any], path: str, problems: list[tuple[str, str]], unit: str) -> None:
    low, high = meta.get("min"), meta.get("max")
    suffix = f" {unit}" if unit else ""
    if low is not None and measure < low:
        problems.append((path, f"{measure}{suffix} is below the API minimum {low}"))
    if high is not None and measure > high:
        problems.append((path, f"{measure}{suffix} is above the API maximum {high}"))


@functools.lru_cache(maxsize=None)
def _compiled(pattern: str) -> Optional[re.Pattern[str]]:
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None  # Java-only syntax (\p{...}); the other checks still apply


def _matches(pattern: str, value: str) -> bool:
    compiled = _compiled(pattern)
    return True if compiled is None else compiled.fullmatch(value) is not None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
