"""`model_package: latest-approved` in the stack config and the platform: the checks naming both keys, the
endpoint deploying the package the registry approved last (image repository wired from the family), the plan
saying which package and when, the offline runner never calling AWS, and the deprecated `model_package_arn`."""

from __future__ import annotations

import json
import re
import shutil
import warnings
from pathlib import Path

import pytest

from mlplat.core.errors import ConfigError
from mlplat.platform import MLPlatform, parse_platform_config
from mlplat.platform.model_packages import (
    Boto3ModelPackages,
    SnapshotModelPackages,
    current_model_package_source,
    latest_approved,
)
from mlplat.tooling.cli import EXIT_CONFIG_ERROR, main
from mlplat.tooling.offline import run_callable, run_stack

ROOT = Path(__file__).resolve().parents[2]
TAGS = {"owner": "ml@example.com", "cost_center": "cc-1", "project": "mlplat", "data_classification": "internal"}
GROUP = "mlplat-dev-churn"
PACKAGE = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{GROUP}"
MODEL = "aws:sagemaker/model:Model"
POLICY = "aws:iam/rolePolicy:RolePolicy"


def platform(*endpoints: dict, families=({"name": "churn"},)) -> dict:
    value = {"environment": "dev", "tags": dict(TAGS), "serving": {"endpoints": list(endpoints)}}
    if families is not None:
        value["model_registry"] = {"families": list(families)}
    return value


def churn(**fields) -> dict:
    """The churn endpoint serving latest-approved; a field given as None is left out."""
    endpoint = {"name": "churn", "model_family": "churn", "model_package": "latest-approved", **fields}
    return {k: v for k, v in endpoint.items() if v is not None}


def problems(value: dict) -> list[str]:
    with pytest.raises(ConfigError) as excinfo:
        parse_platform_config(value, source="stacks/Pulumi.dev.yaml", aws_region="us-east-1")
    return [p.render() for p in excinfo.value.problems]


# --- the stack config ------------------------------------------------------------------------------------


def test_latest_approved_needs_a_model_family():
    assert problems(platform({"name": "churn", "model_package": "latest-approved"})) == [
        "platform.serving.endpoints.0.model_family: is required with model_package: latest-approved (the family "
        "whose model package group is read)",
    ]


def test_latest_approved_of_a_family_the_registry_does_not_declare_names_both_keys():
    assert problems(platform(churn(model_family="fraud"))) == [
        "platform.serving.endpoints.0.model_family: 'fraud' is not a family of platform.model_registry.families "
        "(declared: churn), whose model package group model_package: latest-approved reads: declare it there or "
        "deploy a package ARN",
    ]
    assert problems(platform(churn(), families=None))[0].startswith(
        "platform.serving.endpoints.0.model_family: 'churn' is not a family of platform.model_registry.families "
        "(declared: none)")


def test_a_repository_arn_for_a_family_the_registry_declares_names_both_keys():
    repo = "arn:aws:ecr:us-east-1:123456789012:repository/mlplat-dev-churn-serving"
    assert problems(platform(churn(image_repository_arn=repo))) == [
        f"platform.serving.endpoints.0.image_repository_arn: '{repo}' cannot be set for family 'churn', which "
        "platform.model_registry.families.0 declares: the endpoint pulls from the family's 'serving' repository "
        "(remove the key)",
    ]


def test_a_family_without_a_serving_repository_cannot_serve():
    assert problems(platform(churn(), families=({"name": "churn", "repositories": ["training"]},))) == [
        "platform.model_registry.families.0.repositories: ('training',) has no 'serving' repository, which "
        "platform.serving.endpoints.0 (model_family 'churn') pulls its inference image from: add it",
    ]


def test_a_pinned_package_of_an_undeclared_family_still_needs_its_repository():
    assert problems(platform(churn(model_package=f"{PACKAGE}/1", model_family="fraud"))) == [
        "platform.serving.endpoints.0.image_repository_arn: is required with model_package (the ECR repository of "
        "the package's inference image: the execution role may pull only from it; a family the model registry "
        "declares provides it)",
    ]


def test_model_package_is_an_arn_or_latest_approved():
    assert problems(platform(churn(model_package="latest")))[0] == (
        "platform.serving.endpoints.0.model_package: 'latest' is not a versioned model package ARN from the registry "
        "(arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>) or 'latest-approved'"
    )


def test_the_deprecated_key_still_works_and_is_noted():
    config = parse_platform_config(platform(churn(model_package=None, model_package_arn=f"{PACKAGE}/2")), aws_region="us-east-1")
    endpoint = config.serving.endpoints[0]
    assert endpoint.model_package == f"{PACKAGE}/2" and endpoint.deprecated_keys == ("model_package_arn",)
    assert parse_platform_config(platform(churn()), aws_region="us-east-1").serving.endpoints[0].deprecated_keys == ()


def test_both_names_at_once_are_refused_at_the_old_key():
    assert problems(platform(churn(model_package_arn=f"{PACKAGE}/2"))) == [
        "platform.serving.endpoints.0.model_package_arn: is the old name of model_package; give only model_package",
    ]


# --- the platform -------------------------------------------------------------------------------------------


def snapshot(*rows: tuple[int, str, str]) -> SnapshotModelPackages:
    return SnapshotModelPackages.from_document({GROUP: [
        {"ModelPackageArn": f"{PACKAGE}/{v}", "ModelPackageVersion": v, "CreationTime": created,
         "ModelPackageStatus": "Completed", "ModelApprovalStatus": status}
        for v, status, created in rows
    ]}, "registry.dev.json")


REGISTRY = snapshot((1, "Approved", "2026-10-01T09:00:00+00:00"), (2, "Approved", "2026-11-01T09:00:00+00:00"),
                    (3, "Rejected", "2026-11-15T09:00:00+00:00"), (4, "PendingManualApproval", "2026-11-30T09:00:00+00:00"))


def plan_of(value: dict, **run):
    config = parse_platform_config(value, aws_region="us-east-1")
    return run_callable(lambda: MLPlatform("platform", config), stack="dev", project="mlplat", **run)


@pytest.fixture(scope="module")
def deployed():
    return plan_of(platform(churn()), model_packages=REGISTRY)


def test_the_endpoint_deploys_the_newest_approved_package(deployed):
    assert deployed.named("churn-model", MODEL).inputs["primaryContainer"]["modelPackageName"] == f"{PACKAGE}/2"


def test_the_plan_names_the_chosen_package_and_its_creation_time(deployed):
    lines = [d.message for d in deployed.diagnostics if "latest-approved" in d.message]
    assert lines == [
        f"endpoint churn: model_package latest-approved is {PACKAGE}/2 (version 2, created 2026-11-01T09:00:00+00:00; "
        f"the newest of 2 Approved packages in group {GROUP}, from registry snapshot registry.dev.json; newer, not "
        "deployed: version 4 PendingManualApproval, version 3 Rejected)",
    ]
    assert [d.severity for d in deployed.diagnostics if "latest-approved" in d.message] == ["info"]


def test_the_image_repository_is_the_familys_serving_repository(deployed):
    repository = deployed.named("platform-registry-churn-serving", "aws:ecr/repository:Repository")
    policy = json.loads(deployed.named("churn-execution-policy", POLICY).inputs["policy"])
    pull = next(s for s in policy["Statement"] if s["Sid"] == "PullInferenceImage")
    assert pull["Resource"] == repository.outputs["arn"]
    assert repository.outputs["arn"].endswith(":repository/mlplat-dev-churn-serving")


def test_without_an_approved_package_the_endpoint_waits_and_the_plan_says_so():
    plan = plan_of(platform(churn()), model_packages=snapshot((1, "Rejected", "2026-10-01T09:00:00+00:00")))
    assert plan.of_type(MODEL) == []
    info = [d.message for d in plan.diagnostics if "latest-approved" in d.message]
    assert info == [f"endpoint churn: model_package latest-approved found no approved package (group {GROUP}, from "
                    "registry snapshot registry.dev.json: no package in it is Approved (and Completed)); the endpoint "
                    "waits for a model"]
    assert any(d.severity == "warning" and "waits for an approved model package" in d.message for d in plan.diagnostics)


def test_an_offline_run_without_a_registry_never_calls_aws(monkeypatch):
    def refuse(self, group_name):
        raise AssertionError(f"the offline run asked SageMaker for {group_name}")

    monkeypatch.setattr(Boto3ModelPackages, "list_approved", refuse)
    plan = plan_of(platform(churn()))
    assert plan.of_type(MODEL) == []
    assert any("offline plans do not call AWS" in d.message for d in plan.diagnostics)
    assert current_model_package_source() is None  # the run's source does not outlive the run


def test_the_deprecated_key_is_reported_once_in_the_plan():
    plan = plan_of(platform(churn(model_package=None, model_package_arn=f"{PACKAGE}/1")))
    notes = [(d.severity, d.message) for d in plan.diagnostics if "deprecated" in d.message]
    assert notes == [("warning", "stack config: platform.serving.endpoints.0.model_package_arn is deprecated: rename "
                      "the key model_package (same value; it also takes 'latest-approved')")]
    assert plan.named("churn-model", MODEL).inputs["primaryContainer"]["modelPackageName"] == f"{PACKAGE}/1"


# --- the reference stacks and `mlplat plan` ---------------------------------------------------------------------


def project_copy(tmp_path: Path, stack: str, *, snapshot_file: bool) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "stacks").mkdir()
    for name in ("platform.py", f"Pulumi.{stack}.yaml") + ((f"registry.{stack}.json",) if snapshot_file else ()):
        shutil.copy(ROOT / "stacks" / name, tmp_path / "stacks" / name)
    return tmp_path


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_reference_stacks_deploy_the_newest_approved_package_of_their_snapshot(stack):
    entries = json.loads((ROOT / "stacks" / f"registry.{stack}.json").read_text())[f"mlplat-{stack}-churn"]
    approved = max((e for e in entries if e["ModelApprovalStatus"] == "Approved"), key=lambda e: e["CreationTime"])
    newest = max(entries, key=lambda e: e["CreationTime"])
    assert newest["ModelApprovalStatus"] == "PendingManualApproval"  # the snapshot shows what is ignored
    assert {"Rejected", "PendingManualApproval"} <= {e["ModelApprovalStatus"] for e in entries
                                                     if e["CreationTime"] > approved["CreationTime"]}
    plan = run_stack(ROOT, stack)
    model = plan.named("churn-model", MODEL)
    assert model.inputs["primaryContainer"]["modelPackageName"] == approved["ModelPackageArn"]
    assert any(approved["ModelPackageArn"] in d.message and approved["CreationTime"] in d.message
               and f"stacks/registry.{stack}.json" in d.message for d in plan.diagnostics)


def test_plan_reads_the_registry_option(tmp_path, capsys):
    project = project_copy(tmp_path, "staging", snapshot_file=False)
    registry = tmp_path / "other.json"
    registry.write_text(json.dumps({"mlplat-staging-churn": [{
        "ModelPackageArn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/mlplat-staging-churn/9",
        "CreationTime": "2026-12-01T00:00:00+00:00", "ModelPackageStatus": "Completed",
        "ModelApprovalStatus": "Approved"}]}))
    assert main(["plan", "--stack", "staging", "--cwd", str(project), "--no-policies", "--registry", str(registry)]) == 0
    out = capsys.readouterr().out
    assert "model_package latest-approved is arn:aws:sagemaker:" in out
    assert ":123456789012:model-package/mlplat-staging-churn/9 (created 2026-12-01T00:00:00+00:00" in out


def test_plan_without_a_snapshot_waits_and_says_why(tmp_path, capsys):
    project = project_copy(tmp_path, "staging", snapshot_file=False)
    assert main(["plan", "--stack", "staging", "--cwd", str(project), "--no-policies"]) == 0
    out = capsys.readouterr().out
    assert "found no approved package (group mlplat-staging-churn, from the offline plan: no registry snapshot" in out
    assert "waits for an approved model package" in out


def test_plan_with_a_malformed_snapshot_exits_2_with_one_message(tmp_path, capsys):
    project = project_copy(tmp_path, "staging", snapshot_file=False)
    (project / "stacks" / "registry.staging.json").write_text(json.dumps({"mlplat-staging-churn": [{"CreationTime": 3}]}))
    assert main(["plan", "--stack", "staging", "--cwd", str(project), "--no-policies"]) == EXIT_CONFIG_ERROR
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert captured.err.splitlines() == [
        "mlplat plan: invalid configuration (2 problems):",
        "  stacks/registry.staging.json: mlplat-staging-churn.0.ModelPackageArn: is required (a member of every "
        "ModelPackageSummary)",
        "  stacks/registry.staging.json: mlplat-staging-churn.0.ModelPackageStatus: is required (a member of every "
        "ModelPackageSummary)",
    ]
    assert main(["plan", "--stack", "staging", "--cwd", str(project), "--no-policies",
                 "--registry", str(tmp_path / "absent.json")]) == EXIT_CONFIG_ERROR
    assert capsys.readouterr().err.startswith("mlplat plan: invalid configuration (1 problem):")


def test_no_warning_escapes_for_the_new_key():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parse_platform_config(platform(churn()), aws_region="us-east-1")


def test_a_config_built_without_its_checks_still_gets_a_config_error_not_an_assertion():
    from mlplat.platform import PlatformConfig

    config = PlatformConfig.model_validate(platform(churn(model_family="fraud")))  # skips check_platform
    with pytest.raises(ConfigError) as excinfo:
        run_callable(lambda: MLPlatform("platform", config), stack="dev", project="mlplat")
    assert excinfo.value.paths == ("platform.serving.endpoints.0.model_family",)


def test_the_readme_snapshot_example_is_a_valid_snapshot():
    readme = (ROOT / "README.md").read_text()
    blocks = [b for b in re.findall(r"```json\n(.*?)```", readme, re.S) if "ModelPackageArn" in b]
    assert len(blocks) == 1
    source = SnapshotModelPackages.from_document(json.loads(blocks[0]), "README.md")
    assert latest_approved(source, "mlplat-prod-churn").chosen.version == 4
