"""SageMaker and ECR rule cases (MLP-FS, MLP-MDL, MLP-REG, MLP-EP, MLP-ECR).

Each rule has a compliant baseline program built from plain resources (what the mlplat
components declare, written out so a case names exactly what it changes), then one failing
mutation per check the rule makes. The platform components are baselines too where they cover
the rule (FeatureStore, ModelRegistry), so a component and the policy cannot drift apart.
"""

from __future__ import annotations

import json
from typing import Any, Optional

import pulumi
import pulumi_aws as aws

from mlplat.components.artifact_store import ArtifactStore, ArtifactStoreArgs
from mlplat.components.encryption import Encryption, EncryptionArgs
from mlplat.components.feature_store import FeatureGroupArgs, FeatureStore, FeatureStoreArgs
from mlplat.components.model_registry import ModelRegistry, ModelRegistryArgs

from . import RuleCase

ACCOUNT = "123456789012"  # the offline runner's account
OTHER_ACCOUNT = "210987654321"
REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"
DIGEST = "sha256:" + "0123456789abcdef" * 4
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/fraud-serving@{DIGEST}"
PREBUILT_IMAGE = f"763104351884.dkr.ecr.{REGION}.amazonaws.com/pytorch-inference@{DIGEST}"  # AWS deep learning containers
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:alarms"
ENDPOINT_NAME = "project-prod-fraud"
GOOD_TAGS = {"data-classification": "confidential", "owner": "fraud-team", "pii": "true"}


# --- building blocks -------------------------------------------------------------------------


def governed_bucket(name: str, role: str, *, sse: bool = True, pab: bool = True, versioning: bool = True):
    """A bucket with the settings ArtifactStore gives every data bucket; returns (bucket, key)."""
    key = aws.kms.Key(f"{name}-key", enable_key_rotation=True)
    bucket = aws.s3.Bucket(name, tags={"mlplat:bucket-role": role})
    if sse:
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-sse", bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn}}],
        )
    if pab:
        aws.s3.BucketPublicAccessBlock(
            f"{name}-pab", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True,
        )
    if versioning:
        aws.s3.BucketVersioning(f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"})
    return bucket, key


def feature_group(*, offline: bool = True, offline_key: bool = True, online: bool = True, online_key: bool = True,
                  ttl: bool = True, tags: Optional[dict[str, str]] = None, uri: Optional[str] = None,
                  bucket_role: str = "datasets", uri_from_id: bool = False, **bucket_settings: bool) -> None:
    """`uri_from_id`: build the URI from the bucket's id, which is unknown in preview (joined by dependency)."""
    bucket, key = governed_bucket("datasets", bucket_role, **bucket_settings)
    offline_config = None
    if offline:
        offline_config = {"s3_storage_config": {
            "s3_uri": uri or pulumi.Output.concat("s3://", bucket.id if uri_from_id else bucket.bucket, "/feature-store/customers/"),
            "kms_key_id": key.arn if offline_key else None,
        }}
    aws.sagemaker.FeatureGroup(
        "customers",
        feature_group_name="customers",
        record_identifier_feature_name="customer_id",
        event_time_feature_name="event_time",
        feature_definitions=[
            {"feature_name": "customer_id", "feature_type": "String"},
            {"feature_name": "event_time", "feature_type": "Fractional"},
        ],
        role_arn=ROLE_ARN,
        online_store_config={
            "enable_online_store": online,
            "security_config": {"kms_key_id": key.arn} if online_key else None,
            "ttl_duration": {"unit": "Days", "value": 30} if ttl else None,
        },
        offline_store_config=offline_config,
        tags=GOOD_TAGS if tags is None else tags,
    )


def platform_feature_store() -> None:
    keys = Encryption("keys", EncryptionArgs(s3_log_source_bucket_prefixes=ArtifactStore.log_source_prefixes("store")))
    store = ArtifactStore("store", ArtifactStoreArgs(encryption=keys))
    FeatureStore("features", FeatureStoreArgs(artifact_store=store, groups=[FeatureGroupArgs(
        name="customers", record_identifier="customer_id", event_time="event_time",
        features=[{"name": "customer_id", "type": "String"}, {"name": "event_time", "type": "Fractional"}],
        owner="fraud-team", data_classification="confidential", pii=True, ttl={"unit": "Days", "value": 30},
    )]))


def platform_registry(consumer_accounts: tuple[str, ...] = ()) -> None:
    keys = Encryption("keys", EncryptionArgs())
    ModelRegistry("registry", ModelRegistryArgs(encryption=keys, families=[{"name": "fraud"}], consumer_accounts=consumer_accounts))


def model(*, isolation: Any = True, vpc: Any = "default", image: Optional[str] = IMAGE,
          containers: Optional[list[dict[str, Any]]] = None, role_arn: Any = ROLE_ARN) -> None:
    primary = {"image": image, "model_data_url": "s3://models/fraud/model.tar.gz"} if image else None
    aws.sagemaker.Model(
        "fraud",
        execution_role_arn=role_arn,
        enable_network_isolation=isolation,
        vpc_config={"subnets": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"], "security_group_ids": ["sg-0123456789abcdef0"]}
        if vpc == "default" else vpc,
        primary_container=primary,
        containers=containers,
    )


def model_with_computed_image() -> None:
    """The image is the in-stack repository's URL plus a digest: unknown until apply."""
    repository = aws.ecr.Repository("serving", image_tag_mutability="IMMUTABLE")
    role = aws.iam.Role("execution", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    aws.sagemaker.Model(
        "fraud", execution_role_arn=role.arn, enable_network_isolation=True,
        vpc_config={"subnets": ["subnet-0a1b2c3d"], "security_group_ids": ["sg-0123456789abcdef0"]},
        primary_container={"image": pulumi.Output.concat(repository.repository_url, "@", DIGEST)},
    )


def group_policy(statements: list[dict[str, Any]]) -> None:
    group = aws.sagemaker.ModelPackageGroup("fraud", model_package_group_name="fraud")
    aws.sagemaker.ModelPackageGroupPolicy(
        "fraud-policy", model_package_group_name=group.model_package_group_name,
        resource_policy=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )


GROUP_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/fraud"
PACKAGES_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/fraud/*"


def consumer_statement(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"Sid": "Consumers", "Effect": "Allow", "Principal": principal,
            "Action": ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"],
            "Resource": [GROUP_ARN, PACKAGES_ARN], **extra}


def variant(instance_type: Optional[str] = "ml.m5.xlarge", count: Optional[int] = 2, name: str = "primary",
            serverless: bool = False) -> dict[str, Any]:
    if serverless:
        return {"variant_name": name, "model_name": "fraud", "serverless_config": {"max_concurrency": 5, "memory_size_in_mb": 2048}}
    return {"variant_name": name, "model_name": "fraud", "instance_type": instance_type, "initial_instance_count": count}


def capture(**overrides: Any) -> dict[str, Any]:
    config = {
        "enable_capture": True, "kms_key_id": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "destination_s3_uri": "s3://store-captures-20260101000000000000000001/fraud/",
        "initial_sampling_percentage": 20, "capture_options": [{"capture_mode": "Input"}, {"capture_mode": "Output"}],
    }
    config.update(overrides)
    return {k: v for k, v in config.items() if v is not None}


def endpoint_config(*, variants: Optional[list[dict[str, Any]]] = None, shadow: Optional[list[dict[str, Any]]] = None,
                    key: bool = True, data_capture: Any = "default") -> None:
    aws.sagemaker.EndpointConfiguration(
        "fraud",
        kms_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab" if key else None,
        production_variants=variants or [variant()],
        shadow_production_variants=shadow,
        data_capture_config=capture() if data_capture == "default" else data_capture,
    )


def endpoint_with_in_stack_capture_bucket() -> None:
    """Captures go to the stack's captures bucket, by its id (unknown in preview)."""
    bucket = aws.s3.Bucket("captures", bucket_prefix="store-captures-", tags={"mlplat:bucket-role": "captures"})
    key = aws.kms.Key("data", enable_key_rotation=True)
    aws.sagemaker.EndpointConfiguration(
        "fraud", kms_key_arn=key.arn, production_variants=[variant()],
        data_capture_config={
            "enable_capture": True, "kms_key_id": key.arn, "initial_sampling_percentage": 20,
            "destination_s3_uri": pulumi.Output.concat("s3://", bucket.id, "/fraud/"),
            "capture_options": [{"capture_mode": "Input"}],
        },
    )


def endpoint_capturing_to_stack_bucket(*, role: str = "captures", **bucket_settings: bool) -> None:
    """Captures go to a bucket of the stack, named in the URI by the bucket's name (unknown in preview)."""
    bucket, key = governed_bucket("captures", role, **bucket_settings)
    aws.sagemaker.EndpointConfiguration(
        "fraud", kms_key_arn=key.arn, production_variants=[variant()],
        data_capture_config={
            "enable_capture": True, "kms_key_id": key.arn, "initial_sampling_percentage": 20,
            "destination_s3_uri": pulumi.Output.concat("s3://", bucket.bucket, "/fraud/"),
            "capture_options": [{"capture_mode": "Input"}],
        },
    )


def endpoint_capturing_to_artifact_store() -> None:
    """The platform's components: ArtifactStore's captures bucket, the data key."""
    keys = Encryption("keys", EncryptionArgs(s3_log_source_bucket_prefixes=ArtifactStore.log_source_prefixes("store")))
    store = ArtifactStore("store", ArtifactStoreArgs(encryption=keys))
    aws.sagemaker.EndpointConfiguration(
        "fraud", kms_key_arn=keys.key("data").arn, production_variants=[variant()],
        data_capture_config={
            "enable_capture": True, "kms_key_id": keys.key("data").arn, "initial_sampling_percentage": 20,
            "destination_s3_uri": pulumi.Output.concat("s3://", store.captures.name, "/fraud/"),
            "capture_options": [{"capture_mode": "Input"}],
        },
    )


def serving(*, alarms: tuple[str, ...] = ("Invocation5XXErrors", "ModelLatency"), alarm_endpoint: Optional[str] = None,
            blue_green: bool = True, rollback_alarms: Optional[list[str]] = None, by_reference: bool = False,
            metric_queries: bool = False, rolling: bool = False) -> None:
    """A named endpoint with its alarms; the endpoint names its rollback alarms (docs/DECISIONS.md, Naming)."""
    config = aws.sagemaker.EndpointConfiguration(
        "fraud", production_variants=[variant()],
        kms_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab", data_capture_config=capture(),
    )
    names = {metric: f"{ENDPOINT_NAME}-{metric.lower()}" for metric in alarms}
    rollback = list(names.values()) if rollback_alarms is None else rollback_alarms
    deployment = None
    if blue_green or rolling:
        deployment = {"auto_rollback_configuration": {"alarms": [{"alarm_name": n} for n in rollback]}}
        if rolling:
            deployment["rolling_update_policy"] = {"maximum_batch_size": {"type": "CAPACITY_PERCENT", "value": 50},
                                                   "wait_interval_in_seconds": 300}
        else:
            deployment["blue_green_update_policy"] = {
                "traffic_routing_configuration": {"type": "ALL_AT_ONCE", "wait_interval_in_seconds": 300}}
    endpoint = aws.sagemaker.Endpoint("fraud", name=ENDPOINT_NAME, endpoint_config_name=config.name, deployment_config=deployment)
    dimension = alarm_endpoint or (endpoint.name if by_reference else ENDPOINT_NAME)
    for metric, alarm_name in names.items():
        common = dict(name=alarm_name, comparison_operator="GreaterThanThreshold", evaluation_periods=3, threshold=1,
                      alarm_actions=[TOPIC_ARN])
        if metric_queries:
            aws.cloudwatch.MetricAlarm(alarm_name, **common, metric_queries=[
                {"id": "m", "return_data": False, "metric": {"namespace": "AWS/SageMaker", "metric_name": metric, "period": 60,
                                                           "stat": "Sum", "dimensions": {"EndpointName": dimension, "VariantName": "primary"}}},
                {"id": "result", "expression": "m", "return_data": True},
            ])
        else:
            aws.cloudwatch.MetricAlarm(alarm_name, **common, namespace="AWS/SageMaker", metric_name=metric, period=60,
                                       statistic="Sum", dimensions={"EndpointName": dimension, "VariantName": "primary"})


def repository(*, mutability: Optional[str] = "IMMUTABLE", scan: Optional[bool] = True, encryption: Optional[str] = "KMS") -> None:
    key = aws.kms.Key("models", enable_key_rotation=True)
    aws.ecr.Repository(
        "serving",
        image_tag_mutability=mutability,
        image_scanning_configuration={"scan_on_push": scan} if scan is not None else None,
        encryption_configurations=[{"encryption_type": encryption, "kms_key": key.arn if encryption == "KMS" else None}]
        if encryption else None,
    )


def repository_policy(statements: list[dict[str, Any]]) -> None:
    repo = aws.ecr.Repository("serving", image_tag_mutability="IMMUTABLE")
    aws.ecr.RepositoryPolicy("serving-policy", repository=repo.name,
                             policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))


PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]


CASES = [
    # MLP-FS-01 offline store KMS key
    RuleCase("MLP-FS-01", "pass", feature_group, "governed feature group"),
    RuleCase("MLP-FS-01", "pass", platform_feature_store, "FeatureStore component"),
    RuleCase("MLP-FS-01", "pass", feature_group, "preview with in-stack key", preview=True),
    RuleCase("MLP-FS-01", "pass", lambda: feature_group(offline=False), "no offline store is not applicable"),
    RuleCase("MLP-FS-01", "fail", lambda: feature_group(offline_key=False), "no key", message="offline store has no KMS key"),
    # MLP-FS-02 online store KMS key, pii TTL
    RuleCase("MLP-FS-02", "pass", feature_group, "governed feature group"),
    RuleCase("MLP-FS-02", "pass", platform_feature_store, "FeatureStore component"),
    RuleCase("MLP-FS-02", "pass", feature_group, "preview with in-stack key", preview=True),
    RuleCase("MLP-FS-02", "pass", lambda: feature_group(online=False, online_key=False, ttl=False), "online store disabled is not applicable"),
    RuleCase("MLP-FS-02", "pass", lambda: feature_group(ttl=False, tags={**GOOD_TAGS, "pii": "false"}), "non-pii group needs no ttl"),
    RuleCase("MLP-FS-02", "fail", lambda: feature_group(online_key=False), "no key", message="online store has no KMS key"),
    RuleCase("MLP-FS-02", "fail", lambda: feature_group(ttl=False), "pii without ttl", message="never expire"),
    # MLP-FS-03 offline store in an in-stack governed bucket
    RuleCase("MLP-FS-03", "pass", feature_group, "governed datasets bucket"),
    RuleCase("MLP-FS-03", "pass", platform_feature_store, "FeatureStore component"),
    RuleCase("MLP-FS-03", "pass", feature_group, "preview joins by bucket name", preview=True),
    RuleCase("MLP-FS-03", "pass", lambda: feature_group(uri_from_id=True), "preview joins by property dependency", preview=True),
    RuleCase("MLP-FS-03", "fail", lambda: feature_group(uri_from_id=True, versioning=False), "preview join still checks the bucket",
             preview=True, message="lacks versioning"),
    RuleCase("MLP-FS-03", "fail", lambda: feature_group(uri="s3://someone-elses-bucket/features/"), "bucket outside the stack",
             message="not in a bucket of this stack"),
    RuleCase("MLP-FS-03", "fail", lambda: feature_group(bucket_role="access-logs"), "wrong bucket role", message="role is 'access-logs'"),
    RuleCase("MLP-FS-03", "fail", lambda: feature_group(sse=False), "bucket without SSE-KMS", message="default SSE-KMS encryption"),
    RuleCase("MLP-FS-03", "fail", lambda: feature_group(pab=False), "bucket without public access block",
             message="public access block"),
    RuleCase("MLP-FS-03", "fail", lambda: feature_group(versioning=False), "bucket without versioning", message="lacks versioning"),
    # MLP-FS-04 tags
    RuleCase("MLP-FS-04", "pass", feature_group, "tagged group"),
    RuleCase("MLP-FS-04", "pass", platform_feature_store, "FeatureStore component"),
    RuleCase("MLP-FS-04", "pass", feature_group, "preview", preview=True),
    RuleCase("MLP-FS-04", "fail", lambda: feature_group(tags={"owner": "fraud-team"}), "missing tags",
             message="lacks the tags data-classification, pii"),
    RuleCase("MLP-FS-04", "fail", lambda: feature_group(tags={**GOOD_TAGS, "data-classification": "secret"}), "bad classification",
             message="data-classification='secret'"),
    RuleCase("MLP-FS-04", "fail", lambda: feature_group(tags={**GOOD_TAGS, "pii": "yes"}), "bad pii value", message="pii='yes'"),
    RuleCase("MLP-FS-04", "fail", lambda: feature_group(tags={**GOOD_TAGS, "owner": ""}), "empty owner", message="lacks the tags owner"),
    # MLP-MDL-01 network isolation and VPC
    RuleCase("MLP-MDL-01", "pass", model, "isolated model in the VPC"),
    RuleCase("MLP-MDL-01", "pass", model_with_computed_image, "preview", preview=True),
    RuleCase("MLP-MDL-01", "fail", lambda: model(isolation=False), "isolation off", message="enableNetworkIsolation is False"),
    RuleCase("MLP-MDL-01", "fail", lambda: model(isolation=None), "isolation unset", message="default is off"),
    RuleCase("MLP-MDL-01", "fail", lambda: model(vpc=None), "no vpc", message="no vpcConfig"),
    RuleCase("MLP-MDL-01", "fail", lambda: model(vpc={"subnets": [], "security_group_ids": ["sg-1"]}), "vpc without subnets",
             message="names no subnets"),
    # MLP-MDL-02 image registries and digests
    RuleCase("MLP-MDL-02", "pass", model, "own ECR by digest"),
    RuleCase("MLP-MDL-02", "pass", lambda: model(image=PREBUILT_IMAGE), "SageMaker prebuilt image"),
    RuleCase("MLP-MDL-02", "pass", lambda: model(image=None, containers=[{"model_package_name": PACKAGES_ARN[:-1] + "3"}]),
             "model package needs no digest"),
    RuleCase("MLP-MDL-02", "pass", lambda: model(image=f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/fraud@{DIGEST}"),
             "own ECR in another region"),
    RuleCase("MLP-MDL-02", "pass", lambda: model(role_arn="arn:aws:iam::999999999999:role/x"), "account from stack config",
             config={"aws:allowedAccountIds": [ACCOUNT]}),
    RuleCase("MLP-MDL-02", "pass", model, "preview with literal image", preview=True),
    RuleCase("MLP-MDL-02", "pass", model_with_computed_image, "preview with computed image is unverified, not failed", preview=True),
    RuleCase("MLP-MDL-02", "fail", lambda: model(image=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/fraud-serving:1.4.2"),
             "tag instead of digest", message="not pinned by digest"),
    RuleCase("MLP-MDL-02", "fail", lambda: model(image=f"{OTHER_ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/fraud@{DIGEST}"),
             "another account's ECR", message=f"registry {OTHER_ACCOUNT}.dkr.ecr"),
    RuleCase("MLP-MDL-02", "fail", lambda: model(image=f"python@{DIGEST}"), "Docker Hub", message="registry docker.io"),
    RuleCase("MLP-MDL-02", "fail", lambda: model(containers=[{"image": f"ghcr.io/acme/sidecar@{DIGEST}"}]), "second container from ghcr",
             message="containers[0].image"),
    # MLP-REG-01 model package group policy
    RuleCase("MLP-REG-01", "pass", lambda: group_policy([consumer_statement({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})]), "own account"),
    RuleCase("MLP-REG-01", "pass", lambda: group_policy([consumer_statement({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})]), "preview",
             preview=True),
    RuleCase("MLP-REG-01", "pass", platform_registry, "ModelRegistry without consumers declares no policy"),
    RuleCase("MLP-REG-01", "pass", lambda: group_policy([consumer_statement("*", Effect="Deny")]), "deny to star is fine"),
    RuleCase("MLP-REG-01", "fail", lambda: group_policy([consumer_statement("*")]), "star principal", message='Principal "*"'),
    RuleCase("MLP-REG-01", "fail", lambda: group_policy([consumer_statement(
        {"AWS": "*"}, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})]), "conditioned star principal",
        message='Principal "*"'),
    RuleCase("MLP-REG-01", "fail", lambda: group_policy([consumer_statement({"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"})]),
             "account not on the allow-list", message=f"grants account {OTHER_ACCOUNT}"),
    RuleCase("MLP-REG-01", "fail", lambda: platform_registry((OTHER_ACCOUNT,)), "ModelRegistry consumers need the allow-list",
             message=f"grants account {OTHER_ACCOUNT}"),
    RuleCase("MLP-REG-01", "fail", lambda: group_policy([{k: v for k, v in consumer_statement(None).items() if k != "Principal"}
                                                         | {"NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]),
             "NotPrincipal allow", message="NotPrincipal"),
    # MLP-EP-01 endpoint configuration KMS key
    RuleCase("MLP-EP-01", "pass", endpoint_config, "key set"),
    RuleCase("MLP-EP-01", "pass", endpoint_with_in_stack_capture_bucket, "preview with in-stack key", preview=True),
    RuleCase("MLP-EP-01", "pass", lambda: endpoint_config(variants=[variant("ml.g5.2xlarge")], key=False),
             "instance storage is not applicable"),
    RuleCase("MLP-EP-01", "fail", lambda: endpoint_config(key=False), "no key", message="has no kmsKeyArn"),
    RuleCase("MLP-EP-01", "fail", lambda: endpoint_config(variants=[variant(serverless=True)], key=False, data_capture=None),
             "serverless without key", environment="dev", message="has no kmsKeyArn"),
    # MLP-EP-02 provisioned variants have >= 2 instances
    RuleCase("MLP-EP-02", "pass", endpoint_config, "two instances"),
    RuleCase("MLP-EP-02", "pass", endpoint_with_in_stack_capture_bucket, "preview", preview=True),
    RuleCase("MLP-EP-02", "pass", lambda: endpoint_config(variants=[variant(count=1)]), "disabled in dev", environment="dev"),
    RuleCase("MLP-EP-02", "pass", lambda: endpoint_config(variants=[variant(serverless=True)], data_capture=None),
             "serverless is not applicable"),
    RuleCase("MLP-EP-02", "pass", lambda: endpoint_config(shadow=[variant(count=1, name="shadow")]), "shadow variants are not counted"),
    RuleCase("MLP-EP-02", "fail", lambda: endpoint_config(variants=[variant(count=1)]), "single instance", message="starts with 1 instance"),
    RuleCase("MLP-EP-02", "fail", lambda: endpoint_config(variants=[variant(count=None)]), "no instance count",
             message="sets no initialInstanceCount"),
    RuleCase("MLP-EP-02", "fail", lambda: endpoint_config(variants=[variant(count=1)]), "staging carries prod's level",
             environment="staging", message="fewer than 2"),
    # MLP-EP-03 data capture
    RuleCase("MLP-EP-03", "pass", endpoint_capturing_to_artifact_store, "captures to the artifact store's captures bucket"),
    RuleCase("MLP-EP-03", "pass", endpoint_capturing_to_artifact_store, "artifact store in preview", preview=True),
    RuleCase("MLP-EP-03", "pass", endpoint_capturing_to_stack_bucket, "governed bucket of the stack by name"),
    RuleCase("MLP-EP-03", "pass", endpoint_capturing_to_stack_bucket, "preview joins by property dependency", preview=True),
    RuleCase("MLP-EP-03", "pass", lambda: endpoint_config(variants=[variant(serverless=True)], data_capture=None),
             "serverless is not applicable"),
    RuleCase("MLP-EP-03", "pass", endpoint_config, "reviewed outside destination",
             rule_config={"allowed_destinations": ["s3://store-captures-*/fraud/*"]}),
    RuleCase("MLP-EP-03", "fail", endpoint_config, "outside the stack by default",
             message="neither a bucket of this stack nor an allowed captures location (none configured)"),
    RuleCase("MLP-EP-03", "fail", lambda: endpoint_capturing_to_stack_bucket(versioning=False), "ungoverned stack bucket",
             message="the capture bucket captures lacks versioning"),
    RuleCase("MLP-EP-03", "fail", lambda: endpoint_capturing_to_stack_bucket(pab=False, sse=False), "ungoverned bucket in preview",
             preview=True, message="lacks default SSE-KMS encryption, a public access block"),
    RuleCase("MLP-EP-03", "fail", lambda: endpoint_capturing_to_stack_bucket(role="scratch"), "bucket of another role",
             message="whose role is 'scratch'"),
    RuleCase("MLP-EP-03", "fail", lambda: endpoint_config(data_capture=None), "no capture", message="has no dataCaptureConfig"),
    RuleCase("MLP-EP-03", "fail", lambda: endpoint_config(data_capture=capture(enable_capture=False)), "capture off",
             message="data capture is off"),
    RuleCase("MLP-EP-03", "fail", lambda: endpoint_config(data_capture=capture(kms_key_id=None)), "no capture key",
             message="captured data has no KMS key"),
    RuleCase("MLP-EP-03", "fail", lambda: endpoint_config(data_capture=capture(destination_s3_uri="s3://scratch/store-captures-y/")),
             "captures in the key only", message="neither a bucket of this stack",
             rule_config={"allowed_destinations": ["s3://store-captures-*/fraud/*"]}),
    RuleCase("MLP-EP-03", "fail", lambda: endpoint_config(data_capture=capture(initial_sampling_percentage=5)), "low sampling",
             message="samples 5%, below the minimum 10%"),
    # MLP-EP-04 instance types per environment
    RuleCase("MLP-EP-04", "pass", endpoint_config, "cpu types everywhere", environment="dev"),
    RuleCase("MLP-EP-04", "pass", lambda: endpoint_config(variants=[variant("ml.g5.2xlarge")]), "staging allows g5.2xlarge",
             environment="staging"),
    RuleCase("MLP-EP-04", "pass", lambda: endpoint_config(variants=[variant("ml.g6.12xlarge"), variant("ml.p4d.24xlarge", name="big")]),
             "prod allows the g6 and p4d families"),
    RuleCase("MLP-EP-04", "pass", lambda: endpoint_config(variants=[variant("ml.g5.xlarge")]), "preview", environment="staging",
             preview=True),
    RuleCase("MLP-EP-04", "fail", lambda: endpoint_config(variants=[variant("ml.g5.xlarge")]), "dev allows no accelerated types",
             environment="dev", message="not allowed in dev (allowed: no accelerated types)"),
    RuleCase("MLP-EP-04", "fail", lambda: endpoint_config(variants=[variant("ml.g5.12xlarge")]), "staging gates larger g5",
             environment="staging", message="ml.g5.12xlarge"),
    RuleCase("MLP-EP-04", "fail", lambda: endpoint_config(variants=[variant("ml.p5.48xlarge")]), "prod gates p5", message="ml.p5.48xlarge"),
    RuleCase("MLP-EP-04", "fail", lambda: endpoint_config(variants=[variant("ml.inf2.xlarge")]), "inferentia is accelerated",
             environment="staging", message="ml.inf2.xlarge"),
    RuleCase("MLP-EP-04", "fail", lambda: endpoint_config(shadow=[variant("ml.g6.xlarge", name="shadow")]), "shadow variant",
             environment="staging", message="variant shadow"),
    # MLP-EP-05 5XX and latency alarms per endpoint
    RuleCase("MLP-EP-05", "pass", serving, "alarms by endpoint name"),
    RuleCase("MLP-EP-05", "pass", lambda: serving(by_reference=True), "alarms by reference", preview=True),
    RuleCase("MLP-EP-05", "pass", lambda: serving(metric_queries=True), "metric-math alarms"),
    RuleCase("MLP-EP-05", "fail", lambda: serving(alarms=("Invocation5XXErrors",)), "no latency alarm", message="ModelLatency"),
    RuleCase("MLP-EP-05", "fail", lambda: serving(alarms=("ModelLatency",)), "no 5xx alarm", message="Invocation5XXErrors"),
    RuleCase("MLP-EP-05", "fail", lambda: serving(alarm_endpoint="another-endpoint"), "alarms watch another endpoint",
             message=f"with EndpointName {ENDPOINT_NAME}"),
    # MLP-EP-07 blue/green with rollback alarms in prod
    RuleCase("MLP-EP-07", "pass", serving, "blue/green with in-stack alarms"),
    RuleCase("MLP-EP-07", "pass", serving, "preview", preview=True),
    RuleCase("MLP-EP-07", "pass", lambda: serving(blue_green=False), "disabled in dev", environment="dev"),
    RuleCase("MLP-EP-07", "fail", lambda: serving(blue_green=False), "no deployment config", message="does not update blue/green"),
    RuleCase("MLP-EP-07", "fail", lambda: serving(blue_green=False, rolling=True), "rolling update is not blue/green",
             message="does not update blue/green"),
    RuleCase("MLP-EP-07", "fail", lambda: serving(rollback_alarms=[]), "no rollback alarms", environment="staging",
             message="no auto-rollback alarms"),
    RuleCase("MLP-EP-07", "fail", lambda: serving(rollback_alarms=[f"{ENDPOINT_NAME}-errors"]), "rollback alarm not declared",
             message=f"rollback alarm {ENDPOINT_NAME}-errors is not declared"),
    # MLP-ECR-01 repositories
    RuleCase("MLP-ECR-01", "pass", repository, "hardened repository"),
    RuleCase("MLP-ECR-01", "pass", platform_registry, "ModelRegistry component"),
    RuleCase("MLP-ECR-01", "pass", repository, "preview with in-stack key", preview=True),
    RuleCase("MLP-ECR-01", "fail", lambda: repository(mutability=None), "mutable by default", message="default is MUTABLE"),
    RuleCase("MLP-ECR-01", "fail", lambda: repository(mutability="IMMUTABLE_WITH_EXCLUSION"), "exclusions leave tags mutable",
             message="'IMMUTABLE_WITH_EXCLUSION'"),
    RuleCase("MLP-ECR-01", "fail", lambda: repository(scan=False), "no scan on push", message="does not scan images on push"),
    RuleCase("MLP-ECR-01", "fail", lambda: repository(encryption="AES256"), "AES256", message="encryptionType is AES256"),
    RuleCase("MLP-ECR-01", "fail", lambda: repository(encryption=None), "default encryption", message="default is AES256"),
    # MLP-ECR-02 repository policies
    RuleCase("MLP-ECR-02", "pass", lambda: repository_policy([{"Sid": "Consumers", "Effect": "Allow",
                                                                "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}, "Action": PULL}]),
             "named account"),
    RuleCase("MLP-ECR-02", "pass", lambda: platform_registry((OTHER_ACCOUNT,)), "ModelRegistry consumers"),
    RuleCase("MLP-ECR-02", "pass", lambda: repository_policy([{"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": PULL,
                                                                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]),
             "star narrowed to the organization"),
    RuleCase("MLP-ECR-02", "pass", lambda: repository_policy([{"Sid": "Consumers", "Effect": "Allow",
                                                                "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}, "Action": PULL}]),
             "preview", preview=True),
    RuleCase("MLP-ECR-02", "fail", lambda: repository_policy([{"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": PULL}]),
             "public pull", message='statement Public allows Principal "*"'),
    RuleCase("MLP-ECR-02", "fail", lambda: repository_policy([{"Sid": "Public", "Effect": "Allow", "Principal": {"AWS": "*"},
                                                                "Action": "ecr:*"}]), "aws star principal", environment="dev",
             message='Principal "*"'),
    RuleCase("MLP-ECR-02", "fail", lambda: repository_policy([{"Sid": "AllButMe", "Effect": "Allow", "Action": PULL,
                                                                "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]),
             "NotPrincipal allow", message="NotPrincipal"),
]


# --- P1: feature group role, models from packages, monitoring schedules, notebooks -----------

TRUST_SAGEMAKER = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def feature_group_with_role(*, managed: tuple[str, ...] = (), attached: tuple[str, ...] = (), by_name: bool = False) -> None:
    role = aws.iam.Role("features-role", assume_role_policy=TRUST_SAGEMAKER, managed_policy_arns=list(managed) or None)
    for index, arn in enumerate(attached):
        aws.iam.RolePolicyAttachment(f"features-attach-{index}", role="features-role-fixed" if by_name else role.name, policy_arn=arn)
    aws.sagemaker.FeatureGroup(
        "customers", feature_group_name="customers", record_identifier_feature_name="customer_id",
        event_time_feature_name="event_time",
        feature_definitions=[{"feature_name": "customer_id", "feature_type": "String"}, {"feature_name": "event_time", "feature_type": "Fractional"}],
        role_arn=role.arn, online_store_config={"enable_online_store": True}, tags=GOOD_TAGS,
    )


FULL_ACCESS = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"


def package_model(*, extra_container: Optional[dict[str, Any]] = None) -> None:
    containers = [{"model_package_name": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/fraud/3"}]
    if extra_container:
        containers.append(extra_container)
    aws.sagemaker.Model("fraud", execution_role_arn=ROLE_ARN, enable_network_isolation=True, containers=containers)


def monitored_endpoint(*, monitored: bool = True, by_name: bool = True, inline: bool = False) -> None:
    config = aws.sagemaker.EndpointConfiguration("fraud", production_variants=[variant()])
    endpoint = aws.sagemaker.Endpoint("fraud-endpoint", name=ENDPOINT_NAME if by_name else None, endpoint_config_name=config.name)
    if not monitored:
        return
    endpoint_name = ENDPOINT_NAME if by_name else endpoint.name
    job = {
        "image_uri": f"156813124566.dkr.ecr.{REGION}.amazonaws.com/sagemaker-model-monitor-analyzer",
        "role_arn": ROLE_ARN,
        "monitoring_resources": {"cluster_config": {"instance_count": 1, "instance_type": "ml.m5.large", "volume_size_in_gb": 20}},
    }
    if inline:
        aws.sagemaker.MonitoringSchedule("drift", monitoring_schedule_config={
            "monitoring_type": "DataQuality", "schedule_config": {"schedule_expression": "cron(0 * ? * * *)"},
            "monitoring_job_definition": {**job, "monitoring_inputs": {"endpoint_input": {"endpoint_name": endpoint_name, "local_path": "/opt/ml/processing/input"}},
                                          "monitoring_output_config": {"monitoring_outputs": {"s3_output": {"s3_uri": "s3://x/y", "local_path": "/opt/ml/processing/output"}}}},
        })
        return
    definition = aws.sagemaker.DataQualityJobDefinition(
        "drift-job", role_arn=ROLE_ARN,
        data_quality_app_specification={"image_uri": job["image_uri"]},
        data_quality_job_input={"endpoint_input": {"endpoint_name": endpoint_name, "local_path": "/opt/ml/processing/input"}},
        data_quality_job_output_config={"monitoring_outputs": {"s3_output": {"s3_uri": "s3://x/y", "local_path": "/opt/ml/processing/output"}}},
        job_resources={"cluster_config": {"instance_count": 1, "instance_type": "ml.m5.large", "volume_size_in_gb": 20}},
    )
    aws.sagemaker.MonitoringSchedule("drift", monitoring_schedule_config={
        "monitoring_type": "DataQuality", "schedule_config": {"schedule_expression": "cron(0 * ? * * *)"},
        "monitoring_job_definition_name": definition.name,
    })


def notebook(**changes: Any) -> None:
    args: dict[str, Any] = {"instance_type": "ml.t3.medium", "role_arn": ROLE_ARN, "subnet_id": "subnet-0a1b2c3d",
                            "security_groups": ["sg-0123456789abcdef0"], "direct_internet_access": "Disabled",
                            "kms_key_id": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                            "root_access": "Disabled"}
    args.update(changes)
    aws.sagemaker.NotebookInstance("lab", **{k: v for k, v in args.items() if v is not None})


def studio(**changes: Any) -> None:
    args: dict[str, Any] = {"domain_name": "ml", "auth_mode": "IAM", "vpc_id": "vpc-0123456789abcdef0",
                            "subnet_ids": ["subnet-0a1b2c3d"], "app_network_access_type": "VpcOnly",
                            "kms_key_id": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                            "default_user_settings": {"execution_role": ROLE_ARN}}
    args.update(changes)
    aws.sagemaker.Domain("studio", **{k: v for k, v in args.items() if v is not None})


CASES += [
    # MLP-FS-05 feature group role
    RuleCase("MLP-FS-05", "pass", platform_feature_store, "FeatureStore component"),
    RuleCase("MLP-FS-05", "pass", platform_feature_store, "FeatureStore in preview", preview=True),
    RuleCase("MLP-FS-05", "pass", lambda: feature_group_with_role(attached=("arn:aws:iam::aws:policy/AmazonSageMakerFeatureStoreAccess",)),
             "narrow managed policy"),
    RuleCase("MLP-FS-05", "fail", lambda: feature_group_with_role(attached=(FULL_ACCESS,)), "full access attached",
             message="carries arn:aws:iam::aws:policy/AmazonSageMakerFullAccess (attachment features-attach-0)"),
    RuleCase("MLP-FS-05", "fail", lambda: feature_group_with_role(attached=(FULL_ACCESS,)), "full access in preview", preview=True,
             message="AmazonSageMakerFullAccess"),
    RuleCase("MLP-FS-05", "fail", lambda: feature_group_with_role(managed=("arn:aws:iam::aws:policy/AdministratorAccess",)),
             "admin on the role", environment="dev", message="AdministratorAccess (role features-role)"),
    RuleCase("MLP-FS-05", "fail", feature_group, "role outside the stack", message="is not declared in this stack"),
    # MLP-MDL-03 registered packages
    RuleCase("MLP-MDL-03", "pass", package_model, "model package container"),
    RuleCase("MLP-MDL-03", "pass", model, "dev is not checked", environment="dev"),
    RuleCase("MLP-MDL-03", "fail", model, "raw image and artifact", message="names no modelPackageName (it deploys image, modelDataUrl directly)"),
    RuleCase("MLP-MDL-03", "fail", lambda: package_model(extra_container={"image": IMAGE}), "one raw container among packages",
             environment="staging", message="containers[1] names no modelPackageName"),
    # MLP-EP-06 monitoring schedules
    RuleCase("MLP-EP-06", "pass", monitored_endpoint, "job definition names the endpoint"),
    RuleCase("MLP-EP-06", "pass", lambda: monitored_endpoint(by_name=False), "joined by dependency in preview", preview=True),
    RuleCase("MLP-EP-06", "pass", lambda: monitored_endpoint(inline=True), "inline job definition"),
    RuleCase("MLP-EP-06", "pass", lambda: monitored_endpoint(monitored=False), "dev is not checked", environment="dev"),
    RuleCase("MLP-EP-06", "fail", lambda: monitored_endpoint(monitored=False), "no schedule", message="has no model monitoring schedule"),
    RuleCase("MLP-EP-06", "fail", lambda: monitored_endpoint(monitored=False, by_name=False), "no schedule in preview", preview=True,
             message="has no model monitoring schedule"),
    # MLP-NB-01 notebooks and Studio
    RuleCase("MLP-NB-01", "pass", notebook, "isolated notebook instance"),
    RuleCase("MLP-NB-01", "pass", studio, "vpc-only studio domain"),
    RuleCase("MLP-NB-01", "fail", lambda: notebook(direct_internet_access=None), "default internet access", message="AWS's default is Enabled"),
    RuleCase("MLP-NB-01", "fail", lambda: notebook(subnet_id=None, security_groups=None), "outside the vpc", message="names no subnetId"),
    RuleCase("MLP-NB-01", "fail", lambda: notebook(kms_key_id=None), "no key", environment="dev", message="has no kmsKeyId"),
    RuleCase("MLP-NB-01", "fail", lambda: notebook(root_access="Enabled"), "root access", message="gives users root"),
    RuleCase("MLP-NB-01", "fail", lambda: studio(app_network_access_type=None), "public studio", message="PublicInternetOnly"),
    RuleCase("MLP-NB-01", "fail", lambda: studio(kms_key_id=None), "studio without key", message="Studio domain studio has no kmsKeyId"),
    RuleCase("MLP-NB-01", "fail", lambda: studio(default_user_settings={"execution_role": ROLE_ARN, "custom_posix_user_config": {"uid": 0, "gid": 0}}),
             "studio apps as root", message="customPosixUserConfig.uid is 0"),
    RuleCase("MLP-NB-01", "fail", lambda: aws.sagemaker.UserProfile("alice", domain_id="d-123", user_profile_name="alice",
             user_settings={"execution_role": ROLE_ARN, "custom_posix_user_config": {"uid": 0, "gid": 100}}), "user profile as root",
             message="userSettings.customPosixUserConfig.uid is 0"),
]
