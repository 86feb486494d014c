"""A team's ml-services stack (`ml-services-<team>`) beside the environment's one, planned offline.

A scratch copy of the project holds the reference prod layers plus `prod-ml-services-fraud` (the fraud
family, its deploy loop and its pipeline, configured as the reference's churn) and `prod-serving-fraud`
(`layers.ml_services: ml-services-fraud`). The team stack declares its family with the children the
environment's ml-services stack gives churn; the SageMaker job log groups are the foundation's.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlplat.core.errors import ConfigError
from mlplat.tooling.multistack import StackOutputs, dependency_levels, environment_layers, outputs_of, plan_layer
from mlplat.tooling.stackfile import load_project

ROOT = Path(__file__).resolve().parents[2]
KEY = "ml-platform:platform"
REFERENCE = "pulumi:pulumi:StackReference"
JOB_LOGS = "mlplat:pipeline:SageMakerJobLogs"


def _read(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def write_team(stacks: Path, team: str, family: str, **extra: Any) -> None:
    """`prod-ml-services-<team>` (the family as the reference's churn) and `prod-serving-<team>` reading it."""
    services = _read(stacks / "Pulumi.prod-ml-services.yaml")
    config = services["config"][KEY]
    config["layer"] = f"ml-services-{team}"
    config["model_registry"] = {**config["model_registry"], "families": [{"name": family}]}
    config["pipelines"] = {family: config["pipelines"]["churn"]}
    for section in ("feature_store", "experiment_tracking"):
        config.pop(section)
    config.update(extra)
    (stacks / f"Pulumi.prod-ml-services-{team}.yaml").write_text(yaml.safe_dump(services, sort_keys=False))
    serving = _read(stacks / "Pulumi.prod-serving-growth.yaml")
    config = serving["config"][KEY]
    config["layer"] = f"serving-{team}"
    config["layers"] = {"ml_services": f"ml-services-{team}"}
    config["serving"] = {"endpoints": [{
        "name": family, "model_family": family,
        "model_package": f"arn:aws:sagemaker:us-east-1:123456789012:model-package/mlplat-prod-{family}/3",
        "autoscaling": {"min_capacity": 2, "max_capacity": 4, "target_invocations_per_instance": 100}}]}
    config["monitoring"] = {"drift": {family: {"baseline_prefix": f"{family}/baseline/", "features": ["amount"]}}}
    (stacks / f"Pulumi.prod-serving-{team}.yaml").write_text(yaml.safe_dump(serving, sort_keys=False))


def scratch_project(directory: Path) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, directory / name)
    stacks = directory / "stacks"
    stacks.mkdir()
    for path in (ROOT / "stacks").iterdir():
        if path.suffix in (".py", ".json") or path.name.startswith("Pulumi.prod-"):
            shutil.copy(path, stacks / path.name)
    write_team(stacks, "fraud", "fraud")
    return directory


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return scratch_project(tmp_path_factory.mktemp("team-ml-services"))


@pytest.fixture(scope="module")
def plans(project: Path):
    planned: dict = {}
    for stack in ("prod-foundation", "prod-ml-services", "prod-ml-services-fraud", "prod-serving-fraud"):
        planned[stack] = plan_layer(project, stack, plans=planned)
    return planned


def shape(plan, stack: str, family: str) -> set[tuple[str, str]]:
    """The (type, URN) of the resources of `family`'s registry entry and pipeline, the stack and family named X."""
    found = set()
    for resource in plan.resources:
        urn = resource.urn.replace(f"urn:pulumi:{stack}::", "urn:pulumi:X::")
        if family in urn and resource.type != REFERENCE:
            found.add((resource.type, urn.replace(family, "FAMILY")))
    return found


def test_a_team_stack_declares_its_family_with_the_children_the_environments_stack_gives_one(plans):
    team = shape(plans["prod-ml-services-fraud"], "prod-ml-services-fraud", "fraud")
    environment = shape(plans["prod-ml-services"], "prod-ml-services", "churn")
    assert len(team) > 20
    assert team == environment  # the same child names: `pulumi state move` moves a family between them
    outputs = plans["prod-ml-services-fraud"].outputs
    assert outputs["contract"] == {"layer": "ml-services", "version": 1}
    assert outputs["feature_group_names"] == {} and outputs.get("tracking_server_url") is None
    assert set(outputs["families"]) == {"fraud"} and set(outputs["pipeline_arns"]) == {"fraud"}
    types = {r.type for r in plans["prod-ml-services-fraud"].custom_resources}
    assert not any(t.startswith(("aws:glue/", "aws:sagemaker/featureGroup", "aws:sagemaker/mlflowTrackingServer"))
                   for t in types), types


def test_the_foundation_declares_the_job_log_groups_and_the_pipelines_only_reference_them(plans):
    declaring = {stack for stack, plan in plans.items() if plan.of_type(JOB_LOGS)}
    assert declaring == {"prod-foundation"}
    groups = {r.inputs["name"] for r in plans["prod-foundation"].of_type("aws:cloudwatch/logGroup:LogGroup")
              if r.parent and JOB_LOGS in r.parent}
    assert groups == {"/aws/sagemaker/TrainingJobs", "/aws/sagemaker/ProcessingJobs"}
    assert plans["prod-foundation"].outputs["sagemaker_job_log_groups"] == sorted(groups, reverse=True)
    [pipeline] = plans["prod-ml-services-fraud"].of_type("aws:sagemaker/pipeline:Pipeline")
    assert not [d for d in pipeline.dependencies if "SageMakerJobLogs" in d]
    assert pipeline.inputs["pipelineName"] == "mlplat-prod-fraud-training"


def test_a_serving_stack_reads_the_team_stack_its_config_names(plans):
    serving = plans["prod-serving-fraud"]
    assert sorted(r.name for r in serving.of_type(REFERENCE)) == ["prod-foundation", "prod-ml-services-fraud"]
    assert serving.outputs["upstream_contracts"]["ml-services-fraud"] == {
        "stack": "prod-ml-services-fraud", "layer": "ml-services", "version": 1}
    [rule] = [r for r in serving.of_type("aws:cloudwatch/eventTarget:EventTarget") if "drift" in r.urn]
    pipeline_arn = plans["prod-ml-services-fraud"].outputs["pipeline_arns"]["fraud"]
    assert rule.inputs["arn"] == pipeline_arn  # the drift loop retrains the team stack's pipeline


def test_the_environment_lists_team_stacks_at_the_ml_services_level(project: Path):
    found = {layer.stack: (layer.referenced_stacks, layer.families)
             for layer in environment_layers(load_project(project), "prod")}
    assert found["prod-ml-services-fraud"] == (("prod-foundation",), ("fraud",))
    assert found["prod-serving-fraud"] == (("prod-foundation", "prod-ml-services-fraud"), ())
    assert found["prod-serving-growth"] == (("prod-foundation", "prod-ml-services"), ())


def test_pipelines_without_the_foundations_job_log_groups_fail_inside_the_outputs(project: Path, plans):
    foundation = outputs_of(plans["prod-foundation"])
    without = StackOutputs({k: v for k, v in foundation.items() if k != "sagemaker_job_log_groups"},
                           foundation.secret_names)
    with pytest.raises(ConfigError) as caught:
        plan_layer(project, "prod-ml-services-fraud", given={"prod-foundation": without})
    assert ("stack reference 'prod-foundation': prod-foundation.sagemaker_job_log_groups: is absent: the foundation "
            "declares no SageMaker job log groups (/aws/sagemaker/TrainingJobs, /aws/sagemaker/ProcessingJobs), which "
            "this layer's training pipelines write to (contract foundation v1); set the foundation's "
            "layers.sagemaker_job_logs_retention_days") in str(caught.value)
    # A foundation that declares one group only is named with what it declares.
    partial = StackOutputs({**without, "sagemaker_job_log_groups": ["/aws/sagemaker/TrainingJobs"]},
                           foundation.secret_names)
    with pytest.raises(ConfigError, match=r"sagemaker_job_log_groups: \['/aws/sagemaker/TrainingJobs'\] lacks "
                                          "/aws/sagemaker/ProcessingJobs, which"):
        plan_layer(project, "prod-ml-services-fraud", given={"prod-foundation": partial})


def test_a_family_in_two_ml_services_stacks_fails_the_environment_plan_naming_both(tmp_path: Path):
    project = scratch_project(tmp_path)
    write_team(project / "stacks", "risk", "churn")
    run = subprocess.run([sys.executable, "-m", "mlplat.tooling.cli", "plan", "--env", "prod", "--cwd", str(project)],
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 2, run.stdout + run.stderr
    assert ("platform.model_registry.families: 'churn' is declared by 2 ml-services stacks: prod-ml-services and "
            "prod-ml-services-risk") in " ".join(run.stderr.split())  # the CLI wraps long lines
    assert "Traceback" not in run.stderr


def test_a_serving_stack_file_naming_no_ml_services_layer_is_refused_by_the_environment(tmp_path: Path):
    project = scratch_project(tmp_path)
    path = project / "stacks" / "Pulumi.prod-serving-fraud.yaml"
    serving = _read(path)
    serving["config"][KEY]["layers"]["ml_services"] = "serving-growth"
    path.write_text(yaml.safe_dump(serving, sort_keys=False))
    with pytest.raises(ConfigError) as caught:
        environment_layers(load_project(project), "prod")
    assert str(caught.value).endswith(  # the program's own message for the key
        "stacks/Pulumi.prod-serving-fraud.yaml: platform.layers.ml_services: 'serving-growth' is not an ml-services "
        "layer: ml-services (the environment's) or ml-services-<team> (<team>: lowercase letters, digits and '-')")


def test_a_pipelines_stack_in_the_same_account_declares_the_pipeline_the_registrys_stack_would(project: Path, plans):
    """`prod-ml-services-training` (`layers.ml_services: ml-services-fraud`) runs the fraud pipeline, which the team
    stack no longer declares: the same children and inputs (the group named by name, its own account's packages)."""
    stacks = project / "stacks"
    team = _read(stacks / "Pulumi.prod-ml-services-fraud.yaml")
    pipelines = team["config"][KEY].pop("pipelines")
    training = {"config": {**team["config"], KEY: {
        **{k: v for k, v in team["config"][KEY].items() if k != "model_registry"},
        "layer": "ml-services-training", "layers": {"ml_services": "ml-services-fraud"}, "pipelines": pipelines}}}
    (stacks / "Pulumi.prod-ml-services-training.yaml").write_text(yaml.safe_dump(training, sort_keys=False))
    (stacks / "Pulumi.prod-ml-services-fraud.yaml").write_text(yaml.safe_dump(team, sort_keys=False))
    try:
        planned = {stack: plans[stack] for stack in ("prod-foundation",)}
        planned["prod-ml-services-fraud"] = plan_layer(project, "prod-ml-services-fraud", plans=planned)
        planned["prod-ml-services-training"] = plan_layer(project, "prod-ml-services-training", plans=planned)
    finally:  # the module's other tests read the team stack as it was
        write_team(stacks, "fraud", "fraud")
        (stacks / "Pulumi.prod-ml-services-training.yaml").unlink()

    def pipeline_children(plan) -> dict[str, dict]:
        return {r.name: r.inputs for r in plan.custom_resources if r.name.startswith("platform-fraud-pipeline")}

    moved, before = pipeline_children(planned["prod-ml-services-training"]), pipeline_children(plans["prod-ml-services-fraud"])
    assert len(moved) > 10 and set(moved) == set(before)
    assert pipeline_children(planned["prod-ml-services-fraud"]) == {}
    assert moved == before  # the role, its policy, the definition, the schedule: `pulumi state move` carries them
    definition = planned["prod-ml-services-training"].named("platform-fraud-pipeline-pipeline").inputs["pipelineDefinition"]
    assert '"ModelPackageGroupName":"mlplat-prod-fraud"' in definition.replace(" ", "")  # same account: by name
    outputs = planned["prod-ml-services-training"].outputs
    assert outputs["families"] == {} and set(outputs["pipeline_arns"]) == {"fraud"}
    assert sorted(r.name for r in planned["prod-ml-services-training"].of_type(REFERENCE)) == [
        "prod-foundation", "prod-ml-services-fraud"]


def test_two_ml_services_stacks_that_name_each_other_are_refused_by_name(tmp_path: Path):
    project = scratch_project(tmp_path)
    stacks = project / "stacks"
    for own, other in (("a", "b"), ("b", "a")):
        (stacks / f"Pulumi.prod-ml-services-{own}.yaml").write_text(yaml.safe_dump({"config": {KEY: {
            "environment": "prod", "layer": f"ml-services-{own}", "layers": {"ml_services": f"ml-services-{other}"}}}}))
    with pytest.raises(ConfigError) as caught:
        plan_layer(project, "prod-ml-services-a")
    assert [p.render() for p in caught.value.problems] == [
        "prod-ml-services-b: references prod-ml-services-a, which references it back "
        "(prod-ml-services-a -> prod-ml-services-b -> prod-ml-services-a)"]
    with pytest.raises(ConfigError, match="prod-ml-services-a: references a stack that references it back"):
        dependency_levels(environment_layers(load_project(project), "prod"))
