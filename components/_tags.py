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
from mlplat.core.validators import check_tag_value, check_tags
from mlplat.core.vocabulary import DATA_CLASSIFICATIONS, ENVIRONMENTS, MANAGED_BY


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
        problems.extend(check_tag_value(f"platform_tags.{argument}", value, required=True))
    if extra is not None and not isinstance(extra, Mapping):
        problems.append(Problem("platform_tags.extra", "is not a mapping of tag keys to values", extra))
        extra = None
    problems.extend(check_tags("platform_tags.extra", extra or {}))
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
