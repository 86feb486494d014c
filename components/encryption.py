"""Encryption: one customer-managed KMS key per data domain, rotated, with scoped key policies.

Each key policy allows the account root (so IAM policies can grant use of the key, as AWS's
default policy does) and exactly the service principals that use that domain's key, each
scoped by source conditions:

- `logs`: CloudWatch Logs (`logs.<region>.amazonaws.com`, only for log groups of this account
  and region, via the `kms:EncryptionContext:aws:logs:arn` condition) and S3 server access-log
  delivery (`logging.s3.amazonaws.com`, only from this account's buckets whose names start with
  the given prefixes: access logs carry no encryption header, so the delivery principal itself
  must be able to generate data keys);
- `data`, `models` and other domains: no service principal. S3 and SageMaker use these keys
  with the caller's own permissions, which grants (`ArtifactStore.grant_read`, ...) give with a
  `kms:ViaService` condition.
"""

from __future__ import annotations

import re
from typing import Any, Optional

import pulumi
import pulumi_aws as aws
from pydantic import Field

from . import _iam
from ._naming import child
from .config import ArgsModel
from .errors import Problem, WiringError

DEFAULT_DOMAINS: tuple[str, ...] = ("data", "models", "logs")
_DOMAIN = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_ALIAS_PREFIX = re.compile(r"^alias/[a-zA-Z0-9/_-]+$")


class EncryptionArgs(ArgsModel):
    domains: tuple[str, ...] = Field(
        default=DEFAULT_DOMAINS,
        description="One key per domain. Omitted: data, models and logs.",
    )
    deletion_window_days: int = Field(
        default=30, ge=7, le=30,
        description="Days a deleted key waits before destruction. Omitted: 30 (the maximum).",
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
    protect: bool = Field(default=True, description="Protect keys from deletion. Omitted: protected.")

    def problems(self) -> list[Problem]:
        problems = []
        if not self.domains:
            problems.append(Problem("EncryptionArgs.domains", "must list at least one domain", self.domains))
        for domain in self.domains:
            if not _DOMAIN.match(domain):
                problems.append(
                    Problem("EncryptionArgs.domains", "is not a domain name (lowercase letters, digits, '-'; 1-31 chars)", domain)
                )
        if len(set(self.domains)) != len(self.domains):
            problems.append(Problem("EncryptionArgs.domains", "lists a domain twice", self.domains))
        if self.s3_log_source_bucket_prefixes and "logs" not in self.domains:
            problems.append(
                Problem("EncryptionArgs.s3_log_source_bucket_prefixes", "needs a `logs` domain to apply to", self.s3_log_source_bucket_prefixes)
            )
        if self.alias_prefix is not None and (not _ALIAS_PREFIX.match(self.alias_prefix) or self.alias_prefix.startswith("alias/aws")):
            problems.append(
                Problem("EncryptionArgs.alias_prefix", "must look like alias/<name> and not start with alias/aws (reserved)", self.alias_prefix)
            )
        return problems


def key_policy(
    domain: str,
    *,
    account_id: pulumi.Input[str],
    region: pulumi.Input[str],
    s3_log_source_bucket_prefixes: tuple[str, ...] = (),
) -> _iam.Document:
    """The key policy of one domain's key (pure: shared by the component, its tests and docs)."""
    statements: list[dict[str, Any]] = [
        _iam.statement(
            sid="AllowAccountAdministration",
            principals={"AWS": _iam.account_root_arn(account_id)},
            actions=["kms:*"],
            resources="*",
        )
    ]
    if domain == "logs":
        statements.append(
            _iam.statement(
                sid="AllowCloudWatchLogs",
                principals=_iam.service(pulumi.Output.concat("logs.", region, ".amazonaws.com")),
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources="*",
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": pulumi.Output.concat(
                            "arn:aws:logs:", region, ":", account_id, ":log-group:*"
                        )
                    }
                },
            )
        )
        if s3_log_source_bucket_prefixes:
            statements.append(
                _iam.statement(
                    sid="AllowS3ServerAccessLogDelivery",
                    principals=_iam.service("logging.s3.amazonaws.com"),
                    actions=["kms:GenerateDataKey*"],
                    resources="*",
                    conditions={
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {"aws:SourceArn": [f"arn:aws:s3:::{p}*" for p in s3_log_source_bucket_prefixes]},
                    },
                )
            )
    return _iam.document(statements)


class Encryption(pulumi.ComponentResource):
    """Customer-managed KMS keys per data domain, with aliases.

    Children (suffixes are stable): `<name>-<domain>-key`, `<name>-<domain>-alias`.
    Deleting the component schedules each key for deletion after `deletion_window_days`; keys
    are protected unless `protect=False`.
    """

    keys: dict[str, aws.kms.Key]
    aliases: dict[str, aws.kms.Alias]

    def __init__(self, name: str, args: EncryptionArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
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
                domain, account_id=account_id, region=region,
                s3_log_source_bucket_prefixes=args.s3_log_source_bucket_prefixes,
            )
            key = aws.kms.Key(
                child(name, f"{domain}-key"),
                description=f"mlplat {name}: {domain} domain",
                key_usage="ENCRYPT_DECRYPT",
                customer_master_key_spec="SYMMETRIC_DEFAULT",
                enable_key_rotation=True,
                deletion_window_in_days=args.deletion_window_days,
                bypass_policy_lockout_safety_check=False,
                policy=_iam.to_json(policy),
                tags={"mlplat:key-domain": domain},
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
        try:
            return self.keys[domain]
        except KeyError:
            raise WiringError(
                f"Encryption {self._name!r} has no {domain!r} key (domains: {', '.join(self.keys)}); "
                f"add it to EncryptionArgs.domains"
            ) from None
