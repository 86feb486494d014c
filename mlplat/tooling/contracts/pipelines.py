"""SageMaker pipelines and EventBridge Scheduler: the requests a pipeline and its schedule imply.

- `aws.sagemaker.Pipeline` is CreatePipeline (`ClientRequestToken` is the provider's; `tags` a
  TagList). Its `pipelineDefinition` is parsed and checked as SageMaker reads it (schema version
  2020-12-01): parameters (names, types, defaults of their type), unique step names, known step
  types, `DependsOn` naming steps, property files naming one of their step's outputs, conditions,
  fail messages; and each job step's `Arguments` are the request the step sends, validated against
  botocore's shapes: Processing -> CreateProcessingJob, Training -> CreateTrainingJob,
  RegisterModel -> CreateModelPackage (the job names the pipeline supplies are not required).
  Wherever a value is expected, a pipeline expression may stand instead: `{"Get": ...}` naming a
  declared parameter, a step of the pipeline or an execution variable, `{"Std:Join": {"On",
  "Values"}}`, `{"Std:JsonGet": {"PropertyFile": {"Get": "Steps.<step>.PropertyFiles.<file>"},
  "Path"}}`. A parameter stands for its default value (so a default that the API refuses, such as
  an unknown instance type, is an error); other expressions are known only at run time.
- `aws.scheduler.Schedule` is CreateSchedule: the provider's `sagemakerPipelineParameters.
  pipelineParameters` is the API's `SageMakerPipelineParameters.PipelineParameterList`;
  `namePrefix` (already applied to `name`) and `region` are provider-only.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Iterator, Mapping, Optional

from ..plan import UNKNOWN, Plan, PlannedResource, is_unknown
from ._core import Refusal, Request, contract, input_shape, planned_name, tag_list, to_request

__all__ = ["create_pipeline", "create_schedule", "definition_requests", "DEFINITION_VERSION", "JOB_OPERATIONS"]

DEFINITION_VERSION = "2020-12-01"
CREATE_PIPELINE = "sagemaker:CreatePipeline"
# Step type -> (operation, the name member the pipeline supplies).
JOB_OPERATIONS: dict[str, tuple[str, Optional[str]]] = {
    "Processing": ("CreateProcessingJob", "ProcessingJobName"),
    "Training": ("CreateTrainingJob", "TrainingJobName"),
    "RegisterModel": ("CreateModelPackage", None),
}
# Step types SageMaker knows whose Arguments these checks do not model (not refused, not checked).
_OTHER_STEP_TYPES = frozenset({
    "Transform", "Tuning", "CreateModel", "Lambda", "Callback", "QualityCheck", "ClarifyCheck", "EMR", "AutoML",
    "EMRServerless", "Notebook",
})
_PARAMETER_TYPES = {"String": (str,), "Integer": (int,), "Float": (int, float), "Boolean": (bool,)}
_CONDITION_TYPES = frozenset({"GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo", "Equals", "NotEquals"})
_EXECUTION_VARIABLES = frozenset({
    "PipelineExecutionId", "PipelineExecutionArn", "StartDateTime", "CurrentDateTime", "PipelineArn", "PipelineName",
})
_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,64}$")
_PROPERTY_FILE = re.compile(r"^Steps\.([A-Za-z0-9\-_]+)\.PropertyFiles\.([A-Za-z0-9\-_]+)$")
_PROVIDER_ONLY = ("region", "tagsAll")


# --- CreatePipeline ----------------------------------------------------------------------------


@contract("aws:sagemaker/pipeline:Pipeline")
def create_pipeline(resource: PlannedResource, plan: Plan) -> Iterable[Request | Refusal]:
    props = dict(resource.inputs)
    if isinstance(props.get("tags"), Mapping):
        props["tags"] = tag_list(props["tags"])
    params = to_request(props, input_shape("sagemaker", "CreatePipeline"), drop=_PROVIDER_ONLY)
    params["PipelineName"] = planned_name(resource, "pipelineName", plan)
    params["ClientRequestToken"] = UNKNOWN  # the provider generates it
    yield Request("sagemaker", "CreatePipeline", params)
    definition = props.get("pipelineDefinition")
    if isinstance(definition, str) and not is_unknown(definition):
        yield from definition_requests(definition)


def definition_requests(text: str) -> Iterator[Request | Refusal]:
    """The refusals of a pipeline definition, and the request of each of its job steps."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield _refuse("PipelineDefinition", f"is not JSON ({exc.msg} at character {exc.pos})")
        return
    if not isinstance(data, dict):
        yield _refuse("PipelineDefinition", "is not a JSON object")
        return
    checker = _Definition(data)
    yield from checker.check()


def _refuse(path: str, message: str) -> Refusal:
    return Refusal(CREATE_PIPELINE, path, message)


class _Definition:
    """One definition's checks: what it declares (parameters, steps, property files), then each step."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.refusals: list[Refusal] = []
        self.parameters: dict[str, Any] = {}  # name -> default (UNKNOWN when it has none)
        self.steps: dict[str, dict[str, Any]] = {}
        self.property_files: dict[str, set[str]] = {}

    def check(self) -> Iterator[Request | Refusal]:
        data = self.data
        base = "PipelineDefinition"
        if data.get("Version") != DEFINITION_VERSION:
            yield _refuse(f"{base}.Version", f"{data.get('Version')!r} is not the definition schema version "
                                             f"({DEFINITION_VERSION!r})")
        for key in sorted(set(data) - {"Version", "Metadata", "Parameters", "Steps", "PipelineExperimentConfig"}):
            yield _refuse(f"{base}.{key}", "is not a member of a pipeline definition")
        self._declare_parameters(data.get("Parameters", []), f"{base}.Parameters")
        steps = data.get("Steps")
        if not isinstance(steps, list) or not steps:
            self.refusals.append(_refuse(f"{base}.Steps", "must list at least one step"))
            steps = []
        self._declare_steps(steps, f"{base}.Steps")
        requests = list(self._steps(steps, f"{base}.Steps"))
        yield from self.refusals
        yield from requests

    # --- declarations ------------------------------------------------------------------------

    def _declare_parameters(self, parameters: Any, path: str) -> None:
        if not isinstance(parameters, list):
            self.refusals.append(_refuse(path, "is not a list of parameters"))
            return
        for index, parameter in enumerate(parameters):
            where = f"{path}[{index}]"
            if not isinstance(parameter, dict):
                self.refusals.append(_refuse(where, "is not a parameter (Name, Type, DefaultValue)"))
                continue
            name, kind = parameter.get("Name"), parameter.get("Type", "String")
            if not isinstance(name, str) or not _NAME.match(name):
                self.refusals.append(_refuse(f"{where}.Name", f"{name!r} is not a parameter name (1-64 letters, digits, '-', '_')"))
                continue
            if name in self.parameters:
                self.refusals.append(_refuse(f"{where}.Name", f"{name!r} is declared twice"))
            for key in sorted(set(parameter) - {"Name", "Type", "DefaultValue", "Description", "EnumValues"}):
                self.refusals.append(_refuse(f"{where}.{key}", "is not a member of a parameter"))
            if kind not in _PARAMETER_TYPES:
                self.refusals.append(_refuse(f"{where}.Type", f"{kind!r} is not a parameter type ({', '.join(_PARAMETER_TYPES)})"))
                self.parameters[name] = UNKNOWN
                continue
            default = parameter.get("DefaultValue", UNKNOWN)
            if default is not UNKNOWN and (not isinstance(default, _PARAMETER_TYPES[kind])
                                           or (kind != "Boolean" and isinstance(default, bool))):
                self.refusals.append(_refuse(f"{where}.DefaultValue", f"{default!r} is not a {kind}"))
                default = UNKNOWN
            self.parameters[name] = default

    def _declare_steps(self, steps: list[Any], path: str) -> None:
        for index, step in enumerate(steps):
            where = f"{path}[{index}]"
            if not isinstance(step, dict):
                self.refusals.append(_refuse(where, "is not a step (Name, Type, Arguments)"))
                continue
            name = step.get("Name")
            if not isinstance(name, str) or not _NAME.match(name):
                self.refusals.append(_refuse(f"{where}.Name", f"{name!r} is not a step name (1-64 letters, digits, '-', '_')"))
            elif name in self.steps:
                self.refusals.append(_refuse(f"{where}.Name", f"{name!r} names two steps"))
            else:
                self.steps[name] = step
                files = step.get("PropertyFiles") or []
                self.property_files[name] = {f.get("PropertyFileName") for f in files if isinstance(f, dict)}
            arguments = step.get("Arguments")
            if step.get("Type") == "Condition" and isinstance(arguments, dict):
                for branch in ("IfSteps", "ElseSteps"):
                    if isinstance(arguments.get(branch), list):
                        self._declare_steps(arguments[branch], f"{where}.Arguments.{branch}")

    # --- steps -------------------------------------------------------------------------------

    def _steps(self, steps: list[Any], path: str) -> Iterator[Request]:
        for index, step in enumerate(steps):
            if isinstance(step, dict):
                yield from self._step(step, f"{path}[{index}]")

    def _step(self, step: dict[str, Any], where: str) -> Iterator[Request]:
        name, kind = step.get("Name"), step.get("Type")
        label = f"{where}({name})" if isinstance(name, str) else where
        for key in sorted(set(step) - {"Name", "Type", "Arguments", "DependsOn", "PropertyFiles", "CacheConfig",
                                       "RetryPolicies", "DisplayName", "Description"}):
            self.refusals.append(_refuse(f"{label}.{key}", "is not a member of a pipeline step"))
        for index, other in enumerate(step.get("DependsOn") or []):
            if other not in self.steps or other == name:
                self.refusals.append(_refuse(f"{label}.DependsOn[{index}]", f"{other!r} is not another step of the pipeline"))
        arguments = step.get("Arguments")
        if kind in JOB_OPERATIONS:
            if not isinstance(arguments, dict):
                self.refusals.append(_refuse(f"{label}.Arguments", f"is not the {JOB_OPERATIONS[kind][0]} request of a {kind} step"))
                return
            operation, supplied_name = JOB_OPERATIONS[kind]
            params = self._resolve(arguments, f"{label}.Arguments", step_name=name)
            if supplied_name is not None:
                params[supplied_name] = UNKNOWN  # the pipeline names the job
            self._property_files(step, label, arguments)
            yield Request("sagemaker", operation, params, context=f"pipeline step {name}")
        elif kind == "Condition":
            yield from self._condition(arguments, f"{label}.Arguments", name)
        elif kind == "Fail":
            message = arguments.get("ErrorMessage") if isinstance(arguments, dict) else None
            if message is None or not (isinstance(message, str) or _is_expression(message)):
                self.refusals.append(_refuse(f"{label}.Arguments.ErrorMessage", "is required: a string or an expression"))
            else:
                self._resolve(message, f"{label}.Arguments.ErrorMessage", step_name=name)
        elif kind not in _OTHER_STEP_TYPES:
            allowed = ", ".join([*JOB_OPERATIONS, "Condition", "Fail", *sorted(_OTHER_STEP_TYPES)])
            self.refusals.append(_refuse(f"{label}.Type", f"{kind!r} is not a pipeline step type ({allowed})"))

    def _property_files(self, step: dict[str, Any], label: str, arguments: dict[str, Any]) -> None:
        files = step.get("PropertyFiles")
        if files is None:
            return
        outputs = arguments.get("ProcessingOutputConfig", {}).get("Outputs", []) if step.get("Type") == "Processing" else []
        names = {o.get("OutputName") for o in outputs if isinstance(o, dict)}
        for index, entry in enumerate(files if isinstance(files, list) else [files]):
            where = f"{label}.PropertyFiles[{index}]"
            if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("PropertyFileName", "OutputName", "FilePath")):
                self.refusals.append(_refuse(where, "is not a property file (PropertyFileName, OutputName, FilePath)"))
            elif entry["OutputName"] not in names:
                self.refusals.append(_refuse(f"{where}.OutputName", f"{entry['OutputName']!r} is not an output of this "
                                             f"processing step ({', '.join(sorted(n for n in names if n)) or 'none'})"))

    def _condition(self, arguments: Any, where: str, name: Any) -> Iterator[Request]:
        if not isinstance(arguments, dict):
            self.refusals.append(_refuse(where, "is not a condition step's arguments (Conditions, IfSteps, ElseSteps)"))
            return
        conditions = arguments.get("Conditions")
        if not isinstance(conditions, list) or not conditions:
            self.refusals.append(_refuse(f"{where}.Conditions", "must list at least one condition"))
            conditions = []
        for index, condition in enumerate(conditions):
            self._one_condition(condition, f"{where}.Conditions[{index}]", name)
        for key in sorted(set(arguments) - {"Conditions", "IfSteps", "ElseSteps"}):
            self.refusals.append(_refuse(f"{where}.{key}", "is not a member of a condition step's arguments"))
        for branch in ("IfSteps", "ElseSteps"):
            steps = arguments.get(branch, [])
            if not isinstance(steps, list):
                self.refusals.append(_refuse(f"{where}.{branch}", "is not a list of steps"))
                continue
            yield from self._steps(steps, f"{where}.{branch}")

    def _one_condition(self, condition: Any, where: str, name: Any) -> None:
        if not isinstance(condition, dict):
            self.refusals.append(_refuse(where, "is not a condition (Type, LeftValue, RightValue)"))
            return
        kind = condition.get("Type")
        if kind in ("Or", "Not"):
            inner = condition.get("Conditions") if kind == "Or" else [condition.get("Condition")]
            for index, item in enumerate(inner if isinstance(inner, list) else []):
                self._one_condition(item, f"{where}.Conditions[{index}]", name)
            return
        if kind == "In":
            self._resolve(condition.get("QueryValue"), f"{where}.QueryValue", step_name=name)
            return
        if kind not in _CONDITION_TYPES:
            self.refusals.append(_refuse(f"{where}.Type", f"{kind!r} is not a condition type "
                                         f"({', '.join(sorted(_CONDITION_TYPES | {'In', 'Not', 'Or'}))})"))
            return
        for side in ("LeftValue", "RightValue"):
            if side not in condition:
                self.refusals.append(_refuse(f"{where}.{side}", "is required"))
            else:
                self._resolve(condition[side], f"{where}.{side}", step_name=name)

    # --- values and expressions --------------------------------------------------------------

    def _resolve(self, value: Any, where: str, *, step_name: Any) -> Any:
        """`value` with each expression checked and replaced: a parameter by its default (unknown
        without one), anything else by UNKNOWN (known at run time only)."""
        if _is_expression(value):
            return self._expression(value, where, step_name)
        if isinstance(value, dict):
            return {k: self._resolve(v, f"{where}.{k}", step_name=step_name) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v, f"{where}[{i}]", step_name=step_name) for i, v in enumerate(value)]
        return value

    def _expression(self, value: dict[str, Any], where: str, step_name: Any) -> Any:
        (function, body), = value.items()
        if function == "Get":
            return self._get(body, where, step_name)
        if function == "Std:Join":
            if not isinstance(body, dict) or not isinstance(body.get("On"), str) or not isinstance(body.get("Values"), list):
                self.refusals.append(_refuse(f"{where}.Std:Join", "must have On (a string) and Values (a list)"))
            else:
                self._resolve(body["Values"], f"{where}.Std:Join.Values", step_name=step_name)
            return UNKNOWN
        if function == "Std:JsonGet":
            if not isinstance(body, dict) or not isinstance(body.get("Path"), str):
                self.refusals.append(_refuse(f"{where}.Std:JsonGet", "must have PropertyFile and Path (a string)"))
                return UNKNOWN
            reference = body.get("PropertyFile")
            target = reference.get("Get") if isinstance(reference, dict) else None
            match = _PROPERTY_FILE.match(target) if isinstance(target, str) else None
            if match is None:
                self.refusals.append(_refuse(f"{where}.Std:JsonGet.PropertyFile",
                                             "is not {\"Get\": \"Steps.<step>.PropertyFiles.<name>\"}"))
            elif match.group(2) not in self.property_files.get(match.group(1), set()):
                self.refusals.append(_refuse(f"{where}.Std:JsonGet.PropertyFile", f"{target!r} names no property file "
                                             f"of a step of this pipeline"))
            return UNKNOWN
        self.refusals.append(_refuse(where, f"{function!r} is not a pipeline function (Get, Std:Join, Std:JsonGet)"))
        return UNKNOWN

    def _get(self, reference: Any, where: str, step_name: Any) -> Any:
        path = f"{where}.Get"
        if not isinstance(reference, str):
            self.refusals.append(_refuse(path, "is not a reference (a string)"))
            return UNKNOWN
        scope, _, rest = reference.partition(".")
        if scope == "Parameters":
            if rest not in self.parameters:
                self.refusals.append(_refuse(path, f"{reference!r} names no parameter of the pipeline "
                                             f"({', '.join(self.parameters) or 'none'})"))
                return UNKNOWN
            return self.parameters[rest]
        if scope == "Steps":
            step = rest.split(".", 1)[0]
            if step not in self.steps or step == step_name or "." not in rest:
                self.refusals.append(_refuse(path, f"{reference!r} is not a property of another step of the pipeline"))
            return UNKNOWN
        if scope == "Execution" and rest in _EXECUTION_VARIABLES:
            return UNKNOWN
        self.refusals.append(_refuse(path, f"{reference!r} is not a reference (Parameters.<name>, Steps.<step>.<property>, "
                                           f"Execution.<{'|'.join(sorted(_EXECUTION_VARIABLES))}>)"))
        return UNKNOWN


def _is_expression(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and (next(iter(value)) == "Get" or next(iter(value)).startswith("Std:"))


# --- EventBridge Scheduler ---------------------------------------------------------------------


@contract("aws:scheduler/schedule:Schedule")
def create_schedule(resource: PlannedResource, plan: Plan) -> Iterable[Request]:
    params = to_request(
        resource.inputs, input_shape("scheduler", "CreateSchedule"),
        renames={"target.sagemakerPipelineParameters": "SageMakerPipelineParameters",
                 "target.sagemakerPipelineParameters.pipelineParameters": "PipelineParameterList",
                 "target.eventbridgeParameters": "EventBridgeParameters"},
        drop=(*_PROVIDER_ONLY, "namePrefix"),
    )
    params["Name"] = planned_name(resource, "name", plan)
    yield Request("scheduler", "CreateSchedule", params)
