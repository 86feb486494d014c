"""KMS keys (MLP-KMS-01..04): rotation, safe key policies, a deletion window to recover from a
mistaken deletion, and ML resources encrypted with keys this stack governs.

MLP-KMS-04 reads each ML resource's key references (`KEY_REFERENCES`: where each type names its
keys) and joins them to the stack's keys: through the property dependency of the top-level
property (known even in preview), else by the key's known ARN, id or alias."""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence

from pydantic import Field

from mlplat.core.sdk_compat import UnknownValueError
from mlplat.core.vocabulary import layer_of_stack

from ._documents import is_unconditioned_public_allow, statements
from ._framework import Finding, ResourceView, RuleConfig, RuleContext, resource_rule

__all__ = [
    "ALIAS_TYPE", "DeletionWindowConfig", "STACK_REFERENCE_TYPE", "KEY_POLICY_TYPE", "KEY_REFERENCES", "KEY_TYPE", "KeyOriginConfig", "key_deletion_window",
    "key_policy_safe", "key_references", "key_rotation", "ml_resources_use_governed_keys",
]
ALIAS_TYPE = "aws:kms/alias:Alias"

KEY_TYPE = "aws:kms/key:Key"
KEY_POLICY_TYPE = "aws:kms/keyPolicy:KeyPolicy"


def _symmetric(r: ResourceView) -> bool:
    return r.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT" and r.get(
        "keyUsage", "ENCRYPT_DECRYPT"
    ) == "ENCRYPT_DECRYPT"


def _turn_rotation_on(r: ResourceView, cfg: Any, ctx: RuleContext) -> Optional[Mapping[str, Any]]:
    if _symmetric(r) and r.get("enableKeyRotation") is not True:
        return {**dict(r.props), "enableKeyRotation": True}
    return None


@resource_rule(
    id="MLP-KMS-01", name="mlplat-kms-key-rotation-enabled", severity="high",
    description="Symmetric customer-managed keys rotate their key material",
    remediation=("Set enable_key_rotation=True on the aws.kms.Key (remediated automatically where the level is remediate).",),
    frameworks=("AwsSolutions-KMS5", "CKV_AWS_7", "NIST-800-53:SC-12"), levels=("remediate", "mandatory"),
    types=(KEY_TYPE,), remediate=_turn_rotation_on,
)
def key_rotation(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    if _symmetric(r) and r.get("enableKeyRotation") is not True:
        yield Finding(f"key {r.name} does not rotate (enableKeyRotation is {r.get('enableKeyRotation')!r})")


@resource_rule(
    id="MLP-KMS-02", name="mlplat-kms-key-policy-safe", severity="critical",
    description='Key policies keep the lockout safety check and allow no unconditioned Principal "*"',
    remediation=(
        "Remove bypass_policy_lockout_safety_check=True.",
        'Replace Principal "*" allows with named principals, or narrow them with kms:CallerAccount/aws:SourceAccount conditions.',
    ),
    frameworks=("CKV_AWS_33", "NIST-800-53:AC-6"), levels=("mandatory", "mandatory"), types=(KEY_TYPE, KEY_POLICY_TYPE),
)
def key_policy_safe(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    if r.get("bypassPolicyLockoutSafetyCheck") is True:
        yield Finding(f"{r.name} bypasses the key policy lockout safety check")
    for statement in statements(r.json("policy")):
        if is_unconditioned_public_allow(statement):
            yield Finding(f'{r.name} key policy allows Principal "*" without a condition (statement {statement.label})')


# --- MLP-KMS-03 ------------------------------------------------------------------------------

AWS_DEFAULT_DELETION_WINDOW = 30


class DeletionWindowConfig(RuleConfig):
    min_deletion_window_days: dict[str, int] = Field(
        default_factory=lambda: {"dev": 7, "staging": 30, "prod": 30},
        description="Per environment, the shortest deletionWindowInDays a key may have (KMS allows 7 to 30); an "
        "environment not listed uses prod's.",
    )


@resource_rule(
    id="MLP-KMS-03", name="mlplat-kms-key-deletion-window", severity="medium",
    description=(
        "Customer-managed keys wait at least 7 days (dev) or 30 days (staging, prod) between a deletion request and "
        "the deletion (deletionWindowInDays; absent is AWS's 30), so a mistaken deletion can be cancelled before the "
        "data it encrypts is lost for good"
    ),
    remediation=(
        "Set deletion_window_in_days=30 on the aws.kms.Key (mlplat: EncryptionArgs.deletion_window_days), or leave it unset (30).",
    ),
    frameworks=("NIST-800-53:SC-12", "NIST-800-53:CP-9"), levels=("advisory", "mandatory"), types=(KEY_TYPE,),
    config=DeletionWindowConfig,
)
def key_deletion_window(r: ResourceView, cfg: DeletionWindowConfig, ctx: RuleContext) -> Iterable[Finding]:
    window = r.get("deletionWindowInDays")
    days = AWS_DEFAULT_DELETION_WINDOW if window is None else window
    minimum = cfg.min_deletion_window_days.get(ctx.environment, cfg.min_deletion_window_days.get("prod", AWS_DEFAULT_DELETION_WINDOW))
    if isinstance(days, (int, float)) and days < minimum:
        yield Finding(f"key {r.name} is deleted {int(days)} days after a deletion request (at least {minimum} in {ctx.environment})")


# --- MLP-KMS-04 ------------------------------------------------------------------------------

# Where ML resources name their KMS keys: type -> paths ("*" steps into every list item).
_JOB_DEFINITIONS = {
    f"aws:sagemaker/{name[0].lower() + name[1:]}JobDefinition:{name}JobDefinition": prefix
    for name, prefix in (("DataQuality", "dataQuality"), ("ModelQuality", "modelQuality"), ("ModelBias", "modelBias"),
                         ("ModelExplainability", "modelExplainability"))
}
KEY_REFERENCES: dict[str, tuple[str, ...]] = {
    "aws:sagemaker/featureGroup:FeatureGroup": (
        "offlineStoreConfig.s3StorageConfig.kmsKeyId", "onlineStoreConfig.securityConfig.kmsKeyId"),
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": (
        "kmsKeyArn", "dataCaptureConfig.kmsKeyId", "asyncInferenceConfig.outputConfig.kmsKeyId"),
    "aws:sagemaker/notebookInstance:NotebookInstance": ("kmsKeyId",),
    "aws:sagemaker/domain:Domain": ("kmsKeyId",),
    "aws:sagemaker/monitoringSchedule:MonitoringSchedule": (
        "monitoringScheduleConfig.monitoringJobDefinition.monitoringOutputConfig.kmsKeyId",
        "monitoringScheduleConfig.monitoringJobDefinition.monitoringResources.clusterConfig.volumeKmsKeyId"),
    **{token: (f"{prefix}JobOutputConfig.kmsKeyId", "jobResources.clusterConfig.volumeKmsKeyId")
       for token, prefix in _JOB_DEFINITIONS.items()},
    "aws:eks/cluster:Cluster": ("encryptionConfig.provider.keyArn", "encryptionConfig.*.provider.keyArn"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("blockDeviceMappings.*.ebs.kmsKeyId",),
    "aws:ecr/repository:Repository": ("encryptionConfigurations.*.kmsKey",),
    "aws:cloudwatch/logGroup:LogGroup": ("kmsKeyId",),
    "aws:sns/topic:Topic": ("kmsMasterKeyId",),
    "aws:sqs/queue:Queue": ("kmsMasterKeyId",),
}


def _walk(value: Any, parts: Sequence[str], where: str) -> Iterator[tuple[str, Any]]:
    if not parts:
        yield where, value
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        if isinstance(value, Sequence) and not isinstance(value, str):
            for index, item in enumerate(value):
                yield from _walk(item, rest, f"{where}[{index}]")
        return
    if isinstance(value, Mapping) and head in value:
        yield from _walk(value[head], rest, f"{where}.{head}" if where else head)


UNKNOWN_KEY = object()  # a reference computed from another resource, unknown in preview


def key_references(r: ResourceView) -> list[tuple[str, Any]]:
    """(where, value) of every key reference `r` makes; `UNKNOWN_KEY` for one unknown until apply."""
    found: list[tuple[str, Any]] = []
    for path in KEY_REFERENCES.get(r.type, ()):
        try:
            found.extend((where, value) for where, value in _walk(r.props, path.split("."), "") if value not in (None, ""))
        except UnknownValueError:
            found.append((path, UNKNOWN_KEY))
    return found


STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"


def _environment_layer(reference: ResourceView, ctx: RuleContext) -> bool:
    """Whether a stack reference reads a layer stack of this stack's environment (`<env>-<layer>`)."""
    name = reference.get("name")
    layer = layer_of_stack(name) if isinstance(name, str) else None
    return layer is not None and layer[0] == ctx.environment


class KeyOriginConfig(RuleConfig):
    allowed_key_arns: list[str] = Field(
        default_factory=list,
        description="KMS key (or alias) ARNs from outside this stack that ML resources may use, e.g. a central logs key. "
        "Omitted: only keys declared in this stack.",
    )


@resource_rule(
    id="MLP-KMS-04", name="mlplat-kms-ml-resources-use-governed-keys", severity="high",
    description=(
        "ML resources (feature groups, endpoint configurations, monitoring jobs, notebooks and domains, EKS clusters, "
        "node launch templates, ECR repositories, log groups, SNS topics, SQS queues) encrypt with customer-managed keys "
        "declared in this stack (joined by property dependency, or by the key's ARN, id or alias), read from a layer stack "
        "of the same environment (a stack reference to `<env>-<layer>`, whose keys the rules check there) or allow-listed, never "
        "an AWS-managed alias/aws/* key"
    ),
    remediation=(
        "Point the resource's KMS key at a key of this stack (mlplat: the Encryption component's domain keys).",
        "A key from another stack or account must be reviewed and added to allowed_key_arns in the pack configuration.",
    ),
    frameworks=("NIST-800-53:SC-12", "NIST-800-53:SC-28"), levels=("advisory", "mandatory"), types=tuple(KEY_REFERENCES),
    config=KeyOriginConfig, joins=True,
)
def ml_resources_use_governed_keys(r: ResourceView, cfg: KeyOriginConfig, ctx: RuleContext) -> Iterable[Finding]:
    assert r.stack is not None
    key_urns = {k.urn for k in r.stack.of_type(KEY_TYPE, ALIAS_TYPE)}
    for where, value in key_references(r):
        top = where.split(".", 1)[0].split("[", 1)[0]
        if any(u in key_urns for u in r.property_dependencies.get(top, ())):
            continue  # computed from a key (or alias) of this stack
        if any(_environment_layer(ref, ctx) for ref in r.stack.referenced(r, top, (STACK_REFERENCE_TYPE,))):
            continue  # a key of the environment's layer below (its foundation), governed in that stack
        if value is UNKNOWN_KEY:
            yield Finding(f"{r.name}: {where} is unknown until apply and {top} depends on no key of this stack", unverified=True)
        elif not isinstance(value, str):
            continue
        elif value.startswith("alias/aws/") or ":alias/aws/" in value:
            yield Finding(f"{r.name}: {where} is the AWS-managed key {value} (its policy cannot be governed)", key=where)
        elif r.stack.named(value, (KEY_TYPE, ALIAS_TYPE), ("arn", "keyId", "id", "name", "targetKeyArn")):
            continue
        elif value in cfg.allowed_key_arns:
            continue
        else:
            yield Finding(f"{r.name}: {where} names key {value}, which is neither declared in this stack nor allow-listed", key=where)
