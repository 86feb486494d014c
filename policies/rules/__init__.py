"""The rule catalogue: one module per domain, each registering its rules on import."""

import importlib
import pkgutil

from ._framework import (
    ENVIRONMENTS,
    REPORTING_POLICIES,
    UNVERIFIED_RESOURCE_POLICY,
    UNVERIFIED_STACK_POLICY,
    WAIVED_RESOURCE_POLICY,
    WAIVED_STACK_POLICY,
    Finding,
    NoConfig,
    ResourceView,
    Rule,
    RuleConfig,
    RuleContext,
    registered_rules,
    resource_rule,
    stack_rule,
)

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "ENVIRONMENTS",
    "REPORTING_POLICIES",
    "UNVERIFIED_RESOURCE_POLICY",
    "UNVERIFIED_STACK_POLICY",
    "WAIVED_RESOURCE_POLICY",
    "WAIVED_STACK_POLICY",
    "Finding",
    "NoConfig",
    "ResourceView",
    "Rule",
    "RuleConfig",
    "RuleContext",
    "registered_rules",
    "resource_rule",
    "stack_rule",
]
