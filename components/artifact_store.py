"""ArtifactStore: the governed S3 buckets an ML team keeps its data and models in.

Four buckets, one per role (the `mlplat:bucket-role` tag carries it), and an optional fifth:

- `datasets` and `captures` (endpoint data capture): SSE-KMS with the `data` domain key;
- `models`: SSE-KMS with the `models` domain key, object lock in governance mode when enabled;
- `experiments` (only with `experiments_bucket=True`): MLflow artifacts, SSE-KMS with the `data`
  domain key, versioned but never object-locked, since MLflow deletes artifacts (docs/DECISIONS.md, Keys and buckets);
- `access-logs`: the target of the other buckets' server access logs, SSE-KMS with the
  `logs` domain key, current objects expire. S3 log delivery sends no encryption header, so this
  bucket has no "deny unencrypted uploads" statement, and it never has object lock (docs/DECISIONS.md, Keys and buckets).

Every bucket is versioned, blocks all public access, enforces bucket-owner object ownership,
aborts incomplete multipart uploads, moves non-current versions to STANDARD_IA and expires them,
and has a policy that denies plain HTTP and TLS older than 1.2. The data buckets' policies also
deny uploads that ask for another encryption or another KMS key than the bucket's.

pulumi-aws 7 keeps a bucket's settings in separate resources; the deprecated inline `Bucket`
arguments are not used. The logs key's policy must name the buckets that log into the access-log
bucket before the store exists, so the composition root passes
`ArtifactStore.log_source_prefixes(name, bucket_name_prefix, experiments_bucket)` to
`EncryptionArgs.s3_log_source_bucket_prefixes`:

    prefixes = ArtifactStore.log_source_prefixes("artifacts")
    keys = Encryption("keys", EncryptionArgs(s3_log_source_bucket_prefixes=prefixes))
    store = ArtifactStore("artifacts", ArtifactStoreArgs(encryption=keys))
    store.models.grant_read(serving_role)
    store.grant_read_write(training_role, bucket="datasets", prefix="team-a/")
    store.grant_delete(cleanup_role, bucket="datasets", prefix="team-a/tmp/")

Grants say what they give: read, write (which never deletes) and delete are separate intents,
each one role policy with exactly the actions its method's docstring lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, Optional, Sequence

import pulumi
import pulumi_aws as aws
from pydantic import Field

from . import _iam
from ._grants import attach_grant, require_role
from ._wiring import lookup, require_args
from mlplat.core.naming import MAX_BUCKET_PREFIX, bucket_prefix, child
from mlplat.core.models import ArgsModel, Spec, StrictBool, StrictInt
from mlplat.core.vocabulary import BUCKET_ROLE_TAG
from .encryption import Encryption
from mlplat.core.errors import ConfigError, Problem, WiringError

__all__ = [
    "Access",
    "ACCESS_LOGS",
    "ACCESSES",
    "ALL_BUCKET_ROLES",
    "ArtifactStore",
    "ArtifactStoreArgs",
    "ArtifactStoreSpec",
    "bucket_policy",
    "bucket_prefixes",
    "BUCKET_ROLES",
    "CAPTURES",
    "check_bucket_name_prefix",
    "check_grant_prefix",
    "DATASETS",
    "declared_roles",
    "DELETE_OBJECT_ACTIONS",
    "EXPERIMENTS",
    "GovernedBucket",
    "grant_policy",
    "KEY_DOMAIN",
    "lifecycle_rules",
    "LIST_ACTIONS",
    "LOG_DELIVERY_PRINCIPAL",
    "log_source_roles",
    "MAX_BUCKET_NAME_PREFIX",
    "MAX_LIFECYCLE_DAYS",
    "MAX_OBJECT_LOCK_DAYS",
    "MIN_STANDARD_IA_DAYS",
    "MIN_TLS_VERSION",
    "missing_key_domains",
    "MODELS",
    "NONCURRENT_STORAGE_CLASS",
    "object_access_policy",
    "OBJECT_LOCK_MODE",
    "OPTIONAL_ROLES",
    "READ_KEY_ACTIONS",
    "READ_OBJECT_ACTIONS",
    "TYPE_TOKEN",
    "WRITE_KEY_ACTIONS",
    "WRITE_OBJECT_ACTIONS",
]

TYPE_TOKEN = "mlplat:artifact_store:ArtifactStore"

DATASETS = "datasets"
MODELS = "models"
CAPTURES = "captures"
EXPERIMENTS = "experiments"
ACCESS_LOGS = "access-logs"
# The roles every store declares; `experiments` is declared only with `experiments_bucket=True`.
BUCKET_ROLES: tuple[str, ...] = (DATASETS, MODELS, CAPTURES, ACCESS_LOGS)
OPTIONAL_ROLES: tuple[str, ...] = (EXPERIMENTS,)
# Every role in declaration order (access-logs last: its policy names the log sources).
ALL_BUCKET_ROLES: tuple[str, ...] = (DATASETS, MODELS, CAPTURES, EXPERIMENTS, ACCESS_LOGS)
# The Encryption domain whose key encrypts each bucket.
KEY_DOMAIN: dict[str, str] = {
    DATASETS: "data", MODELS: "models", CAPTURES: "data", EXPERIMENTS: "data", ACCESS_LOGS: "logs",
}

LOG_DELIVERY_PRINCIPAL = "logging.s3.amazonaws.com"
OBJECT_LOCK_MODE = "GOVERNANCE"
NONCURRENT_STORAGE_CLASS = "STANDARD_IA"
MIN_STANDARD_IA_DAYS = 30  # S3 moves objects to STANDARD_IA only after 30 days
MAX_OBJECT_LOCK_DAYS = 36500
MAX_LIFECYCLE_DAYS = 36500  # lifecycle periods beyond a century are typos (an extra zero), not policies
MIN_TLS_VERSION = 1.2

# `<prefix><role>-` must fit the provider's bucket_prefix limit with the longest role
# (access-logs and experiments are both 11 characters).
MAX_BUCKET_NAME_PREFIX = MAX_BUCKET_PREFIX - max(len(f"{role}-") for role in ALL_BUCKET_ROLES)
_BUCKET_NAME_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]*-$")
_RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")

Access = Literal["read", "write", "read-write", "delete"]
ACCESSES: tuple[str, ...] = ("read", "write", "read-write", "delete")

READ_OBJECT_ACTIONS: tuple[str, ...] = ("s3:GetObject", "s3:GetObjectVersion")
WRITE_OBJECT_ACTIONS: tuple[str, ...] = ("s3:PutObject", "s3:AbortMultipartUpload")
# Delete is its own grant (write never implies it). On the versioned buckets it adds a delete
# marker; s3:DeleteObjectVersion, which removes a version for good, is never granted.
DELETE_OBJECT_ACTIONS: tuple[str, ...] = ("s3:DeleteObject",)
LIST_ACTIONS: tuple[str, ...] = ("s3:ListBucket",)
READ_KEY_ACTIONS: tuple[str, ...] = ("kms:Decrypt",)
WRITE_KEY_ACTIONS: tuple[str, ...] = ("kms:GenerateDataKey", "kms:Decrypt")


class ArtifactStoreSpec(Spec):
    """The buckets' settings (data only; the stack config's `artifact_store`)."""

    object_lock: StrictBool = Field(
        default=True,
        description="Object lock in governance mode on the models bucket (never on the others). It is "
        "enabled on the bucket when the bucket is created, so decide before the first deployment. "
        "Omitted: on.",
    )
    object_lock_retention_days: StrictInt = Field(
        default=30,
        description=f"Default retention of new model object versions while object lock is on, 1 to "
        f"{MAX_OBJECT_LOCK_DAYS} days. Omitted: 30 days.",
    )
    force_destroy: StrictBool = Field(
        default=False,
        description="Let `pulumi destroy` delete buckets that still hold objects. Omitted: off (deleting a "
        "non-empty bucket fails, so data is never removed by accident).",
    )
    noncurrent_version_transition_days: StrictInt = Field(
        default=MIN_STANDARD_IA_DAYS,
        description="Non-current object versions move to STANDARD_IA this many days after becoming "
        "non-current (S3 requires >= 30); no transition is declared unless it comes before "
        "`noncurrent_version_expiration_days`. Omitted: 30 days.",
    )
    noncurrent_version_expiration_days: StrictInt = Field(
        default=365,
        description="Non-current object versions are deleted this many days after becoming non-current. "
        "Omitted: 365 days.",
    )
    abort_incomplete_multipart_upload_days: StrictInt = Field(
        default=7,
        description="Incomplete multipart uploads are aborted (and their parts deleted) after this many "
        "days. Omitted: 7 days.",
    )
    access_log_expiration_days: StrictInt = Field(
        default=731,
        description="Access-log objects expire this many days after delivery. Omitted: 731 days (two years).",
    )

    def problems_at(self, base: str) -> list[Problem]:
        problems: list[Problem] = []
        if not 1 <= self.object_lock_retention_days <= MAX_OBJECT_LOCK_DAYS:
            problems.append(
                Problem(
                    f"{base}.object_lock_retention_days",
                    f"is not an S3 default retention (allowed: 1 to {MAX_OBJECT_LOCK_DAYS} days)",
                    self.object_lock_retention_days,
                )
            )
        if self.noncurrent_version_transition_days < MIN_STANDARD_IA_DAYS:
            problems.append(
                Problem(
                    f"{base}.noncurrent_version_transition_days",
                    f"is too early for STANDARD_IA (S3 requires >= {MIN_STANDARD_IA_DAYS} days)",
                    self.noncurrent_version_transition_days,
                )
            )
        for name in ("noncurrent_version_transition_days", "noncurrent_version_expiration_days",
                     "abort_incomplete_multipart_upload_days", "access_log_expiration_days"):
            value = getattr(self, name)
            if value < 1 and name != "noncurrent_version_transition_days":
                problems.append(Problem(f"{base}.{name}", "must be at least 1 day", value))
            elif value > MAX_LIFECYCLE_DAYS:
                problems.append(Problem(f"{base}.{name}", f"is more than {MAX_LIFECYCLE_DAYS} days (100 years)", value))
        return problems


class ArtifactStoreArgs(ArtifactStoreSpec, ArgsModel):
    encryption: Encryption = Field(
        description="The Encryption component whose domain keys encrypt the buckets: `data` for datasets "
        "and captures, `models` for models, `logs` for access logs (all three are required). Its "
        "`s3_log_source_bucket_prefixes` must include `ArtifactStore.log_source_prefixes(...)`."
    )
    bucket_name_prefix: Optional[str] = Field(
        default=None,
        description="Buckets are auto-named `<bucket_name_prefix><role>-<26 digits>`; lowercase letters, "
        f"digits and '-', ending with '-', at most {MAX_BUCKET_NAME_PREFIX} characters. "
        "Omitted: `<component name>-` (lowercased, other characters replaced by '-').",
    )
    protect: StrictBool = Field(
        default=True,
        description="Protect the buckets from deletion and replacement. Omitted: protected.",
    )
    cross_account_readers: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Bucket role -> AWS accounts (12 digits) that may read its objects (s3:GetObject, "
        "s3:GetObjectVersion, s3:ListBucket) through the bucket policy, e.g. the registry's consumer accounts on "
        "`models`; their key needs EncryptionArgs.cross_account_readers too. Omitted: no other account.",
    )
    experiments_bucket: StrictBool = Field(
        default=False,
        description="Also declare the `experiments` bucket for MLflow artifacts (data key, versioned, "
        "logged into access-logs, never object-locked: MLflow deletes artifacts). Pass the same value to "
        "`ArtifactStore.log_source_prefixes(...)` so the logs key admits its access logs. Omitted: no "
        "experiments bucket (off by default so existing stores gain no bucket on upgrade).",
    )

    def roles(self) -> tuple[str, ...]:
        """The bucket roles this store declares, in declaration order."""
        return declared_roles(self.experiments_bucket)

    def problems(self) -> list[Problem]:
        problems: list[Problem] = []
        problems.extend(missing_key_domains(self.encryption))
        if self.bucket_name_prefix is not None:
            problems.extend(check_bucket_name_prefix(self.bucket_name_prefix))
        for role, accounts in self.cross_account_readers.items():
            if role not in self.roles() or role == ACCESS_LOGS:
                problems.append(Problem("ArtifactStoreArgs.cross_account_readers", "is not a data bucket of this store "
                                        f"({', '.join(r for r in self.roles() if r != ACCESS_LOGS)})", role))
            for account in accounts:
                if not re.match(r"^\d{12}$", str(account)):
                    problems.append(Problem(f"ArtifactStoreArgs.cross_account_readers.{role}", "is not an AWS account "
                                            "id (12 digits; '*' and ARNs are refused)", account))
        return problems + self.problems_at("ArtifactStoreArgs")


def declared_roles(experiments_bucket: bool = False) -> tuple[str, ...]:
    """Bucket roles a store declares, in declaration order (access-logs last)."""
    return tuple(r for r in ALL_BUCKET_ROLES if r not in OPTIONAL_ROLES or (r == EXPERIMENTS and experiments_bucket))


def log_source_roles(experiments_bucket: bool = False) -> tuple[str, ...]:
    """Bucket roles whose server access logs go to the access-log bucket."""
    return tuple(r for r in declared_roles(experiments_bucket) if r != ACCESS_LOGS)


def missing_key_domains(encryption: Encryption) -> list[Problem]:
    """One problem per key domain the store needs that `encryption` lacks."""
    have = list(encryption.keys)
    problems = []
    for domain in dict.fromkeys(KEY_DOMAIN.values()):
        if domain not in have:
            users = ", ".join(role for role in BUCKET_ROLES if KEY_DOMAIN[role] == domain)
            problems.append(
                Problem(
                    "ArtifactStoreArgs.encryption",
                    f"has no {domain!r} key, which the {users} bucket(s) need "
                    f"(Encryption {encryption._name!r} has: {', '.join(have) or 'none'}); "
                    f"add {domain!r} to EncryptionArgs.domains",
                )
            )
    return problems


def check_bucket_name_prefix(prefix: str) -> list[Problem]:
    path = "ArtifactStoreArgs.bucket_name_prefix"
    if not _BUCKET_NAME_PREFIX.match(prefix) or len(prefix) > MAX_BUCKET_NAME_PREFIX:
        return [
            Problem(
                path,
                "is not a usable bucket name prefix (lowercase letters, digits and '-', starting with a letter "
                f"or digit, ending with '-', at most {MAX_BUCKET_NAME_PREFIX} characters so "
                f"'<prefix>{ACCESS_LOGS}-' fits S3's bucket_prefix)",
                prefix,
            )
        ]
    for reserved in _RESERVED_BUCKET_PREFIXES:
        if prefix.startswith(reserved):
            return [Problem(path, f"starts with {reserved!r}, which S3 reserves for its own bucket names", prefix)]
    return []


def bucket_prefixes(name: str, bucket_name_prefix: Optional[str] = None) -> dict[str, str]:
    """The `bucket_prefix` of each role's bucket (pure: the physical names are predictable)."""
    if bucket_name_prefix is not None:
        problems = check_bucket_name_prefix(bucket_name_prefix)
        if problems:
            raise ConfigError(problems)
        base = bucket_name_prefix
    else:
        base = f"{name}-"
    try:
        return {role: bucket_prefix(f"{base}{role}") for role in ALL_BUCKET_ROLES}
    except ConfigError:
        raise ConfigError(
            [
                Problem(
                    "ArtifactStoreArgs.bucket_name_prefix",
                    f"is omitted and the component name {name!r} gives no usable bucket prefix "
                    f"(lowercase letters, digits and '-', at most {MAX_BUCKET_NAME_PREFIX} characters); "
                    "set bucket_name_prefix",
                )
            ]
        ) from None


# --- policies (pure: Python data, serialised only at the edge) -------------------------------


def _objects(bucket_arn: pulumi.Input[str], prefix: str = "") -> pulumi.Output[str]:
    return pulumi.Output.concat(bucket_arn, "/", prefix, "*")


def bucket_policy(
    role: str,
    *,
    bucket_arn: pulumi.Input[str],
    key_arn: pulumi.Input[str],
    account_id: Optional[pulumi.Input[str]] = None,
    log_source_arns: Sequence[pulumi.Input[str]] = (),
    reader_accounts: Sequence[str] = (),
) -> _iam.Document:
    """The bucket policy of one role's bucket.

    Every bucket denies requests without TLS (`aws:SecureTransport` = "false") and with TLS older
    than 1.2. Every bucket but access-logs denies PutObject asking for an encryption other than
    aws:kms or a KMS key other than `key_arn` (IfExists: uploads relying on the bucket's default
    encryption send no header and still work). The access-log bucket allows S3 log delivery to
    put objects, only from `account_id` and only for the `log_source_arns` buckets. `reader_accounts` (other
    accounts that read the bucket, such as the registry's consumers on the models bucket) get
    `AllowCrossAccountRead` (READ_OBJECT_ACTIONS on the objects) and `AllowCrossAccountList` (s3:ListBucket).
    """
    everyone = {"AWS": "*"}
    whole_bucket = [bucket_arn, _objects(bucket_arn)]
    statements = [
        _iam.statement(
            sid="DenyInsecureTransport", effect="Deny", principals=everyone, actions=["s3:*"],
            resources=whole_bucket, conditions={"Bool": {"aws:SecureTransport": "false"}},
        ),
        _iam.statement(
            sid="DenyOutdatedTls", effect="Deny", principals=everyone, actions=["s3:*"],
            resources=whole_bucket, conditions={"NumericLessThan": {"s3:TlsVersion": MIN_TLS_VERSION}},
        ),
    ]
    if role == ACCESS_LOGS:
        if account_id is None or not log_source_arns:
            raise ValueError("the access-log bucket policy needs account_id and log_source_arns")
        statements.append(
            _iam.statement(
                sid="AllowS3ServerAccessLogDelivery",
                principals=_iam.service(LOG_DELIVERY_PRINCIPAL),
                actions=["s3:PutObject"],
                resources=_objects(bucket_arn),
                conditions={
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": list(log_source_arns)},
                },
            )
        )
    else:
        statements += [
            _iam.statement(
                sid="DenyUnencryptedUploads", effect="Deny", principals=everyone, actions=["s3:PutObject"],
                resources=_objects(bucket_arn),
                conditions={"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            ),
            _iam.statement(
                sid="DenyOtherKmsKeys", effect="Deny", principals=everyone, actions=["s3:PutObject"],
                resources=_objects(bucket_arn),
                conditions={"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}},
            ),
        ]
    if reader_accounts:
        readers = {"AWS": [f"arn:aws:iam::{account}:root" for account in reader_accounts]}
        statements += [
            _iam.statement(sid="AllowCrossAccountRead", principals=readers, actions=list(READ_OBJECT_ACTIONS),
                           resources=_objects(bucket_arn)),
            _iam.statement(sid="AllowCrossAccountList", principals=readers, actions=list(LIST_ACTIONS),
                           resources=bucket_arn),
        ]
    return _iam.document(statements)


def _union(*groups: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(action for group in groups for action in group))


def object_access_policy(
    *,
    read: bool = False,
    write: bool = False,
    delete: bool = False,
    bucket_arn: pulumi.Input[str],
    key_arn: pulumi.Input[str],
    region: pulumi.Input[str],
    prefix: Optional[str] = None,
) -> _iam.Document:
    """One role policy for any mix of read, write and delete on `<bucket arn>/<prefix>*` (pure).

    Statements, in order: `ObjectAccess` (READ_OBJECT_ACTIONS, WRITE_OBJECT_ACTIONS,
    DELETE_OBJECT_ACTIONS as asked) on the objects; `ListBucket` (s3:ListBucket on the bucket,
    with `s3:prefix` StringLike `<prefix>*` when a prefix is given) when reading;
    `UseBucketKeyThroughS3` (kms:Decrypt to read; kms:GenerateDataKey, kms:Decrypt to write) on
    the bucket's key with `kms:ViaService` = `s3.<region>.amazonaws.com`, unless only deleting
    (a delete needs no key).
    """
    object_actions = _union(
        READ_OBJECT_ACTIONS if read else (), WRITE_OBJECT_ACTIONS if write else (), DELETE_OBJECT_ACTIONS if delete else ()
    )
    if not object_actions:
        raise ValueError("object_access_policy needs at least one of read, write or delete")
    key_actions = _union(READ_KEY_ACTIONS if read else (), WRITE_KEY_ACTIONS if write else ())
    statements = [
        _iam.statement(sid="ObjectAccess", actions=object_actions, resources=_objects(bucket_arn, prefix or ""))
    ]
    if read:
        statements.append(
            _iam.statement(
                sid="ListBucket", actions=list(LIST_ACTIONS), resources=bucket_arn,
                conditions={"StringLike": {"s3:prefix": f"{prefix}*"}} if prefix else None,
            )
        )
    if key_actions:
        statements.append(
            _iam.statement(
                sid="UseBucketKeyThroughS3", actions=key_actions, resources=key_arn,
                conditions={"StringEquals": {"kms:ViaService": pulumi.Output.concat("s3.", region, ".amazonaws.com")}},
            )
        )
    return _iam.document(statements)


def grant_policy(
    access: Access,
    *,
    bucket_arn: pulumi.Input[str],
    key_arn: pulumi.Input[str],
    region: pulumi.Input[str],
    prefix: Optional[str] = None,
) -> _iam.Document:
    """The role policy of one grant (pure). Actions per access:

    - read: s3:GetObject, s3:GetObjectVersion on `<bucket arn>/<prefix>*`; s3:ListBucket on the
      bucket (with `s3:prefix` StringLike `<prefix>*` when a prefix is given); kms:Decrypt on the
      bucket's key via S3 only (`kms:ViaService` = `s3.<region>.amazonaws.com`);
    - write: s3:PutObject, s3:AbortMultipartUpload on `<bucket arn>/<prefix>*`;
      kms:GenerateDataKey, kms:Decrypt on the key via S3 only (no delete);
    - read-write: the union of both (no delete);
    - delete: s3:DeleteObject on `<bucket arn>/<prefix>*`, nothing else.
    """
    return object_access_policy(
        read=access in ("read", "read-write"), write=access in ("write", "read-write"), delete=access == "delete",
        bucket_arn=bucket_arn, key_arn=key_arn, region=region, prefix=prefix,
    )


def check_grant_prefix(prefix: Optional[str], method: str = "grant_read") -> list[Problem]:
    """Problems with a grant's key prefix (None means the whole bucket)."""
    if prefix is None:
        return []
    path = f"{method}.prefix"
    if not isinstance(prefix, str):
        return [Problem(path, "is not a key prefix (a string such as 'team-a/'; omit it for the whole bucket)", prefix)]
    if prefix == "":
        return [Problem(path, "is empty (omit prefix to grant on the whole bucket)", prefix)]
    problems = []
    if prefix.startswith("/"):
        problems.append(Problem(path, "starts with '/' (S3 keys have no leading slash: use 'team-a/', not '/team-a/')", prefix))
    if "*" in prefix or "?" in prefix:
        problems.append(Problem(path, "contains a wildcard ('*' or '?'); the grant appends the trailing '*' itself", prefix))
    if not prefix.endswith("/"):
        problems.append(Problem(path, "must end with '/' (without it 'team-a' would also match 'team-ab/...')", prefix))
    return problems


# --- the component ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GovernedBucket:
    """A handle on one of the store's buckets: its role, the bucket, its key, ARN and name.

    Grants declare one `aws.iam.RolePolicy` child of the store (see `ArtifactStore.grant_read`).
    """

    role: str
    bucket: aws.s3.Bucket
    key: aws.kms.Key
    arn: pulumi.Output[str]
    name: pulumi.Output[str]
    store: "ArtifactStore" = field(repr=False)

    def grant_read(self, role: aws.iam.Role, prefix: Optional[str] = None) -> aws.iam.RolePolicy:
        """Let `role` read objects under `prefix`: s3:GetObject, s3:GetObjectVersion on the objects,
        s3:ListBucket on the bucket (limited to `prefix` when given), kms:Decrypt on the key via S3."""
        return self.store.grant_read(role, bucket=self.role, prefix=prefix)

    def grant_write(self, role: aws.iam.Role, prefix: Optional[str] = None) -> aws.iam.RolePolicy:
        """Let `role` write objects under `prefix` (never delete): s3:PutObject,
        s3:AbortMultipartUpload on the objects, kms:GenerateDataKey and kms:Decrypt on the key via S3."""
        return self.store.grant_write(role, bucket=self.role, prefix=prefix)

    def grant_read_write(self, role: aws.iam.Role, prefix: Optional[str] = None) -> aws.iam.RolePolicy:
        """Let `role` read and write objects under `prefix`: the actions of grant_read and grant_write (no delete)."""
        return self.store.grant_read_write(role, bucket=self.role, prefix=prefix)

    def grant_delete(self, role: aws.iam.Role, prefix: Optional[str] = None) -> aws.iam.RolePolicy:
        """Let `role` delete objects under `prefix`: s3:DeleteObject on the objects, nothing else."""
        return self.store.grant_delete(role, bucket=self.role, prefix=prefix)


class ArtifactStore(pulumi.ComponentResource):
    """S3 buckets for datasets, models and captures (and experiments), plus their access-log bucket.

    Children (suffixes are stable), for each role in datasets, models, captures, access-logs (and
    experiments with `experiments_bucket=True`):
    `<name>-<role>` (the bucket), `-encryption`, `-versioning`, `-public-access-block`,
    `-ownership`, `-policy`, `-lifecycle`; `<name>-<role>-logging` on all but access-logs;
    `<name>-models-object-lock` when object lock is on. Grants add
    `<name>-<bucket role>-<read|write|read-write|delete>-<role name>` role policies.

    Buckets are protected unless `protect=False`; deleting a non-empty bucket fails unless
    `force_destroy=True`; with object lock, locked model versions cannot be deleted before their
    retention ends (governance mode: only principals with s3:BypassGovernanceRetention can).
    """

    datasets: GovernedBucket
    models: GovernedBucket
    captures: GovernedBucket
    access_logs: GovernedBucket
    experiments: Optional[GovernedBucket]

    def __init__(self, name: str, args: ArtifactStoreArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        args = require_args("ArtifactStore", name, args, ArtifactStoreArgs)
        prefixes = bucket_prefixes(name, args.bucket_name_prefix)
        sources = log_source_roles(args.experiments_bucket)
        _check_log_delivery_wiring(args.encryption, tuple(prefixes[r] for r in sources))
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._account_id = _iam.caller_account_id()
        self._region = _iam.current_region()
        self._grants: set[str] = set()
        self._buckets: dict[str, GovernedBucket] = {}
        policies: dict[str, aws.s3.BucketPolicy] = {}

        for role in args.roles():
            key = args.encryption.keys[KEY_DOMAIN[role]]
            bucket = self._bucket(name, role, prefixes[role], args)
            handle = GovernedBucket(role=role, bucket=bucket, key=key, arn=bucket.arn, name=bucket.bucket, store=self)
            self._buckets[role] = handle
            public_access_block = self._settings(name, handle, args)
            if role == ACCESS_LOGS:  # last in every role order: the log sources exist by now
                log_sources = [self._buckets[source].arn for source in sources]
                policy = bucket_policy(role, bucket_arn=bucket.arn, key_arn=key.arn, account_id=self._account_id,
                                       log_source_arns=log_sources)
            else:
                policy = bucket_policy(role, bucket_arn=bucket.arn, key_arn=key.arn,
                                       reader_accounts=args.cross_account_readers.get(role, ()))
            policies[role] = self._policy(name, handle, policy, public_access_block)

        target = self._buckets[ACCESS_LOGS].bucket
        for role in sources:
            aws.s3.BucketLogging(
                child(name, f"{role}-logging"),
                bucket=self._buckets[role].bucket.id,
                target_bucket=target.id,
                target_prefix=f"{role}/",
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policies[ACCESS_LOGS]]),
            )

        self.datasets = self._buckets[DATASETS]
        self.models = self._buckets[MODELS]
        self.captures = self._buckets[CAPTURES]
        self.access_logs = self._buckets[ACCESS_LOGS]
        self.experiments = self._buckets.get(EXPERIMENTS)
        self.bucket_names: pulumi.Output[dict[str, str]] = pulumi.Output.all(
            **{role: b.name for role, b in self._buckets.items()}
        )
        self.bucket_arns: pulumi.Output[dict[str, str]] = pulumi.Output.all(
            **{role: b.arn for role, b in self._buckets.items()}
        )
        self.register_outputs({"bucket_names": self.bucket_names, "bucket_arns": self.bucket_arns})

    # --- pure helpers the composition root calls before the store exists ---------------------

    @staticmethod
    def log_source_prefixes(
        name: str, bucket_name_prefix: Optional[str] = None, experiments_bucket: bool = False,
    ) -> tuple[str, ...]:
        """Bucket name prefixes of the buckets that log into the store's access-log bucket.

        Pass them to `EncryptionArgs.s3_log_source_bucket_prefixes` (the logs key must let S3 log
        delivery encrypt their logs), with the same `name`, `bucket_name_prefix` and
        `experiments_bucket` as the store.
        """
        prefixes = bucket_prefixes(name, bucket_name_prefix)
        return tuple(prefixes[role] for role in log_source_roles(experiments_bucket))

    # --- handles and grants ------------------------------------------------------------------

    @property
    def bucket_roles(self) -> tuple[str, ...]:
        """The roles of the buckets this store declared, in declaration order."""
        return tuple(self._buckets)

    def bucket(self, role: str) -> GovernedBucket:
        """The handle of the bucket with this role; WiringError naming the roles otherwise."""
        return self._bucket_named(role, "bucket", "role")

    def _bucket_named(self, role: str, method: str, argument: str) -> GovernedBucket:
        return lookup(self._buckets, role, where=f"ArtifactStore {self._name!r}.{method}", argument=argument,
                      noun="a bucket of this store")

    def grant_read(self, role: aws.iam.Role, *, bucket: str, prefix: Optional[str] = None) -> aws.iam.RolePolicy:
        """Let `role` read the `bucket` bucket's objects (under `prefix`, e.g. "team-a/", when given).

        Exact actions: s3:GetObject, s3:GetObjectVersion on `<bucket arn>/<prefix>*`;
        s3:ListBucket on the bucket ARN (condition StringLike s3:prefix `<prefix>*` when a prefix
        is given); kms:Decrypt on the bucket's key with kms:ViaService = s3.<region>.amazonaws.com.
        """
        return self._grant("read", role, bucket, prefix)

    def grant_write(self, role: aws.iam.Role, *, bucket: str, prefix: Optional[str] = None) -> aws.iam.RolePolicy:
        """Let `role` write the `bucket` bucket's objects (under `prefix` when given); never delete.

        Exact actions: s3:PutObject, s3:AbortMultipartUpload on `<bucket arn>/<prefix>*`;
        kms:GenerateDataKey, kms:Decrypt on the bucket's key with kms:ViaService =
        s3.<region>.amazonaws.com. Overwriting a key adds a version (the buckets are versioned);
        removing objects needs `grant_delete`. The access-log bucket refuses write grants.
        """
        return self._grant("write", role, bucket, prefix)

    def grant_read_write(self, role: aws.iam.Role, *, bucket: str, prefix: Optional[str] = None) -> aws.iam.RolePolicy:
        """Let `role` read and write the `bucket` bucket's objects (under `prefix` when given); never delete.

        Exact actions: s3:GetObject, s3:GetObjectVersion, s3:PutObject, s3:AbortMultipartUpload
        on `<bucket arn>/<prefix>*`; s3:ListBucket on the bucket ARN (limited to `<prefix>*` when
        given); kms:Decrypt, kms:GenerateDataKey on the bucket's key with kms:ViaService =
        s3.<region>.amazonaws.com. The access-log bucket refuses write grants.
        """
        return self._grant("read-write", role, bucket, prefix)

    def grant_delete(self, role: aws.iam.Role, *, bucket: str, prefix: Optional[str] = None) -> aws.iam.RolePolicy:
        """Let `role` delete the `bucket` bucket's objects (under `prefix` when given).

        Exact actions: s3:DeleteObject on `<bucket arn>/<prefix>*`, nothing else (a delete needs
        no key). The buckets are versioned, so a delete adds a delete marker and the object's
        versions stay until `noncurrent_version_expiration_days`; s3:DeleteObjectVersion (removing
        a version for good) is never granted, and object lock still protects locked model
        versions. The access-log bucket refuses delete grants (its logs expire by lifecycle).
        """
        return self._grant("delete", role, bucket, prefix)

    def _grant(self, access: Access, role: aws.iam.Role, bucket_role: str, prefix: Optional[str]) -> aws.iam.RolePolicy:
        method = f"grant_{access.replace('-', '_')}"
        require_role(f"ArtifactStore {self._name!r}.{method}", role)
        handle = self._bucket_named(bucket_role, method, "bucket")
        if access != "read" and handle.role == ACCESS_LOGS:
            raise WiringError(
                f"ArtifactStore {self._name!r}.{method}: the {ACCESS_LOGS} bucket is written only by S3 log "
                "delivery and its logs expire by lifecycle; grant read on it instead"
            )
        problems = check_grant_prefix(prefix, method)
        if problems:
            raise ConfigError(problems)
        name = child(self._name, f"{handle.role}-{access}-{role._name}")
        document = grant_policy(access, bucket_arn=handle.arn, key_arn=handle.key.arn, region=self._region, prefix=prefix)
        return attach_grant(
            self, self._grants, name, role, document,
            duplicate=f"ArtifactStore {self._name!r} already has a {access} grant on {handle.role} for role "
            f"{role._name!r} ({name}); declare one grant per bucket, access and role",
        )

    # --- children ----------------------------------------------------------------------------

    def _bucket(self, name: str, role: str, prefix: str, args: ArtifactStoreArgs) -> aws.s3.Bucket:
        extra: dict[str, Any] = {}
        if role == MODELS and args.object_lock:
            extra["object_lock_enabled"] = True
        return aws.s3.Bucket(
            child(name, role),
            bucket_prefix=prefix,
            force_destroy=args.force_destroy,
            tags={BUCKET_ROLE_TAG: role},
            **extra,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

    def _settings(self, name: str, handle: GovernedBucket, args: ArtifactStoreArgs) -> aws.s3.BucketPublicAccessBlock:
        """Declare the bucket's settings; returns its public access block (the policy waits for it)."""
        role, bucket_id = handle.role, handle.bucket.id
        here = pulumi.ResourceOptions(parent=self)
        aws.s3.BucketServerSideEncryptionConfiguration(
            child(name, f"{role}-encryption"),
            bucket=bucket_id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=handle.key.arn,
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=here,
        )
        versioning = aws.s3.BucketVersioning(
            child(name, f"{role}-versioning"),
            bucket=bucket_id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=here,
        )
        public_access_block = aws.s3.BucketPublicAccessBlock(
            child(name, f"{role}-public-access-block"),
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=here,
        )
        aws.s3.BucketOwnershipControls(
            child(name, f"{role}-ownership"),
            bucket=bucket_id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=here,
        )
        aws.s3.BucketLifecycleConfiguration(
            child(name, f"{role}-lifecycle"),
            bucket=bucket_id,
            rules=lifecycle_rules(role, args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        if role == MODELS and args.object_lock:
            aws.s3.BucketObjectLockConfiguration(
                child(name, f"{role}-object-lock"),
                bucket=bucket_id,
                object_lock_enabled="Enabled",
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode=OBJECT_LOCK_MODE, days=args.object_lock_retention_days,
                    )
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
            )
        return public_access_block

    def _policy(
        self, name: str, handle: GovernedBucket, document: _iam.Document,
        public_access_block: aws.s3.BucketPublicAccessBlock,
    ) -> aws.s3.BucketPolicy:
        # S3 refuses a policy while the bucket's public access settings are being changed; the
        # public access block comes first.
        return aws.s3.BucketPolicy(
            child(name, f"{handle.role}-policy"),
            bucket=handle.bucket.id,
            policy=_iam.to_json(document),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access_block]),
        )


def lifecycle_rules(role: str, args: ArtifactStoreArgs) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """Lifecycle rules of one role's bucket (every rule applies to the whole bucket)."""
    everything = aws.s3.BucketLifecycleConfigurationRuleFilterArgs()
    rules = [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="abort-incomplete-multipart-uploads",
            status="Enabled",
            filter=everything,
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=args.abort_incomplete_multipart_upload_days,
            ),
        )
    ]
    transitions = []
    if args.noncurrent_version_transition_days < args.noncurrent_version_expiration_days:
        transitions.append(
            aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionTransitionArgs(
                noncurrent_days=args.noncurrent_version_transition_days, storage_class=NONCURRENT_STORAGE_CLASS,
            )
        )
    rules.append(
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="noncurrent-versions",
            status="Enabled",
            filter=everything,
            noncurrent_version_transitions=transitions or None,
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=args.noncurrent_version_expiration_days,
            ),
        )
    )
    if role == ACCESS_LOGS:
        rules.append(
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-access-logs",
                status="Enabled",
                filter=everything,
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.access_log_expiration_days),
            )
        )
    return rules


def _check_log_delivery_wiring(encryption: Encryption, source_prefixes: tuple[str, ...]) -> None:
    """Refuse a logs key whose policy does not let S3 log delivery encrypt these buckets' logs.

    Checked only when the Encryption exposes `s3_log_source_bucket_prefixes` (it is otherwise
    not observable before deployment, where the failure would be logs silently not delivered).
    """
    allowed = getattr(encryption, "s3_log_source_bucket_prefixes", None)
    if allowed is None:
        return
    missing = [p for p in source_prefixes if not any(p.startswith(a) for a in allowed)]
    if missing:
        raise WiringError(
            f"Encryption {encryption._name!r} does not let S3 log delivery use its logs key for the "
            f"bucket prefixes {', '.join(missing)}; pass ArtifactStore.log_source_prefixes(...) to "
            "EncryptionArgs.s3_log_source_bucket_prefixes"
        )
