"""ArtifactStore: the exact security settings of every bucket, its policies, grants and errors.

Every program runs under the offline runner (`run_callable`) with the Encryption component in
the same program; assertions read the Plan (plain data), never apply callbacks.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable, Optional

import iam_reference
import pulumi_aws as aws
import pytest

from mlplat.components.artifact_store import ArtifactStore, ArtifactStoreArgs
from mlplat.components.encryption import Encryption, EncryptionArgs
from mlplat.core.errors import ConfigError, WiringError
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import Plan, PlannedResource, is_unknown

STORE = "mlplat:artifact_store:ArtifactStore"
BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"

ROLES = ("datasets", "models", "captures", "access-logs")
DATA_ROLES = ("datasets", "models", "captures")
DOMAIN = {"datasets": "data", "models": "models", "captures": "data", "access-logs": "logs"}
ACCOUNT = "123456789012"
REGION = "us-east-1"


# --- programs --------------------------------------------------------------------------------


def store_program(
    name: str = "store",
    *,
    domains: tuple[str, ...] = ("data", "models", "logs"),
    after: Optional[Callable[[ArtifactStore], Any]] = None,
    **store_args: Any,
) -> Callable[[], None]:
    """A program declaring Encryption (wired for log delivery) and an ArtifactStore."""

    def program() -> None:
        prefixes = ArtifactStore.log_source_prefixes(name, store_args.get("bucket_name_prefix"))
        keys = Encryption(
            "enc",
            EncryptionArgs(domains=domains, s3_log_source_bucket_prefixes=prefixes if "logs" in domains else ()),
        )
        store = ArtifactStore(name, ArtifactStoreArgs(encryption=keys, **store_args))
        if after is not None:
            after(store)

    return program


@functools.cache
def default_plan() -> Plan:
    return run_callable(store_program())


def bucket_of(plan: Plan, role: str, store: str = "store") -> PlannedResource:
    return plan.named(f"{store}-{role}", BUCKET)


def side(plan: Plan, role: str, suffix: str, type_token: str, store: str = "store") -> PlannedResource:
    return plan.named(f"{store}-{role}-{suffix}", type_token)


def key_arn(plan: Plan, role: str) -> str:
    return plan.named(f"enc-{DOMAIN[role]}-key", "aws:kms/key:Key").outputs["arn"]


def bucket_arn(plan: Plan, role: str, store: str = "store") -> str:
    return bucket_of(plan, role, store).outputs["arn"]


def policy_doc(resource: PlannedResource) -> dict[str, Any]:
    return json.loads(resource.inputs["policy"])


# --- the resource tree (public contract: renaming a child replaces live buckets) ------------

_C = "urn:pulumi:test::project::mlplat:artifact_store:ArtifactStore"
GOLDEN_TREE = [
    (f"{_C}$aws:s3/bucket:Bucket::store-access-logs", BUCKET),
    (f"{_C}$aws:s3/bucket:Bucket::store-captures", BUCKET),
    (f"{_C}$aws:s3/bucket:Bucket::store-datasets", BUCKET),
    (f"{_C}$aws:s3/bucket:Bucket::store-models", BUCKET),
    (f"{_C}$aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration::store-access-logs-lifecycle", LIFECYCLE),
    (f"{_C}$aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration::store-captures-lifecycle", LIFECYCLE),
    (f"{_C}$aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration::store-datasets-lifecycle", LIFECYCLE),
    (f"{_C}$aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration::store-models-lifecycle", LIFECYCLE),
    (f"{_C}$aws:s3/bucketLogging:BucketLogging::store-captures-logging", LOGGING),
    (f"{_C}$aws:s3/bucketLogging:BucketLogging::store-datasets-logging", LOGGING),
    (f"{_C}$aws:s3/bucketLogging:BucketLogging::store-models-logging", LOGGING),
    (f"{_C}$aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration::store-models-object-lock", OBJECT_LOCK),
    (f"{_C}$aws:s3/bucketOwnershipControls:BucketOwnershipControls::store-access-logs-ownership", OWNERSHIP),
    (f"{_C}$aws:s3/bucketOwnershipControls:BucketOwnershipControls::store-captures-ownership", OWNERSHIP),
    (f"{_C}$aws:s3/bucketOwnershipControls:BucketOwnershipControls::store-datasets-ownership", OWNERSHIP),
    (f"{_C}$aws:s3/bucketOwnershipControls:BucketOwnershipControls::store-models-ownership", OWNERSHIP),
    (f"{_C}$aws:s3/bucketPolicy:BucketPolicy::store-access-logs-policy", POLICY),
    (f"{_C}$aws:s3/bucketPolicy:BucketPolicy::store-captures-policy", POLICY),
    (f"{_C}$aws:s3/bucketPolicy:BucketPolicy::store-datasets-policy", POLICY),
    (f"{_C}$aws:s3/bucketPolicy:BucketPolicy::store-models-policy", POLICY),
    (f"{_C}$aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::store-access-logs-public-access-block", PAB),
    (f"{_C}$aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::store-captures-public-access-block", PAB),
    (f"{_C}$aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::store-datasets-public-access-block", PAB),
    (f"{_C}$aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::store-models-public-access-block", PAB),
    (f"{_C}$aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration::store-access-logs-encryption", SSE),
    (f"{_C}$aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration::store-captures-encryption", SSE),
    (f"{_C}$aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration::store-datasets-encryption", SSE),
    (f"{_C}$aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration::store-models-encryption", SSE),
    (f"{_C}$aws:s3/bucketVersioning:BucketVersioning::store-access-logs-versioning", VERSIONING),
    (f"{_C}$aws:s3/bucketVersioning:BucketVersioning::store-captures-versioning", VERSIONING),
    (f"{_C}$aws:s3/bucketVersioning:BucketVersioning::store-datasets-versioning", VERSIONING),
    (f"{_C}$aws:s3/bucketVersioning:BucketVersioning::store-models-versioning", VERSIONING),
    (f"{_C}::store", STORE),
]


def test_default_store_resource_tree_matches_golden() -> None:
    plan = default_plan()
    store = plan.named("store", STORE)
    tree = plan.tree(store.urn)
    assert tree == GOLDEN_TREE
    assert all(r.parent == store.urn for r in plan.descendants(store.urn))


# --- buckets ---------------------------------------------------------------------------------


def test_log_source_prefixes_name_the_buckets_that_log() -> None:
    assert ArtifactStore.log_source_prefixes("store") == ("store-datasets-", "store-models-", "store-captures-")
    assert ArtifactStore.log_source_prefixes("store", "mlplat-dev-") == (
        "mlplat-dev-datasets-", "mlplat-dev-models-", "mlplat-dev-captures-",
    )
    assert ArtifactStore.log_source_prefixes("ML_Store") == ("ml-store-datasets-", "ml-store-models-", "ml-store-captures-")


@pytest.mark.parametrize("role", ROLES)
def test_bucket_is_prefixed_tagged_protected_and_not_force_destroyed(role: str) -> None:
    bucket = bucket_of(default_plan(), role)
    assert bucket.inputs["bucketPrefix"] == f"store-{role}-", bucket.urn
    assert bucket.inputs["bucket"].startswith(f"store-{role}-"), bucket.urn
    assert bucket.tags == {"mlplat:bucket-role": role}, bucket.urn
    assert bucket.inputs["forceDestroy"] is False, bucket.urn
    assert bucket.protect is True, bucket.urn
    for legacy in ("serverSideEncryptionConfiguration", "versioning", "logging", "lifecycleRules", "policy", "acl",
                   "objectLockConfiguration"):
        assert legacy not in bucket.inputs, f"{bucket.urn} uses the deprecated inline {legacy}"
    if role == "models":
        assert bucket.inputs["objectLockEnabled"] is True, bucket.urn
    else:
        assert "objectLockEnabled" not in bucket.inputs, bucket.urn


@pytest.mark.parametrize("role", ROLES)
def test_bucket_encrypts_with_its_domain_key_and_bucket_key(role: str) -> None:
    plan = default_plan()
    sse = side(plan, role, "encryption", SSE)
    assert sse.inputs == {
        "bucket": bucket_of(plan, role).id,
        "rules": [
            {
                "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn(plan, role)},
                "bucketKeyEnabled": True,
            }
        ],
    }, sse.urn


@pytest.mark.parametrize("role", ROLES)
def test_bucket_versioning_public_access_block_and_ownership(role: str) -> None:
    plan = default_plan()
    name = bucket_of(plan, role).id
    versioning = side(plan, role, "versioning", VERSIONING)
    assert versioning.inputs == {"bucket": name, "versioningConfiguration": {"status": "Enabled"}}, versioning.urn
    pab = side(plan, role, "public-access-block", PAB)
    assert pab.inputs == {
        "bucket": name,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }, pab.urn
    ownership = side(plan, role, "ownership", OWNERSHIP)
    assert ownership.inputs == {"bucket": name, "rule": {"objectOwnership": "BucketOwnerEnforced"}}, ownership.urn


# --- bucket policies -------------------------------------------------------------------------


def transport_statements(arn: str) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOutdatedTls",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}},
        },
    ]


@pytest.mark.parametrize("role", DATA_ROLES)
def test_data_bucket_policy_denies_plain_http_old_tls_and_foreign_encryption(role: str) -> None:
    plan = default_plan()
    policy = side(plan, role, "policy", POLICY)
    arn = bucket_arn(plan, role)
    assert policy.inputs["bucket"] == bucket_of(plan, role).id
    assert policy_doc(policy) == {
        "Version": "2012-10-17",
        "Statement": transport_statements(arn)
        + [
            {
                "Sid": "DenyUnencryptedUploads",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:PutObject",
                "Resource": f"{arn}/*",
                "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            },
            {
                "Sid": "DenyOtherKmsKeys",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:PutObject",
                "Resource": f"{arn}/*",
                "Condition": {
                    "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn(plan, role)}
                },
            },
        ],
    }, policy.urn


def test_access_log_bucket_policy_allows_only_scoped_log_delivery() -> None:
    plan = default_plan()
    policy = side(plan, "access-logs", "policy", POLICY)
    arn = bucket_arn(plan, "access-logs")
    assert policy_doc(policy) == {
        "Version": "2012-10-17",
        "Statement": transport_statements(arn)
        + [
            {
                "Sid": "AllowS3ServerAccessLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{arn}/*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": ACCOUNT},
                    "ArnLike": {"aws:SourceArn": [bucket_arn(plan, r) for r in DATA_ROLES]},
                },
            }
        ],
    }, policy.urn


@pytest.mark.parametrize("role", ROLES)
def test_bucket_policy_waits_for_public_access_block_and_allows_nobody_unconditionally(role: str) -> None:
    plan = default_plan()
    policy = side(plan, role, "policy", POLICY)
    assert side(plan, role, "public-access-block", PAB).urn in policy.dependencies, policy.urn
    for stmt in policy_doc(policy)["Statement"]:
        if stmt["Effect"] == "Allow":
            assert stmt.get("Principal") not in ("*", {"AWS": "*"}), f"{policy.urn}: {stmt}"
            assert stmt.get("Condition"), f"{policy.urn}: unconditioned allow {stmt}"


# --- lifecycle, logging, object lock ---------------------------------------------------------

ABORT_RULE = {
    "id": "abort-incomplete-multipart-uploads",
    "status": "Enabled",
    "filter": {},
    "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
}
NONCURRENT_RULE = {
    "id": "noncurrent-versions",
    "status": "Enabled",
    "filter": {},
    "noncurrentVersionTransitions": [{"noncurrentDays": 30, "storageClass": "STANDARD_IA"}],
    "noncurrentVersionExpiration": {"noncurrentDays": 365},
}


@pytest.mark.parametrize("role", DATA_ROLES)
def test_data_bucket_lifecycle_aborts_uploads_and_tiers_then_expires_old_versions(role: str) -> None:
    plan = default_plan()
    lifecycle = side(plan, role, "lifecycle", LIFECYCLE)
    assert lifecycle.inputs == {"bucket": bucket_of(plan, role).id, "rules": [ABORT_RULE, NONCURRENT_RULE]}, lifecycle.urn
    assert side(plan, role, "versioning", VERSIONING).urn in lifecycle.dependencies, lifecycle.urn


def test_access_log_lifecycle_also_expires_current_logs() -> None:
    lifecycle = side(default_plan(), "access-logs", "lifecycle", LIFECYCLE)
    assert lifecycle.inputs["rules"] == [
        ABORT_RULE,
        NONCURRENT_RULE,
        {"id": "expire-access-logs", "status": "Enabled", "filter": {}, "expiration": {"days": 731}},
    ], lifecycle.urn


def test_lifecycle_days_follow_args_and_transition_is_dropped_unless_before_expiration() -> None:
    plan = run_callable(
        store_program(
            noncurrent_version_transition_days=30,
            noncurrent_version_expiration_days=30,
            abort_incomplete_multipart_upload_days=2,
            access_log_expiration_days=90,
        )
    )
    lifecycle = side(plan, "access-logs", "lifecycle", LIFECYCLE)
    assert lifecycle.inputs["rules"] == [
        {**ABORT_RULE, "abortIncompleteMultipartUpload": {"daysAfterInitiation": 2}},
        {"id": "noncurrent-versions", "status": "Enabled", "filter": {}, "noncurrentVersionExpiration": {"noncurrentDays": 30}},
        {"id": "expire-access-logs", "status": "Enabled", "filter": {}, "expiration": {"days": 90}},
    ], lifecycle.urn

    plan = run_callable(store_program(noncurrent_version_transition_days=60, noncurrent_version_expiration_days=90))
    rules = side(plan, "models", "lifecycle", LIFECYCLE).inputs["rules"]
    assert rules[1]["noncurrentVersionTransitions"] == [{"noncurrentDays": 60, "storageClass": "STANDARD_IA"}]
    assert rules[1]["noncurrentVersionExpiration"] == {"noncurrentDays": 90}


@pytest.mark.parametrize("role", DATA_ROLES)
def test_data_buckets_log_to_the_access_log_bucket_after_its_policy(role: str) -> None:
    plan = default_plan()
    logging = side(plan, role, "logging", LOGGING)
    assert logging.inputs == {
        "bucket": bucket_of(plan, role).id,
        "targetBucket": bucket_of(plan, "access-logs").id,
        "targetPrefix": f"{role}/",
    }, logging.urn
    assert side(plan, "access-logs", "policy", POLICY).urn in logging.dependencies, logging.urn


def test_access_log_bucket_does_not_log_to_itself() -> None:
    names = {r.name for r in default_plan().of_type(LOGGING)}
    assert names == {"store-datasets-logging", "store-models-logging", "store-captures-logging"}


def test_object_lock_governance_30_days_on_models_only() -> None:
    plan = default_plan()
    [lock] = plan.of_type(OBJECT_LOCK)
    assert lock.name == "store-models-object-lock"
    assert lock.inputs == {
        "bucket": bucket_of(plan, "models").id,
        "objectLockEnabled": "Enabled",
        "rule": {"defaultRetention": {"mode": "GOVERNANCE", "days": 30}},
    }, lock.urn


def test_object_lock_off_declares_no_lock_anywhere() -> None:
    plan = run_callable(store_program(object_lock=False))
    assert plan.of_type(OBJECT_LOCK) == []
    assert all("objectLockEnabled" not in b.inputs for b in plan.of_type(BUCKET))


def test_explicit_args_reach_buckets_and_lock() -> None:
    plan = run_callable(
        store_program(
            bucket_name_prefix="mlplat-dev-", force_destroy=True, protect=False, object_lock_retention_days=90,
        )
    )
    for role in ROLES:
        bucket = bucket_of(plan, role)
        assert bucket.inputs["bucketPrefix"] == f"mlplat-dev-{role}-", bucket.urn
        assert bucket.inputs["forceDestroy"] is True, bucket.urn
        assert bucket.protect is False, bucket.urn
    lock = side(plan, "models", "object-lock", OBJECT_LOCK)
    assert lock.inputs["rule"] == {"defaultRetention": {"mode": "GOVERNANCE", "days": 90}}
    delivery = policy_doc(side(plan, "access-logs", "policy", POLICY))["Statement"][2]
    sources = delivery["Condition"]["ArnLike"]["aws:SourceArn"]
    assert len(sources) == 3
    for arn, role in zip(sources, DATA_ROLES):
        assert arn.startswith(f"arn:aws:s3:::mlplat-dev-{role}-"), arn


def test_outputs_are_bucket_names_and_arns_per_role() -> None:
    plan = default_plan()
    outputs = plan.named("store", STORE).outputs
    assert outputs == {
        "bucket_names": {role: bucket_of(plan, role).id for role in ROLES},
        "bucket_arns": {role: bucket_arn(plan, role) for role in ROLES},
    }


def test_preview_runs_with_unknown_computed_values() -> None:
    plan = run_callable(store_program(), preview=True)
    assert sorted((r.urn, r.type) for r in plan.resources if r.urn.startswith(_C)) == GOLDEN_TREE
    sse = side(plan, "models", "encryption", SSE)
    assert is_unknown(sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"])
    assert side(plan, "models", "versioning", VERSIONING).inputs["versioningConfiguration"] == {"status": "Enabled"}


# --- handles and grants ----------------------------------------------------------------------


def grants_program(grant: Callable[[ArtifactStore, aws.iam.Role], Any]) -> Callable[[], None]:
    def after(store: ArtifactStore) -> None:
        role = aws.iam.Role("trainer", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
        grant(store, role)

    return store_program(after=after)


def kms_statement(actions: Any, key: str) -> dict[str, Any]:
    return {
        "Sid": "UseBucketKeyThroughS3",
        "Effect": "Allow",
        "Action": actions,
        "Resource": key,
        "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}},
    }


def test_handles_expose_role_bucket_key_arn_and_name() -> None:
    seen: dict[str, Any] = {}

    def after(store: ArtifactStore) -> None:
        seen["handles"] = [store.bucket(role) for role in ROLES]
        seen["attributes"] = [store.datasets, store.models, store.captures, store.access_logs]

    run_callable(store_program(after=after))
    handles = seen["handles"]
    assert seen["attributes"] == handles
    assert [h.role for h in handles] == list(ROLES)
    assert [h.bucket._name for h in handles] == [f"store-{r}" for r in ROLES]
    assert [h.key._name for h in handles] == [f"enc-{DOMAIN[r]}-key" for r in ROLES]
    assert all(h.arn is h.bucket.arn and h.name is h.bucket.bucket for h in handles)


def test_grant_read_whole_bucket() -> None:
    plan = run_callable(grants_program(lambda store, role: store.models.grant_read(role)))
    grant = plan.named("store-models-read-trainer", ROLE_POLICY)
    arn = bucket_arn(plan, "models")
    assert grant.parent == plan.named("store", STORE).urn
    assert grant.inputs["role"] == plan.named("trainer", "aws:iam/role:Role").outputs["name"]
    assert policy_doc(grant) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ObjectAccess", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": f"{arn}/*"},
            {"Sid": "ListBucket", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": arn},
            kms_statement("kms:Decrypt", key_arn(plan, "models")),
        ],
    }, grant.urn


def test_grant_read_with_prefix_limits_objects_and_listing() -> None:
    plan = run_callable(grants_program(lambda store, role: store.grant_read(role, bucket="datasets", prefix="team-a/")))
    grant = plan.named("store-datasets-read-trainer", ROLE_POLICY)
    arn = bucket_arn(plan, "datasets")
    assert policy_doc(grant)["Statement"] == [
        {"Sid": "ObjectAccess", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": f"{arn}/team-a/*"},
        {
            "Sid": "ListBucket",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": arn,
            "Condition": {"StringLike": {"s3:prefix": "team-a/*"}},
        },
        kms_statement("kms:Decrypt", key_arn(plan, "datasets")),
    ], grant.urn


def test_grant_write_with_prefix_never_deletes() -> None:
    plan = run_callable(grants_program(lambda store, role: store.captures.grant_write(role, prefix="endpoint-a/")))
    grant = plan.named("store-captures-write-trainer", ROLE_POLICY)
    arn = bucket_arn(plan, "captures")
    assert policy_doc(grant)["Statement"] == [
        {
            "Sid": "ObjectAccess",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
            "Resource": f"{arn}/endpoint-a/*",
        },
        kms_statement(["kms:GenerateDataKey", "kms:Decrypt"], key_arn(plan, "captures")),
    ], grant.urn


def test_grant_delete_is_its_own_policy_with_delete_object_only() -> None:
    def grant(store: ArtifactStore, role: aws.iam.Role) -> None:
        store.grant_read_write(role, bucket="datasets", prefix="team-a/")
        store.datasets.grant_delete(role, prefix="team-a/tmp/")
        store.grant_delete(role, bucket="models")

    plan = run_callable(grants_program(grant))
    names = sorted(r.name for r in plan.of_type(ROLE_POLICY))
    assert names == ["store-datasets-delete-trainer", "store-datasets-read-write-trainer", "store-models-delete-trainer"]
    delete = plan.named("store-datasets-delete-trainer", ROLE_POLICY)
    assert delete.parent == plan.named("store", STORE).urn
    assert delete.inputs["role"] == plan.named("trainer", "aws:iam/role:Role").outputs["name"]
    assert policy_doc(delete) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ObjectAccess", "Effect": "Allow", "Action": "s3:DeleteObject",
             "Resource": f"{bucket_arn(plan, 'datasets')}/team-a/tmp/*"},
        ],
    }, delete.urn
    assert policy_doc(plan.named("store-models-delete-trainer", ROLE_POLICY))["Statement"] == [
        {"Sid": "ObjectAccess", "Effect": "Allow", "Action": "s3:DeleteObject", "Resource": f"{bucket_arn(plan, 'models')}/*"},
    ]


def test_every_grant_names_actions_and_resources_the_iam_reference_accepts() -> None:
    def grant(store: ArtifactStore, role: aws.iam.Role) -> None:
        store.models.grant_read(role)
        store.datasets.grant_write(role, prefix="a/")
        store.captures.grant_read_write(role, prefix="b/")
        store.datasets.grant_delete(role, prefix="a/tmp/")

    plan = run_callable(grants_program(grant))
    documents = {r.name: policy_doc(r) for r in plan.of_type(ROLE_POLICY)}
    assert len(documents) == 4
    assert {name: iam_reference.problems(document) for name, document in documents.items()} == {
        name: [] for name in documents
    }


def test_no_grant_but_delete_allows_a_delete_action() -> None:
    def grant(store: ArtifactStore, role: aws.iam.Role) -> None:
        store.models.grant_read(role)
        store.datasets.grant_write(role)
        store.captures.grant_read_write(role, prefix="a/")

    plan = run_callable(grants_program(grant))
    actions = [
        action
        for policy in plan.of_type(ROLE_POLICY)
        for statement in policy_doc(policy)["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    ]
    assert len(plan.of_type(ROLE_POLICY)) == 3
    assert [a for a in actions if "Delete" in a] == []


def test_grant_write_whole_bucket_and_read_write_is_the_union() -> None:
    def grant(store: ArtifactStore, role: aws.iam.Role) -> None:
        store.models.grant_write(role)
        store.grant_read_write(role, bucket="datasets")
        store.access_logs.grant_read(role, prefix="models/")

    plan = run_callable(grants_program(grant))
    assert {r.name for r in plan.of_type(ROLE_POLICY)} == {
        "store-models-write-trainer", "store-datasets-read-write-trainer", "store-access-logs-read-trainer",
    }
    models = bucket_arn(plan, "models")
    assert policy_doc(plan.named("store-models-write-trainer", ROLE_POLICY))["Statement"] == [
        {
            "Sid": "ObjectAccess",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
            "Resource": f"{models}/*",
        },
        kms_statement(["kms:GenerateDataKey", "kms:Decrypt"], key_arn(plan, "models")),
    ]
    datasets = bucket_arn(plan, "datasets")
    assert policy_doc(plan.named("store-datasets-read-write-trainer", ROLE_POLICY))["Statement"] == [
        {
            "Sid": "ObjectAccess",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:AbortMultipartUpload"],
            "Resource": f"{datasets}/*",
        },
        {"Sid": "ListBucket", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": datasets},
        kms_statement(["kms:Decrypt", "kms:GenerateDataKey"], key_arn(plan, "datasets")),
    ]
    logs_grant = policy_doc(plan.named("store-access-logs-read-trainer", ROLE_POLICY))["Statement"]
    assert logs_grant[2] == kms_statement("kms:Decrypt", key_arn(plan, "access-logs"))


def test_grant_needs_an_iam_role() -> None:
    def grant(store: ArtifactStore, role: aws.iam.Role) -> None:
        store.models.grant_read("arn:aws:iam::123456789012:role/trainer")  # type: ignore[arg-type]

    with pytest.raises(WiringError) as info:
        run_callable(grants_program(grant))
    assert str(info.value) == (
        "ArtifactStore 'store'.grant_read needs an aws.iam.Role resource (so the grant can attach a policy to it), "
        "got str: 'arn:aws:iam::123456789012:role/trainer'"
    )


@pytest.mark.parametrize("method", ["grant_write", "grant_read_write", "grant_delete"])
def test_grants_but_read_on_access_logs_are_refused(method: str) -> None:
    with pytest.raises(WiringError) as info:
        run_callable(grants_program(lambda store, role: getattr(store.access_logs, method)(role)))
    assert str(info.value) == (
        f"ArtifactStore 'store'.{method}: the access-logs bucket is written only by S3 log delivery and its logs "
        "expire by lifecycle; grant read on it instead"
    )


def test_grant_twice_for_same_bucket_access_and_role_is_refused() -> None:
    def grant(store: ArtifactStore, role: aws.iam.Role) -> None:
        store.models.grant_read(role, prefix="a/")
        store.models.grant_read(role, prefix="b/")

    with pytest.raises(WiringError) as info:
        run_callable(grants_program(grant))
    assert str(info.value) == (
        "ArtifactStore 'store' already has a read grant on models for role 'trainer' (store-models-read-trainer); "
        "declare one grant per bucket, access and role"
    )


def test_unknown_bucket_role_names_the_call_the_argument_and_the_roles() -> None:
    with pytest.raises(WiringError) as info:
        run_callable(grants_program(lambda store, role: store.grant_delete(role, bucket="features")))
    assert str(info.value) == (
        "ArtifactStore 'store'.grant_delete: bucket 'features' is not a bucket of this store "
        "(allowed: datasets, models, captures, access-logs)"
    )
    with pytest.raises(WiringError) as info:
        run_callable(grants_program(lambda store, role: store.bucket("experiments")))
    assert str(info.value) == (
        "ArtifactStore 'store'.bucket: role 'experiments' is not a bucket of this store "
        "(allowed: datasets, models, captures, access-logs)"
    )


def test_a_handle_where_the_bucket_role_belongs_is_named_by_its_type() -> None:
    with pytest.raises(WiringError) as info:
        run_callable(grants_program(lambda store, role: store.grant_read(role, bucket=store.models)))  # type: ignore[arg-type]
    assert str(info.value) == (
        "ArtifactStore 'store'.grant_read: bucket takes a name, got a GovernedBucket "
        "(allowed: datasets, models, captures, access-logs)"
    )


@pytest.mark.parametrize(
    ("prefix", "lines"),
    [
        ("", ["grant_read.prefix: '' is empty (omit prefix to grant on the whole bucket)"]),
        ("/team-a/", ["grant_read.prefix: '/team-a/' starts with '/' (S3 keys have no leading slash: use 'team-a/', not '/team-a/')"]),
        ("team-*/", ["grant_read.prefix: 'team-*/' contains a wildcard ('*' or '?'); the grant appends the trailing '*' itself"]),
        ("team-a", ["grant_read.prefix: 'team-a' must end with '/' (without it 'team-a' would also match 'team-ab/...')"]),
        (
            "/team*",
            [
                "grant_read.prefix: '/team*' starts with '/' (S3 keys have no leading slash: use 'team-a/', not '/team-a/')",
                "grant_read.prefix: '/team*' contains a wildcard ('*' or '?'); the grant appends the trailing '*' itself",
                "grant_read.prefix: '/team*' must end with '/' (without it 'team-a' would also match 'team-ab/...')",
            ],
        ),
    ],
)
def test_bad_grant_prefix_is_a_config_error(prefix: str, lines: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        run_callable(grants_program(lambda store, role: store.models.grant_read(role, prefix=prefix)))
    noun = "problem" if len(lines) == 1 else "problems"
    assert str(info.value) == "\n".join([f"invalid configuration ({len(lines)} {noun}):", *("  " + line for line in lines)])


@pytest.mark.parametrize("method", ["grant_write", "grant_read_write", "grant_delete"])
def test_bad_prefix_error_names_the_grant_method(method: str) -> None:
    with pytest.raises(ConfigError) as info:
        run_callable(grants_program(lambda store, role: getattr(store.datasets, method)(role, prefix="x")))
    assert str(info.value) == (
        "invalid configuration (1 problem):\n"
        f"  {method}.prefix: 'x' must end with '/' (without it 'team-a' would also match 'team-ab/...')"
    )


def test_prefix_that_is_not_a_string_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        run_callable(grants_program(lambda store, role: store.models.grant_read(role, prefix=["a/"])))  # type: ignore[arg-type]
    assert str(info.value) == (
        "invalid configuration (1 problem):\n"
        "  grant_read.prefix: ['a/'] is not a key prefix (a string such as 'team-a/'; omit it for the whole bucket)"
    )


# --- bad Args --------------------------------------------------------------------------------


def config_error(program: Callable[[], None]) -> str:
    with pytest.raises(ConfigError) as info:
        run_callable(program)
    return str(info.value)


def test_bad_numbers_are_reported_together() -> None:
    message = config_error(
        store_program(
            object_lock_retention_days=0,
            noncurrent_version_transition_days=7,
            noncurrent_version_expiration_days=0,
            abort_incomplete_multipart_upload_days=0,
            access_log_expiration_days=-1,
        )
    )
    assert message == "\n".join(
        [
            "invalid configuration (5 problems):",
            "  ArtifactStoreArgs.object_lock_retention_days: 0 is not an S3 default retention (allowed: 1 to 36500 days)",
            "  ArtifactStoreArgs.noncurrent_version_transition_days: 7 is too early for STANDARD_IA (S3 requires >= 30 days)",
            "  ArtifactStoreArgs.noncurrent_version_expiration_days: 0 must be at least 1 day",
            "  ArtifactStoreArgs.abort_incomplete_multipart_upload_days: 0 must be at least 1 day",
            "  ArtifactStoreArgs.access_log_expiration_days: -1 must be at least 1 day",
        ]
    )


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        (
            "Team_A-",
            "'Team_A-' is not a usable bucket name prefix (lowercase letters, digits and '-', starting with a letter "
            "or digit, ending with '-', at most 25 characters so '<prefix>access-logs-' fits S3's bucket_prefix)",
        ),
        (
            "mlplat-dev",
            "'mlplat-dev' is not a usable bucket name prefix (lowercase letters, digits and '-', starting with a letter "
            "or digit, ending with '-', at most 25 characters so '<prefix>access-logs-' fits S3's bucket_prefix)",
        ),
        (
            "a" * 25 + "-",
            f"'{'a' * 25}-' is not a usable bucket name prefix (lowercase letters, digits and '-', starting with a letter "
            "or digit, ending with '-', at most 25 characters so '<prefix>access-logs-' fits S3's bucket_prefix)",
        ),
        ("xn--data-", "'xn--data-' starts with 'xn--', which S3 reserves for its own bucket names"),
    ],
)
def test_bad_bucket_name_prefix(prefix: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        ArtifactStore.log_source_prefixes("store", prefix)
    assert str(info.value) == f"invalid configuration (1 problem):\n  ArtifactStoreArgs.bucket_name_prefix: {message}"

    def program() -> None:
        keys = Encryption("enc", EncryptionArgs())
        ArtifactStore("store", ArtifactStoreArgs(encryption=keys, bucket_name_prefix=prefix))

    assert config_error(program) == f"invalid configuration (1 problem):\n  ArtifactStoreArgs.bucket_name_prefix: {message}"


def test_component_name_too_long_for_derived_prefixes() -> None:
    with pytest.raises(ConfigError) as info:
        ArtifactStore.log_source_prefixes("a-very-long-artifact-store-name")
    assert str(info.value) == (
        "invalid configuration (1 problem):\n"
        "  ArtifactStoreArgs.bucket_name_prefix: is omitted and the component name 'a-very-long-artifact-store-name' "
        "gives no usable bucket prefix (lowercase letters, digits and '-', at most 25 characters); set bucket_name_prefix"
    )


def test_missing_key_domain_names_the_field_and_the_fix() -> None:
    message = config_error(store_program(domains=("data", "logs")))
    assert message == (
        "invalid configuration (1 problem):\n"
        "  ArtifactStoreArgs.encryption: has no 'models' key, which the models bucket(s) need "
        "(Encryption 'enc' has: data, logs); add 'models' to EncryptionArgs.domains"
    )
    message = config_error(store_program(domains=("models",)))
    assert message.splitlines()[1:] == [
        "  ArtifactStoreArgs.encryption: has no 'data' key, which the datasets, captures bucket(s) need "
        "(Encryption 'enc' has: models); add 'data' to EncryptionArgs.domains",
        "  ArtifactStoreArgs.encryption: has no 'logs' key, which the access-logs bucket(s) need "
        "(Encryption 'enc' has: models); add 'logs' to EncryptionArgs.domains",
    ]


def test_unknown_or_missing_or_mistyped_args() -> None:
    def program() -> None:
        keys = Encryption("enc", EncryptionArgs())
        ArtifactStoreArgs(encryption=keys, object_lock="sometimes", versioning=False)

    lines = config_error(program).splitlines()
    assert lines[0] == "invalid configuration (2 problems):"
    assert lines[1].startswith("  ArtifactStoreArgs.object_lock: 'sometimes' is a string, not true or false")
    assert lines[2].startswith("  ArtifactStoreArgs.versioning: is not a known key (allowed: abort_incomplete_multipart_upload_days,")

    def no_encryption() -> None:
        ArtifactStoreArgs()

    assert config_error(no_encryption) == "invalid configuration (1 problem):\n  ArtifactStoreArgs.encryption: is required"


def test_logs_key_that_does_not_admit_the_log_sources_is_a_wiring_error() -> None:
    # Checked when the Encryption exposes the prefixes its logs key admits.
    def program() -> None:
        keys = Encryption("enc", EncryptionArgs())
        keys.s3_log_source_bucket_prefixes = ()  # type: ignore[attr-defined]
        ArtifactStore("store", ArtifactStoreArgs(encryption=keys))

    with pytest.raises(WiringError) as info:
        run_callable(program)
    assert str(info.value) == (
        "Encryption 'enc' does not let S3 log delivery use its logs key for the bucket prefixes "
        "store-datasets-, store-models-, store-captures-; pass ArtifactStore.log_source_prefixes(...) "
        "to EncryptionArgs.s3_log_source_bucket_prefixes"
    )


# --- the optional experiments bucket (MLflow artifacts) --------------------------------------

EXPERIMENT_CHILDREN = [
    (f"{_C}$aws:s3/bucket:Bucket::store-experiments", BUCKET),
    (f"{_C}$aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration::store-experiments-lifecycle", LIFECYCLE),
    (f"{_C}$aws:s3/bucketLogging:BucketLogging::store-experiments-logging", LOGGING),
    (f"{_C}$aws:s3/bucketOwnershipControls:BucketOwnershipControls::store-experiments-ownership", OWNERSHIP),
    (f"{_C}$aws:s3/bucketPolicy:BucketPolicy::store-experiments-policy", POLICY),
    (f"{_C}$aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::store-experiments-public-access-block", PAB),
    (f"{_C}$aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration::store-experiments-encryption", SSE),
    (f"{_C}$aws:s3/bucketVersioning:BucketVersioning::store-experiments-versioning", VERSIONING),
]


def experiments_program(**store_args: Any) -> Callable[[], None]:
    def program() -> None:
        prefixes = ArtifactStore.log_source_prefixes("store", experiments_bucket=True)
        keys = Encryption("enc", EncryptionArgs(s3_log_source_bucket_prefixes=prefixes))
        ArtifactStore("store", ArtifactStoreArgs(encryption=keys, experiments_bucket=True, **store_args))

    return program


@functools.cache
def experiments_plan() -> Plan:
    return run_callable(experiments_program())


def test_experiments_bucket_adds_its_children_and_keeps_every_other_urn() -> None:
    plan = experiments_plan()
    store = plan.named("store", STORE)
    tree = plan.tree(store.urn)
    assert tree == sorted(GOLDEN_TREE + EXPERIMENT_CHILDREN)


def test_log_source_prefixes_include_experiments_only_when_declared() -> None:
    assert ArtifactStore.log_source_prefixes("store", experiments_bucket=True) == (
        "store-datasets-", "store-models-", "store-captures-", "store-experiments-",
    )
    assert ArtifactStore.log_source_prefixes("store", "mlplat-prod-", True)[-1] == "mlplat-prod-experiments-"
    assert ArtifactStore.log_source_prefixes("store", "mlplat-prod-") == (
        "mlplat-prod-datasets-", "mlplat-prod-models-", "mlplat-prod-captures-",
    )
    # 'experiments' is as long as 'access-logs': the longest allowed bucket_name_prefix still fits.
    assert ArtifactStore.log_source_prefixes("store", "a" * 24 + "-", True)[-1] == "a" * 24 + "-experiments-"


def test_experiments_bucket_is_a_versioned_data_bucket_without_object_lock() -> None:
    plan = experiments_plan()
    bucket = bucket_of(plan, "experiments")
    assert bucket.inputs["bucketPrefix"] == "store-experiments-"
    assert bucket.tags == {"mlplat:bucket-role": "experiments"}
    assert bucket.protect is True and bucket.inputs["forceDestroy"] is False
    assert "objectLockEnabled" not in bucket.inputs
    assert [r.name for r in plan.of_type(OBJECT_LOCK)] == ["store-models-object-lock"]
    data_key = plan.named("enc-data-key", "aws:kms/key:Key").outputs["arn"]
    assert side(plan, "experiments", "encryption", SSE).inputs["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": data_key}, "bucketKeyEnabled": True}
    ]
    assert side(plan, "experiments", "versioning", VERSIONING).inputs["versioningConfiguration"] == {"status": "Enabled"}
    assert side(plan, "experiments", "lifecycle", LIFECYCLE).inputs["rules"] == [ABORT_RULE, NONCURRENT_RULE]
    statements = policy_doc(side(plan, "experiments", "policy", POLICY))["Statement"]
    assert [s["Sid"] for s in statements] == ["DenyInsecureTransport", "DenyOutdatedTls", "DenyUnencryptedUploads", "DenyOtherKmsKeys"]
    assert statements[3]["Condition"] == {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": data_key}}


def test_experiments_bucket_logs_into_access_logs_which_admits_it() -> None:
    plan = experiments_plan()
    logging = side(plan, "experiments", "logging", LOGGING)
    assert logging.inputs == {
        "bucket": bucket_of(plan, "experiments").id,
        "targetBucket": bucket_of(plan, "access-logs").id,
        "targetPrefix": "experiments/",
    }
    delivery = policy_doc(side(plan, "access-logs", "policy", POLICY))["Statement"][2]
    assert delivery["Condition"]["ArnLike"]["aws:SourceArn"] == [
        bucket_arn(plan, r) for r in ("datasets", "models", "captures", "experiments")
    ]
    assert plan.named("store", STORE).outputs["bucket_names"]["experiments"] == bucket_of(plan, "experiments").id


def test_experiments_handle_and_grants() -> None:
    seen: dict[str, Any] = {}

    def after(store: ArtifactStore) -> None:
        seen["handle"] = store.experiments
        seen["roles"] = store.bucket_roles
        role = aws.iam.Role("trainer", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
        store.bucket("experiments").grant_read_write(role, prefix="mlflow/")

    def program() -> None:
        prefixes = ArtifactStore.log_source_prefixes("store", experiments_bucket=True)
        keys = Encryption("enc", EncryptionArgs(s3_log_source_bucket_prefixes=prefixes))
        after(ArtifactStore("store", ArtifactStoreArgs(encryption=keys, experiments_bucket=True)))

    plan = run_callable(program)
    assert seen["handle"].role == "experiments" and seen["handle"].key._name == "enc-data-key"
    assert seen["roles"] == ("datasets", "models", "captures", "experiments", "access-logs")
    grant = policy_doc(plan.named("store-experiments-read-write-trainer", ROLE_POLICY))
    assert grant["Statement"][0]["Resource"] == f"{bucket_arn(plan, 'experiments')}/mlflow/*"

    default_seen: dict[str, Any] = {}
    run_callable(store_program(after=lambda store: default_seen.update(handle=store.experiments)))
    assert default_seen["handle"] is None


def test_logs_key_without_the_experiments_prefix_is_a_wiring_error() -> None:
    def program() -> None:
        keys = Encryption("enc", EncryptionArgs(s3_log_source_bucket_prefixes=ArtifactStore.log_source_prefixes("store")))
        ArtifactStore("store", ArtifactStoreArgs(encryption=keys, experiments_bucket=True))

    with pytest.raises(WiringError) as info:
        run_callable(program)
    assert str(info.value) == (
        "Encryption 'enc' does not let S3 log delivery use its logs key for the bucket prefixes "
        "store-experiments-; pass ArtifactStore.log_source_prefixes(...) to EncryptionArgs.s3_log_source_bucket_prefixes"
    )
