"""Lineage tags: which model family or feature group a resource belongs to, and what built it.

Every resource of a model family carries `mlplat:model-family`, every resource of a feature
group `mlplat:feature-group`, and both carry `mlplat:platform-version` (the installed mlplat
version, so a resource says which library declared it). `mlplat:source-revision` (the commit a
model was built from) goes only on deployment-scoped resources, SageMaker models and endpoint
configurations (docs/DECISIONS.md, Tags and lineage: other resources must not change on every deploy); asking for it on
any other type is a WiringError.

    tags = family_tags("fraud")                      # registry, ECR repositories, rules, roles
    tags = feature_group_tags("customers")           # feature groups
    tags = deployment_tags("fraud", "4f2c9e1", resource_type="aws:sagemaker/model:Model")

`mlplat.lineage.resources_of_family(plan, family)` reads these tags back from a plan.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
from typing import Optional

from mlplat.core.errors import Problem, WiringError, raise_if_problems
from mlplat.core.vocabulary import FAMILY_TAG, FEATURE_GROUP_TAG, PLATFORM_VERSION_TAG, SOURCE_REVISION_TAG


# Resources replaced or re-created on every deploy: the only ones that name a source revision.
DEPLOYMENT_SCOPED_TYPES: tuple[str, ...] = (
    "aws:sagemaker/model:Model",
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
)

MAX_LINEAGE_NAME = 32
_LINEAGE_NAME = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
# A git revision, tag or short name: what AWS accepts in a tag value, at most 128 characters.
_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+=@-]{0,127}$")
UNKNOWN_VERSION = "0+unknown"


@functools.lru_cache(maxsize=1)
def platform_version() -> str:
    """The installed mlplat distribution's version (`0+unknown` when it is not installed)."""
    try:
        return importlib.metadata.version("mlplat")
    except importlib.metadata.PackageNotFoundError:
        return UNKNOWN_VERSION


def check_lineage_name(path: str, value: str, what: str) -> list[Problem]:
    """Problems with a family or feature group name (it is used in tags, child and physical names)."""
    if not isinstance(value, str) or not _LINEAGE_NAME.match(value) or len(value) > MAX_LINEAGE_NAME:
        return [
            Problem(
                path,
                f"is not a usable {what} name (lowercase letters, digits and '-', starting with a letter, "
                f"not ending with '-', at most {MAX_LINEAGE_NAME} characters)",
                value,
            )
        ]
    return []


def check_source_revision(path: str, value: str) -> list[Problem]:
    if not isinstance(value, str) or not _REVISION.match(value):
        return [
            Problem(
                path,
                "is not a source revision (a commit id or tag: letters, digits and ._/+=@-, starting "
                "with a letter or digit, at most 128 characters)",
                value,
            )
        ]
    return []


def _checked(problems: list[Problem]) -> None:
    # A bad name or revision is a bad value, reported as every other one is.
    raise_if_problems(problems)


def family_tags(family: str) -> dict[str, str]:
    """Tags of a model family's resources: `mlplat:model-family` and `mlplat:platform-version`."""
    _checked(check_lineage_name("family_tags.family", family, "model family"))
    return {FAMILY_TAG: family, PLATFORM_VERSION_TAG: platform_version()}


def feature_group_tags(group: str) -> dict[str, str]:
    """Tags of a feature group's resources: `mlplat:feature-group` and `mlplat:platform-version`."""
    _checked(check_lineage_name("feature_group_tags.group", group, "feature group"))
    return {FEATURE_GROUP_TAG: group, PLATFORM_VERSION_TAG: platform_version()}


def deployment_tags(family: str, source_revision: str, *, resource_type: str) -> dict[str, str]:
    """Family tags plus `mlplat:source-revision`, for deployment-scoped resources only.

    `resource_type` must be one of DEPLOYMENT_SCOPED_TYPES (SageMaker models and endpoint
    configurations); any other type raises WiringError, since a revision tag on it would update
    that resource on every deploy.
    """
    if resource_type not in DEPLOYMENT_SCOPED_TYPES:
        raise WiringError(
            f"{SOURCE_REVISION_TAG} goes only on deployment-scoped resources "
            f"({', '.join(DEPLOYMENT_SCOPED_TYPES)}), not on {resource_type}; use family_tags() instead"
        )
    _checked(check_source_revision("deployment_tags.source_revision", source_revision))
    return {**family_tags(family), SOURCE_REVISION_TAG: source_revision}


def lineage_tags(
    *, family: Optional[str] = None, feature_group: Optional[str] = None,
) -> dict[str, str]:
    """Lineage tags of a resource that belongs to a family, a feature group, or both."""
    if family is None and feature_group is None:
        raise WiringError("lineage_tags needs a family or a feature_group")
    tags: dict[str, str] = {}
    if family is not None:
        tags.update(family_tags(family))
    if feature_group is not None:
        tags.update(feature_group_tags(feature_group))
    return tags
