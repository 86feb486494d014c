"""FeatureStore: exact feature group inputs, the offline store role, grants, schema rules and errors.

Programs run under the offline runner with Encryption and ArtifactStore in the same program;
assertions read the Plan (plain data), never apply callbacks.
"""

from __future__ import annotations

import functools
import json
import tomllib
from pathlib import Path
from typing import Any, Callable, Optional

import pulumi_aws as aws
import pytest

from mlplat.components.artifact_store import ArtifactStore, ArtifactStoreArgs
from mlplat.components.encryption import Encryption, EncryptionArgs
from mlplat.core.errors import ConfigError, WiringError
from mlplat.components.feature_store import Feature, FeatureGroupArgs, FeatureStore, FeatureStoreArgs
from mlplat.tooling.contracts import check_plan
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import Plan, PlannedResource, is_unknown

STORE = "mlplat:feature_store:FeatureStore"
GROUP = "aws:sagemaker/featureGroup:FeatureGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
DATABASE = "aws:glue/catalogDatabase:CatalogDatabase"
ACCOUNT = "123456789012"
REGION = "us-east-1"
VERSION_TAG = "mlplat:platform-version"
# The version the project declares: what the installed library stamps on every resource.
VERSION = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]["version"]

CUSTOMERS: dict[str, Any] = {
    "name": "customers",
    "description": "Customer profile features",
    "record_identifier": "customer_id",
    "event_time": "event_time",
    "features": [
        {"name": "customer_id", "type": "String"},
        {"name": "event_time", "type": "Fractional"},
        {"name": "age", "type": "Integral"},
        {"name": "lifetime_value", "type": "Fractional"},
    ],
    "owner": "risk-team",
    "data_classification": "confidential",
    "pii": True,
    "ttl": {"unit": "Days", "value": 30},
}
TRANSACTIONS: dict[str, Any] = {
    "name": "transactions",
    "record_identifier": "transaction_id",
    "event_time": "event_time",
    "features": [
        {"name": "transaction_id", "type": "Integral"},
        {"name": "event_time", "type": "String"},
        {"name": "amount", "type": "Fractional"},
    ],
    "owner": "payments-team",
    "data_classification": "internal",
    "pii": False,
    "online": False,
    "table_format": "Iceberg",
}
EMBEDDINGS: dict[str, Any] = {
    "name": "embeddings",
    "record_identifier": "item_id",
    "event_time": "event_time",
    "features": [
        {"name": "item_id", "type": "String"},
        {"name": "event_time", "type": "Fractional"},
        {"name": "vector", "type": "Fractional", "collection": "Vector", "dimension": 128},
        {"name": "categories", "type": "String", "collection": "Set"},
        {"name": "scores", "type": "Integral", "collection": "List"},
    ],
    "owner": "search-team",
    "data_classification": "internal",
    "pii": False,
    "storage_type": "InMemory",
    "offline": False,
}
GROUPS = (CUSTOMERS, TRANSACTIONS, EMBEDDINGS)


def program(
    *, groups: tuple[dict[str, Any], ...] = GROUPS, after: Optional[Callable[[FeatureStore], Any]] = None, **args: Any,
) -> Callable[[], None]:
    def run() -> None:
        keys = Encryption("enc", EncryptionArgs(s3_log_source_bucket_prefixes=ArtifactStore.log_source_prefixes("store")))
        store = ArtifactStore("store", ArtifactStoreArgs(encryption=keys))
        features = FeatureStore("features", FeatureStoreArgs(artifact_store=store, groups=groups, **args))
        if after is not None:
            after(features)

    return run


@functools.cache
def default_plan() -> Plan:
    return run_callable(program())


def group_of(plan: Plan, group: str) -> PlannedResource:
    return plan.named(f"features-{group}", GROUP)


def data_key(plan: Plan) -> str:
    return plan.named("enc-data-key", "aws:kms/key:Key").outputs["arn"]


def datasets(plan: Plan) -> PlannedResource:
    return plan.named("store-datasets", "aws:s3/bucket:Bucket")


def doc(resource: PlannedResource, key: str = "policy") -> dict[str, Any]:
    return json.loads(resource.inputs[key])


# --- the resource tree -----------------------------------------------------------------------

_C = "urn:pulumi:test::project::mlplat:feature_store:FeatureStore"
GOLDEN_TREE = [
    (f"{_C}$aws:glue/catalogDatabase:CatalogDatabase::features-catalog", DATABASE),
    (f"{_C}$aws:iam/role:Role::features-role", ROLE),
    (f"{_C}$aws:iam/rolePolicy:RolePolicy::features-role-policy", ROLE_POLICY),
    (f"{_C}$aws:sagemaker/featureGroup:FeatureGroup::features-customers", GROUP),
    (f"{_C}$aws:sagemaker/featureGroup:FeatureGroup::features-embeddings", GROUP),
    (f"{_C}$aws:sagemaker/featureGroup:FeatureGroup::features-transactions", GROUP),
    (f"{_C}::features", STORE),
]


def tree(plan: Plan) -> list[tuple[str, str]]:
    store = plan.named("features", STORE)
    return plan.tree(store.urn)


def test_resource_tree_matches_golden() -> None:
    plan = default_plan()
    assert tree(plan) == GOLDEN_TREE
    store = plan.named("features", STORE)
    assert all(r.parent == store.urn for r in plan.descendants(store.urn))


def test_online_only_store_declares_no_catalog_or_role_policy() -> None:
    plan = run_callable(program(groups=(EMBEDDINGS,)))
    assert [urn.rsplit("::", 1)[1] for urn, _ in tree(plan)] == ["features-role", "features-embeddings", "features"]


# --- feature groups --------------------------------------------------------------------------


def test_pii_group_with_online_and_offline_store_exact_inputs() -> None:
    plan = default_plan()
    group = group_of(plan, "customers")
    key = data_key(plan)
    assert group.inputs == {
        "featureGroupName": "features-customers",
        "description": "Customer profile features",
        "recordIdentifierFeatureName": "customer_id",
        "eventTimeFeatureName": "event_time",
        "featureDefinitions": [
            {"featureName": "customer_id", "featureType": "String"},
            {"featureName": "event_time", "featureType": "Fractional"},
            {"featureName": "age", "featureType": "Integral"},
            {"featureName": "lifetime_value", "featureType": "Fractional"},
        ],
        "onlineStoreConfig": {
            "enableOnlineStore": True,
            "securityConfig": {"kmsKeyId": key},
            "storageType": "Standard",
            "ttlDuration": {"unit": "Days", "value": 30},
        },
        "offlineStoreConfig": {
            "s3StorageConfig": {"s3Uri": f"s3://{datasets(plan).id}/feature-store/customers/", "kmsKeyId": key},
            "disableGlueTableCreation": False,
            "dataCatalogConfig": {"catalog": "AwsDataCatalog", "database": "features_features", "tableName": "features_customers"},
            "tableFormat": "Glue",
        },
        "roleArn": plan.named("features-role", ROLE).outputs["arn"],
        "tags": {
            "data-classification": "confidential",
            "owner": "risk-team",
            "pii": "true",
            "mlplat:feature-group": "customers",
            VERSION_TAG: VERSION,
        },
    }, group.urn
    assert group.protect is True, group.urn
    assert plan.named("features-role-policy", ROLE_POLICY).urn in group.dependencies, group.urn
    assert group.outputs["arn"] == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:feature-group/features-customers"


def test_offline_only_iceberg_group_exact_inputs() -> None:
    plan = default_plan()
    group = group_of(plan, "transactions")
    assert "onlineStoreConfig" not in group.inputs, group.urn
    assert group.inputs["offlineStoreConfig"] == {
        "s3StorageConfig": {"s3Uri": f"s3://{datasets(plan).id}/feature-store/transactions/", "kmsKeyId": data_key(plan)},
        "disableGlueTableCreation": False,
        "dataCatalogConfig": {"catalog": "AwsDataCatalog", "database": "features_features", "tableName": "features_transactions"},
        "tableFormat": "Iceberg",
    }, group.urn
    assert group.tags == {
        "data-classification": "internal", "owner": "payments-team", "pii": "false",
        "mlplat:feature-group": "transactions", VERSION_TAG: VERSION,
    }


def test_in_memory_group_with_collections_exact_inputs() -> None:
    plan = default_plan()
    group = group_of(plan, "embeddings")
    assert "offlineStoreConfig" not in group.inputs, group.urn
    assert group.inputs["featureDefinitions"] == [
        {"featureName": "item_id", "featureType": "String"},
        {"featureName": "event_time", "featureType": "Fractional"},
        {"featureName": "vector", "featureType": "Fractional", "collectionType": "Vector",
         "collectionConfig": {"vectorConfig": {"dimension": 128}}},
        {"featureName": "categories", "featureType": "String", "collectionType": "Set"},
        {"featureName": "scores", "featureType": "Integral", "collectionType": "List"},
    ], group.urn
    assert group.inputs["onlineStoreConfig"] == {
        "enableOnlineStore": True, "securityConfig": {"kmsKeyId": data_key(plan)}, "storageType": "InMemory",
    }, group.urn


def test_catalog_database_is_protected_and_named_from_the_prefix() -> None:
    plan = default_plan()
    database = plan.named("features-catalog", DATABASE)
    assert database.inputs == {"name": "features_features", "description": "mlplat features: feature store offline tables"}
    assert database.protect is True


def test_explicit_prefix_protect_and_offline_prefix_reach_the_resources() -> None:
    plan = run_callable(program(name_prefix="mlplat-prod-", protect=False, offline_prefix="fs/"))
    group = group_of(plan, "customers")
    assert group.inputs["featureGroupName"] == "mlplat-prod-customers"
    assert group.inputs["offlineStoreConfig"]["s3StorageConfig"]["s3Uri"] == f"s3://{datasets(plan).id}/fs/customers/"
    assert group.inputs["offlineStoreConfig"]["dataCatalogConfig"]["database"] == "mlplat_prod_features"
    assert group.inputs["offlineStoreConfig"]["dataCatalogConfig"]["tableName"] == "mlplat_prod_customers"
    assert {r.protect for r in plan.of_type(GROUP) + plan.of_type(DATABASE)} == {False}


def test_outputs_are_arns_names_and_role() -> None:
    plan = default_plan()
    assert plan.named("features", STORE).outputs == {
        "feature_group_arns": {g: group_of(plan, g).outputs["arn"] for g in ("customers", "transactions", "embeddings")},
        "feature_group_names": {g: f"features-{g}" for g in ("customers", "transactions", "embeddings")},
        "role_arn": plan.named("features-role", ROLE).outputs["arn"],
    }


def test_default_plan_passes_the_api_contracts() -> None:
    assert check_plan(default_plan()) == []


def test_preview_runs_with_unknown_computed_values() -> None:
    plan = run_callable(program(), preview=True)
    assert tree(plan) == GOLDEN_TREE
    group = group_of(plan, "customers")
    assert is_unknown(group.inputs["roleArn"])
    assert is_unknown(group.inputs["offlineStoreConfig"]["s3StorageConfig"]["kmsKeyId"])
    assert group.inputs["onlineStoreConfig"]["ttlDuration"] == {"unit": "Days", "value": 30}
    assert check_plan(plan) == []


# --- the offline store role ------------------------------------------------------------------


def glue(*tables: str, database: str = "features_features") -> list[str]:
    base = f"arn:aws:glue:{REGION}:{ACCOUNT}:"
    return [f"{base}catalog", f"{base}database/{database}", *(f"{base}table/{database}/{t}" for t in tables)]


def test_role_is_trusted_by_sagemaker_from_this_account_only_and_has_no_managed_policy() -> None:
    plan = default_plan()
    role = plan.named("features-role", ROLE)
    assert doc(role, "assumeRolePolicy") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowServiceAssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            }
        ],
    }
    assert "managedPolicyArns" not in role.inputs
    assert plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []


def test_role_policy_is_scoped_to_offline_prefix_data_key_and_tables() -> None:
    plan = default_plan()
    policy = plan.named("features-role-policy", ROLE_POLICY)
    bucket = datasets(plan).outputs["arn"]
    assert policy.inputs["role"] == plan.named("features-role", ROLE).outputs["name"]
    assert doc(policy) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "OfflineStoreObjects", "Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectAcl", "s3:GetObject"],
             "Resource": f"{bucket}/feature-store/*"},
            {"Sid": "OfflineStoreBucketAcl", "Effect": "Allow", "Action": "s3:GetBucketAcl", "Resource": bucket},
            {"Sid": "OfflineStoreKeyThroughS3", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
             "Resource": data_key(plan), "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}},
            {"Sid": "OfflineStoreGlueTables", "Effect": "Allow", "Action": ["glue:GetTable", "glue:UpdateTable"],
             "Resource": glue("features_customers", "features_transactions")},
        ],
    }


# --- grants ----------------------------------------------------------------------------------


def grants(grant: Callable[[FeatureStore, aws.iam.Role], Any]) -> Callable[[], None]:
    def after(store: FeatureStore) -> None:
        grant(store, aws.iam.Role("app", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []})))

    return program(after=after)


def declare_grants(store: FeatureStore, role: aws.iam.Role) -> None:
    store.group("customers").grant_read_online(role)
    store.grant_write(role, group="customers")
    store.group("transactions").grant_write(role)
    store.grant_read_offline(role, group="transactions")


@functools.cache
def granted_plan() -> Plan:
    return run_callable(grants(declare_grants))


def test_grant_read_online_exact() -> None:
    plan = granted_plan()
    grant = plan.named("features-customers-read-online-app", ROLE_POLICY)
    assert grant.parent == plan.named("features", STORE).urn
    assert grant.inputs["role"] == plan.named("app", ROLE).outputs["name"]
    assert doc(grant) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadOnlineRecords", "Effect": "Allow", "Action": ["sagemaker:GetRecord", "sagemaker:BatchGetRecord"],
             "Resource": group_of(plan, "customers").outputs["arn"]},
            {"Sid": "DecryptOnlineStore", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": data_key(plan)},
        ],
    }


def test_grant_write_exact_with_and_without_online_store() -> None:
    plan = granted_plan()
    assert doc(plan.named("features-customers-write-app", ROLE_POLICY))["Statement"] == [
        {"Sid": "WriteRecords", "Effect": "Allow", "Action": ["sagemaker:PutRecord", "sagemaker:DeleteRecord"],
         "Resource": group_of(plan, "customers").outputs["arn"]},
        {"Sid": "EncryptOnlineStore", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": data_key(plan)},
    ]
    assert doc(plan.named("features-transactions-write-app", ROLE_POLICY))["Statement"] == [
        {"Sid": "WriteRecords", "Effect": "Allow", "Action": ["sagemaker:PutRecord", "sagemaker:DeleteRecord"],
         "Resource": group_of(plan, "transactions").outputs["arn"]},
    ]


def test_grant_read_offline_exact() -> None:
    plan = granted_plan()
    bucket = datasets(plan).outputs["arn"]
    assert doc(plan.named("features-transactions-read-offline-app", ROLE_POLICY))["Statement"] == [
        {"Sid": "ReadOfflineObjects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
         "Resource": f"{bucket}/feature-store/transactions/*"},
        {"Sid": "ListOfflineStore", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket,
         "Condition": {"StringLike": {"s3:prefix": "feature-store/transactions/*"}}},
        {"Sid": "DecryptOfflineStore", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": data_key(plan),
         "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}},
        {"Sid": "ReadOfflineTable", "Effect": "Allow",
         "Action": ["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"],
         "Resource": glue("features_transactions")},
        {"Sid": "QueryWithAthena", "Effect": "Allow",
         "Action": ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
                    "athena:StopQueryExecution", "athena:GetWorkGroup"],
         "Resource": f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/primary"},
    ]


@pytest.mark.parametrize(
    ("grant", "message"),
    [
        (lambda s, r: s.grant_read_online(r, group="transactions"),
         "FeatureStore 'features'.grant_read_online: feature group 'transactions' has no online store"),
        (lambda s, r: s.group("embeddings").grant_read_offline(r),
         "FeatureStore 'features'.grant_read_offline: feature group 'embeddings' has no offline store"),
        (lambda s, r: s.grant_write(r, group="orders"),
         "FeatureStore 'features'.grant_write: group 'orders' is not a feature group of this store "
         "(allowed: customers, transactions, embeddings)"),
        (lambda s, r: s.group("orders"),
         "FeatureStore 'features'.group: group 'orders' is not a feature group of this store "
         "(allowed: customers, transactions, embeddings)"),
        (lambda s, r: s.grant_write("arn:aws:iam::123456789012:role/app", group="customers"),
         "FeatureStore 'features'.grant_write needs an aws.iam.Role resource (so the grant can attach a policy to it), "
         "got str: 'arn:aws:iam::123456789012:role/app'"),
        (lambda s, r: (s.grant_write(r, group="customers"), s.grant_write(r, group="customers")),
         "FeatureStore 'features' already has a write grant on 'customers' for role 'app' (features-customers-write-app); "
         "declare one grant per group, access and role"),
    ],
)
def test_wrong_grants_are_wiring_errors(grant: Callable[[FeatureStore, Any], Any], message: str) -> None:
    with pytest.raises(WiringError) as info:
        run_callable(grants(grant))
    assert str(info.value) == message


# --- Args ------------------------------------------------------------------------------------


def config_error(**args: Any) -> str:
    with pytest.raises(ConfigError) as info:
        run_callable(program(**args))
    return str(info.value)


def expect(*lines: str) -> str:
    noun = "problem" if len(lines) == 1 else "problems"
    return "\n".join([f"invalid configuration ({len(lines)} {noun}):", *("  " + line for line in lines)])


def test_pii_group_needs_an_online_ttl() -> None:
    no_ttl = {k: v for k, v in CUSTOMERS.items() if k != "ttl"}
    assert config_error(groups=(no_ttl,)) == expect(
        "FeatureStoreArgs.groups.0.ttl: is required for a pii group (online records of personal data must expire: "
        "set ttl, e.g. {'unit': 'Days', 'value': 30})"
    )
    offline_only = {**CUSTOMERS, "online": False}
    assert config_error(groups=(offline_only,)) == expect(
        "FeatureStoreArgs.groups.0.ttl: {'unit': 'Days', 'value': 30} needs the online store (set online=true or drop ttl)"
    )


def test_pii_rule_also_applies_to_a_directly_built_group() -> None:
    with pytest.raises(ConfigError) as info:
        FeatureGroupArgs(**{k: v for k, v in CUSTOMERS.items() if k != "ttl"})
    assert info.value.paths == ("FeatureGroupArgs.ttl",)


def test_schema_rules_are_reported_together() -> None:
    bad = {
        **EMBEDDINGS,
        "storage_type": "Standard",
        "record_identifier": "missing",
        "event_time": "count",
        "features": [
            {"name": "item_id", "type": "String"},
            {"name": "count", "type": "Integral"},
            {"name": "vector", "type": "Integral", "collection": "Vector"},
            {"name": "other", "type": "Fractional", "collection": "Vector", "dimension": 9000},
            {"name": "tags", "type": "String", "dimension": 3},
            {"name": "write_time", "type": "String"},
            {"name": "item_id", "type": "String"},
            {"name": "bad name", "type": "String"},
        ],
    }
    base = "FeatureStoreArgs.groups.0"
    assert config_error(groups=(bad,)) == expect(
        f"{base}.features.2.collection: 'Vector' needs an InMemory online store (set online=true, storage_type='InMemory')",
        f"{base}.features.2.type: 'Integral' is not allowed for a Vector (vectors hold Fractional values)",
        f"{base}.features.2.dimension: is required for a Vector (1 to 8192)",
        f"{base}.features.3.collection: 'Vector' needs an InMemory online store (set online=true, storage_type='InMemory')",
        f"{base}.features.3.dimension: 9000 is out of range (1 to 8192)",
        f"{base}.features.3.collection: 'Vector' is a second Vector (a group may have one)",
        f"{base}.features.4.dimension: 3 is only allowed with collection='Vector'",
        f"{base}.features.5.name: 'write_time' is reserved by Feature Store (is_deleted, write_time, api_invocation_time)",
        f"{base}.features.6.name: 'item_id' is declared twice",
        f"{base}.features.7.name: 'bad name' is not a feature name (letters and digits, '-' or '_' between them, at most 64 characters)",
        f"{base}.record_identifier: 'missing' is not one of the group's features "
        "(item_id, count, vector, other, tags, write_time, bad name)",
        f"{base}.event_time: 'count' names a Integral feature (allowed: String, Fractional)",
    )


def test_store_level_rules() -> None:
    other = {**TRANSACTIONS, "name": "Transactions_2", "online": False, "offline": False, "storage_type": "InMemory"}
    message = config_error(
        groups=(CUSTOMERS, {**CUSTOMERS, "description": "x" * 129}, other),
        name_prefix="Bad", offline_prefix="/fs", athena_workgroup="my workgroup",
    )
    assert message == expect(
        "FeatureStoreArgs.groups.1.description: '" + "x" * 129 + "' is longer than 128 characters (the API maximum)",
        "FeatureStoreArgs.groups.1.name: 'customers' is declared twice",
        "FeatureStoreArgs.groups.2.name: 'Transactions_2' is not a usable feature group name (lowercase letters, digits "
        "and '-', starting with a letter, not ending with '-', at most 32 characters)",
        "FeatureStoreArgs.groups.2.offline: False is false while online is false (a group needs at least one store)",
        "FeatureStoreArgs.groups.2.storage_type: 'InMemory' has no effect without the online store",
        "FeatureStoreArgs.groups.2.table_format: 'Iceberg' has no effect without the offline store",
        "FeatureStoreArgs.name_prefix: 'Bad' is not a name prefix (lowercase letters, digits and '-', ending with '-')",
        "FeatureStoreArgs.offline_prefix: '/fs' is not a key prefix (no leading '/', no wildcards, ending with '/', e.g. 'feature-store/')",
        "FeatureStoreArgs.athena_workgroup: 'my workgroup' is not an Athena workgroup name (letters, digits, '.', '_', '-')",
    )


def test_physical_names_must_fit_the_api() -> None:
    long_group = {**TRANSACTIONS, "name": "a" * 32}
    assert config_error(groups=(long_group,), name_prefix="p" * 32 + "-") == expect(
        f"FeatureStoreArgs.groups.0.name: '{'a' * 32}' makes the feature group name '{'p' * 32}-{'a' * 32}' longer than 64 characters"
    )

    def bad_component() -> None:
        keys = Encryption("enc", EncryptionArgs(s3_log_source_bucket_prefixes=ArtifactStore.log_source_prefixes("store")))
        store = ArtifactStore("store", ArtifactStoreArgs(encryption=keys))
        FeatureStore("Features", FeatureStoreArgs(artifact_store=store, groups=(TRANSACTIONS,)))

    with pytest.raises(ConfigError) as info:
        run_callable(bad_component)
    assert str(info.value) == expect(
        "FeatureStoreArgs.name_prefix: is omitted and the component name 'Features' is not a usable prefix "
        "(lowercase letters, digits and '-'); set name_prefix"
    )


def test_typed_fields_unknown_keys_and_missing_groups() -> None:
    bad = {**TRANSACTIONS, "table_format": "Parquet", "features": [{"name": "transaction_id", "type": "Text"}], "colour": 1}
    lines = config_error(groups=(bad,)).splitlines()
    assert lines[0] == "invalid configuration (3 problems):"
    assert lines[1] == "  FeatureStoreArgs.groups.0.features.0.type: 'Text' is not allowed (allowed: 'Integral', 'Fractional' or 'String')"
    assert lines[2] == "  FeatureStoreArgs.groups.0.table_format: 'Parquet' is not allowed (allowed: 'Glue' or 'Iceberg')"
    assert lines[3] == (
        "  FeatureStoreArgs.groups.0.colour: is not a known key (allowed: data_classification, description, event_time, "
        "features, name, offline, online, owner, pii, record_identifier, storage_type, table_format, ttl)"
    )
    assert config_error(groups=()) == expect("FeatureStoreArgs.groups: () must list at least one feature group")


def test_feature_model_is_usable_directly() -> None:
    group = FeatureGroupArgs(
        name="clicks", record_identifier="id", event_time="ts",
        features=(Feature(name="id", type="String"), Feature(name="ts", type="String")),
        owner="web", data_classification="public", pii=False,
    )
    assert group.tags() == {
        "data-classification": "public", "owner": "web", "pii": "false", "mlplat:feature-group": "clicks", VERSION_TAG: VERSION,
    }


# --- schema safety: replacements against a baseline plan -------------------------------------

from mlplat.tooling.feature_changes import (  # noqa: E402
    FeatureGroupChanges,
    Finding,
    feature_group_changes,
    feature_type,
    replacement_findings,
)

EVOLVED_CUSTOMERS = {
    **CUSTOMERS,
    "features": [
        {"name": "customer_id", "type": "String"},
        {"name": "event_time", "type": "Fractional"},
        {"name": "lifetime_value", "type": "Integral"},
        {"name": "segment", "type": "String"},
    ],
}
EVOLVED_TRANSACTIONS = {**TRANSACTIONS, "features": [*TRANSACTIONS["features"], {"name": "merchant", "type": "String"}]}


@functools.cache
def evolved_plan() -> Plan:
    return run_callable(program(groups=(EVOLVED_CUSTOMERS, EVOLVED_TRANSACTIONS)))


def urn(group: str) -> str:
    return f"{_C}$aws:sagemaker/featureGroup:FeatureGroup::features-{group}"


def test_feature_types_render_collections_and_dimensions() -> None:
    assert feature_type({"featureType": "String"}) == "String"
    assert feature_type({"featureType": "Integral", "collectionType": "List"}) == "List<Integral>"
    assert feature_type({"featureType": "Fractional", "collectionType": "Vector",
                         "collectionConfig": {"vectorConfig": {"dimension": 128}}}) == "Vector<Fractional>[128]"


def test_changes_separate_replacements_from_additions() -> None:
    baseline = default_plan().to_preview_json()
    changes = feature_group_changes(baseline, evolved_plan())
    assert changes == [
        FeatureGroupChanges(urn=urn("customers"), removed=("age",), retyped=(("lifetime_value", "Fractional", "Integral"),),
                            added=("segment",)),
        FeatureGroupChanges(urn=urn("embeddings"), deleted=True),
        FeatureGroupChanges(urn=urn("transactions"), added=("merchant",)),
    ]
    assert [(c.replaces, c.destructive) for c in changes] == [(True, True), (False, True), (False, False)]
    # A Plan works as the baseline too, and an unchanged plan has no changes.
    assert feature_group_changes(default_plan(), default_plan()) == []


def test_replacements_are_errors_in_prod_and_staging_warnings_in_dev() -> None:
    baseline = default_plan().to_preview_json()
    replaced = (
        "the feature group would be replaced (removes feature(s) age; changes feature lifetime_value from Fractional "
        "to Integral): its online store is recreated empty and a new offline table starts; add features instead, or "
        "create a new group and migrate"
    )
    deleted = "the feature group would be deleted (its online records are lost; offline data stays in S3)"
    assert replacement_findings(baseline, evolved_plan(), "prod") == [
        Finding("error", urn("customers"), replaced),
        Finding("error", urn("embeddings"), deleted),
    ]
    assert [f.severity for f in replacement_findings(baseline, evolved_plan(), "staging")] == ["error", "error"]
    dev = replacement_findings(baseline, evolved_plan(), "dev")
    assert [f.severity for f in dev] == ["warning", "warning"]
    assert dev[0].render() == f"warning: {urn('customers')}: {replaced}"
    assert dev[1].to_json() == {"severity": "warning", "urn": urn("embeddings"), "message": deleted}
    assert replacement_findings(baseline, default_plan(), "prod") == []


def test_key_feature_changes_replace_and_delete_steps_are_ignored() -> None:
    group = group_of(default_plan(), "customers")
    before = {"steps": [
        {"op": "create", "urn": group.urn, "newState": {"urn": group.urn, "type": GROUP,
                                                       "inputs": {**group.inputs, "eventTimeFeatureName": "created_at"}}},
        {"op": "delete", "urn": urn("old"), "oldState": {"urn": urn("old"), "type": GROUP, "inputs": {}}},
    ]}
    current = run_callable(program(groups=(CUSTOMERS,)))
    assert [f.message for f in replacement_findings(before, current, "prod")] == [
        "the feature group would be replaced (changes the event time feature from created_at to event_time): its "
        "online store is recreated empty and a new offline table starts; add features instead, or create a new "
        "group and migrate"
    ]


def test_bad_baseline_or_environment() -> None:
    with pytest.raises(ValueError, match="the baseline is not a preview JSON document"):
        replacement_findings({"resources": []}, default_plan(), "prod")
    with pytest.raises(ValueError, match="environment 'production' is not one of dev, staging, prod"):
        replacement_findings({"steps": []}, default_plan(), "production")


def test_a_directly_built_group_reports_nested_type_errors_with_its_own_paths() -> None:
    with pytest.raises(ConfigError) as info:
        FeatureGroupArgs(**{**TRANSACTIONS, "features": [{"name": "transaction_id", "type": "Text"}]})
    assert str(info.value).splitlines()[1] == (
        "  FeatureGroupArgs.features.0.type: 'Text' is not allowed (allowed: 'Integral', 'Fractional' or 'String')"
    )
