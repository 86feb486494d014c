"""Rule cases: for every rule, compliant programs that must not trigger it and mutations that must.

Each domain module defines CASES; tests/policies/test_rule_cases.py runs them all through the
offline policy runner, and the meta-tests require a passing and a failing case for every rule.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable, Literal, Optional


@dataclass(frozen=True)
class RuleCase:
    rule_id: str
    expect: Literal["pass", "fail"]
    program: Callable[[], Any]
    description: str
    environment: str = "prod"
    preview: bool = False
    message: Optional[str] = None  # a substring the failing finding's message must contain
    stack_tags: Optional[dict[str, str]] = None
    config: Optional[dict[str, Any]] = None  # stack config the engine hands analyzers
    waivers: Optional[list[dict[str, Any]]] = None  # pack-configuration waivers for this environment
    rule_config: Optional[dict[str, Any]] = None  # this rule's pack configuration (merged over the preset)
    stack_references: Optional[dict[str, dict[str, Any]]] = None  # outputs of the stacks the program references

    @property
    def id(self) -> str:
        return f"{self.rule_id}-{self.expect}-{self.description.replace(' ', '_')}"

    def plan(self) -> Any:
        """The case's program, planned offline as its environment's stack."""
        from mlplat.tooling.offline import run_callable

        return run_callable(self.program, preview=self.preview, stack=self.environment,
                            stack_references=self.stack_references)

    def evaluate_kwargs(self) -> dict[str, Any]:
        """`evaluate` arguments: the environment's preset with the case's waivers and rule config."""
        from mlplat.policies.presets import pack_config
        from mlplat.policies.rules import registered_rules

        config = pack_config(self.environment, self.waivers or [])
        if self.rule_config:
            name = next(r.name for r in registered_rules() if r.id == self.rule_id)
            config[name] = {**config[name], **self.rule_config}
        return {"pack_config": config, "stack_tags": self.stack_tags, "config": self.config or {}}


def all_cases() -> list[RuleCase]:
    cases: list[RuleCase] = []
    for module in pkgutil.iter_modules(__path__):
        cases.extend(importlib.import_module(f"{__name__}.{module.name}").CASES)
    return cases
