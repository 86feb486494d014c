"""Realistic provider outputs for the offline runner.

The engine's providers compute ids, ARNs, names and endpoints; under mocks something must play
that part, or documents built from outputs (IAM policies, bucket policies) are incomplete. Each
fake below returns what the real provider would, in the real format for the region and account,
derived deterministically from the resource's URN so plans are stable from run to run.

Types without a fake get their inputs back and a deterministic id: the plan stays honest about
what it does not know rather than inventing attributes. Fakes live in this package's modules, one
per provider domain (`aws_core.py`, ...), registered with the `@fake` and `@invoke` decorators.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

from pulumi.runtime import Mocks, MockCallArgs, MockResourceArgs

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


# --- invokes ---------------------------------------------------------------------------------

InvokeFn = Callable[["RealisticMocks", Mapping[str, Any]], dict[str, Any]]
_INVOKES: dict[str, InvokeFn] = {}


def invoke(*tokens: str) -> Callable[[InvokeFn], InvokeFn]:
    def register(fn: InvokeFn) -> InvokeFn:
        for token in tokens:
            _INVOKES[token] = fn
        return fn

    return register


class UnmockedInvokeError(LookupError):
    """A program called a data source the offline runner has no answer for."""


class UnknownStackReferenceError(LookupError):
    """A program referenced a stack whose outputs the offline runner was not given."""


STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"


@dataclass
class RealisticMocks(Mocks):
    """Mocks that answer like the AWS provider would in `region` for `account`.

    `invoke_results` overrides or adds invoke answers by token (plain dictionaries, as a test
    kit user would write them). In preview mode, computed outputs are left out so the SDK sees
    them as unknown, as `pulumi preview` does for a new stack.
    """

    region: str = "us-east-1"
    account: str = FAKE_ACCOUNT_ID
    preview: bool = False
    invoke_results: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    stack_references: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    seed_of: Callable[[MockResourceArgs], str] = lambda args: getattr(args, "urn", f"{args.typ}::{args.name}")

    def new_resource(self, args: MockResourceArgs) -> tuple[Optional[str], dict]:
        inputs = dict(args.inputs)
        if args.typ == STACK_REFERENCE_TYPE:
            return self._stack_reference(args)
        fn = _FAKES.get(args.typ)
        if self.preview:
            return "", inputs
        ctx = FakeContext(self.region, self.account, self.seed_of(args), args.name)
        if fn is None:
            return f"{args.name}-{ctx.hex(8)}", inputs
        resource_id, computed = fn(ctx, inputs)
        return resource_id, {**inputs, **computed}

    def _stack_reference(self, args: MockResourceArgs) -> tuple[Optional[str], dict]:
        name = args.inputs.get("name") or args.resource_id or args.name
        if name not in self.stack_references:
            raise UnknownStackReferenceError(
                f"the offline runner has no outputs for stack reference {name!r}; "
                "pass stack_references={name: {output: value}}"
            )
        return name, {"name": name, "outputs": dict(self.stack_references[name]), "secretOutputNames": []}

    def call(self, args: MockCallArgs) -> tuple[dict, Optional[list[tuple[str, str]]]]:
        if args.token in self.invoke_results:
            return dict(self.invoke_results[args.token]), []
        fn = _INVOKES.get(args.token)
        if fn is None:
            raise UnmockedInvokeError(
                f"the offline runner has no answer for invoke {args.token!r}; "
                "pass it in invoke_results={token: {...}} (mlplat.testing) or add a fake in mlplat/fakes.py"
            )
        return fn(self, args.args), []
