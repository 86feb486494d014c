"""StateBackend: the S3 bucket and KMS key of a self-managed Pulumi backend (`s3://` state, `awskms://` secrets).

It must exist before any stack of the platform, so it is declared by a small program of its own
(`bootstrap/state-backend/`), whose own state starts on a local backend and moves into the bucket
once it exists (the README's "State and secrets backend" gives the order).

- `<name>-key`: the customer-managed key of the `awskms://` secrets provider and of the state
  objects (SSE-KMS), rotated yearly. Its policy lets the account root administer it (so IAM can
  still manage it: the lockout safety check stays on) and the named deployer roles use it
  (kms:Encrypt, kms:Decrypt, kms:GenerateDataKey, kms:DescribeKey): exactly what
  `pulumi stack init --secrets-provider awskms://...` and reading and writing the state need;
- `<name>-state`: the state bucket. Versioned (every checkpoint is kept, so a bad `pulumi up` can be
  rolled back with `pulumi stack import`), SSE-KMS with the key and an S3 bucket key, all public
  access blocked, ACLs disabled, server access logs to the log bucket, a policy that denies plain
  HTTP, TLS older than 1.2 and uploads asking for another encryption or key, and lets the deployer
  roles list the bucket and read, write and delete objects (Pulumi removes its lock files);
  non-current versions move to STANDARD_IA and expire, but the newest ones are always kept;
- `<name>-logs-key` and `<name>-access-logs`: the access-log bucket and its own key (reading the
  logs never needs the secrets key). Only S3 log delivery from the state bucket may write there;
  logs expire by lifecycle.

    backend = StateBackend("pulumi-state", StateBackendArgs(
        deployer_role_arns=["arn:aws:iam::111122223333:role/ml-platform-deploy"]))
    pulumi.export("login_url", backend.login_url)              # pulumi login <login_url>
    pulumi.export("secrets_provider", backend.secrets_provider)  # pulumi stack init --secrets-provider <...>
"""

from __future__ import annotations

import re
from typing import Any, Optional

import pulumi
import pulumi_aws as aws
from pydantic import Field

from . import _iam
from ._wiring import require_args
from .artifact_store import ACCESS_LOGS, MIN_STANDARD_IA_DAYS, NONCURRENT_STORAGE_CLASS, bucket_policy
from .encryption import MAX_DELETION_WINDOW_DAYS, MIN_DELETION_WINDOW_DAYS, customer_managed_key, key_policy
from mlplat.core.errors import Problem
from mlplat.core.models import ArgsModel, Spec, StrictBool, StrictInt
from mlplat.core.naming import MAX_BUCKET_PREFIX, child
from mlplat.core.vocabulary import BUCKET_ROLE_TAG

__all__ = [
    "DEPLOYER_BUCKET_ACTIONS",
    "DEPLOYER_KEY_ACTIONS",
    "DEPLOYER_OBJECT_ACTIONS",
    "STATE",
    "StateBackend",
    "StateBackendArgs",
    "StateBackendSpec",
    "TYPE_TOKEN",
    "state_bucket_policy",
    "state_key_policy",
]

TYPE_TOKEN = "mlplat:bootstrap:StateBackend"
STATE = "state"  # the state bucket's mlplat:bucket-role

# What Pulumi's S3 backend and the awskms:// secrets provider call (and nothing more).
DEPLOYER_KEY_ACTIONS: tuple[str, ...] = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey")
DEPLOYER_BUCKET_ACTIONS: tuple[str, ...] = ("s3:ListBucket", "s3:GetBucketLocation")
DEPLOYER_OBJECT_ACTIONS: tuple[str, ...] = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")

MAX_LIFECYCLE_DAYS = 36500
MAX_NEWER_NONCURRENT_VERSIONS = 100  # S3's limit on NewerNoncurrentVersions
_ROLE_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ALIAS = re.compile(r"^alias/[a-zA-Z0-9/_-]{1,250}$")
_LOGS_SUFFIX = "-logs"


class StateBackendSpec(Spec):
    """The backend's settings (data only; the bootstrap program's `backend` config)."""

    deployer_role_arns: tuple[str, ...] = Field(
        description="IAM roles that run `pulumi preview` and `pulumi up` (the CI deploy and preview roles, the "
        "break-glass admin role): the key policy lets them use the key and the bucket policy lets them read and "
        "write the state. Roles of other accounts work too (they also need an IAM policy in their own account).",
    )
    bucket_name: Optional[str] = Field(
        default=None,
        description="The state bucket's exact name (S3's rules: 3-63 lowercase letters, digits, '-' and '.'), so "
        "`pulumi login s3://<name>` can be written down before the bucket exists; the log bucket is "
        "`<name>-logs`. Omitted: auto-named `<component name>-state-<26 digits>` (read it from the `login_url` "
        "output).",
    )
    key_alias: Optional[str] = Field(
        default=None,
        description="The key's alias, used in `awskms://<alias>?region=<region>` (`alias/...`, not `alias/aws...`). "
        "Omitted: `alias/<component name>`.",
    )
    deletion_window_days: StrictInt = Field(
        default=MAX_DELETION_WINDOW_DAYS,
        description=f"Days a deleted key waits before destruction, {MIN_DELETION_WINDOW_DAYS} to "
        f"{MAX_DELETION_WINDOW_DAYS}: a lost key makes every stack's secrets unreadable. Omitted: "
        f"{MAX_DELETION_WINDOW_DAYS}.",
    )
    noncurrent_version_transition_days: StrictInt = Field(
        default=MIN_STANDARD_IA_DAYS,
        description="Superseded state versions move to STANDARD_IA this many days after being superseded (S3 "
        "requires >= 30). Omitted: 30 days.",
    )
    noncurrent_version_expiration_days: StrictInt = Field(
        default=365,
        description="Superseded state versions are deleted this many days after being superseded (the newest "
        "`keep_noncurrent_versions` are kept whatever their age). Omitted: 365 days.",
    )
    keep_noncurrent_versions: StrictInt = Field(
        default=20,
        description=f"Superseded versions of each object always kept (1 to {MAX_NEWER_NONCURRENT_VERSIONS}): the "
        "last checkpoints of a rarely deployed stack never expire. Omitted: 20.",
    )
    abort_incomplete_multipart_upload_days: StrictInt = Field(
        default=7, description="Incomplete multipart uploads are aborted after this many days. Omitted: 7 days."
    )
    access_log_expiration_days: StrictInt = Field(
        default=731, description="Access-log objects expire this many days after delivery. Omitted: 731 days."
    )

    def problems_at(self, base: str) -> list[Problem]:
        problems: list[Problem] = []
        if not self.deployer_role_arns:
            problems.append(Problem(f"{base}.deployer_role_arns", "must name at least one role (nobody could use the "
                                    "backend otherwise)", self.deployer_role_arns))
        for arn in self.deployer_role_arns:
            if not isinstance(arn, str) or not _ROLE_ARN.match(arn):
                problems.append(Problem(f"{base}.deployer_role_arns", "is not an IAM role ARN "
                                        "(arn:aws:iam::<12 digits>:role/<name>; '*', users and accounts are refused)", arn))
        if len(set(self.deployer_role_arns)) != len(self.deployer_role_arns):
            problems.append(Problem(f"{base}.deployer_role_arns", "lists a role twice", self.deployer_role_arns))
        if self.bucket_name is not None:
            problems.extend(_bucket_name_problems(f"{base}.bucket_name", self.bucket_name))
        if self.key_alias is not None and (not _ALIAS.match(self.key_alias) or self.key_alias.startswith("alias/aws")):
            problems.append(Problem(f"{base}.key_alias", "is not a KMS alias (alias/<letters, digits, '/', '_', '-'>, "
                                    "not alias/aws...: reserved)", self.key_alias))
        if not MIN_DELETION_WINDOW_DAYS <= self.deletion_window_days <= MAX_DELETION_WINDOW_DAYS:
            problems.append(Problem(f"{base}.deletion_window_days", f"is not a KMS deletion window (allowed: "
                                    f"{MIN_DELETION_WINDOW_DAYS} to {MAX_DELETION_WINDOW_DAYS} days)",
                                    self.deletion_window_days))
        if self.noncurrent_version_transition_days < MIN_STANDARD_IA_DAYS:
            problems.append(Problem(f"{base}.noncurrent_version_transition_days", f"is too early for "
                                    f"{NONCURRENT_STORAGE_CLASS} (S3 requires >= {MIN_STANDARD_IA_DAYS} days)",
                                    self.noncurrent_version_transition_days))
        for name in ("noncurrent_version_expiration_days", "abort_incomplete_multipart_upload_days",
                     "access_log_expiration_days", "noncurrent_version_transition_days"):
            value = getattr(self, name)
            if value < 1:
                problems.append(Problem(f"{base}.{name}", "must be at least 1 day", value))
            elif value > MAX_LIFECYCLE_DAYS:
                problems.append(Problem(f"{base}.{name}", f"is more than {MAX_LIFECYCLE_DAYS} days (100 years)", value))
        if not 1 <= self.keep_noncurrent_versions <= MAX_NEWER_NONCURRENT_VERSIONS:
            problems.append(Problem(f"{base}.keep_noncurrent_versions", f"is not a number of versions S3 keeps "
                                    f"(allowed: 1 to {MAX_NEWER_NONCURRENT_VERSIONS})", self.keep_noncurrent_versions))
        return problems


def _bucket_name_problems(path: str, name: str) -> list[Problem]:
    logs = f"{name}{_LOGS_SUFFIX}"
    if not _BUCKET_NAME.match(logs) or ".." in name or name.startswith(("xn--", "sthree-")) or re.match(r"^\d+\.\d+\.\d+\.\d+$", name):
        return [Problem(path, f"is not an S3 bucket name whose log bucket `<name>{_LOGS_SUFFIX}` is one too "
                              f"(lowercase letters, digits, '-' and '.', at most {63 - len(_LOGS_SUFFIX)} characters, "
                              "starting and ending with a letter or digit)", name)]
    return []


class StateBackendArgs(StateBackendSpec, ArgsModel):
    protect: StrictBool = Field(
        default=True,
        description="Protect the buckets and keys from deletion and replacement. Omitted: protected (losing them "
        "loses every stack's state and secrets).",
    )

    def problems(self) -> list[Problem]:
        return self.problems_at("StateBackendArgs")


# --- documents (pure) ------------------------------------------------------------------------


def state_key_policy(*, account_id: pulumi.Input[str], deployer_role_arns: tuple[str, ...]) -> _iam.Document:
    """The state and secrets key's policy: the account root administers it (kms:*), the deployer roles use it
    (DEPLOYER_KEY_ACTIONS); nobody else is named."""
    return _iam.document(
        [
            _iam.statement(sid="AllowAccountAdministration", principals={"AWS": _iam.account_root_arn(account_id)},
                           actions=["kms:*"], resources="*"),
            _iam.statement(sid="AllowDeployersToUseTheKey", principals={"AWS": list(deployer_role_arns)},
                           actions=list(DEPLOYER_KEY_ACTIONS), resources="*"),
        ]
    )


def state_bucket_policy(
    *, bucket_arn: pulumi.Input[str], key_arn: pulumi.Input[str], deployer_role_arns: tuple[str, ...],
) -> _iam.Document:
    """The state bucket's policy: the governed buckets' denials (plain HTTP, TLS < 1.2, another encryption or key)
    and the deployer roles' access: DEPLOYER_BUCKET_ACTIONS on the bucket, DEPLOYER_OBJECT_ACTIONS on its objects."""
    document = bucket_policy(STATE, bucket_arn=bucket_arn, key_arn=key_arn)
    deployers = {"AWS": list(deployer_role_arns)}
    document["Statement"] += [
        _iam.statement(sid="AllowDeployersToListTheState", principals=deployers,
                       actions=list(DEPLOYER_BUCKET_ACTIONS), resources=bucket_arn),
        _iam.statement(sid="AllowDeployersToReadAndWriteTheState", principals=deployers,
                       actions=list(DEPLOYER_OBJECT_ACTIONS), resources=pulumi.Output.concat(bucket_arn, "/*")),
    ]
    return document


# --- the component ---------------------------------------------------------------------------


class StateBackend(pulumi.ComponentResource):
    """The state bucket, its access-log bucket and their keys (see the module docstring).

    Children (suffixes are stable): `<name>-key`, `<name>-alias`, `<name>-logs-key`, `<name>-logs-alias`;
    for the buckets `state` and `access-logs`: `<name>-<bucket>` and `-encryption`, `-versioning`,
    `-public-access-block`, `-ownership`, `-policy`, `-lifecycle`; `<name>-state-logging`.
    Outputs: `bucket_name`, `login_url` (`s3://<bucket>?region=<region>`), `key_arn`, `secrets_provider`
    (`awskms://<alias>?region=<region>`).
    """

    def __init__(self, name: str, args: StateBackendArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        args = require_args("StateBackend", name, args, StateBackendArgs)
        super().__init__(TYPE_TOKEN, name, None, opts)
        account_id = _iam.caller_account_id()
        region = _iam.current_region()
        alias = args.key_alias or f"alias/{name}"
        self.key = self._key(name, "key", "Pulumi state and secrets",
                             state_key_policy(account_id=account_id, deployer_role_arns=args.deployer_role_arns),
                             alias, args)
        if args.bucket_name is not None:
            names: dict[str, dict[str, Any]] = {STATE: {"bucket": args.bucket_name},
                                                ACCESS_LOGS: {"bucket": f"{args.bucket_name}{_LOGS_SUFFIX}"}}
            log_sources = (args.bucket_name,)
        else:
            prefix = f"{name.lower()}-"[: MAX_BUCKET_PREFIX - len(ACCESS_LOGS) - 1]
            names = {STATE: {"bucket_prefix": f"{prefix}{STATE}-"}, ACCESS_LOGS: {"bucket_prefix": f"{prefix}{ACCESS_LOGS}-"}}
            log_sources = (f"{prefix}{STATE}-",)
        self.logs_key = self._key(name, "logs-key", "Pulumi state access logs",
                                  key_policy(("s3-log-delivery",), account_id=account_id, region=region,
                                             s3_log_source_bucket_prefixes=log_sources),
                                  f"{alias}-logs", args)

        self.state_bucket = self._bucket(name, STATE, names[STATE], self.key, args)
        state_policy = state_bucket_policy(bucket_arn=self.state_bucket.arn, key_arn=self.key.arn,
                                           deployer_role_arns=args.deployer_role_arns)
        self._govern(name, STATE, self.state_bucket, self.key, state_policy, args)
        self.log_bucket = self._bucket(name, ACCESS_LOGS, names[ACCESS_LOGS], self.logs_key, args)
        log_policy = bucket_policy(ACCESS_LOGS, bucket_arn=self.log_bucket.arn, key_arn=self.logs_key.arn,
                                   account_id=account_id, log_source_arns=[self.state_bucket.arn])
        log_bucket_policy = self._govern(name, ACCESS_LOGS, self.log_bucket, self.logs_key, log_policy, args)
        aws.s3.BucketLogging(
            child(name, f"{STATE}-logging"),
            bucket=self.state_bucket.id,
            target_bucket=self.log_bucket.id,
            target_prefix=f"{STATE}/",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_bucket_policy]),
        )

        self.bucket_name: pulumi.Output[str] = self.state_bucket.bucket
        self.key_arn: pulumi.Output[str] = self.key.arn
        self.login_url: pulumi.Output[str] = pulumi.Output.concat("s3://", self.state_bucket.bucket, "?region=", region)
        self.secrets_provider: pulumi.Output[str] = pulumi.Output.concat("awskms://", alias, "?region=", region)
        self.register_outputs({"bucket_name": self.bucket_name, "login_url": self.login_url, "key_arn": self.key_arn,
                               "secrets_provider": self.secrets_provider})

    def _key(self, name: str, suffix: str, description: str, policy: _iam.Document, alias: str,
             args: StateBackendArgs) -> aws.kms.Key:
        key = customer_managed_key(
            child(name, suffix), f"mlplat {name}: {description}", policy,
            deletion_window_days=args.deletion_window_days,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.kms.Alias(
            child(name, suffix.replace("key", "alias")),
            name=alias,
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return key

    def _bucket(self, name: str, role: str, naming: dict[str, Any], key: aws.kms.Key,
                args: StateBackendArgs) -> aws.s3.Bucket:
        return aws.s3.Bucket(
            child(name, role),
            **naming,
            force_destroy=False,  # the state is never deleted with the stack
            tags={BUCKET_ROLE_TAG: role},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

    def _govern(self, name: str, role: str, bucket: aws.s3.Bucket, key: aws.kms.Key, policy: _iam.Document,
                args: StateBackendArgs) -> aws.s3.BucketPolicy:
        """The bucket's settings and policy; returns the policy."""
        here = pulumi.ResourceOptions(parent=self)
        aws.s3.BucketServerSideEncryptionConfiguration(
            child(name, f"{role}-encryption"),
            bucket=bucket.id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=key.arn,
                ),
                bucket_key_enabled=True,
            )],
            opts=here,
        )
        versioning = aws.s3.BucketVersioning(
            child(name, f"{role}-versioning"),
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=here,
        )
        public_access_block = aws.s3.BucketPublicAccessBlock(
            child(name, f"{role}-public-access-block"),
            bucket=bucket.id,
            block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True,
            opts=here,
        )
        aws.s3.BucketOwnershipControls(
            child(name, f"{role}-ownership"),
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=here,
        )
        aws.s3.BucketLifecycleConfiguration(
            child(name, f"{role}-lifecycle"),
            bucket=bucket.id,
            rules=lifecycle_rules(role, args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        # S3 refuses a policy while the public access settings are changing: the block comes first.
        return aws.s3.BucketPolicy(
            child(name, f"{role}-policy"),
            bucket=bucket.id,
            policy=_iam.to_json(policy),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access_block]),
        )


def lifecycle_rules(role: str, args: StateBackendSpec) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """Abort incomplete uploads; superseded versions to STANDARD_IA, then expired (the newest kept); logs expire."""
    everything = aws.s3.BucketLifecycleConfigurationRuleFilterArgs()
    transitions = None
    if args.noncurrent_version_transition_days < args.noncurrent_version_expiration_days:
        transitions = [aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionTransitionArgs(
            noncurrent_days=args.noncurrent_version_transition_days, storage_class=NONCURRENT_STORAGE_CLASS)]
    rules = [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="abort-incomplete-multipart-uploads",
            status="Enabled",
            filter=everything,
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=args.abort_incomplete_multipart_upload_days,
            ),
        ),
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="noncurrent-versions",
            status="Enabled",
            filter=everything,
            noncurrent_version_transitions=transitions,
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=args.noncurrent_version_expiration_days,
                newer_noncurrent_versions=args.keep_noncurrent_versions if role == STATE else None,
            ),
        ),
    ]
    if role == ACCESS_LOGS:
        rules.append(aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-access-logs",
            status="Enabled",
            filter=everything,
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.access_log_expiration_days),
        ))
    return rules
