"""Cross-cutting governance (MLP-GOV-01, 02, 04): tags, a stated environment, valid waivers."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

import pulumi
from pydantic import Field

from mlplat.core.sdk_types import takes_tag_map
from mlplat.core.vocabulary import DATA_CLASSIFICATIONS, ENVIRONMENTS

from ..waivers import parse_waivers, waiver_problems
from ._framework import (
    ENVIRONMENT_TAGS,
    Finding,
    ResourceView,
    RuleConfig,
    RuleContext,
    environment_in_config,
    registered_rules,
    resource_rule,
    stack_rule,
)

__all__ = ["STATEFUL_TYPES", "environment_declared", "required_tags", "stateful_protected", "TagConfig", "waivers_valid"]



class TagConfig(RuleConfig):
    required_tags: list[str] = Field(
        default_factory=lambda: ["owner", "cost-center", "project", "env", "data-classification"],
        description="Tag keys every taggable AWS resource must carry.",
    )
    allowed_values: dict[str, list[str]] = Field(
        default_factory=lambda: {"data-classification": list(DATA_CLASSIFICATIONS), "env": list(ENVIRONMENTS)},
        description="Allowed values per tag key.",
    )
    default_tags: dict[str, str] = Field(
        default_factory=dict,
        description="Values the remediation adds for missing required tags (from the stack's config). Omitted: nothing is added.",
    )


def _taggable(r: ResourceView) -> bool:
    return r.type.startswith("aws:") and takes_tag_map(r.type)


def _add_missing_tags(r: ResourceView, cfg: TagConfig, ctx: RuleContext) -> Optional[Mapping[str, Any]]:
    if not _taggable(r) or not cfg.default_tags:
        return None
    tags = dict(r.tags)
    missing = {k: v for k, v in cfg.default_tags.items() if k in cfg.required_tags and k not in tags}
    if not missing:
        return None
    return {**dict(r.props), "tags": {**tags, **missing}}


@resource_rule(
    id="MLP-GOV-01", name="mlplat-required-tags", severity="low",
    description="Taggable AWS resources carry owner, cost-center, project, env and data-classification with allowed values",
    remediation=(
        "Register the platform tag transform (components.register_stack_tags) before declaring resources, or add the tags.",
        "Where the level is remediate, missing tags are added from the pack config's default_tags.",
    ),
    frameworks=("NIST-800-53:CM-8",), levels=("remediate", "mandatory"), config=TagConfig, remediate=_add_missing_tags,
)
def required_tags(r: ResourceView, cfg: TagConfig, ctx: RuleContext) -> Iterable[Finding]:
    if not _taggable(r):
        return
    tags = r.get("tags") or {}
    missing = [k for k in cfg.required_tags if k not in tags]
    if missing:
        yield Finding(f"{r.name} lacks tags {', '.join(missing)}")
    for key, allowed in cfg.allowed_values.items():
        value = tags.get(key)
        if value is not None and value not in allowed:
            yield Finding(f"{r.name} tag {key}={value!r} is not allowed (allowed: {', '.join(allowed)})", key=f"{key}={value}")


@stack_rule(
    id="MLP-GOV-02", name="mlplat-stack-environment-declared", severity="low",
    description="The stack states its environment (a stack tag or ml-platform:platform.environment) as dev, staging or prod",
    remediation=("Set ml-platform:platform.environment in the stack file, or tag the stack: pulumi stack tag set mlplat:environment prod.",),
    frameworks=("NIST-800-53:CM-2",), levels=("advisory", "mandatory"),
)
def environment_declared(views: list[ResourceView], cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    stated: list[tuple[str, str]] = [(f"stack tag {t}", ctx.stack_tags[t]) for t in ENVIRONMENT_TAGS if t in ctx.stack_tags]
    raw = pulumi.runtime.get_config("ml-platform:platform")
    if isinstance(raw, str):
        value = environment_in_config(raw)
        if value is not None:
            stated.append(("ml-platform:platform.environment", value))
    if not stated:
        yield Finding("the stack states no environment (neither a stack tag nor ml-platform:platform.environment)")
    for where, value in stated:
        if value not in ENVIRONMENTS:
            yield Finding(f"{where} is {value!r}, not one of {', '.join(ENVIRONMENTS)}")


@stack_rule(
    id="MLP-GOV-04", name="mlplat-waivers-valid", severity="medium",
    description="Waivers name a known rule, give a reason of at least ten characters and an owner, are unexpired, and never waive critical rules in prod",
    remediation=("Fix or remove the waiver in the pack folder's waivers.yaml, then run `mlplat policy-config`.",),
    frameworks=(), levels=("mandatory", "mandatory"),
)
def waivers_valid(views: list[ResourceView], cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    raw = ctx.waivers_raw
    waivers, malformed = parse_waivers(raw)
    for problem in malformed:
        yield Finding(problem)
    known = {rule.id: rule.severity for rule in registered_rules()}
    for problem in waiver_problems(waivers, known_rules=known, environment=ctx.environment, today=ctx.today):
        yield Finding(problem)


# --- MLP-GOV-03 (P1) -------------------------------------------------------------------------

# Resources whose deletion loses data or history, with the inputs that would delete it anyway
# (prop, value that deletes) or that must hold for the deletion to be refused.
STATEFUL_TYPES: dict[str, tuple[tuple[str, Any, str], ...]] = {
    "aws:s3/bucket:Bucket": (("forceDestroy", True, "deletes every object with the bucket"),),
    "aws:s3/bucketV2:BucketV2": (("forceDestroy", True, "deletes every object with the bucket"),),
    "aws:kms/key:Key": (),
    "aws:ecr/repository:Repository": (("forceDelete", True, "deletes every image with the repository"),),
    "aws:sagemaker/featureGroup:FeatureGroup": (),
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": (),
    "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer": (),
    "aws:sagemaker/domain:Domain": (),
    "aws:glue/catalogDatabase:CatalogDatabase": (),
    "aws:eks/cluster:Cluster": (("deletionProtection", False, "lets EKS delete the cluster"),),
    "aws:efs/fileSystem:FileSystem": (),
    "aws:dynamodb/table:Table": (("deletionProtectionEnabled", False, "lets DynamoDB delete the table"),),
    "aws:rds/instance:Instance": (("deletionProtection", False, "lets RDS delete the database"),
                                  ("skipFinalSnapshot", True, "deletes it without a final snapshot")),
    "aws:rds/cluster:Cluster": (("deletionProtection", False, "lets RDS delete the cluster"),
                                ("skipFinalSnapshot", True, "deletes it without a final snapshot")),
    "aws:secretsmanager/secret:Secret": (("recoveryWindowInDays", 0, "deletes the secret without a recovery window"),),
}


@resource_rule(
    id="MLP-GOV-03", name="mlplat-stateful-resources-protected", severity="medium",
    description=(
        "In staging and prod, stateful resources (buckets, keys, ECR repositories, feature groups, model package groups, "
        "MLflow servers, Studio domains, Glue databases, EKS clusters, file systems, tables, databases, secrets) are "
        "protected from deletion (the protect option) and set nothing that deletes their data with them (forceDestroy, "
        "forceDelete, skipFinalSnapshot, a recovery window of 0; deletion protection off where the service has it)"
    ),
    remediation=(
        "Declare the resource with opts=pulumi.ResourceOptions(protect=True) (mlplat components protect their stateful "
        "resources unless protect=False; the stack config's deletion_protection cannot be false outside dev).",
        "Remove force_destroy / force_delete / skip_final_snapshot, and turn the service's deletion protection on.",
    ),
    frameworks=("NIST-800-53:CP-9", "NIST-800-53:SI-12"), levels=("disabled", "mandatory"), types=tuple(STATEFUL_TYPES),
)
def stateful_protected(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    kind = r.type.rsplit(":", 1)[-1]
    if not r.protect:
        yield Finding(f"{kind} {r.name} is not protected: a program change or `pulumi destroy` deletes it", key="protect")
    for prop, deleting, effect in STATEFUL_TYPES.get(r.type, ()):
        value = r.known(prop)
        if value is None and deleting is False:
            value = False  # deletion protection off by default
        if value == deleting and type(value) is type(deleting):
            yield Finding(f"{kind} {r.name}: {prop} is {value!r}, which {effect}", key=prop)
