"""S3 and KMS rule cases: the mlplat ArtifactStore as the compliant baseline, then one mutation per check."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from mlplat.components.artifact_store import ArtifactStore, ArtifactStoreArgs
from mlplat.components.encryption import Encryption, EncryptionArgs

from . import RuleCase


def governed_store() -> None:
    keys = Encryption("keys", EncryptionArgs(s3_log_source_bucket_prefixes=ArtifactStore.log_source_prefixes("store")))
    ArtifactStore("store", ArtifactStoreArgs(encryption=keys))


def bare_bucket(**bucket_args) -> None:
    aws.s3.Bucket("plain", **bucket_args)


def bucket_with(*, sse=None, pab=None, ownership="BucketOwnerEnforced", policy=None, versioning="Enabled",
                logging=True, tags=None, acl=None) -> None:
    key = aws.kms.Key("key", enable_key_rotation=True)
    bucket = aws.s3.Bucket("data", tags=tags or {"mlplat:bucket-role": "datasets"})
    logs = aws.s3.Bucket("logs", tags={"mlplat:bucket-role": "access-logs"})
    aws.s3.BucketServerSideEncryptionConfiguration(
        "logs-sse", bucket=logs.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn}}],
    )
    if sse != "none":
        algorithm, key_id = sse or ("aws:kms", key.arn)
        aws.s3.BucketServerSideEncryptionConfiguration(
            "data-sse", bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": algorithm, "kms_master_key_id": key_id}}],
        )
    flags = {"block_public_acls": True, "block_public_policy": True, "ignore_public_acls": True, "restrict_public_buckets": True}
    flags.update(pab or {})
    aws.s3.BucketPublicAccessBlock("data-pab", bucket=bucket.id, **flags)
    if ownership:
        aws.s3.BucketOwnershipControls("data-own", bucket=bucket.id, rule={"object_ownership": ownership})
    if acl:
        aws.s3.BucketAcl("data-acl", bucket=bucket.id, acl=acl)
    document = policy if policy is not None else pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
                       "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                       "Condition": {"Bool": {"aws:SecureTransport": "false"}}}],
    })
    aws.s3.BucketPolicy("data-policy", bucket=bucket.id, policy=document)
    if versioning:
        aws.s3.BucketVersioning("data-versioning", bucket=bucket.id, versioning_configuration={"status": versioning})
    if logging:
        aws.s3.BucketLogging("data-logging", bucket=bucket.id, target_bucket=logs.id, target_prefix="data/")


PUBLIC_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::x/*"}]})

CASES = [
    # MLP-S3-01 encryption
    RuleCase("MLP-S3-01", "pass", governed_store, "artifact store"),
    RuleCase("MLP-S3-01", "pass", lambda: bucket_with(), "side resource with in-stack key"),
    RuleCase("MLP-S3-01", "pass", lambda: bucket_with(), "preview", preview=True),
    RuleCase("MLP-S3-01", "fail", lambda: bucket_with(sse="none"), "no encryption", message="no default encryption"),
    RuleCase("MLP-S3-01", "fail", lambda: bucket_with(sse=("AES256", None)), "sse-s3", message="'AES256'"),
    RuleCase("MLP-S3-01", "fail", lambda: bucket_with(sse=("aws:kms", None)), "aws-managed key", message="AWS-managed"),
    RuleCase("MLP-S3-01", "fail", lambda: bucket_with(sse=("aws:kms", "arn:aws:kms:us-east-1:999999999999:key/x")), "foreign key", message="allow-listed"),
    RuleCase("MLP-S3-01", "fail", lambda: bare_bucket(server_side_encryption_configuration={"rule": {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}}), "inline sse-s3", message="'AES256'"),
    # MLP-S3-02 public access block
    RuleCase("MLP-S3-02", "pass", governed_store, "artifact store"),
    RuleCase("MLP-S3-02", "fail", lambda: bucket_with(pab={"restrict_public_buckets": False}), "one flag off", message="restrictPublicBuckets"),
    RuleCase("MLP-S3-02", "fail", bare_bucket, "no block", environment="dev", message="no public access block"),
    # MLP-S3-03 ACLs and ownership
    RuleCase("MLP-S3-03", "pass", governed_store, "artifact store"),
    RuleCase("MLP-S3-03", "fail", lambda: bare_bucket(acl="public-read"), "inline public acl", message="'public-read'"),
    RuleCase("MLP-S3-03", "fail", lambda: bucket_with(acl="public-read-write"), "acl resource", message="'public-read-write'"),
    RuleCase("MLP-S3-03", "fail", lambda: bucket_with(ownership="ObjectWriter"), "ownership not enforced", message="ownership"),
    # MLP-S3-04 TLS-only policy, no public allow
    RuleCase("MLP-S3-04", "pass", governed_store, "artifact store"),
    RuleCase("MLP-S3-04", "fail", lambda: bucket_with(policy=json.dumps({"Version": "2012-10-17", "Statement": []})), "no tls deny", message="without TLS"),
    RuleCase("MLP-S3-04", "fail", lambda: bucket_with(policy=PUBLIC_POLICY), "public allow", message='Principal "*"'),
    # MLP-S3-05 versioning
    RuleCase("MLP-S3-05", "pass", governed_store, "artifact store"),
    RuleCase("MLP-S3-05", "pass", lambda: bare_bucket(tags={"mlplat:bucket-role": "access-logs"}), "log buckets need not be versioned"),
    RuleCase("MLP-S3-05", "fail", lambda: bucket_with(versioning="Suspended"), "suspended", message="(datasets) is not versioned"),
    RuleCase("MLP-S3-05", "fail", bare_bucket, "untagged bucket is strictest", message="(untagged)"),
    RuleCase("MLP-S3-05", "pass", lambda: bare_bucket(tags={"mlplat:bucket-role": "access-logs"}, versioning={"enabled": True}), "inline versioning"),
    # MLP-S3-06 access logging
    RuleCase("MLP-S3-06", "pass", governed_store, "artifact store"),
    RuleCase("MLP-S3-06", "fail", lambda: bucket_with(logging=False), "no logging", message="no server access logging"),
    # MLP-KMS-01 rotation
    RuleCase("MLP-KMS-01", "pass", governed_store, "encryption component"),
    RuleCase("MLP-KMS-01", "pass", lambda: aws.kms.Key("asym", customer_master_key_spec="RSA_2048", key_usage="SIGN_VERIFY"), "asymmetric keys cannot rotate"),
    RuleCase("MLP-KMS-01", "pass", lambda: aws.kms.Key("k"), "dev remediates rotation", environment="dev"),
    RuleCase("MLP-KMS-01", "fail", lambda: aws.kms.Key("k"), "rotation off", message="does not rotate"),
    # MLP-KMS-02 key policy
    RuleCase("MLP-KMS-02", "pass", governed_store, "encryption component"),
    RuleCase("MLP-KMS-02", "fail", lambda: aws.kms.Key("k", enable_key_rotation=True, bypass_policy_lockout_safety_check=True), "lockout bypass", message="lockout"),
    RuleCase("MLP-KMS-02", "fail", lambda: aws.kms.Key("k", enable_key_rotation=True, policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}]})), "star principal", message='Principal "*"'),
    RuleCase("MLP-KMS-02", "pass", lambda: aws.kms.Key("k", enable_key_rotation=True, policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"kms:CallerAccount": "123456789012"}}}]})), "conditioned star principal"),
]

FOREIGN_KEY = "arn:aws:kms:us-east-1:999999999999:key/x"
CASES += [
    RuleCase("MLP-S3-01", "pass", lambda: bucket_with(sse=("aws:kms", FOREIGN_KEY)), "allow-listed foreign key",
             rule_config={"allowed_external_key_arns": [FOREIGN_KEY]}),
]


# --- P1: lifecycle, lock or replication, deletion window, key origin ---------------------------


def lifecycle(rules, *, role: str = "datasets") -> None:
    bucket = aws.s3.Bucket("data", tags={"mlplat:bucket-role": role})
    aws.s3.BucketLifecycleConfiguration("data-lifecycle", bucket=bucket.id, rules=rules)


ABORT = {"id": "abort", "status": "Enabled", "filter": {}, "abort_incomplete_multipart_upload": {"days_after_initiation": 7}}
EXPIRE = {"id": "expire", "status": "Enabled", "filter": {}, "expiration": {"days": 14}}


def models_bucket(*, lock: bool = False, lock_config: bool = True, retention: bool = True, replicate: bool = False,
                  role: str = "models", tags: dict | None = None) -> None:
    bucket = aws.s3.Bucket("models", object_lock_enabled=lock, tags=tags or {"mlplat:bucket-role": role})
    if lock_config:
        aws.s3.BucketObjectLockConfiguration("models-lock", bucket=bucket.id,
                                             rule={"default_retention": {"mode": "GOVERNANCE", "days": 30}} if retention else None)
    if replicate:
        replica = aws.s3.Bucket("models-replica", tags={"mlplat:bucket-role": "models-replica"})
        aws.s3.BucketReplicationConfig("models-replication", bucket=bucket.id, role="arn:aws:iam::123456789012:role/replication",
                                       rules=[{"id": "all", "status": "Enabled", "filter": {}, "delete_marker_replication": {"status": "Enabled"},
                                               "destination": {"bucket": replica.arn}}])


def key_user(key_arn_of, *, alias: bool = False) -> None:
    """An ML log group encrypted with the key `key_arn_of(key, alias)` returns."""
    key = aws.kms.Key("logs-key", enable_key_rotation=True)
    key_alias = aws.kms.Alias("logs-alias", name="alias/mlplat-logs", target_key_id=key.key_id)
    aws.cloudwatch.LogGroup("jobs", retention_in_days=30, kms_key_id=key_arn_of(key, key_alias))


def referenced_key_user(stack: str) -> None:
    """An ML log group encrypted with a key another stack exports (a layer stack's foundation)."""
    foundation = pulumi.StackReference(stack)
    aws.cloudwatch.LogGroup("jobs", retention_in_days=30, kms_key_id=foundation.get_output("logs_key_arn"))


def foundation_outputs(*stacks: str) -> dict[str, dict[str, str]]:
    return {stack: {"logs_key_arn": FOREIGN_KEY} for stack in stacks}


CASES += [
    # MLP-S3-07 lifecycle
    RuleCase("MLP-S3-07", "pass", governed_store, "artifact store"),
    RuleCase("MLP-S3-07", "pass", lambda: lifecycle([ABORT, EXPIRE], role="scratch"), "scratch bucket expiring"),
    RuleCase("MLP-S3-07", "fail", lambda: lifecycle([EXPIRE]), "no abort rule", message="aborts incomplete multipart uploads"),
    RuleCase("MLP-S3-07", "fail", lambda: lifecycle([{**ABORT, "filter": {"prefix": "tmp/"}}]), "abort rule on a prefix only",
             message="no enabled whole-bucket lifecycle rule"),
    RuleCase("MLP-S3-07", "fail", lambda: lifecycle([{**ABORT, "status": "Disabled"}]), "disabled abort rule", environment="dev",
             message="no enabled whole-bucket"),
    RuleCase("MLP-S3-07", "fail", lambda: lifecycle([{**ABORT, "abort_incomplete_multipart_upload": {"days_after_initiation": 30}}]),
             "abort too late", message="after 30 days (at most 7)"),
    RuleCase("MLP-S3-07", "fail", lambda: lifecycle([ABORT], role="scratch"), "scratch never expires", message="expires objects never"),
    RuleCase("MLP-S3-07", "fail", lambda: bare_bucket(lifecycle_rules=[{"enabled": True, "abort_incomplete_multipart_upload_days": 14}]),
             "inline lifecycle abort too late", message="after 14 days"),
    # MLP-S3-08 lock or replication
    RuleCase("MLP-S3-08", "pass", governed_store, "artifact store locks models"),
    RuleCase("MLP-S3-08", "pass", lambda: models_bucket(lock=True), "object lock from creation"),
    RuleCase("MLP-S3-08", "pass", lambda: models_bucket(lock_config=False, replicate=True), "replication"),
    RuleCase("MLP-S3-08", "pass", lambda: models_bucket(lock_config=False), "dev is not checked", environment="dev"),
    RuleCase("MLP-S3-08", "pass", lambda: models_bucket(lock_config=False, role="datasets"), "other roles are not checked"),
    RuleCase("MLP-S3-08", "fail", lambda: models_bucket(lock_config=False), "models bucket unprotected", message="neither object lock nor replication"),
    RuleCase("MLP-S3-08", "pass", lambda: models_bucket(), "lock configuration on an existing bucket"),
    RuleCase("MLP-S3-08", "fail", lambda: models_bucket(lock=True, retention=False), "lock without default retention",
             message="sets no default retention"),
    RuleCase("MLP-S3-08", "fail", lambda: models_bucket(lock_config=False, tags={"mlplat:bucket-role": "datasets", "data-classification": "restricted"}),
             "restricted data", environment="staging", message="(data-classification restricted)"),
    # MLP-KMS-03 deletion window
    RuleCase("MLP-KMS-03", "pass", governed_store, "encryption component"),
    RuleCase("MLP-KMS-03", "pass", lambda: aws.kms.Key("k", enable_key_rotation=True), "aws default of 30 days"),
    RuleCase("MLP-KMS-03", "pass", lambda: aws.kms.Key("k", enable_key_rotation=True, deletion_window_in_days=7), "dev allows 7", environment="dev"),
    RuleCase("MLP-KMS-03", "fail", lambda: aws.kms.Key("k", enable_key_rotation=True, deletion_window_in_days=7), "prod needs 30",
             message="deleted 7 days after a deletion request (at least 30 in prod)"),
    RuleCase("MLP-KMS-03", "fail", lambda: aws.kms.Key("k", enable_key_rotation=True, deletion_window_in_days=20), "staging needs 30",
             environment="staging", message="at least 30 in staging"),
    # MLP-KMS-04 key origin
    RuleCase("MLP-KMS-04", "pass", lambda: key_user(lambda key, alias: key.arn), "in-stack key"),
    RuleCase("MLP-KMS-04", "pass", lambda: key_user(lambda key, alias: key.arn), "in-stack key in preview", preview=True),
    RuleCase("MLP-KMS-04", "pass", lambda: key_user(lambda key, alias: alias.arn), "in-stack alias"),
    RuleCase("MLP-KMS-04", "pass", lambda: key_user(lambda key, alias: FOREIGN_KEY), "allow-listed key",
             rule_config={"allowed_key_arns": [FOREIGN_KEY]}),
    RuleCase("MLP-KMS-04", "fail", lambda: key_user(lambda key, alias: FOREIGN_KEY), "foreign key", message="neither declared in this stack"),
    RuleCase("MLP-KMS-04", "pass", lambda: referenced_key_user("prod-foundation"), "a key of the environment's foundation layer",
             stack_references=foundation_outputs("prod-foundation")),
    RuleCase("MLP-KMS-04", "pass", lambda: referenced_key_user("acme/ml-platform/prod-foundation"),
             "a key of the environment's foundation layer by its full name",
             stack_references=foundation_outputs("acme/ml-platform/prod-foundation")),
    RuleCase("MLP-KMS-04", "fail", lambda: referenced_key_user("staging-foundation"), "a key of another environment's layer",
             stack_references=foundation_outputs("staging-foundation"), message="neither declared in this stack"),
    RuleCase("MLP-KMS-04", "fail", lambda: referenced_key_user("shared-keys"), "a key of a stack that is not a layer",
             stack_references=foundation_outputs("shared-keys"), message="neither declared in this stack"),
    RuleCase("MLP-KMS-04", "fail", lambda: aws.sqs.Queue("q", kms_master_key_id="alias/aws/sqs"), "aws-managed key", environment="dev",
             message="AWS-managed key alias/aws/sqs"),
    RuleCase("MLP-KMS-04", "fail", lambda: aws.ecr.Repository("r", encryption_configurations=[{"encryption_type": "KMS", "kms_key": FOREIGN_KEY}]),
             "repository with a foreign key", message="encryptionConfigurations[0].kmsKey"),
]
