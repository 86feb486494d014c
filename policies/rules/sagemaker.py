"""SageMaker governance: feature store (MLP-FS-01..04), models (MLP-MDL-01, 02), the model
registry (MLP-REG-01) and serving (MLP-EP-01..05, 07).

Props are pulumi-aws 7 camelCase inputs (resource rules) or outputs (stack rules):

- `aws:sagemaker/featureGroup:FeatureGroup`: `offlineStoreConfig.s3StorageConfig.{s3Uri,kmsKeyId}`,
  `onlineStoreConfig.{enableOnlineStore,securityConfig.kmsKeyId,ttlDuration}`, `tags`;
- `aws:sagemaker/model:Model`: `enableNetworkIsolation`, `vpcConfig.{subnets,securityGroupIds}`,
  `primaryContainer` and `containers[]` (`image`, `modelPackageName`), `executionRoleArn`;
- `aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy`: `resourcePolicy` (JSON);
- `aws:sagemaker/endpointConfiguration:EndpointConfiguration`: `kmsKeyArn`,
  `productionVariants[]` / `shadowProductionVariants[]` (`instanceType`, `initialInstanceCount`,
  `serverlessConfig`), `dataCaptureConfig.{enableCapture,kmsKeyId,destinationS3Uri,
  initialSamplingPercentage}`;
- `aws:sagemaker/endpoint:Endpoint`: `name`, `deploymentConfig.{blueGreenUpdatePolicy,
  autoRollbackConfiguration.alarms[].alarmName}`;
- `aws:cloudwatch/metricAlarm:MetricAlarm`: `name`, `namespace`, `metricName`, `dimensions`,
  `metricQueries[].metric.{namespace,metricName,dimensions}`; composite alarms: `alarmName`.

Unknown values (preview of a new stack): a KMS key, subnet or alarm ARN computed from another
resource is *set*, whatever its value, so it passes; a value whose content decides the check (an
image, an S3 URI, an instance count) gives an unverified finding, which the pack reports as
advisory until `pulumi up` checks it again.

Scopes follow the governance catalogue (policies/catalogue.yaml, docs/GOVERNANCE.md). MLP-EP-03
checks each endpoint configuration but joins its capture destination to the bucket declared in
the stack (`joins=True`: by the bucket's name in a known URI, else by the property dependency of
`dataCaptureConfig`, known even in preview) and checks that bucket's role and governed settings;
a destination outside the stack must be on the reviewed `allowed_destinations`. MLP-FS-03 joins
the offline store to its bucket the same way.
"""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any, Iterable, Mapping, Optional, Sequence

import pulumi
from pydantic import Field

from mlplat.core.sdk_compat import UnknownValueError
from mlplat.core.vocabulary import DATA_CLASSIFICATIONS

from ._documents import not_principal_allow_labels, statements
from ._framework import Finding, ResourceView, RuleConfig, RuleContext, resource_rule, stack_rule
from ._references import referenced_one, stack_index
from .iam import ATTACHMENT_TYPES, managed_policy_arns
from ._framework import MISSING as _MISSING, UNKNOWN as _UNKNOWN, state as _state
from .s3 import (
    KMS_ALGORITHMS,
    PAB_FLAGS,
    PAB_TYPE,
    VERSIONING_TYPES,
    BucketFacts,
    buckets_by_name,
    buckets_by_urn,
    encryption_defaults,
)

__all__ = [
    "COMPOSITE_ALARM_TYPE",
    "DataCaptureRuleConfig",
    "endpoint_alarms",
    "endpoint_monitoring_schedule",
    "feature_group_role",
    "FeatureGroupRoleConfig",
    "JOB_DEFINITION_INPUTS",
    "model_from_package",
    "MONITORING_SCHEDULE_TYPE",
    "endpoint_blue_green",
    "endpoint_config_data_capture",
    "endpoint_config_instance_types",
    "endpoint_config_instances",
    "endpoint_config_key",
    "ENDPOINT_CONFIG_TYPE",
    "ENDPOINT_TYPE",
    "EndpointAlarmConfig",
    "EndpointKeyConfig",
    "feature_group_tags",
    "FEATURE_GROUP_TYPE",
    "FeatureGroupTagConfig",
    "governance_gaps",
    "group_policy_principals",
    "GROUP_POLICY_TYPE",
    "GroupPolicyConfig",
    "INSTANCE_STORAGE_FAMILIES",
    "InstanceCountConfig",
    "InstanceTypeConfig",
    "METRIC_ALARM_TYPE",
    "model_images",
    "model_network_isolation",
    "MODEL_TYPE",
    "ModelImageConfig",
    "offline_store_bucket",
    "offline_store_encrypted",
    "OfflineStoreBucketConfig",
    "online_store_encrypted",
    "SAGEMAKER_NAMESPACE",
    "SAGEMAKER_PREBUILT_REGISTRY_ACCOUNTS",
    "STACK_ACCOUNT_ECR",
]

FEATURE_GROUP_TYPE = "aws:sagemaker/featureGroup:FeatureGroup"
MODEL_TYPE = "aws:sagemaker/model:Model"
GROUP_POLICY_TYPE = "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy"
ENDPOINT_CONFIG_TYPE = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT_TYPE = "aws:sagemaker/endpoint:Endpoint"
METRIC_ALARM_TYPE = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM_TYPE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"

SAGEMAKER_NAMESPACE = "AWS/SageMaker"

_ACCOUNT = re.compile(r"^\d{12}$")
_ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(\d{12}):")
_ECR_HOST = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


# --- reading values --------------------------------------------------------------------------


def _is_set(value: Any) -> bool:
    """Set: a non-empty value, or a value computed from another resource (unknown in preview)."""
    if value is _UNKNOWN:
        return True
    if value is _MISSING or value is None:
        return False
    if isinstance(value, (str, Sequence, Mapping)):
        return len(value) > 0  # proxied lists and maps compare by identity: count them
    return True


def _items(value: Any) -> list[Any]:
    if value is _MISSING or value is _UNKNOWN or value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [value]


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _s3_location(uri: str) -> Optional[tuple[str, str]]:
    """(bucket, key) of an `s3://bucket/key` URI; None for anything else."""
    if not uri.startswith("s3://"):
        return None
    bucket, _, key = uri[len("s3://"):].partition("/")
    return (bucket, key) if bucket else None


def _account_of(value: Any) -> Optional[str]:
    """The account of a 12-digit id or an ARN naming one (IAM principals, resource ARNs)."""
    if not isinstance(value, str):
        return None
    if _ACCOUNT.match(value):
        return value
    match = _ARN_ACCOUNT.match(value)
    return match.group(1) if match else None


def _configured_accounts(explicit: Sequence[str]) -> set[str]:
    """The stack's accounts from the rule's config, else the stack config `aws:allowedAccountIds`."""
    accounts = {a for a in explicit if _ACCOUNT.match(a)}
    if accounts:
        return accounts
    raw = pulumi.runtime.get_config("aws:allowedAccountIds")
    try:
        listed = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        listed = None
    return {str(a) for a in _items(listed) if _ACCOUNT.match(str(a))}


def _mapped_accounts() -> set[str]:
    """The accounts of the project's account map (`ml-platform:accounts`: shared_services and environments)."""
    raw = pulumi.runtime.get_config("ml-platform:accounts")
    try:
        document = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return set()
    if not isinstance(document, Mapping):
        return set()
    environments = document.get("environments")
    listed = [document.get("shared_services"), *(environments.values() if isinstance(environments, Mapping) else ())]
    return {a for a in listed if isinstance(a, str) and _ACCOUNT.match(a)}


# --- what makes a bucket governed (read with the S3 rules' join) -----------------------------


def governance_gaps(facts: BucketFacts) -> list[str]:
    """The governed settings a bucket lacks: default SSE-KMS encryption, all four public access
    block flags, versioning (what ArtifactStore gives every data bucket)."""
    gaps = []
    algorithms = []
    for default in encryption_defaults(facts):
        try:
            algorithms.append(default.settings.get("sseAlgorithm"))
        except UnknownValueError:
            algorithms.append("aws:kms")  # computed from another resource: trust the S3 rules to verify it
    if not any(a in KMS_ALGORITHMS for a in algorithms):
        gaps.append("default SSE-KMS encryption")
    blocks = facts.of(PAB_TYPE)
    if not blocks or any(_state(b, flag) not in (True, _UNKNOWN) for b in blocks for flag in PAB_FLAGS):
        gaps.append("a public access block with all four flags true")
    statuses = [_state(v, "versioningConfiguration.status") for v in facts.of(*VERSIONING_TYPES)]
    if _state(facts.bucket, "versioning.enabled") is True:
        statuses.append("Enabled")
    if "Enabled" not in statuses and _UNKNOWN not in statuses:
        gaps.append("versioning")
    return gaps


def _bucket_of(uri: Any, dependencies: Sequence[str], buckets: Mapping[str, BucketFacts],
               by_name: Mapping[str, BucketFacts]) -> Optional[BucketFacts]:
    """The in-stack bucket an S3 URI points into: by bucket name, else (URI unknown in preview)
    the bucket the property depends on."""
    if isinstance(uri, str):
        location = _s3_location(uri)
        return by_name.get(location[0]) if location else None
    depended = [buckets[u] for u in dependencies if u in buckets]
    return depended[0] if len(depended) == 1 else None


# --- MLP-FS-01 -------------------------------------------------------------------------------


@resource_rule(
    id="MLP-FS-01", name="mlplat-sagemaker-featuregroup-encrypt-offline-store", severity="high",
    description=(
        "A feature group's offline store names a KMS key (offlineStoreConfig.s3StorageConfig.kmsKeyId); "
        "groups without an offline store are not applicable"
    ),
    remediation=(
        "Set offline_store_config.s3_storage_config.kms_key_id to a customer-managed key ARN (mlplat: FeatureStore uses the datasets bucket's data key).",
    ),
    frameworks=("NIST-800-53:SC-28",), levels=("advisory", "mandatory"), types=(FEATURE_GROUP_TYPE,),
)
def offline_store_encrypted(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    offline = _state(r, "offlineStoreConfig")
    if offline is _MISSING:
        return  # no offline store: not applicable
    if offline is _UNKNOWN:
        yield Finding(f"feature group {r.name}: offlineStoreConfig is unknown until apply", unverified=True)
        return
    if not _is_set(_state(r, "offlineStoreConfig.s3StorageConfig.kmsKeyId")):
        yield Finding(
            f"feature group {r.name}: the offline store has no KMS key (offlineStoreConfig.s3StorageConfig.kmsKeyId is "
            "not set), so SageMaker writes it with the bucket's default encryption only"
        )


# --- MLP-FS-02 -------------------------------------------------------------------------------


@resource_rule(
    id="MLP-FS-02", name="mlplat-sagemaker-featuregroup-encrypt-online-store", severity="high",
    description=(
        "A feature group's online store names a KMS key (onlineStoreConfig.securityConfig.kmsKeyId), and groups "
        "tagged pii=true expire online records (onlineStoreConfig.ttlDuration); groups without an online store are not applicable"
    ),
    remediation=(
        "Set online_store_config.security_config.kms_key_id to a customer-managed key ARN.",
        "For pii groups set online_store_config.ttl_duration (e.g. {'unit': 'Days', 'value': 30}); mlplat: FeatureGroupArgs.ttl.",
    ),
    frameworks=("NIST-800-53:SC-28",), levels=("advisory", "mandatory"), types=(FEATURE_GROUP_TYPE,),
)
def online_store_encrypted(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    online = _state(r, "onlineStoreConfig")
    if online is _MISSING:
        return
    if online is _UNKNOWN:
        yield Finding(f"feature group {r.name}: onlineStoreConfig is unknown until apply", unverified=True)
        return
    enabled = _state(r, "onlineStoreConfig.enableOnlineStore")
    if enabled is not True and enabled is not _UNKNOWN:
        return  # the API's default is no online store: not applicable
    if not _is_set(_state(r, "onlineStoreConfig.securityConfig.kmsKeyId")):
        yield Finding(
            f"feature group {r.name}: the online store has no KMS key (onlineStoreConfig.securityConfig.kmsKeyId is not set)",
            key="kms",
        )
    pii = _state(r, "tags.pii")
    if isinstance(pii, str) and pii.lower() == "true" and not _is_set(_state(r, "onlineStoreConfig.ttlDuration")):
        yield Finding(
            f"feature group {r.name} is tagged pii=true but its online records never expire (onlineStoreConfig.ttlDuration is not set)",
            key="ttl",
        )


# --- MLP-FS-03 -------------------------------------------------------------------------------


class OfflineStoreBucketConfig(RuleConfig):
    allowed_prefixes: list[str] = Field(
        default_factory=list,
        description="S3 URI prefixes outside this stack that offline stores may use, e.g. 's3://central-features/team-a/'. "
        "Omitted: only buckets declared in this stack.",
    )
    bucket_roles: list[str] = Field(
        default_factory=lambda: ["datasets"],
        description="mlplat:bucket-role values an in-stack offline store bucket may carry. An untagged bucket is "
        "accepted when it has every governed setting (the strictest treatment).",
    )


@stack_rule(
    id="MLP-FS-03", name="mlplat-sagemaker-featuregroup-use-governed-offline-bucket", severity="high",
    description=(
        "A feature group's offline store (s3StorageConfig.s3Uri) is in a bucket declared in this stack with the "
        "governed settings (SSE-KMS by default, all four public access block flags, versioning) and a datasets role, "
        "or under an allow-listed prefix"
    ),
    remediation=(
        "Point offline_store_config.s3_storage_config.s3_uri into the platform's datasets bucket (mlplat: FeatureStore does this).",
        "A bucket outside the stack must be reviewed and its prefix added to allowed_prefixes in the pack configuration.",
    ),
    frameworks=("NIST-800-53:SC-28",), levels=("advisory", "mandatory"), config=OfflineStoreBucketConfig,
)
def offline_store_bucket(views: list[ResourceView], cfg: OfflineStoreBucketConfig, ctx: RuleContext) -> Iterable[Finding]:
    groups = [v for v in views if v.type == FEATURE_GROUP_TYPE]
    if not groups:
        return
    by_urn = buckets_by_urn(views)
    by_name = buckets_by_name(views)
    for group in groups:
        if _state(group, "offlineStoreConfig") is _MISSING:
            continue  # no offline store: not applicable
        uri = _state(group, "offlineStoreConfig.s3StorageConfig.s3Uri")
        if isinstance(uri, str) and any(uri.startswith(p) for p in cfg.allowed_prefixes):
            continue
        bucket = _bucket_of(
            uri if uri is not _UNKNOWN else None, group.property_dependencies.get("offlineStoreConfig", ()), by_urn, by_name
        )
        if bucket is None:
            if uri is _UNKNOWN:
                yield Finding(f"feature group {group.name}: the offline store URI is unknown until apply", group.urn, unverified=True)
            else:
                shown = uri if isinstance(uri, str) else "not set"
                yield Finding(
                    f"feature group {group.name}: the offline store ({shown}) is not in a bucket of this stack nor under an "
                    f"allowed prefix ({', '.join(cfg.allowed_prefixes) or 'none configured'})",
                    group.urn,
                )
            continue
        role = bucket.role
        if role is not None and role not in cfg.bucket_roles:
            yield Finding(
                f"feature group {group.name}: the offline store is in bucket {bucket.bucket.name}, whose role is {role!r} "
                f"(allowed: {', '.join(cfg.bucket_roles)})",
                group.urn, key=f"role={role}",
            )
        gaps = governance_gaps(bucket)
        if gaps:
            yield Finding(
                f"feature group {group.name}: the offline store bucket {bucket.bucket.name} lacks {', '.join(gaps)}",
                group.urn, key="ungoverned-bucket",
            )


# --- MLP-FS-04 -------------------------------------------------------------------------------


class FeatureGroupTagConfig(RuleConfig):
    required_tags: list[str] = Field(
        default_factory=lambda: ["data-classification", "owner", "pii"],
        description="Tags every feature group must carry (non-empty).",
    )
    allowed_values: dict[str, list[str]] = Field(
        default_factory=lambda: {"data-classification": list(DATA_CLASSIFICATIONS), "pii": ["true", "false"]},
        description="Allowed values per tag key (docs/DECISIONS.md, Environments and accounts: data-classification and pii).",
    )


@resource_rule(
    id="MLP-FS-04", name="mlplat-sagemaker-featuregroup-require-data-tags", severity="low",
    description="Feature groups carry the data-classification, owner and pii tags with allowed values",
    remediation=(
        "Tag the group with data-classification (public, internal, confidential, restricted), owner and pii ('true' or 'false'); "
        "mlplat: FeatureGroupArgs.data_classification, owner and pii.",
    ),
    frameworks=("NIST-800-53:CM-8",), levels=("advisory", "mandatory"), types=(FEATURE_GROUP_TYPE,),
    config=FeatureGroupTagConfig,
)
def feature_group_tags(r: ResourceView, cfg: FeatureGroupTagConfig, ctx: RuleContext) -> Iterable[Finding]:
    tags = _state(r, "tags")
    if tags is _UNKNOWN:
        yield Finding(f"feature group {r.name}: tags are unknown until apply", unverified=True)
        return
    tags = tags if isinstance(tags, Mapping) else {}
    missing = [k for k in cfg.required_tags if not _is_set(_state(tags, k))]
    if missing:
        yield Finding(f"feature group {r.name} lacks the tags {', '.join(missing)}", key="missing")
    for key, allowed in cfg.allowed_values.items():
        value = _state(tags, key)
        if isinstance(value, str) and value and value not in allowed:
            yield Finding(f"feature group {r.name}: tag {key}={value!r} is not allowed (allowed: {', '.join(allowed)})", key=f"{key}={value}")


# --- MLP-MDL-01 ------------------------------------------------------------------------------


@resource_rule(
    id="MLP-MDL-01", name="mlplat-sagemaker-model-isolate-network", severity="high",
    description="Models enable network isolation (enableNetworkIsolation) and run in a VPC (vpcConfig with subnets and security groups)",
    remediation=(
        "Set enable_network_isolation=True (the container gets no outbound network; SageMaker still fetches model artifacts).",
        "Set vpc_config with the platform VPC's private subnets and a security group (mlplat: Network outputs both).",
    ),
    frameworks=("CKV_AWS_370", "NIST-800-53:SC-7"), levels=("advisory", "mandatory"), types=(MODEL_TYPE,),
)
def model_network_isolation(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    isolation = _state(r, "enableNetworkIsolation")
    if isolation is _UNKNOWN:
        yield Finding(f"model {r.name}: enableNetworkIsolation is unknown until apply", unverified=True)
    elif isolation is not True:
        shown = "not set (the default is off)" if isolation is _MISSING else repr(isolation)
        yield Finding(f"model {r.name} does not isolate its containers from the network (enableNetworkIsolation is {shown})", key="isolation")
    vpc = _state(r, "vpcConfig")
    if vpc is _MISSING:
        yield Finding(f"model {r.name} has no vpcConfig: its containers run outside the platform VPC", key="vpc")
    elif vpc is not _UNKNOWN:
        empty = [p for p in ("subnets", "securityGroupIds") if not _is_set(_state(r, f"vpcConfig.{p}"))]
        if empty:
            yield Finding(f"model {r.name}: vpcConfig names no {' and no '.join(empty)}", key="vpc")


# --- MLP-MDL-02 ------------------------------------------------------------------------------

STACK_ACCOUNT_ECR = r"{account}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?"


class ModelImageConfig(RuleConfig):
    allowed_registries: list[str] = Field(
        default_factory=lambda: [STACK_ACCOUNT_ECR],
        description="Regular expressions a container image's registry host must match in full; '{account}' stands for "
        "each of the stack's accounts. Omitted: ECR of the stack's account in any region.",
    )
    allow_sagemaker_prebuilt_registries: bool = Field(
        default=True,
        description="Also allow the ECR registries (any region) of the AWS accounts that publish SageMaker's prebuilt "
        "images (the SageMaker Python SDK's image_uri_config). Omitted: allowed.",
    )
    account_ids: list[str] = Field(
        default_factory=list,
        description="The stack's AWS accounts. Omitted: the stack config aws:allowedAccountIds, else the account of the "
        "model's executionRoleArn.",
    )


def _registry_host(image: str) -> str:
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"  # a bare name such as python:3.12 is a Docker Hub image


def _containers(r: ResourceView) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    primary = _state(r, "primaryContainer")
    if primary is not _MISSING:
        found.append(("primaryContainer", primary))
    containers = _state(r, "containers")
    if containers is _UNKNOWN:
        found.append(("containers", _UNKNOWN))
    for index, container in enumerate(_items(containers)):
        found.append((f"containers[{index}]", container))
    return found


@resource_rule(
    id="MLP-MDL-02", name="mlplat-sagemaker-model-pin-trusted-images", severity="high",
    description=(
        "Model container images come from allowed registries (ECR of the stack's account, SageMaker's prebuilt "
        "registries, or configured ones) and are pinned by digest (@sha256:); model-package containers are exempt "
        "from the digest check (the registry pins them)"
    ),
    remediation=(
        "Push the image to the platform's ECR repository (mlplat: ModelRegistry) or use a SageMaker prebuilt image.",
        "Reference it by digest: <account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:<digest>, never by a tag.",
        "Another registry must be reviewed and added to allowed_registries in the pack configuration.",
    ),
    frameworks=("NIST-800-53:SI-7",), levels=("advisory", "mandatory"), types=(MODEL_TYPE,), config=ModelImageConfig,
)
def model_images(r: ResourceView, cfg: ModelImageConfig, ctx: RuleContext) -> Iterable[Finding]:
    accounts = _configured_accounts(cfg.account_ids)
    if not accounts:
        role_account = _account_of(r.known("executionRoleArn"))
        accounts = {role_account} if role_account else set()
    patterns = []
    for pattern in cfg.allowed_registries:
        if "{account}" in pattern:
            patterns += [re.compile(pattern.replace("{account}", re.escape(a))) for a in sorted(accounts)]
        else:
            patterns.append(re.compile(pattern))
    needs_account = any("{account}" in p for p in cfg.allowed_registries) and not accounts
    own = " or ".join(sorted(accounts)) or "<the stack's account>"
    allowed_text = ", ".join(
        [f"ECR of account {own} (any region)" if p == STACK_ACCOUNT_ECR else p.replace("{account}", own) for p in cfg.allowed_registries]
        + (["the SageMaker prebuilt registries"] if cfg.allow_sagemaker_prebuilt_registries else [])
    ) or "none"
    for where, container in _containers(r):
        if container is _UNKNOWN:
            yield Finding(f"model {r.name}: {where} is unknown until apply", unverified=True)
            continue
        if not isinstance(container, Mapping):
            continue
        image = _state(container, "image")
        if image is _UNKNOWN:
            yield Finding(f"model {r.name}: {where}.image is computed from another resource and checked after apply", unverified=True)
            continue
        if not isinstance(image, str) or not image:
            continue  # a model package container: the package names the image
        host = _registry_host(image)
        ecr = _ECR_HOST.match(host)
        trusted = any(p.fullmatch(host) for p in patterns) or bool(
            ecr and cfg.allow_sagemaker_prebuilt_registries and ecr.group("account") in SAGEMAKER_PREBUILT_REGISTRY_ACCOUNTS
        )
        if not trusted and needs_account and ecr:
            yield Finding(
                f"model {r.name}: {where}.image {image} is in the ECR registry of account {ecr.group('account')}, and the "
                "stack's account cannot be told (set aws:allowedAccountIds or the rule's account_ids)",
                unverified=True,
            )
        elif not trusted:
            yield Finding(
                f"model {r.name}: {where}.image {image} comes from registry {host}, which is not allowed (allowed: "
                f"{allowed_text})",
                key=f"registry={host}",
            )
        package = _state(container, "modelPackageName")
        if _is_set(package):
            continue  # the model package pins its image
        if not _DIGEST.search(image):
            yield Finding(f"model {r.name}: {where}.image {image} is not pinned by digest (@sha256:<64 hex>)", key=f"digest={image}")


# --- MLP-REG-01 ------------------------------------------------------------------------------


class GroupPolicyConfig(RuleConfig):
    allowed_accounts: list[str] = Field(
        default_factory=list,
        description="Accounts besides the stack's own that a model package group policy may grant, e.g. the staging "
        "and prod accounts that deploy from this registry; the accounts of the project's account map "
        "(ml-platform:accounts) are allowed too. Omitted: only the stack's own account and the map's.",
    )


@resource_rule(
    id="MLP-REG-01", name="mlplat-sagemaker-modelpackagegroup-restrict-policy-principals", severity="critical",
    description=(
        'Model package group policies allow no "*" principal (conditioned or not) and grant only the stack\'s own '
        "account (told from the policy's resource ARNs), the accounts of the project's account map "
        "(ml-platform:accounts) and allow-listed accounts"
    ),
    remediation=(
        'Replace Principal "*" with the consumer accounts\' root ARNs (arn:aws:iam::<account>:root).',
        "Add each consumer account to allowed_accounts in the pack configuration after review (mlplat: ModelRegistryArgs.consumer_accounts).",
    ),
    frameworks=("NIST-800-53:AC-3",), levels=("mandatory", "mandatory"), types=(GROUP_POLICY_TYPE,), config=GroupPolicyConfig,
)
def group_policy_principals(r: ResourceView, cfg: GroupPolicyConfig, ctx: RuleContext) -> Iterable[Finding]:
    group = r.known("modelPackageGroupName")
    group = group if isinstance(group, str) else r.name
    document = r.json("resourcePolicy")
    parsed = statements(document)
    own = {a for s in parsed for res in s.resources if (a := _account_of(res))} | _configured_accounts(())
    mapped = _mapped_accounts()
    allowed = own | set(cfg.allowed_accounts) | mapped
    for label in not_principal_allow_labels(document):
        yield Finding(f"statement {label} allows with NotPrincipal (everyone but the listed principals)", key="NotPrincipal")
    for statement in parsed:
        if not statement.allows:
            continue
        if statement.has_star_principal:
            yield Finding(f'statement {statement.label} allows Principal "*" on model package group {group}', key="*")
            continue
        for principal in statement.principal_values("AWS"):
            account = _account_of(principal)
            if account is None:
                yield Finding(f"statement {statement.label} names principal {principal!r}, which names no account", key=str(principal))
            elif not own:
                yield Finding(
                    f"statement {statement.label} grants account {account}, and the stack's own account cannot be told "
                    "(the policy names no resource ARN and aws:allowedAccountIds is not set)",
                    unverified=True,
                )
            elif account not in allowed:
                yield Finding(
                    f"statement {statement.label} grants account {account}, which is neither the stack's own "
                    f"({', '.join(sorted(own))}), in the account map ({', '.join(sorted(mapped)) or 'none'}) nor "
                    f"allow-listed ({', '.join(cfg.allowed_accounts) or 'none'})",
                    key=account,
                )


# --- serving: endpoint configurations ------------------------------------------------------


def _variants(r: ResourceView, *, shadow: bool = True) -> list[tuple[str, Any]]:
    found = []
    for prop in ("productionVariants", "shadowProductionVariants") if shadow else ("productionVariants",):
        for index, variant in enumerate(_items(_state(r, prop))):
            if isinstance(variant, Mapping):
                name = _state(variant, "variantName")
                found.append((name if isinstance(name, str) else f"{prop}[{index}]", variant))
    return found


def _serverless(variant: Any) -> bool:
    return _state(variant, "serverlessConfig") is not _MISSING


# Instance families with local NVMe instance storage. AWS rejects KmsKeyId when any variant uses
# one (CreateEndpointConfig: "If any of the models ... use nitro-based instances with local storage,
# do not specify a value for the KmsKeyId parameter"); the instance's hardware module encrypts them.
INSTANCE_STORAGE_FAMILIES = (
    "c5d", "c6id", "m5d", "m6id", "r5d", "r6id", "g4dn", "g5", "g6", "g6e", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en",
    "trn1", "trn1n", "trn2",
)


class EndpointKeyConfig(RuleConfig):
    instance_storage_families: list[str] = Field(
        default_factory=lambda: list(INSTANCE_STORAGE_FAMILIES),
        description="Instance families (the part after 'ml.') with local NVMe instance storage: AWS rejects a KMS key for "
        "endpoint configurations using them (their volumes are hardware-encrypted), so such configurations are not applicable.",
    )


@resource_rule(
    id="MLP-EP-01", name="mlplat-sagemaker-endpointconfig-encrypt-storage", severity="high",
    description=(
        "Endpoint configurations encrypt the ML storage volume with a KMS key (kmsKeyArn); configurations with an "
        "instance-storage instance type (ml.g5, ml.p4d, ...), where AWS rejects a key, are not applicable"
    ),
    remediation=("Set kms_key_arn on the aws.sagemaker.EndpointConfiguration to a customer-managed key ARN.",),
    frameworks=("CKV_AWS_98", "NIST-800-53:SC-28"), levels=("advisory", "mandatory"), types=(ENDPOINT_CONFIG_TYPE,),
    config=EndpointKeyConfig,
)
def endpoint_config_key(r: ResourceView, cfg: EndpointKeyConfig, ctx: RuleContext) -> Iterable[Finding]:
    for _, variant in _variants(r):
        instance_type = _state(variant, "instanceType")
        parts = instance_type.split(".") if isinstance(instance_type, str) else []
        if len(parts) == 3 and parts[1] in cfg.instance_storage_families:
            return  # AWS rejects a KMS key here: not applicable
    if not _is_set(_state(r, "kmsKeyArn")):
        yield Finding(f"endpoint configuration {r.name} has no kmsKeyArn: its ML storage volumes use a transient key SageMaker discards")


class InstanceCountConfig(RuleConfig):
    min_instances: int = Field(default=2, ge=1, description="Minimum initialInstanceCount of a provisioned production variant.")


@resource_rule(
    id="MLP-EP-02", name="mlplat-sagemaker-endpointconfig-require-multiple-instances", severity="medium",
    description=(
        "Provisioned production variants start with at least two instances (initialInstanceCount), so one instance "
        "or Availability Zone can fail; serverless variants are not applicable"
    ),
    remediation=("Set initial_instance_count >= 2 on every provisioned production variant (SageMaker spreads them across AZs).",),
    frameworks=(), levels=("disabled", "mandatory"), types=(ENDPOINT_CONFIG_TYPE,), config=InstanceCountConfig,
)
def endpoint_config_instances(r: ResourceView, cfg: InstanceCountConfig, ctx: RuleContext) -> Iterable[Finding]:
    for name, variant in _variants(r, shadow=False):
        if _serverless(variant):
            continue
        count = _state(variant, "initialInstanceCount")
        if count is _UNKNOWN:
            yield Finding(f"endpoint configuration {r.name}: variant {name}'s initialInstanceCount is unknown until apply", unverified=True)
        elif _number(count) is None:
            yield Finding(f"endpoint configuration {r.name}: provisioned variant {name} sets no initialInstanceCount", key=name)
        elif _number(count) < cfg.min_instances:
            yield Finding(
                f"endpoint configuration {r.name}: variant {name} starts with {int(_number(count))} instance(s), fewer than {cfg.min_instances}",
                key=name,
            )


class DataCaptureRuleConfig(RuleConfig):
    min_sampling_percentage: int = Field(
        default=10, ge=0, le=100, description="Minimum initialSamplingPercentage of data capture."
    )
    bucket_roles: list[str] = Field(
        default_factory=lambda: ["captures"],
        description="mlplat:bucket-role values an in-stack capture bucket may carry. An untagged bucket is accepted when "
        "it has every governed setting (the strictest treatment).",
    )
    allowed_destinations: list[str] = Field(
        default_factory=list,
        description="Globs of reviewed capture destinations outside this stack, 's3://<bucket glob>[/<key glob>]' (the "
        "bucket part is matched against the bucket name alone). Omitted: only buckets declared in this stack.",
    )


def _destination_allowed(uri: str, patterns: Sequence[str]) -> bool:
    location = _s3_location(uri)
    if location is None:
        return False
    bucket, key = location
    for pattern in patterns:
        allowed = _s3_location(pattern)
        if allowed is None:
            continue
        bucket_glob, key_glob = allowed
        if fnmatch.fnmatchcase(bucket, bucket_glob) and fnmatch.fnmatchcase(key, key_glob or "*"):
            return True
    return False


def _capture_destination(r: ResourceView, cfg: DataCaptureRuleConfig, destination: Any) -> Iterable[Finding]:
    """The capture destination is a governed bucket of this stack (joined by the bucket's name in a
    known URI, else by the property dependency of dataCaptureConfig), or a reviewed outside one."""
    assert r.stack is not None
    buckets = buckets_by_urn(r.stack.views)
    bucket = _bucket_of(
        destination if destination is not _UNKNOWN else None, r.property_dependencies.get("dataCaptureConfig", ()),
        buckets, buckets_by_name(r.stack.views),
    )
    if bucket is None:
        if destination is _UNKNOWN:
            yield Finding(f"endpoint configuration {r.name}: the capture destination is computed from another resource and "
                          "checked after apply", unverified=True)
        elif not isinstance(destination, str) or not _destination_allowed(destination, cfg.allowed_destinations):
            shown = destination if isinstance(destination, str) else "nowhere"
            yield Finding(
                f"endpoint configuration {r.name}: captures go to {shown}, which is neither a bucket of this stack nor an "
                f"allowed captures location ({', '.join(cfg.allowed_destinations) or 'none configured'})",
                key="destination",
            )
        return
    role = bucket.role
    if role is not None and role not in cfg.bucket_roles:
        yield Finding(
            f"endpoint configuration {r.name}: captures go to bucket {bucket.bucket.name}, whose role is {role!r} "
            f"(allowed: {', '.join(cfg.bucket_roles)})",
            key=f"role={role}",
        )
    gaps = governance_gaps(bucket)
    if gaps:
        yield Finding(f"endpoint configuration {r.name}: the capture bucket {bucket.bucket.name} lacks {', '.join(gaps)}",
                      key="ungoverned-bucket")


@resource_rule(
    id="MLP-EP-03", name="mlplat-sagemaker-endpointconfig-enable-data-capture", severity="medium",
    description=(
        "Endpoint configurations capture data (dataCaptureConfig.enableCapture), encrypt it (kmsKeyId), write it to a "
        "governed bucket of this stack with the captures role (SSE-KMS by default, all four public access block flags, "
        "versioning; joined by bucket name or by property dependency) or a reviewed outside destination, and sample at "
        "least the configured percentage; serverless-only configurations (no data capture there) are not applicable"
    ),
    remediation=(
        "Set data_capture_config with enable_capture=True, kms_key_id (the data key), destination_s3_uri in the stack's "
        "captures bucket (mlplat: ArtifactStore.captures) and initial_sampling_percentage at or above the minimum (default 10).",
        "A capture destination outside this stack must be reviewed and added to allowed_destinations in the pack configuration.",
    ),
    frameworks=("NIST-800-53:SI-4", "NIST-800-53:SC-28"), levels=("advisory", "mandatory"), types=(ENDPOINT_CONFIG_TYPE,),
    config=DataCaptureRuleConfig, joins=True,
)
def endpoint_config_data_capture(r: ResourceView, cfg: DataCaptureRuleConfig, ctx: RuleContext) -> Iterable[Finding]:
    variants = _variants(r, shadow=False)
    if variants and all(_serverless(v) for _, v in variants):
        return  # serverless endpoints support no data capture: not applicable
    capture = _state(r, "dataCaptureConfig")
    if capture is _UNKNOWN:
        yield Finding(f"endpoint configuration {r.name}: dataCaptureConfig is unknown until apply", unverified=True)
        return
    if capture is _MISSING:
        yield Finding(f"endpoint configuration {r.name} has no dataCaptureConfig: requests and predictions are not captured", key="capture")
        return
    enabled = _state(capture, "enableCapture")
    if enabled is not True and enabled is not _UNKNOWN:
        shown = "not set (the provider's default is false)" if enabled is _MISSING else repr(enabled)
        yield Finding(f"endpoint configuration {r.name}: data capture is off (enableCapture is {shown})", key="capture")
    if not _is_set(_state(capture, "kmsKeyId")):
        yield Finding(f"endpoint configuration {r.name}: captured data has no KMS key (dataCaptureConfig.kmsKeyId is not set)", key="kms")
    yield from _capture_destination(r, cfg, _state(capture, "destinationS3Uri"))
    sampling = _state(capture, "initialSamplingPercentage")
    if sampling is _UNKNOWN:
        yield Finding(f"endpoint configuration {r.name}: initialSamplingPercentage is unknown until apply", unverified=True)
    elif _number(sampling) is None or _number(sampling) < cfg.min_sampling_percentage:
        shown = "not set" if _number(sampling) is None else f"{_number(sampling):g}%"
        yield Finding(
            f"endpoint configuration {r.name}: data capture samples {shown}, below the minimum {cfg.min_sampling_percentage}%",
            key="sampling",
        )


def _cumulative_allow_lists() -> dict[str, list[str]]:
    staging = ["ml.g5.xlarge", "ml.g5.2xlarge"]
    return {"dev": [], "staging": staging, "prod": staging + ["ml.g5.*", "ml.g6.*", "ml.p4d.*"]}


class InstanceTypeConfig(RuleConfig):
    accelerated_patterns: list[str] = Field(
        default_factory=lambda: ["ml.p*", "ml.g*", "ml.inf*", "ml.trn*"],
        description="Globs of the instance types counted as accelerated (docs/DECISIONS.md, Serving: ml.p*, ml.g*, ml.inf*, ml.trn*); "
        "every other type is always allowed.",
    )
    allowed_accelerated: dict[str, list[str]] = Field(
        default_factory=_cumulative_allow_lists,
        description="Per environment, globs of the accelerated hosting types allowed. Omitted: dev none; staging "
        "ml.g5.xlarge and ml.g5.2xlarge; prod those and the ml.g5, ml.g6 and ml.p4d families. An environment missing "
        "here allows none.",
    )


@resource_rule(
    id="MLP-EP-04", name="mlplat-sagemaker-endpointconfig-restrict-instance-types", severity="medium",
    description=(
        "Production and shadow variants use instance types on the environment's allow-list: accelerated types "
        "(ml.p*, ml.g*, ml.inf*, ml.trn*) are gated per environment, other types are always allowed"
    ),
    remediation=(
        "Use a non-accelerated type, or an accelerated type the environment allows (dev: none; staging: ml.g5.xlarge, "
        "ml.g5.2xlarge; prod: also the ml.g5, ml.g6 and ml.p4d families).",
        "A further type needs a reviewed change of allowed_accelerated in the pack configuration.",
    ),
    frameworks=(), levels=("mandatory", "mandatory"), types=(ENDPOINT_CONFIG_TYPE,), config=InstanceTypeConfig,
)
def endpoint_config_instance_types(r: ResourceView, cfg: InstanceTypeConfig, ctx: RuleContext) -> Iterable[Finding]:
    allowed = cfg.allowed_accelerated.get(ctx.environment, [])
    for name, variant in _variants(r):
        instance_type = _state(variant, "instanceType")
        if instance_type is _UNKNOWN:
            yield Finding(f"endpoint configuration {r.name}: variant {name}'s instance type is unknown until apply", unverified=True)
            continue
        if not isinstance(instance_type, str):
            continue  # serverless: no instance type
        if not any(fnmatch.fnmatchcase(instance_type, p) for p in cfg.accelerated_patterns):
            continue
        if not any(fnmatch.fnmatchcase(instance_type, p) for p in allowed):
            yield Finding(
                f"endpoint configuration {r.name}: variant {name} uses the accelerated type {instance_type}, not allowed in "
                f"{ctx.environment} (allowed: {', '.join(allowed) or 'no accelerated types'})",
                key=instance_type,
            )


# --- serving: endpoints and their alarms (stack rules) ---------------------------------------


def _dimension(dimensions: Any, key: str) -> Any:
    if dimensions is _UNKNOWN:
        return _UNKNOWN
    return _state(dimensions, key) if isinstance(dimensions, Mapping) else _MISSING


def _alarm_metrics(alarm: ResourceView) -> list[tuple[Any, Any, Any]]:
    """(namespace, metric name, EndpointName dimension) of a metric alarm and of its metric queries."""
    found = []
    if _is_set(_state(alarm, "metricName")):
        found.append((_state(alarm, "namespace"), _state(alarm, "metricName"), _dimension(_state(alarm, "dimensions"), "EndpointName")))
    for query in _items(_state(alarm, "metricQueries")):
        metric = _state(query, "metric") if isinstance(query, Mapping) else _MISSING
        if isinstance(metric, Mapping):
            found.append((_state(metric, "namespace"), _state(metric, "metricName"), _dimension(_state(metric, "dimensions"), "EndpointName")))
    return found


def _watches(alarm: ResourceView, endpoint: ResourceView, dimension: Any) -> bool:
    name = endpoint.known("name")
    if isinstance(dimension, str) and isinstance(name, str):
        return dimension == name
    if dimension is _MISSING:
        return False
    # The endpoint name is computed (preview): join by the alarm's property dependency on the endpoint.
    return any(endpoint.urn in alarm.property_dependencies.get(p, ()) for p in ("dimensions", "metricQueries"))


class EndpointAlarmConfig(RuleConfig):
    required_metrics: list[str] = Field(
        default_factory=lambda: ["Invocation5XXErrors", "ModelLatency"],
        description="AWS/SageMaker metrics every endpoint needs an alarm on (dimension EndpointName = the endpoint).",
    )


@stack_rule(
    id="MLP-EP-05", name="mlplat-sagemaker-endpoint-require-alarms", severity="medium",
    description=(
        "Every endpoint has a CloudWatch alarm on Invocation5XXErrors and one on ModelLatency (AWS/SageMaker) whose "
        "EndpointName dimension names it (by value, or by property dependency while its name is unknown)"
    ),
    remediation=(
        "Declare EndpointMonitoring for the endpoint (mlplat: alarms on 5XX errors and p99 model latency per variant), "
        "or aws.cloudwatch.MetricAlarm resources with namespace AWS/SageMaker and dimensions {'EndpointName': endpoint.name}.",
    ),
    frameworks=("NIST-800-53:SI-4",), levels=("advisory", "mandatory"), config=EndpointAlarmConfig,
)
def endpoint_alarms(views: list[ResourceView], cfg: EndpointAlarmConfig, ctx: RuleContext) -> Iterable[Finding]:
    endpoints = [v for v in views if v.type == ENDPOINT_TYPE]
    alarms = [(a, m) for a in views if a.type == METRIC_ALARM_TYPE for m in _alarm_metrics(a)]
    for endpoint in endpoints:
        for metric_name in cfg.required_metrics:
            watching = [
                alarm for alarm, (namespace, name, dimension) in alarms
                if name == metric_name and namespace in (SAGEMAKER_NAMESPACE, _UNKNOWN) and _watches(alarm, endpoint, dimension)
            ]
            if not watching:
                yield Finding(
                    f"endpoint {endpoint.name} has no alarm on {SAGEMAKER_NAMESPACE} {metric_name} with EndpointName "
                    f"{endpoint.known('name') or endpoint.name}",
                    endpoint.urn, key=metric_name,
                )


@stack_rule(
    id="MLP-EP-07", name="mlplat-sagemaker-endpoint-deploy-blue-green", severity="medium",
    description=(
        "Endpoints in staging and prod update blue/green (deploymentConfig.blueGreenUpdatePolicy) with auto-rollback "
        "alarms (autoRollbackConfiguration.alarms) that are declared in this stack"
    ),
    remediation=(
        "Set deployment_config.blue_green_update_policy (traffic routing ALL_AT_ONCE, CANARY or LINEAR) and "
        "deployment_config.auto_rollback_configuration.alarms naming the endpoint's 5XX and latency alarms.",
        "Name the alarms deterministically (mlplat: `<project>-<env>-<name>`), since the endpoint names them before they exist.",
    ),
    frameworks=("NIST-800-53:CM-3",), levels=("disabled", "mandatory"),
)
def endpoint_blue_green(views: list[ResourceView], cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    alarm_urns = {v.urn for v in views if v.type in (METRIC_ALARM_TYPE, COMPOSITE_ALARM_TYPE)}
    alarm_names = {
        n for v in views if v.type in (METRIC_ALARM_TYPE, COMPOSITE_ALARM_TYPE)
        for n in (v.known("name"), v.known("alarmName"), v.known("id")) if isinstance(n, str)
    }
    for endpoint in (v for v in views if v.type == ENDPOINT_TYPE):
        config = _state(endpoint, "deploymentConfig")
        if config is _UNKNOWN:
            yield Finding(f"endpoint {endpoint.name}: deploymentConfig is unknown until apply", endpoint.urn, unverified=True)
            continue
        if config is _MISSING or _state(endpoint, "deploymentConfig.blueGreenUpdatePolicy") is _MISSING:
            yield Finding(
                f"endpoint {endpoint.name} does not update blue/green (deploymentConfig.blueGreenUpdatePolicy is not set): "
                "an update replaces the fleet without a baked, rollback-able stage",
                endpoint.urn, key="blue-green",
            )
        alarms = _state(endpoint, "deploymentConfig.autoRollbackConfiguration.alarms")
        if alarms is _UNKNOWN:
            yield Finding(f"endpoint {endpoint.name}: the rollback alarms are unknown until apply", endpoint.urn, unverified=True)
            continue
        if not _items(alarms):
            yield Finding(
                f"endpoint {endpoint.name} has no auto-rollback alarms (deploymentConfig.autoRollbackConfiguration.alarms)",
                endpoint.urn, key="rollback",
            )
            continue
        depends_on_alarm = any(u in alarm_urns for u in endpoint.property_dependencies.get("deploymentConfig", ()))
        for alarm in _items(alarms):
            name = _state(alarm, "alarmName") if isinstance(alarm, Mapping) else _MISSING
            if name is _UNKNOWN:
                if not depends_on_alarm:
                    yield Finding(f"endpoint {endpoint.name}: a rollback alarm name is unknown until apply", endpoint.urn, unverified=True)
            elif name not in alarm_names:
                yield Finding(
                    f"endpoint {endpoint.name}: rollback alarm {name if isinstance(name, str) else '<unnamed>'} is not declared in this stack",
                    endpoint.urn, key=f"alarm={name}",
                )


# --- data ------------------------------------------------------------------------------------

# Accounts whose ECR registries publish SageMaker's prebuilt images (algorithms, deep learning
# containers, Model Monitor, Clarify, ...), every region: the `registries` of the SageMaker Python
# SDK's image_uri_config/*.json (sagemaker-core 2.27.0), which the Terraform AWS provider's
# prebuilt-image data source (behind pulumi-aws's get_prebuilt_ecr_image) also carries.
SAGEMAKER_PREBUILT_REGISTRY_ACCOUNTS: frozenset[str] = frozenset("""
    000907499111 001633400207 004313294153 007051062584 007439368137 010264522435 010526262399 010972774902
    017069133835 021081402939 022667117163 024640144536 048378556238 048819808253 053634841547 054986407534
    057415533634 064688005998 081189585635 081325390199 089933028263 094389454867 098760798382 102112518831
    102471314380 103105715889 104374241257 105495057255 106583098589 107072934176 107173498710 108575199400
    110948597952 117516905037 118315366868 119527597002 121021644041 122526803553 122578899357 124382933778
    124985052026 126357580389 127363102723 131013547314 131546521161 136845547031 137914896644 141502667606
    142351485170 143210264188 148761635175 151534178276 153931337802 154076345201 156387875391 156813124566
    159807026194 167761179201 173754725891 174368400705 174872318107 175620155138 180250353322 184798709955
    190319476487 199566480951 204133271717 204372634319 204538143572 205493899709 205585389593 211125459255
    211330385671 216881608335 217643126080 224300973850 226302683700 227234621604 236514542706 237065988967
    238384257742 243637512696 245090515133 245179582081 245545462676 245909111842 246618743249 246785580436
    249157047649 249704162688 250201462417 254080097072 257386234256 257758044811 258307448986 260923028637
    263625296855 263933020539 266724342769 271483468897 272398656194 275950707576 276181064229 278240940207
    281123927165 286214385809 293181348795 297031611018 301217895009 303241398832 306415355426 306986355934
    309385258863 310906938811 313743910680 314341159256 314815235551 314864569078 324986816169 330188676905
    341280168497 341593696636 351501993468 353608530281 354813040037 355873309152 358279745144 358593528301
    364406365360 366743142698 366932332049 370607712162 371248457586 376037874950 377024640650 380164790875
    380420809688 382416733822 387376663083 390048526115 390780980154 390948362332 394103062818 395420993607
    396913743851 404615174143 406031935815 406833011540 408426139102 411392592546 411782140378 414596584902
    415577184552 422173101802 422961961927 423003514399 424196993095 429704687514 430734990657 433757028032
    434457397001 437450045455 438346466558 440695851116 440796970383 442386744353 446045086412 446299261295
    447278800020 450853457545 451049120500 452307495513 452832661640 453000072557 453252182341 453391408702
    454834333376 455444449433 457447274322 462105765813 464438896020 467912361380 468650794304 469771592824
    470317259841 471112967968 472730292857 474822919863 475088953585 479947661362 481561238223 482524230118
    488287956546 490574956308 492215442770 492261229750 493642496378 495149712605 501404015308 503227376785
    503895931360 510948584623 514117268639 515509971035 519511493484 520018980103 520713654638 522234722520
    523751269255 523774347010 528757812139 533267296287 536280801234 539772159869 542918446943 544295431143
    545423591354 550225433462 557239378090 559312083959 563025443158 563282790590 564864627153 566113047672
    567556641782 569303640362 571004829621 574779866223 578805364391 579539705040 588750061953 590183813437
    590183933784 592751261982 598674086554 601324751636 607024016150 615547856133 618459771430 623308166672
    626614931356 628508329040 632365934929 633353088612 633930458069 637423239942 638885417683 644912444149
    648430277019 649008135260 651117190479 658645717510 658757709296 659782779980 662702820516 663277389841
    664544806723 667973535471 669540362728 669576153137 671472414489 675030665977 680080141114 680994064768
    683313688378 685385470294 685455198987 692866216735 705930551576 707077482487 709848358524 710691900526
    712309505854 712779665605 713710892325 720646828776 724002660598 727897471807 730335477804 732049463269
    737130764395 737474898029 740489534195 742091327244 744548109606 746233611703 746614075791 749696950732
    749857270468 750251592176 751086301963 753923664805 756306329178 759080221371 763008648453 763104351884
    763603941244 764974769150 765400339828 766337827248 772153158452 774647643957 777275614652 780543022126
    782484402741 783357654285 785573368785 792733760839 800295151634 801668240914 802834080501 806072073708
    807237891255 810671768855 811284229777 811711786498 813361260812 818342061345 819679513684 819792524951
    825641698319 833128469047 833944533722 834264404009 835164637446 835444307964 836651553127 836785723513
    840123138293 841784149062 843974653677 844356804704 853188333426 855470959533 856416204555 860869212795
    867004704886 871362719292 873151114052 875698925577 883091641454 885854791233 886529160074 890145073186
    894491911112 895015795356 895741380848 898809789911 904829902805 906073651304 906349786431 907027046896
    912233562940 913387583493 914824155844 915447279597 925152966179 926135532090 929884845733 933208885752
    935523707064 936697816551 938034419563 941853720454 951798379941 966458181534 972752614525 975050140332
    978288397137 986000313247 990339680094 991648021394 999678624901 999911452149
""".split())


# --- MLP-FS-05 (P1) --------------------------------------------------------------------------

ROLE_TYPE = "aws:iam/role:Role"


class FeatureGroupRoleConfig(RuleConfig):
    forbidden_policy_patterns: list[str] = Field(
        default_factory=lambda: [r"^arn:aws[a-z-]*:iam::aws:policy/AdministratorAccess$", r"FullAccess"],
        description="Regexes of managed policy ARNs a feature group's role may not carry.",
    )


def _role_managed_policies(role: ResourceView) -> list[tuple[str, Any]]:
    """(where, ARN) of the managed policies a role carries: its managedPolicyArns and the policy
    attachments of the stack naming it (by property dependency, or by its known name)."""
    found = [(f"role {role.name}", arn) for arn in managed_policy_arns(role)]
    assert role.stack is not None
    attachments = role.referencing(ATTACHMENT_TYPES)
    name = role.known("name")
    if isinstance(name, str):
        for attachment in role.stack.of_type(*ATTACHMENT_TYPES):
            named = [attachment.known(k) for k in ("role", "roleName")] + list(attachment.known("roles") or [])
            if name in named and all(a is not attachment for a in attachments):
                attachments.append(attachment)
    for attachment in attachments:
        found += [(f"attachment {attachment.name}", arn) for arn in managed_policy_arns(attachment)]
    return found


@resource_rule(
    id="MLP-FS-05", name="mlplat-sagemaker-featuregroup-role-least-privilege", severity="high",
    description=(
        "A feature group's role (roleArn, joined to the role of this stack by property dependency or ARN) carries no "
        "AdministratorAccess or *FullAccess managed policy, directly or through an attachment"
    ),
    remediation=(
        "Give the feature group a role of its own with the offline store's S3, Glue and KMS grants only "
        "(mlplat: FeatureStore creates one), not AmazonSageMakerFullAccess or AmazonS3FullAccess.",
        "A role from outside this stack cannot be checked: declare it here, or waive the finding after review.",
    ),
    frameworks=("AwsSolutions-IAM4", "NIST-800-53:AC-6"), levels=("advisory", "mandatory"), types=(FEATURE_GROUP_TYPE,),
    config=FeatureGroupRoleConfig, joins=True,
)
def feature_group_role(r: ResourceView, cfg: FeatureGroupRoleConfig, ctx: RuleContext) -> Iterable[Finding]:
    arn = _state(r, "roleArn")
    if arn is _MISSING:
        return  # an offline-store-less group without a role: not applicable
    role = referenced_one(r, "roleArn", (ROLE_TYPE,), (("roleArn", ("arn",)),))
    if role is None:
        if arn is _UNKNOWN:
            yield Finding(f"feature group {r.name}: its role is unknown until apply", unverified=True)
        else:
            yield Finding(f"feature group {r.name}: role {arn} is not declared in this stack, so its policies cannot be checked",
                          key="external-role")
        return
    patterns = [re.compile(p) for p in cfg.forbidden_policy_patterns]
    for where, policy in _role_managed_policies(role):
        if isinstance(policy, str) and any(p.search(policy) for p in patterns):
            yield Finding(f"feature group {r.name}: its role {role.name} carries {policy} ({where})", key=policy)


# --- MLP-MDL-03 (P1) -------------------------------------------------------------------------


@resource_rule(
    id="MLP-MDL-03", name="mlplat-sagemaker-model-from-registered-package", severity="high",
    description=(
        "In staging and prod, every model container comes from a registered model package (modelPackageName), which "
        "went through the registry's approval, not from a raw image and model artifact (image, modelDataUrl)"
    ),
    remediation=(
        "Deploy the family's approved model package: primary_container={'model_package_name': <package ARN>} "
        "(mlplat: ServingEndpoint with model_package_arn or 'latest-approved').",
        "Register the artifact in the model registry first (a training pipeline's RegisterModel step does).",
    ),
    frameworks=("NIST-800-53:CM-3", "NIST-800-53:SI-7"), levels=("disabled", "mandatory"), types=(MODEL_TYPE,),
)
def model_from_package(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    containers = _containers(r)
    if not containers:
        yield Finding(f"model {r.name} declares no container", key="containers")
    for where, container in containers:
        if container is _UNKNOWN:
            yield Finding(f"model {r.name}: {where} is unknown until apply", unverified=True)
            continue
        if not isinstance(container, Mapping):
            continue
        if _is_set(_state(container, "modelPackageName")):
            continue
        raw = [p for p in ("image", "modelDataUrl", "modelDataSource") if _is_set(_state(container, p))]
        yield Finding(
            f"model {r.name}: {where} names no modelPackageName"
            + (f" (it deploys {', '.join(raw)} directly)" if raw else "") + f": {ctx.environment} serves registered packages only",
            key=where,
        )


# --- MLP-EP-06 (P1) --------------------------------------------------------------------------

MONITORING_SCHEDULE_TYPE = "aws:sagemaker/monitoringSchedule:MonitoringSchedule"
JOB_DEFINITION_INPUTS = {
    "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition": "dataQualityJobInput",
    "aws:sagemaker/modelQualityJobDefinition:ModelQualityJobDefinition": "modelQualityJobInput",
    "aws:sagemaker/modelBiasJobDefinition:ModelBiasJobDefinition": "modelBiasJobInput",
    "aws:sagemaker/modelExplainabilityJobDefinition:ModelExplainabilityJobDefinition": "modelExplainabilityJobInput",
}


def _monitored_endpoints(schedule: ResourceView) -> tuple[set[str], set[str]]:
    """(endpoint names, endpoint URNs) a monitoring schedule watches: through its inline job
    definition, or the job definition it names (by property dependency or name)."""
    assert schedule.stack is not None
    names: set[str] = set()
    urns: set[str] = set()
    inputs = _state(schedule, "monitoringScheduleConfig.monitoringJobDefinition.monitoringInputs")
    for item in _items(inputs):
        name = _state(item, "endpointInput.endpointName") if isinstance(item, Mapping) else _MISSING
        if isinstance(name, str):
            names.add(name)
    urns.update(u for u in schedule.property_dependencies.get("monitoringScheduleConfig", ()) if
                schedule.stack.by_urn.get(u) is not None and schedule.stack.by_urn[u].type == ENDPOINT_TYPE)
    definitions = schedule.referenced("monitoringScheduleConfig", tuple(JOB_DEFINITION_INPUTS))
    named = schedule.known("monitoringScheduleConfig.monitoringJobDefinitionName")
    definitions += [d for d in schedule.stack.named(named, tuple(JOB_DEFINITION_INPUTS), ("name", "id")) if d not in definitions]
    for definition in definitions:
        prop = JOB_DEFINITION_INPUTS[definition.type]
        name = _state(definition, f"{prop}.endpointInput.endpointName")
        if isinstance(name, str):
            names.add(name)
        urns.update(definition.property_dependencies.get(prop, ()))
    return names, urns


@stack_rule(
    id="MLP-EP-06", name="mlplat-sagemaker-endpoint-require-monitoring-schedule", severity="medium",
    description=(
        "Every endpoint is watched by a SageMaker Model Monitor schedule of this stack: a monitoring schedule whose job "
        "definition (inline, or a data quality, model quality, bias or explainability job definition it names) reads "
        "the endpoint (endpointInput.endpointName, or a property dependency on the endpoint while its name is unknown)"
    ),
    remediation=(
        "Declare a monitoring schedule for the endpoint (mlplat: monitoring.drift.<endpoint> in the stack config declares "
        "a DriftMonitor: a data quality job definition and an hourly schedule over the captured data).",
    ),
    frameworks=("NIST-800-53:SI-4", "NIST-800-53:CA-7"), levels=("disabled", "advisory"),
)
def endpoint_monitoring_schedule(views: list[ResourceView], cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    index = stack_index(views)
    endpoints = index.of_type(ENDPOINT_TYPE)
    if not endpoints:
        return
    names: set[str] = set()
    urns: set[str] = set()
    for schedule in index.of_type(MONITORING_SCHEDULE_TYPE):
        if schedule.stack is None:
            schedule.stack = index
        more_names, more_urns = _monitored_endpoints(schedule)
        names |= more_names
        urns |= more_urns
    for endpoint in endpoints:
        name = endpoint.known("name")
        if endpoint.urn in urns or (isinstance(name, str) and name in names):
            continue
        yield Finding(f"endpoint {endpoint.name} ({name if isinstance(name, str) else 'name unknown until apply'}) has no "
                      "model monitoring schedule", endpoint.urn)
