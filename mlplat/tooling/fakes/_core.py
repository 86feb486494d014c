"""Realistic provider outputs for the offline runner.

The engine's providers compute ids, ARNs, names and endpoints; under mocks something must play
that part, or documents built from outputs (IAM policies, bucket policies) are incomplete. Each
fake below returns what the real provider would, in the real format for the region and account,
derived deterministically from the resource's URN so plans are stable from run to run.

Fakes live in this package's modules, one per provider domain (`aws_core.py`, ...), registered
with the `@fake` and `@invoke` decorators; they take priority. A type without one gets outputs
generated from its provider SDK's type information (`_generic`), and so does an invoke without
one: `RealisticMocks` remembers which, so the plan can say which values were invented. A type the
installed SDKs do not describe (a provider without a Python SDK here) gets its inputs back, an id,
and what a `@fallback` for its package adds (Kubernetes custom resources get the API server's
metadata).
"""

from __future__ import annotations

import hashlib
import contextlib
import copy
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

from pulumi.runtime import Mocks, MockCallArgs, MockResourceArgs

from mlplat.core.errors import PlatformError

from ..pulumi_compat import secret_envelope

FAKE_ACCOUNT_ID = "123456789012"

Outputs = dict[str, Any]


def stable_hex(seed: str, length: int) -> str:
    """Deterministic lowercase hex derived from `seed` (stands in for provider randomness)."""
    out = ""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"{seed}#{counter}".encode()).hexdigest()
        counter += 1
    return out[:length]


def generated_name(name: str, seed: str) -> str:
    """The provider's auto-name of a resource: `<logical name>-<7 hex>`, stable for a seed (its URN)."""
    return f"{name}-{stable_hex(seed, 7)}"


def fake_uuid(seed: str) -> str:
    h = stable_hex(seed, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


@dataclass(frozen=True)
class FakeContext:
    """What a fake needs to shape an output: where it lives and a stable seed."""

    region: str
    account: str
    seed: str
    name: str

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return ":".join(
            ["arn", "aws", service, self.region if region else "", self.account if account else "", resource]
        )

    def hex(self, length: int) -> str:
        return stable_hex(self.seed, length)

    def name_from(self, props: Mapping[str, Any], key: str = "name") -> str:
        """The name the program gave in `props[key]`, or the provider's auto-name."""
        value = props.get(key)
        return value if isinstance(value, str) and value else generated_name(self.name, self.seed)


FakeFn = Callable[[FakeContext, Mapping[str, Any]], tuple[str, Outputs]]
_FAKES: dict[str, FakeFn] = {}


def fake(*type_tokens: str) -> Callable[[FakeFn], FakeFn]:
    def register(fn: FakeFn) -> FakeFn:
        for token in type_tokens:
            _FAKES[token] = fn
        return fn

    return register


FallbackFn = Callable[[FakeContext, str, Mapping[str, Any]], Optional[tuple[str, Outputs]]]
_FALLBACKS: list[tuple[str, FallbackFn]] = []


def fallback(type_prefix: str) -> Callable[[FallbackFn], FallbackFn]:
    """Register outputs for types of a package the installed SDKs do not describe (by token prefix)."""

    def register(fn: FallbackFn) -> FallbackFn:
        _FALLBACKS.append((type_prefix, fn))
        return fn

    return register


@contextlib.contextmanager
def without_fakes(*type_tokens: str) -> Iterator[None]:
    """Set the hand-written fakes of these types aside for the block: the generic path answers
    them (to compare the two paths on the same program; not thread-safe against a running plan)."""
    saved = {token: _FAKES.pop(token) for token in type_tokens if token in _FAKES}
    try:
        yield
    finally:
        _FAKES.update(saved)


# --- invokes ---------------------------------------------------------------------------------

InvokeFn = Callable[["RealisticMocks", Mapping[str, Any]], dict[str, Any]]
_INVOKES: dict[str, InvokeFn] = {}


def invoke(*tokens: str) -> Callable[[InvokeFn], InvokeFn]:
    def register(fn: InvokeFn) -> InvokeFn:
        for token in tokens:
            _INVOKES[token] = fn
        return fn

    return register


class OfflineAnswerError(PlatformError, LookupError):
    """The program asked for something the offline runner cannot answer (the message says what to pass)."""


class UnmockedInvokeError(OfflineAnswerError):
    """A program called a data source the offline runner has no answer for."""


class UnknownStackReferenceError(OfflineAnswerError):
    """A program referenced a stack whose outputs the offline runner was not given."""


STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
# Helm's v4 Chart: a component the Kubernetes provider renders (with Helm) and whose objects it
# returns as its `resources` output. Offline nothing renders it: the plan says so.
HELM_V4_CHART = "kubernetes:helm.sh/v4:Chart"


InvokeResults = Mapping[str, Any]  # token -> result for any arguments, or [{"args": {...}, "result": {...}}, ...]


@dataclass
class GenericUse:
    """What the mocks generated from SDK type information rather than a hand-written fake."""

    resources: dict[str, tuple[int, tuple[str, ...]]] = field(default_factory=dict)  # type -> (count, properties)
    undescribed: dict[str, int] = field(default_factory=dict)  # types no SDK describes: inputs only
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (token, arguments)
    unrendered_charts: list[str] = field(default_factory=list)  # Helm charts whose objects the plan lacks
    remote_components: dict[str, int] = field(default_factory=dict)  # type -> count: outputs only, no children
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def resource(self, type_token: str, properties: Sequence[str]) -> None:
        with self._lock:
            count, known = self.resources.get(type_token, (0, ()))
            merged = known if set(properties) <= set(known) else tuple(sorted({*known, *properties}))
            self.resources[type_token] = (count + 1, merged)

    def undescribed_type(self, type_token: str) -> None:
        with self._lock:
            self.undescribed[type_token] = self.undescribed.get(type_token, 0) + 1

    def invoke(self, token: str, args: Mapping[str, Any]) -> None:
        with self._lock:
            self.invokes.append((token, dict(args)))

    def remote_component(self, type_token: str) -> None:
        with self._lock:
            self.remote_components[type_token] = self.remote_components.get(type_token, 0) + 1

    def unrendered_chart(self, description: str) -> None:
        with self._lock:
            self.unrendered_charts.append(description)


@dataclass
class RealisticMocks(Mocks):
    """Mocks that answer like the AWS provider would in `region` for `account`.

    `invoke_results` pins invoke answers by token, as plain dictionaries: a token maps to the result
    for any arguments, or to a list of `{"args": {...}, "result": {...}}` entries, the first whose
    `args` the call's arguments include answering (an entry without `args` matches any call).
    In preview mode, computed outputs are left out so the SDK sees them as unknown, as
    `pulumi preview` does for a new stack. `generic` records what was generated without a fake.
    """

    region: str = "us-east-1"
    account: str = FAKE_ACCOUNT_ID
    preview: bool = False
    invoke_results: InvokeResults = field(default_factory=dict)
    stack_references: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    seed_of: Callable[[MockResourceArgs], str] = lambda args: getattr(args, "urn", f"{args.typ}::{args.name}")
    generic: GenericUse = field(default_factory=GenericUse)

    def new_resource(self, args: MockResourceArgs) -> tuple[Optional[str], dict]:
        inputs = dict(args.inputs)
        if args.typ == STACK_REFERENCE_TYPE:
            return self._stack_reference(args)
        fn = _FAKES.get(args.typ)
        if self.preview:
            return "", inputs
        ctx = FakeContext(self.region, self.account, self.seed_of(args), args.name)
        if args.typ == HELM_V4_CHART:
            chart = inputs.get("chart")
            self.generic.unrendered_chart(
                f"{HELM_V4_CHART} {args.name!r} (chart {chart!r}{_version_of(inputs)}): its `resources` output is empty "
                "(the provider registers the chart's objects itself: they cannot be pinned; a v3 Chart's can)"
            )
        elif not getattr(args, "custom", True):
            self.generic.remote_component(args.typ)
        if fn is None:
            return self._without_fake(ctx, args.typ, inputs)
        resource_id, computed = fn(ctx, inputs)
        return resource_id, {**inputs, **computed}

    def _without_fake(self, ctx: FakeContext, type_token: str, inputs: dict[str, Any]) -> tuple[Optional[str], dict]:
        if type_token.startswith("pulumi:"):  # providers and the SDK's built-ins (Stash): their inputs are their state
            return f"{ctx.name}-{ctx.hex(8)}", inputs
        from ._generic import generic_resource  # built on this module

        generated = generic_resource(ctx, type_token, inputs)
        if generated is not None:
            resource_id, computed, properties = generated
            self.generic.resource(type_token, properties)
            return resource_id, {**inputs, **computed}
        self.generic.undescribed_type(type_token)
        for prefix, fn in _FALLBACKS:
            if type_token.startswith(prefix):
                answer = fn(ctx, type_token, inputs)
                if answer is not None:
                    return answer[0], {**inputs, **answer[1]}
        return f"{ctx.name}-{ctx.hex(8)}", inputs

    def _stack_reference(self, args: MockResourceArgs) -> tuple[Optional[str], dict]:
        """The referenced stack's outputs as the engine returns them: secret outputs (a `StackOutputs`
        answer's `secret_names`) as secrets, named in `secretOutputNames`. A fully qualified name
        (`org/project/stack`) is answered by its stack's entry when there is no entry under the full name."""
        name = args.inputs.get("name") or args.resource_id or args.name
        key = name if name in self.stack_references else name.rsplit("/", 1)[-1]
        if key not in self.stack_references:
            raise UnknownStackReferenceError(
                f"the offline runner has no outputs for stack reference {name!r}; "
                "pass its outputs with `mlplat plan --stack-references FILE` or `--stack-outputs NAME=FILE`, or "
                "stack_references={name: {output: value}} in the test kit"
            )
        answer = self.stack_references[key]
        secret_names = sorted(getattr(answer, "secret_names", ()))
        outputs = {k: (secret_envelope(v) if k in secret_names else v) for k, v in dict(answer).items()}
        return name, {"name": name, "outputs": outputs, "secretOutputNames": secret_names}

    def call(self, args: MockCallArgs) -> tuple[dict, Optional[list[tuple[str, str]]]]:
        pinned = pinned_result(self.invoke_results, args.token, args.args)
        if pinned is not None:
            return pinned, []
        fn = _INVOKES.get(args.token)
        if fn is not None:
            return fn(self, args.args), []
        from ._generic import generic_invoke  # built on this module

        result = generic_invoke(args.token, args.args, self.region, self.account)
        if result is None:
            raise UnmockedInvokeError(
                f"the offline runner has no answer for invoke {args.token!r} (no installed provider SDK declares it); "
                "pin one with invoke_results={token: {...}} (mlplat.testing) or `mlplat plan --invoke-results FILE`"
            )
        self.generic.invoke(args.token, args.args)
        return result, []


def _version_of(options: Mapping[str, Any]) -> str:
    version = options.get("version")
    return f", version {version}" if version else ""


def pinned_result(results: InvokeResults, token: str, args: Mapping[str, Any]) -> Optional[dict[str, Any]]:
    """The pinned answer of an invoke for these arguments, if any (see `RealisticMocks`)."""
    pinned = results.get(token)
    if pinned is None:
        return None
    if isinstance(pinned, Mapping):
        return copy.deepcopy(dict(pinned))
    for entry in pinned:
        wanted = entry.get("args") or {}
        if all(_same(args.get(key), value) for key, value in wanted.items()):
            return copy.deepcopy(dict(entry.get("result") or {}))
    return None


def _same(actual: Any, wanted: Any) -> bool:
    """Argument equality as a user writes it: numbers compare as numbers, maps by the keys given."""
    if isinstance(wanted, Mapping) and isinstance(actual, Mapping):
        return all(_same(actual.get(k), v) for k, v in wanted.items())
    if isinstance(wanted, (list, tuple)) and isinstance(actual, (list, tuple)):
        return len(wanted) == len(actual) and all(_same(a, w) for a, w in zip(actual, wanted))
    if isinstance(wanted, (int, float)) and isinstance(actual, (int, float)) and not isinstance(wanted, bool):
        return float(actual) == float(wanted)
    return actual == wanted
