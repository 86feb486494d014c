"""TrainingPipeline: the definition's structure, the execution role's exact actions and resources,
the schedule and failure notification, bad settings, and the definition's contract checks.

Programs run under the offline runner with the real components the pipeline is wired to (keys,
network, buckets, registry, alarm topic, job log groups); assertions read the Plan.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable, Optional

import pulumi
import pytest

from mlplat.components.artifact_store import ArtifactStore, ArtifactStoreArgs
from mlplat.components.encryption import Encryption, EncryptionArgs
from mlplat.components.model_registry import ModelRegistry, ModelRegistryArgs
from mlplat.components.monitoring import AlarmTopic, AlarmTopicArgs
from mlplat.components.network import ExistingVpcArgs, Network, NetworkArgs
from mlplat.components.training_pipeline import (
    STEP_NAMES,
    TrainingPipeline,
    TrainingPipelineArgs,
)
from mlplat.components.training_pipeline_definition import referenced_steps
from mlplat.components.references import FamilyReference, RepositoryReference, SageMakerJobLogsReference
from mlplat.components.training_pipeline_logs import SageMakerJobLogs, SageMakerJobLogsArgs
from mlplat.core.errors import ConfigError, WiringError
from mlplat.tooling.contracts import check_plan
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import Plan

ACCOUNT, REGION = "123456789012", "us-east-1"
PIPELINE = "aws:sagemaker/pipeline:Pipeline"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
GROUP = "mlplat-test-churn"


def program(*, environment: str = "prod", family: str = "churn", pipelines: Optional[list[dict[str, Any]]] = None,
            adopted: bool = False, after: Optional[Callable[[TrainingPipeline], Any]] = None,
            referenced_logs: bool = False, registry_account: Optional[str] = None,
            **settings: Any) -> Callable[[], None]:
    def run() -> None:
        keys = Encryption("keys", EncryptionArgs(domains=("data", "models", "logs", "alerts"),
                                                 key_users={"logs": ("cloudwatch-logs",), "alerts": ("sns-alarm-publishers",)},
                                                 s3_log_source_bucket_prefixes=ArtifactStore.log_source_prefixes("store")))
        if adopted:
            net = Network("net", NetworkArgs(existing=ExistingVpcArgs(
                vpc_id="vpc-0123456789abcdef0", cidr_block="10.1.0.0/16",
                private_subnet_ids=("subnet-0123456789abcdef0", "subnet-0123456789abcdef1"))))
        else:
            net = Network("net", NetworkArgs(log_key=keys.key("logs")))
        store = ArtifactStore("store", ArtifactStoreArgs(encryption=keys))
        registry = ModelRegistry("registry", ModelRegistryArgs(
            encryption=keys, families=[{"name": "churn"}, {"name": "fraud"}], name_prefix="mlplat-test-"))
        alarms = AlarmTopic("alarms", AlarmTopicArgs(key=keys.key("alerts")))
        logs = (SageMakerJobLogsReference("job-logs") if referenced_logs  # another stack's (a foundation's)
                else SageMakerJobLogs("job-logs", SageMakerJobLogsArgs(key=keys.key("logs"), retention_days=90)))
        for entry in pipelines or [{"family": family, **settings}]:
            entry = dict(entry)
            fam = entry.pop("family")
            defaults = {"metric": "auc", "threshold": 0.75}
            handle = registry.family(fam) if registry_account is None else shared_family(fam, registry_account)
            pipeline = TrainingPipeline(f"{fam}-pipeline", TrainingPipelineArgs(
                family=handle, artifact_store=store, network=net, job_logs=logs, alarm_topic=alarms,
                environment=environment, **{**defaults, **entry},
            ))
            if after is not None:
                after(pipeline)

    return run


def shared_family(family: str, account: str) -> FamilyReference:
    """The family as a registry stack of `account` exports it (group and repositories there)."""
    group = f"mlplat-test-{family}"
    repositories = {kind: RepositoryReference(f"{family} {kind}", pulumi.Output.from_input(
        f"arn:aws:ecr:{REGION}:{account}:repository/{group}-{kind}"), pulumi.Output.from_input(
        f"{account}.dkr.ecr.{REGION}.amazonaws.com/{group}-{kind}")) for kind in ("training", "serving")}
    return FamilyReference(name=family, group_name=group, repositories=repositories, account=account,
                           group_arn=pulumi.Output.from_input(f"arn:aws:sagemaker:{REGION}:{account}:model-package-group/{group}"))


@functools.cache
def prod_plan() -> Plan:
    return run_callable(program(schedule_expression="cron(0 3 ? * SUN *)", schedule_parameters={"InputDataUrl": "s3://x/churn/"}))


def definition(plan: Plan, name: str = "churn-pipeline-pipeline") -> dict[str, Any]:
    return json.loads(plan.named(name, PIPELINE).inputs["pipelineDefinition"])


def steps_by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def walk(steps: list[dict[str, Any]]) -> None:
        for step in steps:
            found[step["Name"]] = step
            if step["Type"] == "Condition":
                walk(step["Arguments"].get("IfSteps", []))
                walk(step["Arguments"].get("ElseSteps", []))

    walk(doc["Steps"])
    return found


# --- the definition ------------------------------------------------------------------------------


def test_steps_types_and_data_dependencies_form_train_evaluate_register():
    doc = definition(prod_plan())
    steps = steps_by_name(doc)
    assert doc["Version"] == "2020-12-01"
    assert {name: step["Type"] for name, step in steps.items()} == {
        "PrepareData": "Processing", "Train": "Training", "Evaluate": "Processing", "CheckMetric": "Condition",
        "RegisterModel": "RegisterModel", "MetricBelowThreshold": "Fail",
    }
    assert set(steps) == set(STEP_NAMES)
    # Each step reads the properties of the steps before it, nothing else.
    deps = {name: referenced_steps(step["Arguments"]) for name, step in steps.items() if step["Type"] != "Condition"}
    assert deps == {
        "PrepareData": set(), "Train": {"PrepareData"}, "Evaluate": {"PrepareData", "Train"},
        "RegisterModel": {"Train", "Evaluate"}, "MetricBelowThreshold": {"Evaluate"},
    }
    assert [s["Name"] for s in doc["Steps"]] == ["PrepareData", "Train", "Evaluate", "CheckMetric"]


def test_condition_reads_the_metric_from_the_evaluation_report_and_branches_to_register_or_fail():
    doc = definition(run_callable(program(metric="rmse", threshold=3.5, comparison="LessThan")))
    steps = steps_by_name(doc)
    files = steps["Evaluate"]["PropertyFiles"]
    assert files == [{"PropertyFileName": "EvaluationReport", "OutputName": "evaluation", "FilePath": "evaluation.json"}]
    outputs = [o["OutputName"] for o in steps["Evaluate"]["Arguments"]["ProcessingOutputConfig"]["Outputs"]]
    assert files[0]["OutputName"] in outputs
    check = steps["CheckMetric"]["Arguments"]
    assert check["Conditions"] == [{
        "Type": "LessThan", "RightValue": 3.5,
        "LeftValue": {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"},
                                      "Path": "metrics.rmse.value"}},
    }]
    assert [s["Name"] for s in check["IfSteps"]] == ["RegisterModel"]
    assert [s["Name"] for s in check["ElseSteps"]] == ["MetricBelowThreshold"]
    message = steps["MetricBelowThreshold"]["Arguments"]["ErrorMessage"]["Std:Join"]["Values"]
    assert "rmse" in message[0] and "below 3.5" in message[-1]


def test_register_step_is_a_model_package_of_the_family_group_with_the_report_as_metrics():
    plan = prod_plan()
    register = steps_by_name(definition(plan))["RegisterModel"]["Arguments"]
    assert register["ModelPackageGroupName"] == GROUP
    assert register["ModelApprovalStatus"] == {"Get": "Parameters.ModelApprovalStatus"}
    serving = plan.named("registry-churn-serving", "aws:ecr/repository:Repository").outputs["repositoryUrl"]
    container = register["InferenceSpecification"]["Containers"][0]
    assert container["Image"] == {"Std:Join": {"On": ":", "Values": [serving, {"Get": "Parameters.ImageTag"}]}}
    assert container["ModelDataUrl"] == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    statistics = register["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics["S3Uri"]["Std:Join"]["Values"] == [
        {"Get": "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"}, "evaluation.json"]
    fraud = run_callable(program(family="fraud"))
    assert steps_by_name(definition(fraud, "fraud-pipeline-pipeline"))["RegisterModel"]["Arguments"][
        "ModelPackageGroupName"] == "mlplat-test-fraud"


def test_parameters_and_approval_defaults_per_environment():
    def params(plan: Plan) -> dict[str, Any]:
        return {p["Name"]: p.get("DefaultValue") for p in definition(plan)["Parameters"]}

    prod = params(prod_plan())
    assert prod["ModelApprovalStatus"] == "PendingManualApproval"
    assert prod["InputDataUrl"].endswith("/churn/training-data/")
    assert (prod["TrainingInstanceType"], prod["TrainingInstanceCount"]) == ("ml.m5.xlarge", 1)
    dev = params(run_callable(program(environment="dev", approval_status="Approved", training_instance_type="ml.g5.xlarge")))
    assert (dev["ModelApprovalStatus"], dev["TrainingInstanceType"]) == ("Approved", "ml.g5.xlarge")


def test_jobs_are_isolated_encrypted_in_the_private_subnets_with_outputs_under_the_family_prefixes():
    plan = prod_plan()
    steps = steps_by_name(definition(plan))
    data_key = plan.named("keys-data-key", "aws:kms/key:Key").outputs["arn"]
    models_key = plan.named("keys-models-key", "aws:kms/key:Key").outputs["arn"]
    subnets = sorted(r.id for r in plan.of_type("aws:ec2/subnet:Subnet"))
    sg = plan.named("churn-pipeline-job-sg", "aws:ec2/securityGroup:SecurityGroup").id
    datasets = plan.named("store-datasets", "aws:s3/bucket:Bucket").outputs["bucket"]
    models = plan.named("store-models", "aws:s3/bucket:Bucket").outputs["bucket"]
    for name, key in (("PrepareData", data_key), ("Evaluate", models_key)):
        args = steps[name]["Arguments"]
        assert args["NetworkConfig"]["EnableNetworkIsolation"] is True
        assert args["NetworkConfig"]["EnableInterContainerTrafficEncryption"] is True
        assert sorted(args["NetworkConfig"]["VpcConfig"]["Subnets"]) == subnets
        assert args["NetworkConfig"]["VpcConfig"]["SecurityGroupIds"] == [sg]
        assert args["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == key
        assert args["ProcessingOutputConfig"]["KmsKeyId"] == key
    prefix = {"PrepareData": f"s3://{datasets}/churn/pipeline/", "Evaluate": f"s3://{models}/churn/pipeline/"}
    for name, root in prefix.items():
        for output in steps[name]["Arguments"]["ProcessingOutputConfig"]["Outputs"]:
            assert output["S3Output"]["S3Uri"]["Std:Join"]["Values"][0].startswith(root)
    train = steps["Train"]["Arguments"]
    assert (train["EnableNetworkIsolation"], train["EnableInterContainerTrafficEncryption"]) == (True, True)
    assert sorted(train["VpcConfig"]["Subnets"]) == subnets
    assert train["OutputDataConfig"] == {"S3OutputPath": f"s3://{models}/churn/pipeline/models/", "KmsKeyId": models_key}
    assert train["ResourceConfig"]["VolumeKmsKeyId"] == models_key
    assert train["EnableManagedSpotTraining"] is False and "CheckpointConfig" not in train
    assert "MaxWaitTimeInSeconds" not in train["StoppingCondition"]


def test_spot_training_checkpoints_under_the_family_prefix_and_waits_at_least_the_runtime():
    plan = run_callable(program(environment="dev", spot=True, max_runtime_seconds=7200))
    train = steps_by_name(definition(plan))["Train"]["Arguments"]
    models = plan.named("store-models", "aws:s3/bucket:Bucket").outputs["bucket"]
    assert train["EnableManagedSpotTraining"] is True
    assert train["StoppingCondition"] == {"MaxRuntimeInSeconds": 7200, "MaxWaitTimeInSeconds": 14400}
    assert train["CheckpointConfig"] == {"S3Uri": f"s3://{models}/churn/pipeline/checkpoints/", "LocalPath": "/opt/ml/checkpoints"}


def test_a_configured_image_uri_replaces_the_family_repository_and_is_the_one_pulled():
    image = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/shared/trainer:1.4.2"
    plan = run_callable(program(image_uri=image))
    steps = steps_by_name(definition(plan))
    assert steps["Train"]["Arguments"]["AlgorithmSpecification"]["TrainingImage"] == image
    assert steps["PrepareData"]["Arguments"]["AppSpecification"]["ImageUri"] == image
    pull = statement(plan, "PullImages")
    serving = plan.named("registry-churn-serving", "aws:ecr/repository:Repository").outputs["arn"]
    assert pull["Resource"] == [f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/shared/trainer", serving]


# --- the execution role -------------------------------------------------------------------------


def role_policy(plan: Plan, name: str = "churn-pipeline-role-policy") -> dict[str, Any]:
    return json.loads(plan.named(name, ROLE_POLICY).inputs["policy"])


def statement(plan: Plan, sid: str) -> dict[str, Any]:
    return next(s for s in role_policy(plan)["Statement"] if s["Sid"] == sid)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_execution_role_has_exactly_the_actions_the_steps_need():
    actions = {sid["Sid"]: sorted(as_list(sid["Action"])) for sid in role_policy(prod_plan())["Statement"]}
    assert actions == {
        "RunPipelineJobs": sorted(["sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob",
                                   "sagemaker:StopProcessingJob", "sagemaker:CreateTrainingJob",
                                   "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob"]),
        "TagOnCreate": ["sagemaker:AddTags"],
        "RegisterModelPackages": ["sagemaker:CreateModelPackage"],
        "PassRoleToSageMaker": ["iam:PassRole"],
        "ReadFamilyData": ["s3:GetObject"],
        "ListFamilyData": ["s3:ListBucket"],
        "WritePreparedData": ["s3:AbortMultipartUpload", "s3:PutObject"],
        "ReadWriteModels": ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
        "ListModels": ["s3:ListBucket"],
        "UseKeysThroughS3": ["kms:Decrypt", "kms:GenerateDataKey"],
        "EncryptJobVolumes": ["kms:CreateGrant"],
        "WriteJobLogs": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
        "PullImages": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        "AuthenticateToEcr": ["ecr:GetAuthorizationToken"],
        "ManageJobNetworkInterfaces": ["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
                                       "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"],
        "DescribeJobNetwork": ["ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups",
                               "ec2:DescribeSubnets", "ec2:DescribeVpcs"],
    }


def test_execution_role_resources_are_the_family_prefixes_keys_repository_group_and_itself():
    plan = prod_plan()
    role_arn = plan.named("churn-pipeline-role", "aws:iam/role:Role").outputs["arn"]
    datasets = plan.named("store-datasets", "aws:s3/bucket:Bucket").outputs["arn"]
    models = plan.named("store-models", "aws:s3/bucket:Bucket").outputs["arn"]
    keys = sorted(plan.named(f"keys-{d}-key", "aws:kms/key:Key").outputs["arn"] for d in ("data", "models"))
    group = plan.named("registry-churn-group", "aws:sagemaker/modelPackageGroup:ModelPackageGroup").outputs["arn"]
    training = plan.named("registry-churn-training", "aws:ecr/repository:Repository").outputs["arn"]
    serving = plan.named("registry-churn-serving", "aws:ecr/repository:Repository").outputs["arn"]
    sagemaker = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:"
    jobs = [f"{sagemaker}processing-job/pipelines-*", f"{sagemaker}training-job/pipelines-*"]
    assert statement(plan, "RunPipelineJobs")["Resource"] == jobs
    assert statement(plan, "PassRoleToSageMaker")["Resource"] == [role_arn]
    assert statement(plan, "PassRoleToSageMaker")["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    register = statement(plan, "RegisterModelPackages")
    assert register["Resource"] == [group, f"{sagemaker}model-package/{GROUP}/*"]
    assert register["Condition"] == {"StringEquals": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}}
    assert statement(plan, "ReadFamilyData")["Resource"] == [f"{datasets}/churn/*"]
    assert statement(plan, "WritePreparedData")["Resource"] == [f"{datasets}/churn/pipeline/*"]
    assert statement(plan, "ReadWriteModels")["Resource"] == [f"{models}/churn/pipeline/*"]
    assert statement(plan, "ListFamilyData")["Condition"] == {"StringLike": {"s3:prefix": "churn/*"}}
    assert sorted(statement(plan, "UseKeysThroughS3")["Resource"]) == keys
    assert sorted(statement(plan, "EncryptJobVolumes")["Resource"]) == keys
    assert statement(plan, "PullImages")["Resource"] == [training, serving]
    logs = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/"
    assert sorted(statement(plan, "WriteJobLogs")["Resource"]) == sorted(
        [f"{logs}ProcessingJobs", f"{logs}TrainingJobs", f"{logs}ProcessingJobs:log-stream:*", f"{logs}TrainingJobs:log-stream:*"])
    trust = json.loads(plan.named("churn-pipeline-role", "aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "sagemaker.amazonaws.com"}


def test_dev_may_register_without_the_approval_condition():
    plan = run_callable(program(environment="dev"))
    assert "Condition" not in statement(plan, "RegisterModelPackages")


# --- schedule, failures, logs ---------------------------------------------------------------------


def test_schedule_starts_only_this_pipeline_with_its_parameters():
    plan = prod_plan()
    schedule = plan.named("churn-pipeline-schedule", "aws:scheduler/schedule:Schedule").inputs
    pipeline_arn = plan.named("churn-pipeline-pipeline", PIPELINE).outputs["arn"]
    assert schedule["scheduleExpression"] == "cron(0 3 ? * SUN *)"
    assert schedule["target"]["arn"] == pipeline_arn
    assert schedule["target"]["sagemakerPipelineParameters"]["pipelineParameters"] == [
        {"name": "InputDataUrl", "value": "s3://x/churn/"}]
    policy = json.loads(plan.named("churn-pipeline-schedule-policy", ROLE_POLICY).inputs["policy"])
    assert policy["Statement"] == [{"Sid": "StartTrainingPipeline", "Effect": "Allow",
                                    "Action": "sagemaker:StartPipelineExecution", "Resource": pipeline_arn}]
    assert run_callable(program()).of_type("aws:scheduler/schedule:Schedule") == []


def test_a_failed_execution_notifies_the_alarm_topic():
    plan = prod_plan()
    pattern = json.loads(plan.named("churn-pipeline-failed", "aws:cloudwatch/eventRule:EventRule").inputs["eventPattern"])
    assert pattern == {
        "source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Building Pipeline Execution Status Change"],
        "detail": {"currentPipelineExecutionStatus": ["Failed"],
                   "pipelineArn": [plan.named("churn-pipeline-pipeline", PIPELINE).outputs["arn"]]},
    }
    target = plan.named("churn-pipeline-failed-notify", "aws:cloudwatch/eventTarget:EventTarget").inputs
    assert target["arn"] == plan.named("alarms-topic", "aws:sns/topic:Topic").outputs["arn"]


def test_two_pipelines_share_the_one_pair_of_job_log_groups():
    plan = run_callable(program(pipelines=[{"family": "churn"}, {"family": "fraud"}]))
    groups = plan.of_type("aws:cloudwatch/logGroup:LogGroup")
    job_groups = sorted(g.inputs["name"] for g in groups if g.inputs["name"].startswith("/aws/sagemaker/"))
    assert job_groups == ["/aws/sagemaker/ProcessingJobs", "/aws/sagemaker/TrainingJobs"]
    logs_key = plan.named("keys-logs-key", "aws:kms/key:Key").outputs["arn"]
    assert all(g.inputs["kmsKeyId"] == logs_key and g.inputs["retentionInDays"] == 90
               for g in groups if g.inputs["name"].startswith("/aws/sagemaker/"))
    assert len(plan.of_type(PIPELINE)) == 2


def test_the_planned_pipeline_passes_every_contract():
    assert [e.render() for e in check_plan(prod_plan())] == []


# --- bad settings -------------------------------------------------------------------------------


def problems_of(**settings: Any) -> str:
    with pytest.raises(ConfigError) as info:
        run_callable(program(**settings))
    return str(info.value)


@pytest.mark.parametrize("settings, path, fragment", [
    ({"training_instance_type": "ml.m5.huge"}, "TrainingPipelineArgs.training_instance_type", "TrainingInstanceType"),
    ({"processing_instance_type": "ml.p9.xlarge"}, "TrainingPipelineArgs.processing_instance_type", "ProcessingInstanceType"),
    ({"spot": True, "max_runtime_seconds": 7200, "max_wait_seconds": 3600}, "TrainingPipelineArgs.max_wait_seconds",
     "at least max_runtime_seconds (7200)"),
    ({"max_wait_seconds": 7200}, "TrainingPipelineArgs.max_wait_seconds", "needs spot"),
    ({"approval_status": "Approved"}, "TrainingPipelineArgs.approval_status", "'Approved' is not allowed in prod"),
    ({"schedule_expression": "every sunday"}, "TrainingPipelineArgs.schedule_expression", "not a schedule expression"),
    ({"schedule_parameters": {"Epochs": "3"}, "schedule_expression": "rate(7 days)"},
     "TrainingPipelineArgs.schedule_parameters", "names no parameter"),
    ({"metric_path": "metrics..auc"}, "TrainingPipelineArgs.metric_path", "JSON path"),
    ({"image_uri": "docker.io/library/python:3.11"}, "TrainingPipelineArgs.image_uri", "ECR image URI"),
    ({"adopted": True}, "TrainingPipelineArgs.security_group_ids", "adopted VPC"),
])
def test_bad_settings_raise_config_error_naming_the_key(settings: dict[str, Any], path: str, fragment: str):
    message = problems_of(**settings)
    assert path in message and fragment in message, message


def test_the_metric_and_threshold_are_required():
    def build() -> None:
        store = ArtifactStore.__new__(ArtifactStore)
        TrainingPipelineArgs(family=None, artifact_store=store)  # type: ignore[arg-type]

    with pytest.raises(ConfigError) as info:
        run_callable(build)
    message = str(info.value)
    assert "TrainingPipelineArgs.metric: is required" in message
    assert "TrainingPipelineArgs.threshold: is required" in message


def test_a_pipeline_takes_another_stacks_job_log_groups_by_reference_and_depends_on_them_only_when_declared():
    declared = prod_plan().named("churn-pipeline-pipeline", PIPELINE)
    depends_on = {urn.rsplit("::", 1)[-1] for urn in declared.dependencies}
    assert depends_on >= {"job-logs-training-jobs", "job-logs-processing-jobs"}
    plan = run_callable(program(referenced_logs=True))
    pipeline = plan.named("churn-pipeline-pipeline", PIPELINE)
    assert not plan.of_type("aws:cloudwatch/logGroup:LogGroup") or all(
        "sagemaker" not in r.inputs.get("name", "") for r in plan.of_type("aws:cloudwatch/logGroup:LogGroup"))
    assert not any("SageMakerJobLogs" in urn for urn in pipeline.dependencies)
    # The role still writes to the account's groups, by name.
    assert statement(plan, "WriteJobLogs") == statement(prod_plan(), "WriteJobLogs")
    with pytest.raises(WiringError, match="SageMakerJobLogs reference 'x' carries no 'training'"):
        SageMakerJobLogsReference("x").training


def test_a_family_of_another_account_registers_by_the_groups_arn_with_rights_there_only():
    shared = "555566667777"
    plan = run_callable(program(registry_account=shared))
    group_arn = f"arn:aws:sagemaker:{REGION}:{shared}:model-package-group/{GROUP}"
    packages = f"arn:aws:sagemaker:{REGION}:{shared}:model-package/{GROUP}/*"
    # CreateModelPackage's ModelPackageGroupName is ArnOrName: a group of another account by its ARN.
    assert steps_by_name(definition(plan))["RegisterModel"]["Arguments"]["ModelPackageGroupName"] == group_arn
    assert statement(plan, "RegisterModelPackages")["Resource"] == [group_arn, packages]
    assert statement(plan, "RegisterModelPackages")["Condition"] == statement(prod_plan(), "RegisterModelPackages")["Condition"]
    assert packages in statement(plan, "TagOnCreate")["Resource"]
    assert statement(plan, "PullImages")["Resource"] == [
        f"arn:aws:ecr:{REGION}:{shared}:repository/{GROUP}-training", f"arn:aws:ecr:{REGION}:{shared}:repository/{GROUP}-serving"]
    # The jobs, their logs and the network stay this account's.
    assert statement(plan, "WriteJobLogs") == statement(prod_plan(), "WriteJobLogs")
    assert statement(plan, "RunPipelineJobs") == statement(prod_plan(), "RunPipelineJobs")
    assert check_plan(plan) == []
    # In the registry's own account, the group is named as before (unchanged definitions).
    assert steps_by_name(definition(prod_plan()))["RegisterModel"]["Arguments"]["ModelPackageGroupName"] == GROUP


def test_a_referenced_family_grants_nothing_from_this_stack():
    family = FamilyReference(name="churn", group_name=GROUP, group_arn=None, repositories={})  # type: ignore[arg-type]
    with pytest.raises(WiringError, match="the 'churn' family reference.grant_pull: its registry is declared in "
                                          "another stack"):
        family.grant_pull(None)  # type: ignore[arg-type]
    with pytest.raises(WiringError, match="grant_read_packages"):
        family.grant_read_packages(None)  # type: ignore[arg-type]
    with pytest.raises(WiringError, match="'serving' is not a repository kind of this family that this stack reads"):
        family.repository("serving")
