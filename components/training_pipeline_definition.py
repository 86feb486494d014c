"""A SageMaker pipeline definition as typed data (schema version 2020-12-01).

The models mirror the pipeline definition JSON that SageMaker reads (and the SageMaker Python SDK
writes): `Parameters` (typed, with defaults), `Steps` of type Processing, Training, Condition,
RegisterModel and Fail, and the pipeline expressions a value may be replaced by: `{"Get":
"Parameters.X"}` / `{"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}`, `{"Std:Join": {"On",
"Values"}}` and `{"Std:JsonGet": {"PropertyFile", "Path"}}`. A job step's `Arguments` are the API
request the step sends (CreateProcessingJob, CreateTrainingJob; a RegisterModel step's are a
CreateModelPackage request) without the job name the pipeline supplies; the plan's contract checks
validate them against botocore's request shapes.

`PipelineDefinition.to_json()` serialises once, with sorted keys, so the definition in the plan is
byte for byte what SageMaker receives and does not change from run to run.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "BinaryCondition",
    "ConditionArguments",
    "ConditionStep",
    "DEFINITION_VERSION",
    "FailArguments",
    "FailStep",
    "Get",
    "Join",
    "JsonGet",
    "Parameter",
    "parameter",
    "PipelineDefinition",
    "ProcessingStep",
    "PropertyFile",
    "referenced_steps",
    "RegisterModelStep",
    "Step",
    "TrainingStep",
]

DEFINITION_VERSION = "2020-12-01"
_STEP_REFERENCE = re.compile(r"^Steps\.([A-Za-z0-9_-]+)\.")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --- expressions -----------------------------------------------------------------------------


class Get(_Model):
    """A property or parameter reference: `Parameters.<name>`, `Steps.<step>.<property path>`,
    `Execution.PipelineExecutionId`."""

    Get: str


class _JoinBody(_Model):
    On: str
    Values: list[Any]


class Join(_Model):
    """`Std:Join`: the values (strings or expressions) joined with `On`."""

    body: _JoinBody = Field(alias="Std:Join")

    @classmethod
    def of(cls, on: str, *values: Any) -> "Join":
        return cls(body=_JoinBody(On=on, Values=list(values)))


class _JsonGetBody(_Model):
    PropertyFile: Get
    Path: str


class JsonGet(_Model):
    """`Std:JsonGet`: the value at `Path` (JMESPath) in a step's property file."""

    body: _JsonGetBody = Field(alias="Std:JsonGet")

    @classmethod
    def of(cls, step: str, property_file: str, path: str) -> "JsonGet":
        return cls(body=_JsonGetBody(PropertyFile=Get(Get=f"Steps.{step}.PropertyFiles.{property_file}"), Path=path))


def parameter(name: str) -> Get:
    """A reference to the pipeline parameter `name`."""
    return Get(Get=f"Parameters.{name}")


# --- parameters ------------------------------------------------------------------------------


class Parameter(_Model):
    Name: str = Field(pattern=r"^[A-Za-z0-9\-_]{1,64}$")
    Type: Literal["String", "Integer", "Float", "Boolean"]
    DefaultValue: Optional[Union[bool, int, float, str]] = None


# --- steps -----------------------------------------------------------------------------------

StepName = str


class PropertyFile(_Model):
    """A JSON file a processing step writes to one of its outputs, readable with Std:JsonGet."""

    PropertyFileName: str
    OutputName: str
    FilePath: str


class _Step(_Model):
    Name: StepName = Field(pattern=r"^[A-Za-z0-9\-_]{1,64}$")
    DependsOn: Optional[list[StepName]] = None


class ProcessingStep(_Step):
    Type: Literal["Processing"] = "Processing"
    Arguments: dict[str, Any]  # a CreateProcessingJob request without ProcessingJobName
    PropertyFiles: Optional[list[PropertyFile]] = None


class TrainingStep(_Step):
    Type: Literal["Training"] = "Training"
    Arguments: dict[str, Any]  # a CreateTrainingJob request without TrainingJobName


class RegisterModelStep(_Step):
    Type: Literal["RegisterModel"] = "RegisterModel"
    Arguments: dict[str, Any]  # a CreateModelPackage request


class FailArguments(_Model):
    ErrorMessage: Union[str, Join]


class FailStep(_Step):
    Type: Literal["Fail"] = "Fail"
    Arguments: FailArguments


class BinaryCondition(_Model):
    Type: Literal["GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo", "Equals", "NotEquals"]
    LeftValue: Union[bool, int, float, str, Get, JsonGet, Join]
    RightValue: Union[bool, int, float, str, Get, JsonGet, Join]


class ConditionArguments(_Model):
    Conditions: list[BinaryCondition] = Field(min_length=1)
    IfSteps: list["Step"] = Field(default_factory=list)
    ElseSteps: list["Step"] = Field(default_factory=list)


class ConditionStep(_Step):
    Type: Literal["Condition"] = "Condition"
    Arguments: ConditionArguments


Step = Union[ProcessingStep, TrainingStep, RegisterModelStep, FailStep, ConditionStep]
ConditionArguments.model_rebuild()


class PipelineDefinition(_Model):
    Version: Literal["2020-12-01"] = DEFINITION_VERSION
    Metadata: dict[str, Any] = Field(default_factory=dict)
    Parameters: list[Parameter] = Field(default_factory=list)
    Steps: list[Step] = Field(min_length=1)

    def to_data(self) -> dict[str, Any]:
        """The definition as plain JSON data (aliases such as `Std:Join` applied, unset fields left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_json(self) -> str:
        """The definition as SageMaker reads it, serialised once with sorted keys."""
        return json.dumps(self.to_data(), sort_keys=True, separators=(",", ":"))

    def steps(self) -> list[Step]:
        """Every step, the condition steps' branches included (depth first, in definition order)."""
        found: list[Step] = []

        def walk(steps: list[Step]) -> None:
            for step in steps:
                found.append(step)
                if isinstance(step, ConditionStep):
                    walk(step.Arguments.IfSteps)
                    walk(step.Arguments.ElseSteps)

        walk(self.Steps)
        return found


def referenced_steps(value: Any) -> set[str]:
    """Names of the steps whose properties `value` (plain JSON data) reads: its data dependencies."""
    found: set[str] = set()
    if isinstance(value, dict):
        get = value.get("Get")
        if isinstance(get, str):
            match = _STEP_REFERENCE.match(get)
            if match:
                found.add(match.group(1))
        for item in value.values():
            found |= referenced_steps(item)
    elif isinstance(value, list):
        for item in value:
            found |= referenced_steps(item)
    return found
