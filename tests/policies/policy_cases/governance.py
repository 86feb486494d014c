"""Cross-cutting rule cases: tags, a stated environment, valid waivers."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from mlplat.components._tags import platform_tags, register_stack_tags

from . import RuleCase

TAGS = platform_tags(owner="ml@example.com", cost_center="cc", project="mlplat", environment="prod", data_classification="internal")
PLATFORM_CONFIG = {"ml-platform:platform": json.dumps({"environment": "prod"})}


def tagged_queue() -> None:
    register_stack_tags(TAGS)
    aws.sqs.Queue("q")


CASES = [
    RuleCase("MLP-GOV-01", "pass", tagged_queue, "stack tag transform"),
    RuleCase("MLP-GOV-01", "pass", lambda: aws.kms.Alias("a", name="alias/x", target_key_id="k"), "untaggable type"),
    RuleCase("MLP-GOV-01", "fail", lambda: aws.sqs.Queue("q"), "no tags", message="lacks tags owner, cost-center, project, env, data-classification"),
    RuleCase("MLP-GOV-01", "fail", lambda: aws.sqs.Queue("q", tags={**TAGS, "data-classification": "secret"}), "bad value", message="data-classification='secret' is not allowed"),
    RuleCase("MLP-GOV-02", "pass", lambda: aws.sqs.Queue("q", tags=TAGS), "config states it", config=PLATFORM_CONFIG),
    RuleCase("MLP-GOV-02", "pass", lambda: aws.sqs.Queue("q", tags=TAGS), "stack tag states it", stack_tags={"mlplat:environment": "prod"}),
    RuleCase("MLP-GOV-02", "fail", lambda: aws.sqs.Queue("q", tags=TAGS), "nothing states it", message="states no environment"),
    RuleCase("MLP-GOV-02", "fail", lambda: aws.sqs.Queue("q", tags=TAGS), "unknown environment", stack_tags={"mlplat:environment": "qa"}, message="'qa'"),
]

WAIVER = {"rule": "MLP-S3-06", "name": "q*", "reason": "legacy queue, logging arrives in Q3", "owner": "ml-platform", "expires": "2099-01-01"}

CASES += [
    RuleCase("MLP-GOV-04", "pass", tagged_queue, "no waivers"),
    RuleCase("MLP-GOV-04", "pass", tagged_queue, "valid waiver", waivers=[WAIVER]),
    RuleCase("MLP-GOV-04", "fail", tagged_queue, "expired", waivers=[{**WAIVER, "expires": "2020-01-01"}], message="expired on 2020-01-01"),
    RuleCase("MLP-GOV-04", "fail", tagged_queue, "short reason", waivers=[{**WAIVER, "reason": "legacy"}], message="shorter than 10"),
    RuleCase("MLP-GOV-04", "fail", tagged_queue, "unknown rule", waivers=[{**WAIVER, "rule": "MLP-XYZ-99"}], message="names no known rule"),
    RuleCase("MLP-GOV-04", "fail", tagged_queue, "critical in prod", waivers=[{**WAIVER, "rule": "MLP-S3-02"}], message="critical rules cannot be waived in prod"),
    RuleCase("MLP-GOV-04", "fail", tagged_queue, "malformed", waivers=[{"rule": "MLP-S3-06"}], message="waivers[0]"),
    RuleCase("MLP-GOV-04", "pass", tagged_queue, "critical may be waived in dev", environment="dev", waivers=[{**WAIVER, "rule": "MLP-S3-02"}]),
]


def protected_store() -> None:
    """The platform's stateful components protect their resources (protect=True by default)."""
    from mlplat.components.artifact_store import ArtifactStore, ArtifactStoreArgs
    from mlplat.components.encryption import Encryption, EncryptionArgs

    keys = Encryption("keys", EncryptionArgs(s3_log_source_bucket_prefixes=ArtifactStore.log_source_prefixes("store")))
    ArtifactStore("store", ArtifactStoreArgs(encryption=keys))


PROTECTED = pulumi.ResourceOptions(protect=True)

CASES += [
    RuleCase("MLP-GOV-03", "pass", protected_store, "platform components"),
    RuleCase("MLP-GOV-03", "pass", lambda: aws.s3.Bucket("b"), "dev is not checked", environment="dev"),
    RuleCase("MLP-GOV-03", "pass", lambda: aws.sqs.Queue("q"), "stateless types are not checked"),
    RuleCase("MLP-GOV-03", "fail", lambda: aws.s3.Bucket("b"), "unprotected bucket", message="Bucket b is not protected"),
    RuleCase("MLP-GOV-03", "fail", lambda: aws.s3.Bucket("b", force_destroy=True, opts=PROTECTED), "force destroy",
             message="forceDestroy is True"),
    RuleCase("MLP-GOV-03", "fail", lambda: aws.ecr.Repository("r", force_delete=True, opts=PROTECTED), "force delete",
             environment="staging", message="forceDelete is True"),
    RuleCase("MLP-GOV-03", "fail", lambda: aws.kms.Key("k", enable_key_rotation=True), "unprotected key", message="Key k is not protected"),
    RuleCase("MLP-GOV-03", "fail", lambda: aws.rds.Instance("db", instance_class="db.t3.micro", engine="postgres", allocated_storage=20,
                                                             skip_final_snapshot=True, deletion_protection=True, opts=PROTECTED),
             "database without a final snapshot", message="skipFinalSnapshot is True"),
    RuleCase("MLP-GOV-03", "fail", lambda: aws.dynamodb.Table("t", hash_key="id", attributes=[{"name": "id", "type": "S"}],
                                                               billing_mode="PAY_PER_REQUEST", opts=PROTECTED),
             "table without deletion protection", message="deletionProtectionEnabled is False"),
]
