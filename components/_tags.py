"""Stack-wide tagging: one resource transform gives every taggable AWS resource the org tags.

Applied as a stack transform (not by hand in each component) so that resources a user declares
beside mlplat's components are tagged too. A resource's own tags win over the platform's: an
explicit value on a resource is a decision, the platform's is a default.
"""

from __future__ import annotations

from typing import Mapping, Optional

import pulumi

from mlplat.core.errors import Problem, raise_if_problems
from mlplat.core.sdk_types import takes_tag_map
from mlplat.core.vocabulary import DATA_CLASSIFICATIONS, ENVIRONMENTS, MANAGED_BY, REQUIRED_TAG_KEYS

# AWS tags: keys 1-128 and values 0-256 characters of letters, digits, spaces and _ . : / = + - @;
# keys starting with `aws:` are reserved.
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
_TAG_PUNCTUATION = frozenset("_.:/=+-@")
TAG_CHARACTERS = "letters, digits, spaces and _ . : / = + - @"


def _tag_text(text: str) -> bool:
    return all(ch.isalnum() or ch.isspace() or ch in _TAG_PUNCTUATION for ch in text)


def tag_problems(path: str, key: object, value: object) -> list[Problem]:
    """Problems AWS would refuse in one tag (`path` names where the tag came from)."""
    problems = []
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_TAG_KEY or not _tag_text(key) or key.lower().startswith("aws:"):
        problems.append(Problem(f"{path}.key", f"is not an AWS tag key (1 to {MAX_TAG_KEY} {TAG_CHARACTERS}; "
                                               "not starting with 'aws:')", key))
    if not isinstance(value, str) or len(value) > MAX_TAG_VALUE or not _tag_text(value):
        problems.append(Problem(f"{path}.{key}" if isinstance(key, str) else path,
                                f"is not an AWS tag value (0 to {MAX_TAG_VALUE} {TAG_CHARACTERS})", value))
    return problems


def platform_tags(
    *, owner: str, cost_center: str, project: str, environment: str, data_classification: str,
    extra: Optional[Mapping[str, str]] = None,
) -> dict[str, str]:
    """The tags every taggable resource of the stack carries: `extra`, then the required ones.

    ConfigError naming the argument when `environment` is not one of dev, staging, prod,
    `data_classification` not one of public, internal, confidential, restricted, or a value or
    an `extra` key is not something AWS accepts in a tag.
    """
    problems: list[Problem] = []
    if environment not in ENVIRONMENTS:
        problems.append(Problem("platform_tags.environment", f"is not an environment (allowed: {', '.join(ENVIRONMENTS)})",
                                environment))
    if data_classification not in DATA_CLASSIFICATIONS:
        problems.append(Problem("platform_tags.data_classification",
                                f"is not a data classification (allowed: {', '.join(DATA_CLASSIFICATIONS)})",
                                data_classification))
    for argument, value in (("owner", owner), ("cost_center", cost_center), ("project", project)):
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TAG_VALUE or not _tag_text(value):
            problems.append(Problem(f"platform_tags.{argument}",
                                    f"is not an AWS tag value (1 to {MAX_TAG_VALUE} {TAG_CHARACTERS}, not blank)", value))
    if extra is not None and not isinstance(extra, Mapping):
        problems.append(Problem("platform_tags.extra", "is not a mapping of tag keys to values", extra))
        extra = None
    for key, value in (extra or {}).items():
        problems.extend(tag_problems("platform_tags.extra", key, value))
    raise_if_problems(problems)
    tags = dict(extra or {})
    tags.update(
        {
            "owner": owner,
            "cost-center": cost_center,
            "project": project,
            "env": environment,
            "data-classification": data_classification,
            "managed-by": MANAGED_BY,
        }
    )
    return tags


def tag_transform(tags: Mapping[str, str]) -> pulumi.ResourceTransform:
    """A resource transform that merges `tags` into every AWS resource taking a tag map."""
    frozen = dict(tags)

    def transform(args: pulumi.ResourceTransformArgs) -> Optional[pulumi.ResourceTransformResult]:
        if not args.custom or not args.type_.startswith("aws:") or not takes_tag_map(args.type_):
            return None
        own = args.props.get("tags")
        if own is not None and not isinstance(own, Mapping):
            return None  # an unknown or computed tag map: leave it to the provider
        props = dict(args.props)
        props["tags"] = {**frozen, **(own or {})}
        return pulumi.ResourceTransformResult(props=props, opts=args.opts)

    return transform


def register_stack_tags(tags: Mapping[str, str]) -> None:
    """Tag every taggable AWS resource registered from now on. Call before declaring resources."""
    pulumi.runtime.register_resource_transform(tag_transform(tags))
