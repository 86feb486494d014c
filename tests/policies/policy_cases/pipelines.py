"""SageMaker pipeline rule cases (MLP-PIPE-01, MLP-PIPE-02).

The compliant baseline is the definition TrainingPipeline builds (the same function, with fixed
ARNs), declared on a plain `aws.sagemaker.Pipeline`; each failing case changes one thing in it.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Callable, Optional

import pulumi_aws as aws

from mlplat.components.training_pipeline import PipelineInfrastructure, TrainingPipelineSpec, pipeline_definition

from . import RuleCase

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/pipeline"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/11111111-2222-4333-a444-555555555555"
REPOSITORY = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/mlplat-prod-churn"


def baseline(**settings: Any) -> dict[str, Any]:
    spec = TrainingPipelineSpec(**{"metric": "auc", "threshold": 0.8, **settings})
    infra = PipelineInfrastructure(
        family="churn", group_name="mlplat-prod-churn", role_arn=ROLE_ARN, datasets_bucket="datasets",
        models_bucket="models", data_key_arn=KEY_ARN, models_key_arn=KEY_ARN, subnet_ids=["subnet-0123456789abcdef0"],
        security_group_ids=["sg-0123456789abcdef0"], training_repository_url=f"{REPOSITORY}-training",
        serving_repository_url=f"{REPOSITORY}-serving",
    )
    return json.loads(pipeline_definition(spec, infra).to_json())


def step(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """The step named `name`, also inside a condition's branches."""
    pending = list(doc["Steps"])
    while pending:
        candidate = pending.pop(0)
        if candidate["Name"] == name:
            return candidate
        if candidate["Type"] == "Condition":
            pending += candidate["Arguments"].get("IfSteps", []) + candidate["Arguments"].get("ElseSteps", [])
    raise KeyError(name)


def pipeline(change: Optional[Callable[[dict[str, Any]], None]] = None, **settings: Any) -> Callable[[], None]:
    def program() -> None:
        doc = copy.deepcopy(baseline(**settings))
        if change is not None:
            change(doc)
        aws.sagemaker.Pipeline("churn-training", pipeline_name="churn-training", pipeline_display_name="churn-training",
                               pipeline_definition=json.dumps(doc), role_arn=ROLE_ARN)

    return program


def computed_definition() -> None:
    role = aws.iam.Role("pipeline-role", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
    aws.sagemaker.Pipeline("churn-training", pipeline_name="churn-training", pipeline_display_name="churn-training",
                           pipeline_definition=role.arn.apply(lambda arn: json.dumps(baseline())), role_arn=role.arn)


def parameter_default(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        next(p for p in doc["Parameters"] if p["Name"] == name)["DefaultValue"] = value

    return change


def setting(step_name: str, path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set (or, with None, remove) `path` in a step's Arguments."""
    def change(doc: dict[str, Any]) -> None:
        target = step(doc, step_name)["Arguments"]
        *parents, last = path.split(".")
        for part in parents:
            target = target[part]
        if value is None:
            target.pop(last)
        else:
            target[last] = value

    return change


CASES = [
    # MLP-PIPE-01 steps isolated, encrypted, in the VPC
    RuleCase("MLP-PIPE-01", "pass", pipeline(), "TrainingPipeline's definition"),
    RuleCase("MLP-PIPE-01", "pass", pipeline(spot=True), "spot training with checkpoints"),
    RuleCase("MLP-PIPE-01", "pass", computed_definition, "preview of a computed definition is unverified", preview=True),
    RuleCase("MLP-PIPE-01", "pass", pipeline(setting("PrepareData", "NetworkConfig.EnableNetworkIsolation", False)),
             "exempt preparation step", rule_config={"isolation_exempt_steps": ["PrepareData"]}),
    RuleCase("MLP-PIPE-01", "fail", pipeline(setting("Train", "EnableNetworkIsolation", False)), "training not isolated",
             message="step Train: EnableNetworkIsolation is False"),
    RuleCase("MLP-PIPE-01", "fail", pipeline(setting("Train", "EnableInterContainerTrafficEncryption", None)),
             "training traffic unencrypted", message="EnableInterContainerTrafficEncryption is not set"),
    RuleCase("MLP-PIPE-01", "fail", pipeline(setting("Train", "VpcConfig", None)), "training outside the VPC",
             message="step Train: VpcConfig.Subnets is not set"),
    RuleCase("MLP-PIPE-01", "fail", pipeline(setting("Train", "OutputDataConfig.KmsKeyId", None)), "model artifacts without key",
             message="OutputDataConfig.KmsKeyId is not set"),
    RuleCase("MLP-PIPE-01", "fail", pipeline(setting("Evaluate", "ProcessingResources.ClusterConfig.VolumeKmsKeyId", None)),
             "evaluation volume without key", message="step Evaluate: ProcessingResources.ClusterConfig.VolumeKmsKeyId"),
    RuleCase("MLP-PIPE-01", "fail", pipeline(setting("PrepareData", "NetworkConfig.EnableNetworkIsolation",
                                                     {"Get": "Parameters.Isolation"})),
             "isolation left to a parameter", message="a pipeline expression"),
    RuleCase("MLP-PIPE-01", "fail", pipeline(setting("Evaluate", "ProcessingOutputConfig.KmsKeyId", None)),
             "evaluation report without key", message="ProcessingOutputConfig.KmsKeyId is not set"),
    # MLP-PIPE-02 registration waits for a reviewer outside dev
    RuleCase("MLP-PIPE-02", "pass", pipeline(), "parameter defaulting to PendingManualApproval"),
    RuleCase("MLP-PIPE-02", "pass", pipeline(setting("RegisterModel", "ModelApprovalStatus", None)),
             "omitted: versioned packages default to pending"),
    RuleCase("MLP-PIPE-02", "pass", pipeline(approval_status="Approved"), "dev may auto-approve", environment="dev"),
    RuleCase("MLP-PIPE-02", "fail", pipeline(approval_status="Approved"), "parameter defaulting to Approved",
             message="parameter defaulting to 'Approved'"),
    RuleCase("MLP-PIPE-02", "fail", pipeline(setting("RegisterModel", "ModelApprovalStatus", "Approved")), "literal Approved",
             message="with ModelApprovalStatus 'Approved'"),
    RuleCase("MLP-PIPE-02", "fail", pipeline(setting("RegisterModel", "ModelApprovalStatus", {
        "Std:JsonGet": {"PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"}, "Path": "approval"}})),
             "status computed at run time", message="computed at run time"),
]
