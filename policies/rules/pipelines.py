"""SageMaker pipelines: steps encrypted, isolated and in the VPC (MLP-PIPE-01), registration waits
for a reviewer outside dev (MLP-PIPE-02).

Both read `aws:sagemaker/pipeline:Pipeline`'s `pipelineDefinition` (the JSON SageMaker runs), every
step included, those in condition branches too. A job step's `Arguments` are its API request:

- Processing (CreateProcessingJob): `NetworkConfig.{EnableNetworkIsolation,
  EnableInterContainerTrafficEncryption,VpcConfig.{Subnets,SecurityGroupIds}}`,
  `ProcessingResources.ClusterConfig.VolumeKmsKeyId`, `ProcessingOutputConfig.KmsKeyId`;
- Training (CreateTrainingJob): `EnableNetworkIsolation`, `EnableInterContainerTrafficEncryption`,
  `VpcConfig.{Subnets,SecurityGroupIds}`, `ResourceConfig.VolumeKmsKeyId`, `OutputDataConfig.KmsKeyId`;
- RegisterModel (CreateModelPackage): `ModelApprovalStatus`.

A value may be a pipeline expression. A switch (isolation, encryption) or an approval status given
by a parameter is decided by whoever starts an execution: a parameter passes only when its default
is the compliant value (MLP-PIPE-02; the execution role's `sagemaker:ModelApprovalStatus`
condition, which TrainingPipeline sets outside dev, stops an override), and a switch must be the
literal `true`. A key or subnet given by an expression is set. An unknown definition (a preview of
a new stack) is unverified.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator, Optional

from pydantic import Field

from mlplat.core.paths import value_at

from ._framework import Finding, ResourceView, RuleConfig, RuleContext, resource_rule
from ._framework import MISSING as _MISSING, UNKNOWN as _UNKNOWN, state as _state

__all__ = ["PIPELINE_TYPE", "PipelineIsolationConfig", "pipeline_registration_approval", "pipeline_steps_isolated"]

PIPELINE_TYPE = "aws:sagemaker/pipeline:Pipeline"
PENDING = "PendingManualApproval"


def _definition(r: ResourceView) -> Iterator[Any]:
    """The parsed definition (one item), an unverified finding, or a failing one for JSON SageMaker refuses."""
    text = _state(r, "pipelineDefinition")
    if text is _UNKNOWN:
        yield Finding(f"pipeline {r.name}: pipelineDefinition is unknown until apply", unverified=True)
        return
    if text is _MISSING or not isinstance(text, str):
        return  # a definition in S3 (pipelineDefinitionS3Location) is not read here
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        yield Finding(f"pipeline {r.name}: pipelineDefinition is not JSON", key="definition")
        return
    yield data


def _steps(steps: Any) -> Iterator[dict[str, Any]]:
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict):
            continue
        yield step
        arguments = step.get("Arguments")
        if step.get("Type") == "Condition" and isinstance(arguments, dict):
            yield from _steps(arguments.get("IfSteps"))
            yield from _steps(arguments.get("ElseSteps"))


def _is_expression(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and (next(iter(value)) == "Get" or next(iter(value)).startswith("Std:"))


def _set(value: Any) -> bool:
    return _is_expression(value) or (isinstance(value, (str, list)) and len(value) > 0)


# --- MLP-PIPE-01 ------------------------------------------------------------------------------

# Step type -> (switches that must be literally true, values that must be set), as paths in Arguments.
_REQUIRED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Processing": (
        ("NetworkConfig.EnableNetworkIsolation", "NetworkConfig.EnableInterContainerTrafficEncryption"),
        ("NetworkConfig.VpcConfig.Subnets", "NetworkConfig.VpcConfig.SecurityGroupIds",
         "ProcessingResources.ClusterConfig.VolumeKmsKeyId", "ProcessingOutputConfig.KmsKeyId"),
    ),
    "Training": (
        ("EnableNetworkIsolation", "EnableInterContainerTrafficEncryption"),
        ("VpcConfig.Subnets", "VpcConfig.SecurityGroupIds", "ResourceConfig.VolumeKmsKeyId", "OutputDataConfig.KmsKeyId"),
    ),
}
_ISOLATION = {"NetworkConfig.EnableNetworkIsolation", "EnableNetworkIsolation"}


class PipelineIsolationConfig(RuleConfig):
    isolation_exempt_steps: list[str] = Field(
        default_factory=list,
        description="Names of job steps that cannot run network-isolated (a processing step that calls AWS APIs other "
        "than S3, such as Athena); they must still run in the VPC, encrypted. Omitted: none, every job step is isolated.",
    )


@resource_rule(
    id="MLP-PIPE-01", name="mlplat-sagemaker-pipeline-steps-isolated-encrypted", severity="high",
    description="SageMaker pipeline job steps (processing, training) run network-isolated in the VPC, with "
    "inter-container traffic encryption and KMS keys for their volumes and outputs",
    remediation=(
        "In each Processing and Training step's Arguments set EnableNetworkIsolation and "
        "EnableInterContainerTrafficEncryption to true (literally: not a parameter whoever starts the pipeline may override).",
        "Give each job a VpcConfig with the platform's private subnets and a security group, a VolumeKmsKeyId and an "
        "output KmsKeyId (mlplat's TrainingPipeline sets all of them).",
        "A processing step that must reach other AWS APIs goes in the rule's isolation_exempt_steps setting.",
    ),
    frameworks=("NIST-800-53:SC-7", "NIST-800-53:SC-8", "NIST-800-53:SC-28"), levels=("advisory", "mandatory"),
    types=(PIPELINE_TYPE,), config=PipelineIsolationConfig,
)
def pipeline_steps_isolated(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    for data in _definition(r):
        if isinstance(data, Finding):
            yield data
            continue
        for step in _steps(data.get("Steps") if isinstance(data, dict) else None):
            required = _REQUIRED.get(str(step.get("Type")))
            if required is None:
                continue
            name, arguments = step.get("Name"), step.get("Arguments")
            arguments = arguments if isinstance(arguments, dict) else {}
            switches, values = required
            for path in switches:
                if path in _ISOLATION and name in cfg.isolation_exempt_steps:
                    continue
                value = value_at(arguments, path)
                if value is not True:
                    shown = "a pipeline expression (whoever starts the pipeline decides)" if _is_expression(value) else (
                        "not set (the default is off)" if value is None else repr(value))
                    yield Finding(f"pipeline {r.name}: step {name}: {path} is {shown}", key=f"{name}:{path}")
            for path in values:
                if not _set(value_at(arguments, path)):
                    yield Finding(f"pipeline {r.name}: step {name}: {path} is not set", key=f"{name}:{path}")


# --- MLP-PIPE-02 ------------------------------------------------------------------------------


@resource_rule(
    id="MLP-PIPE-02", name="mlplat-sagemaker-pipeline-registration-needs-approval", severity="high",
    description="SageMaker pipelines register models PendingManualApproval (or through a parameter whose default is "
    "PendingManualApproval): a reviewer approves what gets deployed",
    remediation=(
        "Set each RegisterModel step's ModelApprovalStatus to PendingManualApproval, or to a parameter whose default "
        "is PendingManualApproval; only dev may auto-approve (mlplat: pipelines.<family>.approval_status).",
        "Let the execution role create model packages only with sagemaker:ModelApprovalStatus = PendingManualApproval "
        "(mlplat's TrainingPipeline does outside dev), so a parameter passed at start cannot approve.",
    ),
    frameworks=("NIST-800-53:CM-3",), levels=("disabled", "mandatory"), types=(PIPELINE_TYPE,),
)
def pipeline_registration_approval(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    for data in _definition(r):
        if isinstance(data, Finding):
            yield data
            continue
        parameters = {p.get("Name"): p.get("DefaultValue") for p in data.get("Parameters", []) if isinstance(p, dict)} \
            if isinstance(data, dict) and isinstance(data.get("Parameters"), list) else {}
        for step in _steps(data.get("Steps") if isinstance(data, dict) else None):
            if step.get("Type") != "RegisterModel":
                continue
            name = step.get("Name")
            status = value_at(step.get("Arguments"), "ModelApprovalStatus")
            problem = _approval_problem(status, parameters)
            if problem is not None:
                yield Finding(f"pipeline {r.name}: step {name} registers models {problem}", key=str(name))


def _approval_problem(status: Any, parameters: dict[Any, Any]) -> Optional[str]:
    if status is None or status == PENDING:
        return None  # versioned model packages default to PendingManualApproval
    if isinstance(status, dict) and set(status) == {"Get"} and str(status["Get"]).startswith("Parameters."):
        default = parameters.get(str(status["Get"]).removeprefix("Parameters."))
        return None if default == PENDING else f"with ModelApprovalStatus parameter defaulting to {default!r}"
    if _is_expression(status):
        return "with a ModelApprovalStatus computed at run time (it may approve itself)"
    return f"with ModelApprovalStatus {status!r}"
