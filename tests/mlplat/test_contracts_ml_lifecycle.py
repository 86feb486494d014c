"""Contract mappers of the ML lifecycle types: exact requests, defaults valid, one wrong value per operation.

The components refuse bad values before any resource exists, so wrong values are declared here
on raw provider resources: the contract check is the net for resources users declare themselves.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import pulumi_aws as aws
import pytest

from mlplat.tooling.contracts import MappingGap, check_plan, mapped_types, validate
from mlplat.tooling.contracts import ml_lifecycle
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import Plan

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/features"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/11111111-2222-4333-a444-555555555555"
LIFECYCLE = json.dumps(
    {"rules": [{"rulePriority": 1, "description": "Keep the last 30 images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30},
                "action": {"type": "expire"}}]}
)

MAPPED = (
    "aws:sagemaker/featureGroup:FeatureGroup",
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
    "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy",
    "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer",
    "aws:ecr/repository:Repository",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy",
    "aws:glue/catalogDatabase:CatalogDatabase",
)


def feature_group(logical: str = "fg", **overrides: Any) -> aws.sagemaker.FeatureGroup:
    args: dict[str, Any] = dict(
        feature_group_name="customers",
        record_identifier_feature_name="id",
        event_time_feature_name="ts",
        feature_definitions=[{"feature_name": "id", "feature_type": "String"}, {"feature_name": "ts", "feature_type": "Fractional"}],
        online_store_config={"enable_online_store": True, "security_config": {"kms_key_id": KEY_ARN},
                             "ttl_duration": {"unit": "Days", "value": 7}},
        offline_store_config={"s3_storage_config": {"s3_uri": "s3://bucket/fs/customers/", "kms_key_id": KEY_ARN},
                              "disable_glue_table_creation": False, "table_format": "Iceberg",
                              "data_catalog_config": {"catalog": "AwsDataCatalog", "database": "db", "table_name": "customers"}},
        role_arn=ROLE_ARN,
        tags={"owner": "risk", "pii": "true"},
    )
    args.update(overrides)
    return aws.sagemaker.FeatureGroup(logical, **args)


def repository(logical: str = "repo", **overrides: Any) -> aws.ecr.Repository:
    args: dict[str, Any] = dict(
        name="mlplat-dev-fraud-serving",
        image_tag_mutability="IMMUTABLE",
        image_scanning_configuration={"scan_on_push": True},
        encryption_configurations=[{"encryption_type": "KMS", "kms_key": KEY_ARN}],
        force_delete=False,
        tags={"mlplat:model-family": "fraud"},
    )
    args.update(overrides)
    return aws.ecr.Repository(logical, **args)


def mlflow(logical: str = "mlflow", **overrides: Any) -> aws.sagemaker.MlflowTrackingServer:
    args: dict[str, Any] = dict(
        tracking_server_name="mlplat-dev-mlflow", artifact_store_uri="s3://bucket/mlflow/", role_arn=ROLE_ARN,
        tracking_server_size="Small", weekly_maintenance_window_start="Sun:03:00", automatic_model_registration=False,
    )
    args.update(overrides)
    return aws.sagemaker.MlflowTrackingServer(logical, **args)


def valid_program() -> None:
    feature_group()
    group = aws.sagemaker.ModelPackageGroup("group", model_package_group_name="mlplat-dev-fraud",
                                            model_package_group_description="Fraud models", tags={"env": "dev"})
    aws.sagemaker.ModelPackageGroupPolicy("group-policy", model_package_group_name=group.model_package_group_name,
                                          resource_policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
    repo = repository()
    aws.ecr.LifecyclePolicy("lifecycle", repository=repo.name, policy=LIFECYCLE)
    aws.ecr.RepositoryPolicy("repo-policy", repository=repo.name, policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
    mlflow()
    aws.glue.CatalogDatabase("db", name="mlplat_dev_features", description="features", tags={"env": "dev"})


def requests_of(plan: Plan, name: str) -> list[Any]:
    resource = plan.named(name)
    mapper = {
        "aws:sagemaker/featureGroup:FeatureGroup": ml_lifecycle.feature_group,
        "aws:ecr/repository:Repository": ml_lifecycle.ecr_repository,
        "aws:glue/catalogDatabase:CatalogDatabase": ml_lifecycle.glue_database,
        "aws:ecr/lifecyclePolicy:LifecyclePolicy": ml_lifecycle.ecr_lifecycle_policy,
    }[resource.type]
    return list(mapper(resource, plan))


def test_every_ml_lifecycle_type_is_mapped() -> None:
    assert set(MAPPED) <= mapped_types()


@pytest.mark.parametrize("preview", [False, True])
def test_valid_resources_pass(preview: bool) -> None:
    assert check_plan(run_callable(valid_program, preview=preview)) == []


def test_feature_group_request_is_the_api_shape() -> None:
    [request] = requests_of(run_callable(lambda: feature_group(region="us-east-1")), "fg")
    assert (request.service, request.operation) == ("sagemaker", "CreateFeatureGroup")
    assert request.params == {
        "FeatureGroupName": "customers",
        "RecordIdentifierFeatureName": "id",
        "EventTimeFeatureName": "ts",
        "FeatureDefinitions": [{"FeatureName": "id", "FeatureType": "String"}, {"FeatureName": "ts", "FeatureType": "Fractional"}],
        "OnlineStoreConfig": {"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": KEY_ARN},
                              "TtlDuration": {"Unit": "Days", "Value": 7}},
        "OfflineStoreConfig": {"S3StorageConfig": {"S3Uri": "s3://bucket/fs/customers/", "KmsKeyId": KEY_ARN},
                               "DisableGlueTableCreation": False, "TableFormat": "Iceberg",
                               "DataCatalogConfig": {"Catalog": "AwsDataCatalog", "Database": "db", "TableName": "customers"}},
        "RoleArn": ROLE_ARN,
        "Tags": [{"Key": "owner", "Value": "risk"}, {"Key": "pii", "Value": "true"}],
    }


def test_repository_request_renames_and_drops() -> None:
    [request] = requests_of(run_callable(lambda: repository()), "repo")
    assert (request.service, request.operation) == ("ecr", "CreateRepository")
    assert request.params == {
        "repositoryName": "mlplat-dev-fraud-serving",
        "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True},
        "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": KEY_ARN},
        "tags": [{"Key": "mlplat:model-family", "Value": "fraud"}],
    }
    two = [{"encryption_type": "KMS", "kms_key": KEY_ARN}, {"encryption_type": "AES256"}]
    with pytest.raises(MappingGap, match="more than one item"):
        requests_of(run_callable(lambda: repository(encryption_configurations=two)), "repo")


def test_lifecycle_and_glue_requests() -> None:
    plan = run_callable(valid_program)
    [lifecycle] = requests_of(plan, "lifecycle")
    assert lifecycle.params == {"repositoryName": "mlplat-dev-fraud-serving", "lifecyclePolicyText": LIFECYCLE}
    [database] = requests_of(plan, "db")
    assert (database.service, database.operation, database.params) == (
        "glue", "CreateDatabase",
        {"DatabaseInput": {"Name": "mlplat_dev_features", "Description": "features"}, "Tags": {"env": "dev"}},
    )
    with pytest.raises(MappingGap, match="property 'targetDatabase' of a Glue database has no mapping"):
        requests_of(
            run_callable(lambda: aws.glue.CatalogDatabase(
                "db", name="x", target_database={"catalog_id": ACCOUNT, "database_name": "y"})),
            "db",
        )


WRONG: list[tuple[str, Callable[[], Any], str, str, str]] = [
    ("feature group TTL unit", lambda: feature_group(online_store_config={"enable_online_store": True,
                                                                          "ttl_duration": {"unit": "Months", "value": 1}}),
     "sagemaker:CreateFeatureGroup", "OnlineStoreConfig.TtlDuration.Unit", "'Months' is not one of the API's values"),
    ("model package group name",
     lambda: aws.sagemaker.ModelPackageGroup("group", model_package_group_name="fraud_models"),
     "sagemaker:CreateModelPackageGroup", "ModelPackageGroupName", "does not match the API pattern"),
    ("repository name", lambda: repository(name="Fraud/Serving"),
     "ecr:CreateRepository", "repositoryName", "does not match the API pattern"),
    ("tracking server size", lambda: mlflow(tracking_server_size="XLarge"),
     "sagemaker:CreateMlflowTrackingServer", "TrackingServerSize", "'XLarge' is not one of the API's values"),
    ("lifecycle policy length", lambda: aws.ecr.LifecyclePolicy("lifecycle", repository="repo-a", policy="{}"),
     "ecr:PutLifecyclePolicy", "lifecyclePolicyText", "2 characters is below the API minimum 100"),
    ("group policy name", lambda: aws.sagemaker.ModelPackageGroupPolicy(
        "group-policy", model_package_group_name="fraud_models", resource_policy="{}"),
     "sagemaker:PutModelPackageGroupPolicy", "ModelPackageGroupName", "does not match the API pattern"),
    ("repository policy repository", lambda: aws.ecr.RepositoryPolicy("repo-policy", repository="x", policy="{}"),
     "ecr:SetRepositoryPolicy", "repositoryName", "1 characters is below the API minimum 2"),
    ("glue database name", lambda: aws.glue.CatalogDatabase("db", name="d" * 256),
     "glue:CreateDatabase", "DatabaseInput.Name", "256 characters is above the API maximum 255"),
]


@pytest.mark.parametrize(("case", "program", "operation", "path", "message"), WRONG, ids=[w[0] for w in WRONG])
def test_one_wrong_value_per_operation_names_the_field(
    case: str, program: Callable[[], Any], operation: str, path: str, message: str,
) -> None:
    errors = check_plan(run_callable(program))
    assert [(e.operation, e.path) for e in errors] == [(operation, path)], case
    assert message in errors[0].message


def test_tags_are_validated_as_the_api_list() -> None:
    tags = {f"k{i}": "v" for i in range(51)}
    errors = check_plan(run_callable(lambda: aws.sagemaker.ModelPackageGroup("group", model_package_group_name="g", tags=tags)))
    assert [(e.path, e.message) for e in errors] == [("Tags", "51 items is above the API maximum 50")]


def test_validate_accepts_the_vector_collection_shape() -> None:
    program = lambda: feature_group(feature_definitions=[  # noqa: E731
        {"feature_name": "id", "feature_type": "String"}, {"feature_name": "ts", "feature_type": "Fractional"},
        {"feature_name": "v", "feature_type": "Fractional", "collection_type": "Vector",
         "collection_config": {"vector_config": {"dimension": 9000}}},
    ])
    errors = check_plan(run_callable(program))
    assert [(e.path, e.message) for e in errors] == [
        ("FeatureDefinitions[2].CollectionConfig.VectorConfig.Dimension", "9000 is above the API maximum 8192")
    ]
    assert validate(ml_lifecycle.Request("sagemaker", "CreateModelPackageGroup", {"ModelPackageGroupName": "ok"})) == []
