"""S3 governance (MLP-S3-01..06): stack rules that join each bucket with its settings.

pulumi-aws 7 keeps a bucket's encryption, versioning, logging, public access block, ownership,
ACL and policy in side resources; the deprecated inline arguments of `aws.s3.Bucket` (and the
`*V2` tokens) are still accepted. A side resource belongs to a bucket when its `bucket` property
depends on the bucket (property dependencies, known even in preview) or equals the bucket's
name. Bucket roles come from the `mlplat:bucket-role` tag; an untagged bucket is treated as the
strictest role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional

from pydantic import Field

from mlplat.core.sdk_compat import UnknownValueError
from mlplat.core.vocabulary import BUCKET_ROLE_TAG

from ._documents import is_unconditioned_public_allow, statements
from ._framework import Finding, ResourceView, RuleConfig, RuleContext, stack_rule
from ._references import stack_index

__all__ = [
    "ACL_TYPES",
    "ALL_USERS_URIS",
    "bucket_access_logging",
    "bucket_encryption",
    "bucket_lifecycle",
    "bucket_lock_or_replication",
    "bucket_names",
    "ImmutabilityConfig",
    "LifecycleConfig",
    "LIFECYCLE_TYPES",
    "lifecycle_rules",
    "LifecycleRule",
    "OBJECT_LOCK_TYPES",
    "REPLICATION_TYPES",
    "buckets_by_name",
    "buckets_by_urn",
    "bucket_policy_tls",
    "BUCKET_TYPES",
    "bucket_versioning",
    "BucketFacts",
    "encryption_defaults",
    "EncryptionDefault",
    "join_buckets",
    "KMS_ALGORITHMS",
    "KMS_KEY_TYPE",
    "LOGGING_TYPES",
    "no_public_acl",
    "OWNERSHIP_TYPE",
    "PAB_FLAGS",
    "PAB_TYPE",
    "POLICY_TYPE",
    "public_access_block",
    "PUBLIC_ACLS",
    "ROLE_TAG",
    "S3EncryptionConfig",
    "SSE_TYPES",
    "VERSIONING_TYPES",
    "VersioningConfig",
]

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
SSE_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
VERSIONING_TYPES = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
LOGGING_TYPES = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
ACL_TYPES = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
PAB_TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP_TYPE = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy"
KMS_KEY_TYPE = "aws:kms/key:Key"
ROLE_TAG = BUCKET_ROLE_TAG
PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")
ALL_USERS_URIS = ("http://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


@dataclass
class BucketFacts:
    bucket: ResourceView
    settings: dict[str, list[ResourceView]] = field(default_factory=dict)
    log_target: bool = False

    @property
    def role(self) -> Optional[str]:
        role = self.bucket.tags.get(ROLE_TAG)
        return role if isinstance(role, str) else None

    def of(self, *types: str) -> list[ResourceView]:
        return [v for t in types for v in self.settings.get(t, [])]


KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")  # server-side encryption with a KMS key

def bucket_names(bucket: ResourceView) -> set[str]:
    """The names a bucket is known by in other resources' inputs (its name, its id)."""
    names = set()
    for key in ("bucket", "id"):
        value = bucket.known(key)
        if isinstance(value, str):
            names.add(value)
    return names


def join_buckets(views: list[ResourceView]) -> list[BucketFacts]:
    """Each bucket with the side resources that configure it (joined once per stack evaluation)."""
    index = stack_index(views)
    return index.memo("s3.join_buckets", lambda: _join_buckets(index.views))


def buckets_by_urn(views: list[ResourceView]) -> dict[str, BucketFacts]:
    index = stack_index(views)
    return index.memo("s3.buckets_by_urn", lambda: {f.bucket.urn: f for f in join_buckets(index.views)})


def buckets_by_name(views: list[ResourceView]) -> dict[str, BucketFacts]:
    """Each in-stack bucket by the names other resources' inputs use for it (its name, its id)."""
    index = stack_index(views)
    return index.memo("s3.buckets_by_name", lambda: {n: f for f in join_buckets(index.views) for n in bucket_names(f.bucket)})


def _join_buckets(views: list[ResourceView]) -> list[BucketFacts]:
    facts = {v.urn: BucketFacts(v) for v in views if v.type in BUCKET_TYPES}
    by_name = {name: f for f in facts.values() for name in bucket_names(f.bucket)}
    for view in views:
        if view.type in BUCKET_TYPES or not view.type.startswith("aws:s3/"):
            continue
        owner = next((facts[u] for u in view.property_dependencies.get("bucket", ()) if u in facts), None)
        if owner is None:
            owner = by_name.get(view.known("bucket")) if isinstance(view.known("bucket"), str) else None
        if owner is not None:
            owner.settings.setdefault(view.type, []).append(view)
        if view.type in LOGGING_TYPES:
            target = next((facts[u] for u in view.property_dependencies.get("targetBucket", ()) if u in facts), None)
            target = target or by_name.get(view.known("targetBucket"))
            if target is not None:
                target.log_target = True
    for f in facts.values():
        target = f.bucket.known("logging.targetBucket")
        if isinstance(target, str) and target in by_name:
            by_name[target].log_target = True
        if f.role == "access-logs":
            f.log_target = True
    return list(facts.values())


@dataclass(frozen=True)
class EncryptionDefault:
    source: ResourceView  # the bucket (inline) or its encryption configuration
    settings: Mapping[str, Any]


def encryption_defaults(facts: BucketFacts) -> list[EncryptionDefault]:
    found: list[EncryptionDefault] = []
    for setting in facts.of(*SSE_TYPES):
        for rule in setting.get("rules") or []:
            found.append(EncryptionDefault(setting, rule.get("applyServerSideEncryptionByDefault") or {}))
    inline = facts.bucket.get("serverSideEncryptionConfiguration")
    if isinstance(inline, Mapping):
        rules = inline.get("rules") or ([inline["rule"]] if inline.get("rule") else [])
        found += [EncryptionDefault(facts.bucket, (r or {}).get("applyServerSideEncryptionByDefault") or {}) for r in rules]
    for config in facts.bucket.get("serverSideEncryptionConfigurations") or []:
        found += [EncryptionDefault(facts.bucket, (r or {}).get("applyServerSideEncryptionByDefault") or {}) for r in config.get("rules") or []]
    return found


class S3EncryptionConfig(RuleConfig):
    allowed_external_key_arns: list[str] = Field(
        default_factory=list, description="Customer-managed keys from outside the stack that buckets may use."
    )


@stack_rule(
    id="MLP-S3-01", name="mlplat-s3-bucket-encryption-customer-key", severity="high",
    description="Every bucket encrypts by default with SSE-KMS (aws:kms or aws:kms:dsse) and a customer-managed key",
    remediation=("Add an aws.s3.BucketServerSideEncryptionConfiguration with sse_algorithm 'aws:kms' and kms_master_key_id set to a customer-managed key ARN (mlplat: ArtifactStore does this).",),
    frameworks=("CKV_AWS_145", "CKV_AWS_19", "NIST-800-53:SC-28"), levels=("advisory", "mandatory"), config=S3EncryptionConfig,
)
def bucket_encryption(views: list[ResourceView], cfg: S3EncryptionConfig, ctx: RuleContext) -> Iterable[Finding]:
    key_urns = {v.urn for v in views if v.type == KMS_KEY_TYPE}
    key_refs = {str(v.known(k)) for v in views if v.type == KMS_KEY_TYPE for k in ("arn", "keyId", "id") if v.known(k)}
    for facts in join_buckets(views):
        defaults = encryption_defaults(facts)
        if not defaults:
            yield Finding(f"bucket {facts.bucket.name} has no default encryption", facts.bucket.urn)
            continue
        for default in defaults:
            algorithm = default.settings.get("sseAlgorithm")
            in_stack_key = any(u in key_urns for us in default.source.property_dependencies.values() for u in us)
            try:
                key = default.settings.get("kmsMasterKeyId")
            except UnknownValueError:
                if in_stack_key:
                    continue  # a key this stack creates: its ARN is known after `pulumi up`
                raise
            if algorithm not in KMS_ALGORITHMS:
                yield Finding(f"bucket {facts.bucket.name} encrypts with {algorithm!r}, not aws:kms", facts.bucket.urn)
            elif not key:
                yield Finding(f"bucket {facts.bucket.name} uses the AWS-managed aws/s3 key, not a customer-managed key", facts.bucket.urn)
            elif str(key).startswith("alias/aws/"):
                yield Finding(f"bucket {facts.bucket.name} uses the AWS-managed key {key}", facts.bucket.urn)
            elif key not in key_refs and key not in cfg.allowed_external_key_arns and not in_stack_key:
                yield Finding(
                    f"bucket {facts.bucket.name} uses key {key}, which is neither declared in this stack nor allow-listed",
                    facts.bucket.urn,
                )


@stack_rule(
    id="MLP-S3-02", name="mlplat-s3-bucket-public-access-blocked", severity="critical",
    description="Every bucket has a public access block with all four flags true",
    remediation=("Add an aws.s3.BucketPublicAccessBlock with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets all True.",),
    frameworks=("AwsSolutions-S2", "CKV2_AWS_6", "NIST-800-53:AC-3"), levels=("mandatory", "mandatory"),
)
def public_access_block(views: list[ResourceView], cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    for facts in join_buckets(views):
        blocks = facts.of(PAB_TYPE)
        if not blocks:
            yield Finding(f"bucket {facts.bucket.name} has no public access block", facts.bucket.urn)
            continue
        off = sorted({flag for b in blocks for flag in PAB_FLAGS if b.get(flag) is not True})
        if off:
            yield Finding(f"bucket {facts.bucket.name} public access block leaves {', '.join(off)} off", facts.bucket.urn)


@stack_rule(
    id="MLP-S3-03", name="mlplat-s3-bucket-no-public-acl", severity="critical",
    description="No public canned ACLs or public grants; object ownership is BucketOwnerEnforced (ACLs disabled)",
    remediation=(
        "Remove public-read/public-read-write/authenticated-read ACLs and AllUsers/AuthenticatedUsers grants.",
        "Add aws.s3.BucketOwnershipControls with rule.object_ownership 'BucketOwnerEnforced'.",
    ),
    frameworks=("CKV_AWS_20", "CKV_AWS_57", "NIST-800-53:AC-3"), levels=("mandatory", "mandatory"),
)
def no_public_acl(views: list[ResourceView], cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    for facts in join_buckets(views):
        name, urn = facts.bucket.name, facts.bucket.urn
        acls = [facts.bucket.get("acl")] + [a.get("acl") for a in facts.of(*ACL_TYPES)]
        for acl in acls:
            if acl in PUBLIC_ACLS:
                yield Finding(f"bucket {name} has the public canned ACL {acl!r}", urn)
        grants = list(facts.bucket.get("grants") or [])
        for acl_resource in facts.of(*ACL_TYPES):
            grants += list(acl_resource.get("accessControlPolicy.grants") or [])
        for grant in grants:
            grantee = grant.get("grantee") or grant
            if grantee.get("uri") in ALL_USERS_URIS:
                yield Finding(f"bucket {name} grants {grant.get('permission', grant.get('permissions'))} to {grantee.get('uri')}", urn)
        ownership = [o.get("rule.objectOwnership") for o in facts.of(OWNERSHIP_TYPE)]
        if "BucketOwnerEnforced" not in ownership:
            yield Finding(f"bucket {name} does not enforce bucket-owner object ownership (ACLs stay enabled)", urn)


@stack_rule(
    id="MLP-S3-04", name="mlplat-s3-bucket-policy-enforces-tls", severity="high",
    description='Every bucket has a policy that denies aws:SecureTransport=false, and no policy allows Principal "*" unconditioned',
    remediation=(
        'Add a bucket policy statement: Effect Deny, Principal {"AWS": "*"}, Action s3:*, Resource the bucket and its objects, Condition Bool aws:SecureTransport "false".',
        'Replace Allow statements to "*" with named principals or add a narrowing condition (aws:SourceAccount, aws:PrincipalOrgID, ...).',
    ),
    frameworks=("AwsSolutions-S10", "CKV_AWS_70", "NIST-800-53:SC-8"), levels=("advisory", "mandatory"),
)
def bucket_policy_tls(views: list[ResourceView], cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    for facts in join_buckets(views):
        try:
            documents = [p.json("policy") for p in facts.of(POLICY_TYPE)] + [facts.bucket.json("policy")]
        except UnknownValueError:
            yield Finding(f"bucket {facts.bucket.name} policy is unknown until apply", facts.bucket.urn, unverified=True)
            continue
        all_statements = [s for d in documents if d for s in statements(d)]
        denies_plain_http = any(
            s.effect == "Deny" and s.has_star_principal
            and any(str(v).lower() == "false" for v in s.condition_value("aws:SecureTransport"))
            for s in all_statements
        )
        if not denies_plain_http:
            yield Finding(f"bucket {facts.bucket.name} has no policy denying requests without TLS", facts.bucket.urn)
        for s in all_statements:
            if is_unconditioned_public_allow(s):
                yield Finding(f"bucket {facts.bucket.name} policy allows Principal \"*\" without a condition (statement {s.label})", facts.bucket.urn)


class VersioningConfig(RuleConfig):
    roles_requiring_versioning: list[str] = Field(
        default_factory=lambda: ["datasets", "models", "registry", "experiments", "captures"],
        description="Bucket roles (mlplat:bucket-role) that must be versioned; untagged buckets always must.",
    )


@stack_rule(
    id="MLP-S3-05", name="mlplat-s3-bucket-versioning-enabled", severity="medium",
    description="Versioning is Enabled on dataset, model and registry buckets (and untagged buckets)",
    remediation=("Add an aws.s3.BucketVersioning with versioning_configuration.status 'Enabled'.",),
    frameworks=("CKV_AWS_21", "NIST-800-53:CP-9"), levels=("advisory", "mandatory"), config=VersioningConfig,
)
def bucket_versioning(views: list[ResourceView], cfg: VersioningConfig, ctx: RuleContext) -> Iterable[Finding]:
    for facts in join_buckets(views):
        if facts.role is not None and facts.role not in cfg.roles_requiring_versioning:
            continue
        statuses = [v.get("versioningConfiguration.status") for v in facts.of(*VERSIONING_TYPES)]
        if facts.bucket.get("versioning.enabled") is True:
            statuses.append("Enabled")
        if "Enabled" not in statuses:
            role = facts.role or "untagged"
            yield Finding(f"bucket {facts.bucket.name} ({role}) is not versioned", facts.bucket.urn)


@stack_rule(
    id="MLP-S3-06", name="mlplat-s3-bucket-access-logging", severity="medium",
    description="Server access logging is configured on every bucket except log targets",
    remediation=("Add an aws.s3.BucketLogging targeting the access-log bucket (mlplat: ArtifactStore does this).",),
    frameworks=("AwsSolutions-S1", "CKV_AWS_18", "NIST-800-53:AU-2"), levels=("advisory", "mandatory"),
)
def bucket_access_logging(views: list[ResourceView], cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    for facts in join_buckets(views):
        if facts.log_target:
            continue
        if not facts.of(*LOGGING_TYPES) and not facts.bucket.get("logging.targetBucket"):
            yield Finding(f"bucket {facts.bucket.name} has no server access logging", facts.bucket.urn)


# --- MLP-S3-07, MLP-S3-08 (P1) ----------------------------------------------------------------

LIFECYCLE_TYPES = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
OBJECT_LOCK_TYPES = (
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
)
REPLICATION_TYPES = ("aws:s3/bucketReplicationConfig:BucketReplicationConfig",)
CLASSIFICATION_TAG = "data-classification"


@dataclass(frozen=True)
class LifecycleRule:
    """One lifecycle rule, from a lifecycle configuration or the bucket's inline lifecycleRules."""

    enabled: bool
    whole_bucket: bool  # no filter narrowing it to a prefix, tags or sizes
    abort_days: Optional[float]
    expiration_days: Optional[float]


def _whole_bucket(rule: Mapping[str, Any]) -> bool:
    prefix = rule.get("prefix")
    if isinstance(prefix, str) and prefix:
        return False
    flt = rule.get("filter")
    if not isinstance(flt, Mapping):
        return True
    return not any(flt.get(k) not in (None, "", {}, []) for k in ("prefix", "tag", "and", "objectSizeGreaterThan", "objectSizeLessThan"))


def _days(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def lifecycle_rules(facts: BucketFacts) -> list[LifecycleRule]:
    found = []
    for config in facts.of(*LIFECYCLE_TYPES):
        for rule in config.get("rules") or []:
            if not isinstance(rule, Mapping):
                continue
            abort = rule.get("abortIncompleteMultipartUpload")
            expiration = rule.get("expiration")
            found.append(LifecycleRule(
                enabled=rule.get("status") == "Enabled", whole_bucket=_whole_bucket(rule),
                abort_days=_days(abort.get("daysAfterInitiation")) if isinstance(abort, Mapping) else None,
                expiration_days=_days(expiration.get("days")) if isinstance(expiration, Mapping) else None,
            ))
    for rule in facts.bucket.get("lifecycleRules") or []:  # the deprecated inline form
        if isinstance(rule, Mapping):
            expiration = rule.get("expiration")
            found.append(LifecycleRule(
                enabled=rule.get("enabled") is True, whole_bucket=not rule.get("prefix") and not rule.get("tags"),
                abort_days=_days(rule.get("abortIncompleteMultipartUploadDays")),
                expiration_days=_days(expiration.get("days")) if isinstance(expiration, Mapping) else None,
            ))
    return found


class LifecycleConfig(RuleConfig):
    max_abort_days: int = Field(
        default=7, ge=1, description="Most days an incomplete multipart upload may stay before the lifecycle aborts it."
    )
    expiring_roles: list[str] = Field(
        default_factory=lambda: ["scratch"],
        description="Bucket roles (mlplat:bucket-role) whose objects must expire (scratch space).",
    )
    max_expiration_days: int = Field(
        default=30, ge=1, description="Most days an object of an expiring-role bucket may live.",
    )


@stack_rule(
    id="MLP-S3-07", name="mlplat-s3-bucket-lifecycle-abort-and-expire", severity="low",
    description=(
        "Every bucket's lifecycle aborts incomplete multipart uploads within 7 days (an enabled rule over the whole "
        "bucket), and scratch buckets (mlplat:bucket-role scratch) expire objects within 30 days"
    ),
    remediation=(
        "Add an aws.s3.BucketLifecycleConfiguration rule with filter {} and abort_incomplete_multipart_upload "
        "{'days_after_initiation': 7} (mlplat: ArtifactStore does this for every bucket).",
        "Give scratch buckets a rule with expiration {'days': 30} or less.",
    ),
    frameworks=("CKV2_AWS_61", "NIST-800-53:SI-12"), levels=("advisory", "advisory"), config=LifecycleConfig,
)
def bucket_lifecycle(views: list[ResourceView], cfg: LifecycleConfig, ctx: RuleContext) -> Iterable[Finding]:
    for facts in join_buckets(views):
        rules = [r for r in lifecycle_rules(facts) if r.enabled and r.whole_bucket]
        aborting = [r.abort_days for r in rules if r.abort_days is not None]
        if not aborting:
            yield Finding(f"bucket {facts.bucket.name}: no enabled whole-bucket lifecycle rule aborts incomplete multipart uploads "
                          "(their parts are billed until deleted)", facts.bucket.urn, key="abort")
        elif min(aborting) > cfg.max_abort_days:
            yield Finding(f"bucket {facts.bucket.name} aborts incomplete multipart uploads after {min(aborting):g} days "
                          f"(at most {cfg.max_abort_days})", facts.bucket.urn, key="abort")
        if facts.role in cfg.expiring_roles:
            expiring = [r.expiration_days for r in rules if r.expiration_days is not None]
            if not expiring or min(expiring) > cfg.max_expiration_days:
                shown = f"after {min(expiring):g} days" if expiring else "never"
                yield Finding(f"{facts.role} bucket {facts.bucket.name} expires objects {shown} (at most "
                              f"{cfg.max_expiration_days} days)", facts.bucket.urn, key="expiration")


class ImmutabilityConfig(RuleConfig):
    roles: list[str] = Field(
        default_factory=lambda: ["models"], description="Bucket roles (mlplat:bucket-role) that need object lock or replication."
    )
    classifications: list[str] = Field(
        default_factory=lambda: ["restricted"],
        description="data-classification tag values whose buckets need object lock or replication.",
    )


@stack_rule(
    id="MLP-S3-08", name="mlplat-s3-bucket-lock-or-replicate-critical-data", severity="medium",
    description=(
        "Model buckets (mlplat:bucket-role models) and restricted-data buckets (data-classification restricted) enable "
        "object lock (a lock configuration with a default retention) or replicate to another bucket (an enabled "
        "replication rule), so a deletion or ransomware cannot destroy the only copy"
    ),
    remediation=(
        "Create the bucket with object_lock_enabled=True and add an aws.s3.BucketObjectLockConfiguration with a default "
        "retention (mlplat: ArtifactStore locks the models bucket), or",
        "add an aws.s3.BucketReplicationConfig replicating to a bucket in another region or account.",
    ),
    frameworks=("CKV_AWS_144", "NIST-800-53:CP-9"), levels=("disabled", "advisory"), config=ImmutabilityConfig,
)
def bucket_lock_or_replication(views: list[ResourceView], cfg: ImmutabilityConfig, ctx: RuleContext) -> Iterable[Finding]:
    for facts in join_buckets(views):
        classification = facts.bucket.tags.get(CLASSIFICATION_TAG)
        if facts.role not in cfg.roles and classification not in cfg.classifications:
            continue
        # AWS enables object lock on an existing versioned bucket through its lock configuration;
        # objects are locked only with a default retention (else each upload must ask for one).
        locked = any(
            config.known("objectLockEnabled") in (None, "Enabled") and isinstance(config.known("rule.defaultRetention"), Mapping)
            for config in facts.of(*OBJECT_LOCK_TYPES)
        )
        replicated = any(
            isinstance(rule, Mapping) and rule.get("status") == "Enabled"
            for config in facts.of(*REPLICATION_TYPES) for rule in (config.known("rules") or [])
        )
        if not (locked or replicated):
            why = f"role {facts.role}" if facts.role in cfg.roles else f"{CLASSIFICATION_TAG} {classification}"
            half = " (its lock configuration sets no default retention)" if facts.of(*OBJECT_LOCK_TYPES) else ""
            yield Finding(f"bucket {facts.bucket.name} ({why}) has neither object lock nor replication{half}", facts.bucket.urn)
