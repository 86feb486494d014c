"""Lineage in a plan: every resource of a model family or feature group, read from lineage tags.

A resource belongs to a family when it carries `mlplat:model-family` = family, or when it cannot
carry tags (policies, lifecycle rules, event targets, role policies) and depends on a resource
that belongs to the family (directly or through other such untaggable resources). Taggable
resources without the tag never belong, even when they depend on the family's resources: a
resource that could say which family it serves and does not, serves none.

    for resource in resources_of_family(plan, "fraud"):
        print(resource.urn)
"""

from __future__ import annotations

from mlplat.core.vocabulary import FAMILY_TAG, FEATURE_GROUP_TAG
from mlplat.core.sdk_types import takes_tag_map

from .plan import Plan, PlannedResource

__all__ = ["families", "resources_of_family", "resources_of_feature_group"]


def resources_of_family(plan: Plan, family: str) -> list[PlannedResource]:
    """Every custom resource of model family `family`, in plan order."""
    return _members(plan, FAMILY_TAG, family)


def resources_of_feature_group(plan: Plan, group: str) -> list[PlannedResource]:
    """Every custom resource of feature group `group` (by `mlplat:feature-group`), in plan order."""
    return _members(plan, FEATURE_GROUP_TAG, group)


def families(plan: Plan) -> list[str]:
    """The model families named by the plan's resources, sorted."""
    return sorted({r.tags[FAMILY_TAG] for r in plan.custom_resources if isinstance(r.tags.get(FAMILY_TAG), str)})


def _members(plan: Plan, tag: str, value: str) -> list[PlannedResource]:
    resources = plan.custom_resources
    members = {r.urn for r in resources if r.tags.get(tag) == value}
    untaggable = [r for r in resources if r.urn not in members and not takes_tag_map(r.type)]
    changed = True
    while changed:  # a fixpoint: untaggable resources may chain (policy -> role policy -> ...)
        changed = False
        for resource in untaggable:
            if resource.urn in members:
                continue
            if any(dep in members for dep in resource.dependency_urns):
                members.add(resource.urn)
                changed = True
    return [r for r in resources if r.urn in members]
