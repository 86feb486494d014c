"""The mlplat policy pack: every registered rule as a CrossGuard policy, plus waiver reporting."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel

from .rules import registered_rules
from .rules._framework import reporting_policies, to_policy

PACK_NAME = "mlplat"
DESCRIPTION = "mlplat governance: storage, keys, identity, ML services, clusters and workloads (docs/GOVERNANCE.md)"
# Policies carry prod's level by default: a stack whose environment cannot be told is prod.
DEFAULT_ENFORCEMENT = EnforcementLevel.ADVISORY


def all_policies() -> list:
    rules = registered_rules()
    return [to_policy(rule) for rule in rules] + reporting_policies(rules)
