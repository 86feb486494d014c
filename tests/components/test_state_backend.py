"""The self-managed backend's bootstrap: the StateBackend component and the program in bootstrap/state-backend.

The program is planned offline as `mlplat plan` plans it and must pass the pack's prod rules; the key and bucket
policies name exactly the deployer roles of the stack file; bad settings are ConfigErrors naming the key.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mlplat.components.state_backend import (
    DEPLOYER_BUCKET_ACTIONS,
    DEPLOYER_KEY_ACTIONS,
    DEPLOYER_OBJECT_ACTIONS,
    StateBackendArgs,
)
from mlplat.core.errors import ConfigError
from mlplat.platform.bootstrap import parse_bootstrap_config
from mlplat.policies.pack_folder import PackFolder
from mlplat.tooling.cli import EXIT_CONFIG_ERROR, main
from mlplat.tooling.offline import run_stack
from mlplat.tooling.policy_runner import evaluate

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ROOT / "bootstrap" / "state-backend"
STACK = "backend"
STACK_FILE = yaml.safe_load((PROGRAM / f"Pulumi.{STACK}.yaml").read_text())["config"]
RAW = STACK_FILE["mlplat-state-backend:bootstrap"]
ACCOUNT = STACK_FILE["aws:allowedAccountIds"][0]
DEPLOYERS = RAW["backend"]["deployer_role_arns"]


@pytest.fixture(scope="module")
def plan():
    return run_stack(PROGRAM, STACK)


def _policy(plan, name: str) -> dict:
    return json.loads(plan.named(name).inputs["policy"])


def _statement(document: dict, sid: str) -> dict:
    found = [s for s in document["Statement"] if s["Sid"] == sid]
    assert len(found) == 1, (sid, [s["Sid"] for s in document["Statement"]])
    return found[0]


def test_the_bootstrap_program_passes_the_packs_prod_rules(plan):
    for report in (evaluate(plan, environment="prod", config=plan.config),
                   evaluate(plan, pack_config=PackFolder.open(ROOT / "policies").pack_config("prod"), config=plan.config)):
        assert report.environment == "prod"
        assert [(v.rule_id, v.level, v.message) for v in report.violations] == []


def test_mlplat_plan_plans_the_bootstrap_program_offline(capsys):
    assert main(["plan", "--stack", STACK, "--cwd", str(PROGRAM), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    types = [step["newState"]["type"] for step in document["steps"]]
    assert "mlplat:bootstrap:StateBackend" in types
    assert types.count("aws:s3/bucket:Bucket") == 2 and types.count("aws:kms/key:Key") == 2


def test_the_stack_tag_states_the_environment_for_the_pack(plan):
    # Without pulumi:tags the bootstrap stack states no environment, and MLP-GOV-02 (mandatory in prod) says so.
    untagged = run_stack(PROGRAM, STACK, config_overrides={"pulumi:tags": {}})
    report = evaluate(untagged, environment="prod", config=untagged.config)
    assert [v.rule_id for v in report.violations] == ["MLP-GOV-02"]


def test_the_state_key_admits_exactly_the_account_root_and_the_deployer_roles(plan):
    key = plan.named("pulumi-state-key")
    assert key.inputs["enableKeyRotation"] is True and key.protect
    assert key.inputs.get("bypassPolicyLockoutSafetyCheck", False) is False
    policy = json.loads(key.inputs["policy"])
    admin = _statement(policy, "AllowAccountAdministration")
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    use = _statement(policy, "AllowDeployersToUseTheKey")
    assert use["Principal"] == {"AWS": DEPLOYERS}
    assert use["Action"] == list(DEPLOYER_KEY_ACTIONS)
    assert len(policy["Statement"]) == 2


def test_the_logs_key_admits_only_s3_log_delivery_from_the_state_bucket(plan):
    policy = json.loads(plan.named("pulumi-state-logs-key").inputs["policy"])
    principals = [s["Principal"] for s in policy["Statement"]]
    assert principals == [{"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, {"Service": "logging.s3.amazonaws.com"}]
    delivery = _statement(policy, "AllowS3ServerAccessLogDelivery")
    assert delivery["Condition"]["ArnLike"]["aws:SourceArn"] == [f"arn:aws:s3:::{RAW['backend']['bucket_name']}*"]
    assert delivery["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT


def test_the_state_bucket_is_versioned_encrypted_private_logged_and_tls_only(plan):
    bucket = plan.named("pulumi-state-state")
    assert bucket.inputs["bucket"] == RAW["backend"]["bucket_name"] and bucket.protect
    assert not bucket.inputs.get("forceDestroy", False)
    assert plan.named("pulumi-state-state-versioning").get("versioningConfiguration.status") == "Enabled"
    rule = plan.named("pulumi-state-state-encryption").inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms", "kmsMasterKeyId": plan.named("pulumi-state-key").outputs["arn"]}
    block = plan.named("pulumi-state-state-public-access-block").inputs
    assert all(block[flag] is True for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                                 "restrictPublicBuckets"))
    logging = plan.named("pulumi-state-state-logging").inputs
    assert logging["targetBucket"] == f"{RAW['backend']['bucket_name']}-logs"
    policy = _policy(plan, "pulumi-state-state-policy")
    assert _statement(policy, "DenyInsecureTransport")["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert _statement(policy, "DenyOutdatedTls")["Condition"] == {"NumericLessThan": {"s3:TlsVersion": 1.2}}


def test_the_state_bucket_policy_grants_exactly_the_deployer_roles(plan):
    policy = _policy(plan, "pulumi-state-state-policy")
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert [s["Sid"] for s in allows] == ["AllowDeployersToListTheState", "AllowDeployersToReadAndWriteTheState"]
    arn = plan.named("pulumi-state-state").outputs["arn"]
    assert allows[0]["Principal"] == {"AWS": DEPLOYERS} and allows[0]["Action"] == list(DEPLOYER_BUCKET_ACTIONS)
    assert allows[0]["Resource"] == arn
    assert allows[1]["Principal"] == {"AWS": DEPLOYERS} and allows[1]["Action"] == list(DEPLOYER_OBJECT_ACTIONS)
    assert allows[1]["Resource"] == f"{arn}/*"
    # The log bucket admits S3 log delivery from the state bucket only.
    log_policy = _policy(plan, "pulumi-state-access-logs-policy")
    delivery = _statement(log_policy, "AllowS3ServerAccessLogDelivery")
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"]["ArnLike"]["aws:SourceArn"] == [arn]


def test_superseded_state_versions_expire_but_the_newest_are_kept(plan):
    rules = {r["id"]: r for r in plan.named("pulumi-state-state-lifecycle").inputs["rules"]}
    noncurrent = rules["noncurrent-versions"]
    assert noncurrent["noncurrentVersionExpiration"] == {"noncurrentDays": 365, "newerNoncurrentVersions": 20}
    assert noncurrent["noncurrentVersionTransitions"] == [{"noncurrentDays": 30, "storageClass": "STANDARD_IA"}]
    assert rules["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    log_rules = {r["id"]: r for r in plan.named("pulumi-state-access-logs-lifecycle").inputs["rules"]}
    assert log_rules["expire-access-logs"]["expiration"] == {"days": 731}


def test_the_outputs_are_the_login_and_secrets_provider_urls(plan):
    name = RAW["backend"]["bucket_name"]
    assert plan.outputs["login_url"] == f"s3://{name}?region=us-east-1"
    assert plan.outputs["secrets_provider"] == "awskms://alias/pulumi-state?region=us-east-1"
    assert plan.outputs["key_arn"] == plan.named("pulumi-state-key").outputs["arn"]


def test_the_budget_counts_the_backends_project_and_mails_its_owners(plan):
    budget = plan.named("pulumi-state-budget")
    assert budget.inputs["limitAmount"] == "25.00"
    assert budget.inputs["costFilters"] == [{"name": "TagKeyValue", "values": ["user:project$mlplat-state-backend"]}]
    assert {tuple(n["subscriberEmailAddresses"]) for n in budget.inputs["notifications"]} == {
        ("ml-platform-oncall@example.com",)}


def test_an_auto_named_backend_derives_its_log_source_prefix(tmp_path):
    raw = {**RAW, "backend": {k: v for k, v in RAW["backend"].items() if k != "bucket_name"}}
    plan = run_stack(PROGRAM, STACK, config_overrides={"mlplat-state-backend:bootstrap": raw})
    bucket = plan.named("pulumi-state-state")
    assert bucket.inputs["bucketPrefix"] == "pulumi-state-state-"
    assert bucket.outputs["bucket"].startswith("pulumi-state-state-")
    delivery = _statement(json.loads(plan.named("pulumi-state-logs-key").inputs["policy"]), "AllowS3ServerAccessLogDelivery")
    assert delivery["Condition"]["ArnLike"]["aws:SourceArn"] == ["arn:aws:s3:::pulumi-state-state-*"]


@pytest.mark.parametrize(
    ("change", "path", "value"),
    [
        ({"deployer_role_arns": []}, "bootstrap.backend.deployer_role_arns", "at least one role"),
        ({"deployer_role_arns": ["*"]}, "bootstrap.backend.deployer_role_arns", "'*'"),
        ({"deployer_role_arns": ["arn:aws:iam::111122223333:user/alice"]}, "bootstrap.backend.deployer_role_arns",
         "user/alice"),
        ({"deployer_role_arns": [DEPLOYERS[0], DEPLOYERS[0]]}, "bootstrap.backend.deployer_role_arns", "twice"),
        ({"bucket_name": "Acme_State"}, "bootstrap.backend.bucket_name", "Acme_State"),
        ({"bucket_name": "a" * 60}, "bootstrap.backend.bucket_name", "-logs"),
        ({"key_alias": "alias/aws/s3"}, "bootstrap.backend.key_alias", "alias/aws/s3"),
        ({"deletion_window_days": 3}, "bootstrap.backend.deletion_window_days", "3"),
        ({"noncurrent_version_transition_days": 10}, "bootstrap.backend.noncurrent_version_transition_days", "10"),
        ({"keep_noncurrent_versions": 0}, "bootstrap.backend.keep_noncurrent_versions", "0"),
    ],
)
def test_bad_backend_settings_are_config_errors_naming_the_key(change, path, value):
    raw = {**RAW, "backend": {**RAW["backend"], **change}}
    with pytest.raises(ConfigError) as error:
        parse_bootstrap_config(raw, source="Pulumi.backend.yaml")
    text = str(error.value)
    assert path in text and value in text and "Pulumi.backend.yaml" in text


def test_a_stack_tag_that_disagrees_with_the_environment_is_a_config_error():
    with pytest.raises(ConfigError, match=r"pulumi:tags\.mlplat:environment.*'staging'.*'prod'"):
        parse_bootstrap_config(RAW, stack_tags={"mlplat:environment": "staging"})


def test_component_args_check_their_fields():
    with pytest.raises(ConfigError, match=r"StateBackendArgs\.deployer_role_arns"):
        StateBackendArgs(deployer_role_arns=("arn:aws:iam::123:role/short-account",))


def test_a_bad_bootstrap_stack_file_exits_2_with_one_message(tmp_path, capsys):
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).write_text((PROGRAM / name).read_text())
    document = yaml.safe_load((PROGRAM / f"Pulumi.{STACK}.yaml").read_text())
    document["config"]["mlplat-state-backend:bootstrap"]["backend"]["deployer_role_arns"] = ["*"]
    (tmp_path / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump(document))
    assert main(["plan", "--stack", STACK, "--cwd", str(tmp_path)]) == EXIT_CONFIG_ERROR
    err = capsys.readouterr().err
    assert "bootstrap.backend.deployer_role_arns" in err and "Traceback" not in err
