"""What the IAM service definitions say about actions (from the parliament package's data).

Read from the package's shipped JSON without importing parliament (its import pulls in
pkg_resources and parses its own config): the file is the maintained list of every action and
the resource types it accepts.
"""

from __future__ import annotations

import fnmatch
import functools
import importlib.util
import json
from pathlib import Path


@functools.lru_cache(maxsize=1)
def _definitions() -> dict[str, dict[str, list[str]]]:
    spec = importlib.util.find_spec("parliament")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the parliament package (IAM service definitions) is not installed")
    path = Path(list(spec.submodule_search_locations)[0]) / "iam_definition.json"
    catalog: dict[str, dict[str, list[str]]] = {}
    for service in json.loads(path.read_text()):
        actions = catalog.setdefault(service["prefix"].lower(), {})
        for privilege in service["privileges"]:
            actions[privilege["privilege"].lower()] = [r["resource_type"] for r in privilege["resource_types"]]
    return catalog


def accepts_no_resource(action: str) -> bool:
    """True for actions that take no resource ARN (only Resource "*" is valid), e.g. ecr:GetAuthorizationToken."""
    service, _, name = action.lower().partition(":")
    resource_types = _definitions().get(service, {}).get(name)
    return resource_types is not None and all(not rt for rt in resource_types)


def matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())
