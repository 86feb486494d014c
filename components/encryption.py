"""Encryption: one customer-managed KMS key per data domain, rotated, with scoped key policies.

Each key policy allows the account root (so IAM policies can grant use of the key, as AWS's
default policy does) and exactly the service principals that use that domain's key, each
scoped by source conditions:

- `logs`: CloudWatch Logs (`logs.<region>.amazonaws.com`, only for log groups of this account
  and region, via the `kms:EncryptionContext:aws:logs:arn` condition) and S3 server access-log
  delivery (`logging.s3.amazonaws.com`, only from this account's buckets whose names start with
  the given prefixes: access logs carry no encryption header, so the delivery principal itself
  must be able to generate data keys);
- `data`, `models` and other domains: no service principal by default. S3 and SageMaker use
  these keys with the caller's own permissions, which grants (`ArtifactStore.grant_read`, ...)
  give with a `kms:ViaService` condition.

Other domains opt into further key users by name (`key_users={"alerts": ("sns-alarm-publishers",)}`):
each name maps to one statement in `KEY_USERS`, with the source conditions AWS supports for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Literal, Optional

import pulumi
import pulumi_aws as aws
from pydantic import Field

from . import _iam
from ._wiring import lookup, require_args
from mlplat.core.naming import child
from mlplat.core.models import ArgsModel, Spec, StrictBool, StrictInt
from mlplat.core.errors import Problem

__all__ = [
    "CROSS_ACCOUNT_KEY_ACTIONS",
    "cross_account_decrypt",
    "DEFAULT_DOMAINS",
    "customer_managed_key",
    "Encryption",
    "EncryptionArgs",
    "EncryptionSpec",
    "key_policy",
    "KEY_USERS",
    "KeyPolicyContext",
    "KeyUser",
]

DEFAULT_DOMAINS: tuple[str, ...] = ("data", "models", "logs")
CrossAccountService = Literal["s3", "ecr"]
KeyUser = Literal["cloudwatch-logs", "s3-log-delivery", "sns-alarm-publishers", "autoscaling-volumes", "eventbridge-to-sqs"]
_DOMAIN = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_ALIAS_PREFIX = re.compile(r"^alias/[a-zA-Z0-9/_-]+$")


MIN_DELETION_WINDOW_DAYS, MAX_DELETION_WINDOW_DAYS = 7, 30  # KMS ScheduleKeyDeletion's bounds


class EncryptionSpec(Spec):
    """The keys' settings (data only; the stack config's `encryption`)."""

    deletion_window_days: StrictInt = Field(
        default=MAX_DELETION_WINDOW_DAYS,
        description=f"Days a deleted key waits before destruction, {MIN_DELETION_WINDOW_DAYS} to "
        f"{MAX_DELETION_WINDOW_DAYS}. Omitted: {MAX_DELETION_WINDOW_DAYS} (the maximum).",
        json_schema_extra={"minimum": MIN_DELETION_WINDOW_DAYS, "maximum": MAX_DELETION_WINDOW_DAYS},
    )

    def problems_at(self, base: str) -> list[Problem]:
        days = self.deletion_window_days
        if not MIN_DELETION_WINDOW_DAYS <= days <= MAX_DELETION_WINDOW_DAYS:
            return [Problem(f"{base}.deletion_window_days", f"is not a KMS deletion window (allowed: "
                            f"{MIN_DELETION_WINDOW_DAYS} to {MAX_DELETION_WINDOW_DAYS} days)", days)]
        return []


class EncryptionArgs(EncryptionSpec, ArgsModel):
    domains: tuple[str, ...] = Field(
        default=DEFAULT_DOMAINS,
        description="One key per domain. Omitted: data, models and logs.",
    )
    alias_prefix: Optional[str] = Field(
        default=None,
        description="Aliases are `<alias_prefix>/<domain>`. Omitted: `alias/mlplat/<component name>`.",
    )
    s3_log_source_bucket_prefixes: tuple[str, ...] = Field(
        default=(),
        description="Name prefixes of the buckets whose access logs the logs key encrypts. "
        "Omitted: S3 log delivery may not use the logs key (access-log buckets then cannot use it).",
    )
    key_users: dict[str, tuple[KeyUser, ...]] = Field(
        default_factory=lambda: {"logs": ("cloudwatch-logs",)},
        description="Service principals each domain's key admits, by name (see KEY_USERS). "
        "Omitted: CloudWatch Logs on the logs key; S3 log delivery is added there when "
        "`s3_log_source_bucket_prefixes` is set.",
    )
    protect: StrictBool = Field(default=True, description="Protect keys from deletion. Omitted: protected.")
    cross_account_readers: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Domain -> AWS accounts (12 digits) whose principals may decrypt with that domain's key through "
        "S3 and ECR only (kms:Decrypt, kms:DescribeKey with kms:ViaService s3/ecr.<region>.amazonaws.com): the "
        "accounts that read the registry's model artifacts and images. Omitted: no other account.",
    )
    cross_account_services: tuple[CrossAccountService, ...] = Field(
        default=("s3", "ecr"),
        description="The services through which `cross_account_readers` may decrypt (kms:ViaService): a key that "
        "encrypts ECR repositories only (a registry's own models key) admits ECR alone. Omitted: S3 and ECR.",
    )

    def users_of(self, domain: str) -> tuple[KeyUser, ...]:
        users = tuple(self.key_users.get(domain, ()))
        if domain == "logs" and self.s3_log_source_bucket_prefixes and "s3-log-delivery" not in users:
            users += ("s3-log-delivery",)
        return users

    def problems(self) -> list[Problem]:
        problems = self.problems_at("EncryptionArgs")
        for domain in self.key_users if "key_users" in self.model_fields_set else ():
            if domain not in self.domains:
                problems.append(Problem("EncryptionArgs.key_users", f"names a domain that is not in domains ({', '.join(self.domains)})", domain))
        if not self.domains:
            problems.append(Problem("EncryptionArgs.domains", "must list at least one domain", self.domains))
        for domain in self.domains:
            if not _DOMAIN.match(domain):
                problems.append(
                    Problem("EncryptionArgs.domains", "is not a domain name (lowercase letters, digits, '-'; 1-31 chars)", domain)
                )
        if len(set(self.domains)) != len(self.domains):
            problems.append(Problem("EncryptionArgs.domains", "lists a domain twice", self.domains))
        for domain, accounts in self.cross_account_readers.items():
            if domain not in self.domains:
                problems.append(Problem("EncryptionArgs.cross_account_readers", f"names a domain that is not in domains "
                                        f"({', '.join(self.domains)})", domain))
            for account in accounts:
                if not re.match(r"^\d{12}$", str(account)):
                    problems.append(Problem(f"EncryptionArgs.cross_account_readers.{domain}", "is not an AWS account id "
                                            "(12 digits; '*' and ARNs are refused)", account))
        if not self.cross_account_services or len(set(self.cross_account_services)) != len(self.cross_account_services):
            problems.append(Problem("EncryptionArgs.cross_account_services", "must list s3 and/or ecr, each once",
                                    self.cross_account_services))
        if self.s3_log_source_bucket_prefixes and "logs" not in self.domains:
            problems.append(
                Problem("EncryptionArgs.s3_log_source_bucket_prefixes", "needs a `logs` domain to apply to", self.s3_log_source_bucket_prefixes)
            )
        if self.alias_prefix is not None and (not _ALIAS_PREFIX.match(self.alias_prefix) or self.alias_prefix.startswith("alias/aws")):
            problems.append(
                Problem("EncryptionArgs.alias_prefix", "must look like alias/<name> and not start with alias/aws (reserved)", self.alias_prefix)
            )
        return problems


@dataclass(frozen=True)
class KeyPolicyContext:
    account_id: pulumi.Input[str]
    region: pulumi.Input[str]
    s3_log_source_bucket_prefixes: tuple[str, ...] = ()


def _cloudwatch_logs(ctx: KeyPolicyContext) -> _iam.Statement:
    # Only this account's log groups in this region (the encryption context names the log group).
    return _iam.statement(
        sid="AllowCloudWatchLogs",
        principals=_iam.service(pulumi.Output.concat("logs.", ctx.region, ".amazonaws.com")),
        actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        resources="*",
        conditions={
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": pulumi.Output.concat(
                    "arn:aws:logs:", ctx.region, ":", ctx.account_id, ":log-group:*"
                )
            }
        },
    )


def _s3_log_delivery(ctx: KeyPolicyContext) -> _iam.Statement:
    # Access logs carry no encryption header: the delivery principal itself generates data keys.
    return _iam.statement(
        sid="AllowS3ServerAccessLogDelivery",
        principals=_iam.service("logging.s3.amazonaws.com"),
        actions=["kms:GenerateDataKey*"],
        resources="*",
        conditions={
            "StringEquals": {"aws:SourceAccount": ctx.account_id},
            "ArnLike": {"aws:SourceArn": [f"arn:aws:s3:::{p}*" for p in ctx.s3_log_source_bucket_prefixes]},
        },
    )


def _sns_alarm_publishers(ctx: KeyPolicyContext) -> _iam.Statement:
    # CloudWatch alarms, EventBridge rules and AWS Budgets publishing to an encrypted SNS topic of this account.
    return _iam.statement(
        sid="AllowAlarmPublishersToEncryptedTopics",
        principals={"Service": ["budgets.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com"]},
        actions=["kms:GenerateDataKey*", "kms:Decrypt"],
        resources="*",
        conditions={"StringEquals": {"aws:SourceAccount": ctx.account_id}},
    )


def _autoscaling_volumes(ctx: KeyPolicyContext) -> list[_iam.Statement]:
    # EC2 Auto Scaling launches node groups' encrypted volumes through its service-linked role.
    role = pulumi.Output.concat(
        "arn:aws:iam::", ctx.account_id, ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    return [
        _iam.statement(
            sid="AllowAutoScalingVolumeEncryption",
            principals={"AWS": role},
            actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            resources="*",
        ),
        _iam.statement(
            sid="AllowAutoScalingGrantsForVolumes",
            principals={"AWS": role},
            actions=["kms:CreateGrant"],
            resources="*",
            conditions={"Bool": {"kms:GrantIsForAWSResource": True}},
        ),
    ]


def _eventbridge_to_sqs(ctx: KeyPolicyContext) -> _iam.Statement:
    # EventBridge rules of this account delivering to an SQS queue encrypted with the key (Karpenter's interruptions).
    return _iam.statement(
        sid="AllowEventBridgeToEncryptedQueues",
        principals=_iam.service("events.amazonaws.com"),
        actions=["kms:GenerateDataKey*", "kms:Decrypt"],
        resources="*",
        conditions={"StringEquals": {"aws:SourceAccount": ctx.account_id}},
    )


KEY_USERS: dict[str, Callable[[KeyPolicyContext], Any]] = {
    "cloudwatch-logs": _cloudwatch_logs,
    "s3-log-delivery": _s3_log_delivery,
    "sns-alarm-publishers": _sns_alarm_publishers,
    "autoscaling-volumes": _autoscaling_volumes,
    "eventbridge-to-sqs": _eventbridge_to_sqs,
}


def key_policy(
    users: tuple[str, ...],
    *,
    account_id: pulumi.Input[str],
    region: pulumi.Input[str],
    s3_log_source_bucket_prefixes: tuple[str, ...] = (),
    reader_accounts: tuple[str, ...] = (),
    reader_services: tuple[str, ...] = ("s3", "ecr"),
) -> _iam.Document:
    """A key's policy: the account root (so IAM policies can grant use), the named key users, and the
    `reader_accounts` (statement `AllowCrossAccountDecryptThroughS3AndEcr`: their roots, kms:Decrypt and
    kms:DescribeKey, only with kms:ViaService s3.<region> or ecr.<region>.amazonaws.com; `reader_services` narrows
    the services, e.g. to ECR alone: statement `AllowCrossAccountDecryptThroughEcr`)."""
    ctx = KeyPolicyContext(account_id, region, s3_log_source_bucket_prefixes)
    statements: list[_iam.Statement] = [
        _iam.statement(
            sid="AllowAccountAdministration",
            principals={"AWS": _iam.account_root_arn(account_id)},
            actions=["kms:*"],
            resources="*",
        )
    ]
    for user in users:
        made = KEY_USERS[user](ctx)
        statements.extend(made if isinstance(made, list) else [made])
    if reader_accounts:
        statements.append(cross_account_decrypt(reader_accounts, region, services=reader_services))
    return _iam.document(statements)


CROSS_ACCOUNT_KEY_ACTIONS: tuple[str, ...] = ("kms:Decrypt", "kms:DescribeKey")


def cross_account_decrypt(accounts: tuple[str, ...], region: pulumi.Input[str], *,
                          services: tuple[str, ...] = ("s3", "ecr")) -> _iam.Statement:
    """Other accounts decrypt what the given services (S3 and ECR by default) hold under this key (model artifacts
    and images), nothing else. The statement id names the services (`AllowCrossAccountDecryptThroughS3AndEcr`)."""
    names = {"s3": "S3", "ecr": "Ecr"}
    return _iam.statement(
        sid="AllowCrossAccountDecryptThrough" + "And".join(names[s] for s in services),
        principals={"AWS": [f"arn:aws:iam::{account}:root" for account in accounts]},
        actions=list(CROSS_ACCOUNT_KEY_ACTIONS),
        resources="*",
        conditions={"StringEquals": {"kms:ViaService": [pulumi.Output.concat(s, ".", region, ".amazonaws.com")
                                                        for s in services]}},
    )


def customer_managed_key(resource_name: str, description: str, policy: _iam.Document, *, deletion_window_days: int,
                         opts: pulumi.ResourceOptions, tags: Optional[dict[str, str]] = None) -> aws.kms.Key:
    """A symmetric key with the settings every mlplat key shares: rotation on, the given policy, and KMS's
    lockout safety check kept (a policy that locks out its own account is refused)."""
    return aws.kms.Key(
        resource_name,
        description=description,
        key_usage="ENCRYPT_DECRYPT",
        customer_master_key_spec="SYMMETRIC_DEFAULT",
        enable_key_rotation=True,
        deletion_window_in_days=deletion_window_days,
        bypass_policy_lockout_safety_check=False,
        policy=_iam.to_json(policy),
        tags=tags,
        opts=opts,
    )


class Encryption(pulumi.ComponentResource):
    """Customer-managed KMS keys per data domain, with aliases.

    Children (suffixes are stable): `<name>-<domain>-key`, `<name>-<domain>-alias`.
    Deleting the component schedules each key for deletion after `deletion_window_days`; keys
    are protected unless `protect=False`.
    """

    keys: dict[str, aws.kms.Key]
    aliases: dict[str, aws.kms.Alias]

    def __init__(self, name: str, args: EncryptionArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        args = require_args("Encryption", name, args, EncryptionArgs)
        super().__init__("mlplat:encryption:Encryption", name, None, opts)
        account_id = _iam.caller_account_id()
        region = _iam.current_region()
        alias_prefix = args.alias_prefix or f"alias/mlplat/{name}"
        # Consumers check this: an access-log bucket is useless unless the logs key admits its sources.
        self.s3_log_source_bucket_prefixes = args.s3_log_source_bucket_prefixes
        self.keys = {}
        self.aliases = {}
        for domain in args.domains:
            policy = key_policy(
                args.users_of(domain), account_id=account_id, region=region,
                s3_log_source_bucket_prefixes=args.s3_log_source_bucket_prefixes,
                reader_accounts=tuple(args.cross_account_readers.get(domain, ())),
                reader_services=args.cross_account_services,
            )
            key = customer_managed_key(
                child(name, f"{domain}-key"), f"mlplat {name}: {domain} domain", policy,
                deletion_window_days=args.deletion_window_days, tags={"mlplat:key-domain": domain},
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            self.keys[domain] = key
            self.aliases[domain] = aws.kms.Alias(
                child(name, f"{domain}-alias"),
                name=f"{alias_prefix}/{domain}",
                target_key_id=key.key_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.key_arns: pulumi.Output[dict[str, str]] = pulumi.Output.all(
            **{domain: key.arn for domain, key in self.keys.items()}
        )
        self.register_outputs({"key_arns": self.key_arns})

    def key(self, domain: str) -> aws.kms.Key:
        """The key of `domain`; WiringError naming the domains there are when it is missing."""
        return lookup(self.keys, domain, where=f"Encryption {self._name!r}.key", argument="domain",
                      noun="a domain of this Encryption (add it to EncryptionArgs.domains)")
