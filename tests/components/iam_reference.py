"""Check a policy document against the IAM service reference (the parliament package's definitions).

Each Allow statement's actions must exist, and each of its resources must be an ARN of a
resource type the action accepts ("*" only for actions that accept no resource): a grant that
names a wrong ARN form or a misspelt action fails here, before AWS would ignore it silently.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from parliament import iam_definition


@functools.cache
def _services() -> dict[str, dict[str, Any]]:
    return {service["prefix"]: service for service in iam_definition}


# Names that may hold '/' (object keys, versioned package names `group/1`, namespaced repositories).
_SLASHED = {"ObjectName", "ModelPackageName", "RepositoryName"}


def _arn_pattern(arn: str) -> re.Pattern[str]:
    parts = re.split(r"\$\{([^}]+)\}", arn)  # literal, name, literal, name, ...
    regex = "".join(
        re.escape(part) if i % 2 == 0 else (".+" if part in _SLASHED else "[^/:]+") for i, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def problems(document: dict[str, Any]) -> list[str]:
    """What the IAM service reference does not accept in `document` (empty when all is well)."""
    found: list[str] = []
    for statement in document["Statement"]:
        for action in _as_list(statement["Action"]):
            prefix, _, name = action.partition(":")
            service = _services().get(prefix)
            privilege = next((p for p in (service or {}).get("privileges", []) if p["privilege"] == name), None)
            if privilege is None:
                found.append(f"{action}: not an IAM action")
                continue
            types = [rt["resource_type"].rstrip("*") for rt in privilege["resource_types"] if rt["resource_type"]]
            arns = [_arn_pattern(r["arn"]) for r in service["resources"] if r["resource"] in types]
            for resource in _as_list(statement.get("Resource", [])):
                if not types:
                    if resource != "*":
                        found.append(f"{action}: accepts no resource, so Resource must be '*', not {resource!r}")
                elif not any(p.match(resource) for p in arns):
                    found.append(f"{action}: {resource!r} is not an ARN of {', '.join(types)}")
    return found
