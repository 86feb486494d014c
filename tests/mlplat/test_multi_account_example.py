"""examples/multi-account: prod as layer stacks over two accounts of an account map, planned offline with
`mlplat plan --env prod`: no contract error, every resource in the account the map gives its stack, the
workload account's pipeline registering into the shared-services account's group (pending approval), and the
serving layer's endpoint deploying the latest Approved package of that group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mlplat.tooling.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "multi-account"
SHARED, PROD = "555566667777", "444455556666"
EXPECTED_ACCOUNT = {"prod-foundation": PROD, "prod-ml-services-registry": SHARED, "prod-ml-services": PROD,
                    "prod-serving-growth": PROD}
GROUP_ARN = f"arn:aws:sagemaker:us-east-1:{SHARED}:model-package-group/mlplat-prod-churn"
PACKAGES_ARN = f"arn:aws:sagemaker:us-east-1:{SHARED}:model-package/mlplat-prod-churn/*"


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("multi-account")
    assert main(["plan", "--env", "prod", "--cwd", str(EXAMPLE), "--out-dir", str(out), "--out",
                 str(out / "report.txt")]) == 0, (out / "report.txt").read_text()
    return {stack: json.loads((out / f"{stack}.json").read_text()) for stack in EXPECTED_ACCOUNT}


def test_the_example_keeps_its_account_map_in_its_own_project_file():
    project = yaml.safe_load((EXAMPLE / "Pulumi.yaml").read_text())
    accounts = project["config"]["ml-platform:accounts"]["value"]
    assert accounts["shared_services_stacks"] == ["prod-ml-services-registry"] and accounts["shared_services"] == SHARED
    # The reference project has no map: the example is where one is shown.
    assert "config" not in yaml.safe_load((ROOT / "Pulumi.yaml").read_text())


def test_every_layer_plans_without_contract_errors_or_mandatory_violations(planned):
    for stack, document in planned.items():
        assert not [d for d in document["diagnostics"] if "grant the shared-services account nothing" in d["message"]]
        assert document["contractErrors"] == [], stack
        assert [v for v in document["policyViolations"] if v["enforcementLevel"] == "mandatory"] == [], stack


def test_every_resource_is_in_the_account_the_map_gives_its_stack(planned):
    for stack, document in planned.items():
        aws_urns = {s["urn"] for s in document["steps"] if s["newState"]["type"].startswith("aws:")
                    and s["newState"].get("custom", True)}
        assert aws_urns and set(document["accounts"]) == aws_urns, stack
        assert set(document["accounts"].values()) == {EXPECTED_ACCOUNT[stack]}, stack


def test_the_endpoint_deploys_the_shared_accounts_latest_approved_package(planned):
    steps = {s["urn"].rsplit("::", 1)[-1]: s["newState"] for s in planned["prod-serving-growth"]["steps"]}
    model = steps["churn-model"]
    # Version 3 is newer but pending review: version 2 is the newest Approved package of the snapshot.
    assert model["inputs"]["primaryContainer"]["modelPackageName"] == (
        f"arn:aws:sagemaker:us-east-1:{SHARED}:model-package/mlplat-prod-churn/2")
    registry = {s["urn"].rsplit("::", 1)[-1]: s["newState"] for s in planned["prod-ml-services-registry"]["steps"]}
    group_policy = json.loads(registry["platform-registry-churn-group-policy"]["inputs"]["resourcePolicy"])
    assert {json.dumps(s["Principal"]) for s in group_policy["Statement"]} == {
        json.dumps({"AWS": [f"arn:aws:iam::{PROD}:root"]})}


def test_prods_churn_pipeline_may_register_into_the_shared_group_pending_approval_and_nothing_more(planned):
    registry = _declared(planned["prod-ml-services-registry"])
    statements = {s["Sid"]: s for s in json.loads(
        registry["platform-registry-churn-group-policy"]["inputs"]["resourcePolicy"])["Statement"]}
    assert statements["PipelineAccountsRegisterPackages"] == {
        "Sid": "PipelineAccountsRegisterPackages", "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{PROD}:root"]},
        "Action": "sagemaker:CreateModelPackage",
        "Resource": [GROUP_ARN, PACKAGES_ARN],
        # Only prod's roles tagged with the family (its pipeline role), and never an approved package.
        "Condition": {"StringEquals": {"aws:PrincipalTag/mlplat:model-family": "churn",
                                       "sagemaker:ModelApprovalStatus": "PendingManualApproval"}},
    }
    # Reading stays read-only: no other statement lets prod write.
    assert {sid: s["Action"] for sid, s in statements.items() if sid != "PipelineAccountsRegisterPackages"} == {
        "ConsumerAccountsDescribeGroup": "sagemaker:DescribeModelPackageGroup",
        "ConsumerAccountsReadPackages": ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"]}


def test_the_pipeline_runs_in_prods_account_and_registers_into_the_shared_group_by_its_arn(planned):
    pipelines = _declared(planned["prod-ml-services"])
    definition = json.loads(pipelines["platform-churn-pipeline-pipeline"]["inputs"]["pipelineDefinition"])
    condition = next(step for step in definition["Steps"] if step["Type"] == "Condition")
    [register] = [step for step in condition["Arguments"]["IfSteps"] if step["Type"] == "RegisterModel"]
    # CreateModelPackage names a group of another account by its ARN (its ModelPackageGroupName is ArnOrName).
    assert register["Arguments"]["ModelPackageGroupName"] == GROUP_ARN
    assert register["Arguments"]["InferenceSpecification"]["Containers"][0]["Image"]["Std:Join"]["Values"][0] == (
        f"{SHARED}.dkr.ecr.us-east-1.amazonaws.com/mlplat-prod-churn-serving")
    role = pipelines["platform-churn-pipeline-role"]
    assert role["inputs"]["tags"]["mlplat:model-family"] == "churn"  # what the group policy's condition reads
    statements = {s["Sid"]: s for s in json.loads(
        pipelines["platform-churn-pipeline-role-policy"]["inputs"]["policy"])["Statement"]}
    assert statements["RegisterModelPackages"]["Resource"] == [GROUP_ARN, PACKAGES_ARN]
    assert statements["RegisterModelPackages"]["Condition"] == {
        "StringEquals": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}}
    assert PACKAGES_ARN in statements["TagOnCreate"]["Resource"]
    assert statements["PullImages"]["Resource"] == [
        f"arn:aws:ecr:us-east-1:{SHARED}:repository/mlplat-prod-churn-training",
        f"arn:aws:ecr:us-east-1:{SHARED}:repository/mlplat-prod-churn-serving"]
    # The jobs read and write prod's buckets and write to the foundation's job log groups (prod's account).
    [models] = statements["ReadWriteModels"]["Resource"]
    assert models.startswith("arn:aws:s3:::mlplat-prod-models-") and models.endswith("/churn/pipeline/*")
    assert all(f":{PROD}:log-group:" in arn for arn in statements["WriteJobLogs"]["Resource"])
    # It declares no registry: the families are prod-ml-services-registry's, read through its contract.
    assert not [s for s in pipelines.values() if s["type"].startswith(("aws:sagemaker/modelPackageGroup", "aws:ecr/"))]
    # The tracking server of prod is there too: the registry stack in shared services could not hold it.
    assert [s["type"] for s in pipelines.values() if s["type"].startswith("aws:sagemaker/mlflow")] == [
        "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer"]


def test_the_drift_loop_retrains_the_pipeline_of_prods_ml_services_read_through_its_contract(planned):
    serving = _declared(planned["prod-serving-growth"])
    pipeline = f"arn:aws:sagemaker:us-east-1:{PROD}:pipeline/mlplat-prod-churn-training"
    assert _declared(planned["prod-ml-services"])["platform-churn-pipeline-pipeline"]["outputs"]["arn"] == pipeline
    policies = [json.loads(s["inputs"]["policy"]) for s in serving.values() if s["type"] == "aws:iam/rolePolicy:RolePolicy"
                and "StartPipelineExecution" in s["inputs"]["policy"]]
    assert [st["Resource"] for p in policies for st in p["Statement"]
            if "sagemaker:StartPipelineExecution" in st["Action"]] == [pipeline]
    references = sorted(s["inputs"]["name"] for s in serving.values() if s["type"] == "pulumi:pulumi:StackReference")
    assert references == ["prod-foundation", "prod-ml-services", "prod-ml-services-registry"]


def _declared(document: dict) -> dict[str, dict]:
    return {s["urn"].rsplit("::", 1)[-1]: s["newState"] for s in document["steps"]}


def test_the_registry_encrypts_its_repositories_with_its_own_key_which_prod_decrypts_through_ecr_only(planned):
    registry = _declared(planned["prod-ml-services-registry"])
    key = registry["platform-encryption-models-key"]
    assert key["outputs"]["arn"].split(":")[4] == SHARED
    statements = {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}
    assert set(statements) == {"AllowAccountAdministration", "AllowCrossAccountDecryptThroughEcr"}
    assert statements["AllowAccountAdministration"]["Principal"] == {"AWS": f"arn:aws:iam::{SHARED}:root"}
    reader = statements["AllowCrossAccountDecryptThroughEcr"]
    assert reader["Principal"] == {"AWS": [f"arn:aws:iam::{PROD}:root"]}
    assert reader["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    assert reader["Condition"] == {"StringEquals": {"kms:ViaService": ["ecr.us-east-1.amazonaws.com"]}}
    repositories = [s for s in registry.values() if s["type"] == "aws:ecr/repository:Repository"]
    assert len(repositories) == 2  # churn's serving and training images
    for repository in repositories:
        assert [c["kmsKey"] for c in repository["inputs"]["encryptionConfigurations"]] == [key["outputs"]["arn"]]
    # The foundation's models key (prod's account) still admits no other account through S3 or ECR: the registry's
    # repositories no longer use it, and its bucket's readers are the later environments' (none after prod).
    foundation = _declared(planned["prod-foundation"])
    foundation_statements = json.loads(foundation["platform-encryption-models-key"]["inputs"]["policy"])["Statement"]
    assert [s["Sid"] for s in foundation_statements] == ["AllowAccountAdministration"]


def test_the_approvals_and_the_dead_letter_alarm_notify_the_registrys_own_topic_in_shared_services(planned):
    registry = _declared(planned["prod-ml-services-registry"])
    alerts_key = registry["platform-encryption-alerts-key"]["outputs"]["arn"]
    topic = registry["platform-alarms-topic"]
    assert alerts_key.split(":")[4] == SHARED and topic["outputs"]["arn"].split(":")[4] == SHARED
    assert topic["inputs"]["kmsMasterKeyId"] == alerts_key
    assert registry["platform-registry-churn-deploy-dlq"]["inputs"]["kmsMasterKeyId"] == alerts_key
    assert registry["platform-registry-churn-deploy-dlq-alarm"]["inputs"]["alarmActions"] == [topic["outputs"]["arn"]]
    assert registry["platform-registry-churn-approved-notify"]["inputs"]["arn"] == topic["outputs"]["arn"]
    alerts = {s["Sid"] for s in json.loads(registry["platform-encryption-alerts-key"]["inputs"]["policy"])["Statement"]}
    assert alerts == {"AllowAccountAdministration", "AllowAlarmPublishersToEncryptedTopics"}
    subscriptions = [s["inputs"]["endpoint"] for s in registry.values()
                     if s["type"] == "aws:sns/topicSubscription:TopicSubscription"]
    assert subscriptions == ["ml-platform-oncall@example.com"]
    # Nothing of the registry stack needs the foundation's network, buckets or keys: no pipeline, no tracking server.
    assert not [s for s in registry.values() if s["type"].startswith(("aws:sagemaker/pipeline", "aws:sagemaker/mlflow"))]


def test_prods_ml_services_references_the_foundation_and_the_registry_it_registers_into():
    from mlplat.tooling.multistack import environment_layers
    from mlplat.tooling.stackfile import load_project

    layers = {entry.stack: entry for entry in environment_layers(load_project(EXAMPLE), "prod")}
    assert layers["prod-ml-services"].references == ("prod-foundation", "prod-ml-services-registry")
    assert layers["prod-ml-services"].families == ()  # the registry's, not its own
    assert layers["prod-ml-services-registry"].references == ("prod-foundation",)
    # The serving stack reads the registry's families and the pipelines of prod-ml-services (its drift loop).
    assert layers["prod-serving-growth"].references == ("prod-foundation", "prod-ml-services-registry",
                                                        "prod-ml-services")
