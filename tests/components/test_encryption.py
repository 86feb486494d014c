"""Encryption: keys per domain, rotation, deletion window, scoped key policies, aliases."""

from __future__ import annotations

import json

import pytest

from mlplat.components.encryption import Encryption, EncryptionArgs
from mlplat.core.errors import ConfigError, WiringError
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import is_unknown

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
ACCOUNT = "123456789012"


def plan_of(args: EncryptionArgs, **options):
    return run_callable(lambda: Encryption("enc", args), **options)


def policy(plan, domain):
    return json.loads(plan.named(f"enc-{domain}-key", KEY).inputs["policy"])


def test_default_domains_each_get_a_rotating_protected_key_and_alias():
    plan = plan_of(EncryptionArgs())
    for domain in ("data", "models", "logs"):
        key = plan.named(f"enc-{domain}-key", KEY)
        assert key.inputs["enableKeyRotation"] is True, key.urn
        assert key.inputs["deletionWindowInDays"] == 30, key.urn
        assert key.inputs["keyUsage"] == "ENCRYPT_DECRYPT", key.urn
        assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT", key.urn
        assert key.inputs["bypassPolicyLockoutSafetyCheck"] is False, key.urn
        assert key.protect is True, key.urn
        alias = plan.named(f"enc-{domain}-alias", ALIAS)
        assert alias.inputs["name"] == f"alias/mlplat/enc/{domain}"
        assert alias.inputs["targetKeyId"] == key.id


def test_resource_tree_is_stable():
    plan = plan_of(EncryptionArgs())
    assert plan.tree() == sorted(
        [("urn:pulumi:test::project::mlplat:encryption:Encryption::enc", "mlplat:encryption:Encryption")]
        + [
            (f"urn:pulumi:test::project::mlplat:encryption:Encryption${t}::enc-{d}-{s}", t)
            for d in ("data", "models", "logs")
            for t, s in ((KEY, "key"), (ALIAS, "alias"))
        ]
    )


def test_data_and_models_keys_allow_only_the_account_root():
    plan = plan_of(EncryptionArgs(), region="eu-west-1", account="210987654321")
    for domain in ("data", "models"):
        assert policy(plan, domain) == {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowAccountAdministration",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }


def test_logs_key_allows_cloudwatch_logs_of_this_account_and_region_only():
    plan = plan_of(EncryptionArgs(), region="eu-west-1", account="210987654321")
    statements = {s["Sid"]: s for s in policy(plan, "logs")["Statement"]}
    assert set(statements) == {"AllowAccountAdministration", "AllowCloudWatchLogs"}
    logs = statements["AllowCloudWatchLogs"]
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:210987654321:log-group:*"}
    }


def test_logs_key_lets_s3_log_delivery_generate_data_keys_for_named_source_buckets():
    plan = plan_of(EncryptionArgs(s3_log_source_bucket_prefixes=("ml-dev-datasets-", "ml-dev-models-")))
    statements = {s["Sid"]: s for s in policy(plan, "logs")["Statement"]}
    delivery = statements["AllowS3ServerAccessLogDelivery"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "kms:GenerateDataKey*"
    assert delivery["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": ["arn:aws:s3:::ml-dev-datasets-*", "arn:aws:s3:::ml-dev-models-*"]},
    }


def test_no_key_policy_has_an_unconditioned_star_principal():
    plan = plan_of(EncryptionArgs(s3_log_source_bucket_prefixes=("x-",)))
    for domain in ("data", "models", "logs"):
        for st in policy(plan, domain)["Statement"]:
            assert st["Principal"] not in ("*", {"AWS": "*"}), st


def test_deletion_window_protection_and_alias_prefix_are_configurable():
    plan = plan_of(EncryptionArgs(domains=("data",), deletion_window_days=7, protect=False, alias_prefix="alias/ml-dev"))
    key = plan.named("enc-data-key", KEY)
    assert key.inputs["deletionWindowInDays"] == 7
    assert key.protect is False
    assert plan.named("enc-data-alias", ALIAS).inputs["name"] == "alias/ml-dev/data"
    assert [r.name for r in plan.of_type(KEY)] == ["enc-data-key"]


def test_key_arns_output_maps_domains_to_arns():
    plan = plan_of(EncryptionArgs(domains=("data", "logs")))
    component = plan.named("enc")
    assert set(component.outputs["key_arns"]) == {"data", "logs"}
    assert component.outputs["key_arns"]["data"] == plan.named("enc-data-key").outputs["arn"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"deletion_window_days": 3}, "EncryptionArgs.deletion_window_days: 3 is not a KMS deletion window (allowed: 7 to 30 days)"),
        ({"domains": ()}, "EncryptionArgs.domains: () must list at least one domain"),
        ({"domains": ("data", "data")}, "EncryptionArgs.domains: ('data', 'data') lists a domain twice"),
        ({"domains": ("Data",)}, "EncryptionArgs.domains: 'Data' is not a domain name (lowercase letters, digits, '-'; 1-31 chars)"),
        ({"alias_prefix": "alias/aws/x"}, "EncryptionArgs.alias_prefix: 'alias/aws/x' must look like alias/<name> and not start with alias/aws (reserved)"),
        (
            {"domains": ("data",), "s3_log_source_bucket_prefixes": ("a-",)},
            "EncryptionArgs.s3_log_source_bucket_prefixes: ('a-',) needs a `logs` domain to apply to",
        ),
        ({"domain": ("data",)}, "EncryptionArgs.domain: is not a known key"),
    ],
)
def test_bad_args_name_the_field_the_value_and_what_is_allowed(kwargs, message):
    with pytest.raises(ConfigError) as excinfo:
        EncryptionArgs(**kwargs)
    assert any(line.strip().startswith(message) for line in str(excinfo.value).splitlines()), str(excinfo.value)


def test_missing_domain_lookup_is_a_wiring_error():
    holder = {}

    def program():
        holder["enc"] = Encryption("enc", EncryptionArgs(domains=("data",)))

    run_callable(program)
    with pytest.raises(WiringError) as info:
        holder["enc"].key("models")
    assert str(info.value) == (
        "Encryption 'enc'.key: domain 'models' is not a domain of this Encryption (add it to EncryptionArgs.domains) "
        "(allowed: data)"
    )


def test_preview_plans_without_known_outputs():
    plan = plan_of(EncryptionArgs(), preview=True)
    assert len(plan.of_type(KEY)) == 3
    aliases = plan.of_type("aws:kms/alias:Alias")
    assert aliases and all(is_unknown(alias.inputs["targetKeyId"]) for alias in aliases)


def test_domains_opt_into_named_key_users():
    args = EncryptionArgs(
        domains=("data", "logs", "alerts", "cluster-train"),
        key_users={"logs": ("cloudwatch-logs",), "alerts": ("sns-alarm-publishers",), "cluster-train": ("autoscaling-volumes",)},
    )
    plan = plan_of(args)
    alerts = {s["Sid"]: s for s in policy(plan, "alerts")["Statement"]}
    assert alerts["AllowAlarmPublishersToEncryptedTopics"]["Principal"] == {"Service": ["budgets.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com"]}
    assert alerts["AllowAlarmPublishersToEncryptedTopics"]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    cluster = {s["Sid"]: s for s in policy(plan, "cluster-train")["Statement"]}
    role = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    assert cluster["AllowAutoScalingVolumeEncryption"]["Principal"] == {"AWS": role}
    assert cluster["AllowAutoScalingGrantsForVolumes"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": True}}
    assert [s["Sid"] for s in policy(plan, "data")["Statement"]] == ["AllowAccountAdministration"]


def test_key_users_must_name_declared_domains_and_known_users():
    with pytest.raises(ConfigError, match=r"EncryptionArgs.key_users: 'alerts' names a domain that is not in domains"):
        EncryptionArgs(key_users={"alerts": ("sns-alarm-publishers",)})
    with pytest.raises(ConfigError, match=r"EncryptionArgs.key_users.logs.0: 'everyone' is not allowed"):
        EncryptionArgs(key_users={"logs": ("everyone",)})
