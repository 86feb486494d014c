"""The `pipelines` section of PlatformConfig, and how drift loops choose what they retrain.

`pipelines` maps a model family (one of `model_registry.families`) to its TrainingPipeline's spec;
each entry takes the environment's pipeline overlay (`environments.PIPELINE_OVERLAYS`: spot
training and shorter log retention in dev). A drift loop retrains its endpoint's family's
pipeline, or the external pipeline its `retraining_pipeline_arn` names, as an explicit choice:
exactly one of the two, on an endpoint that names its `model_family`.
"""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

from mlplat.components.drift import DriftMonitorSpec
from mlplat.components.training_pipeline import PARAMETERS, TrainingPipelineSpec
from mlplat.core.errors import Problem

__all__ = ["WHERE", "check_drift_targets", "check_pipelines"]

WHERE = "platform.pipelines"


def check_pipelines(env: Optional[str], pipelines: Mapping[str, TrainingPipelineSpec],
                    families: Optional[Sequence[str]], adopted_vpc: Optional[bool] = None) -> list[Problem]:
    """Each pipeline's own problems (Approved only in dev), and its family declared by the registry
    (`families` None: the registry section is invalid, not checked); `adopted_vpc` says whether
    network.existing is set (None: not known)."""
    problems: list[Problem] = []
    if pipelines and adopted_vpc:
        problems.append(Problem(WHERE, "cannot run in an adopted VPC (platform.network.existing): the jobs need a "
                                       "security group the platform creates only in its own network"))
    for family, spec in pipelines.items():
        where = f"{WHERE}.{family}"
        if families is not None and family not in families:
            problems.append(Problem(WHERE, f"names a family that platform.model_registry.families does not declare "
                                           f"({', '.join(families) or 'none'}); the pipeline registers into its group", family))
        problems += spec.problems_at(where, environment=env)
    return problems


def check_drift_targets(drift: Mapping[str, DriftMonitorSpec], endpoint_families: Optional[Mapping[str, tuple[int, Optional[str]]]],
                        pipelines: Optional[Mapping[str, TrainingPipelineSpec]]) -> list[Problem]:
    """`drift` maps each drift loop's endpoint to its spec; `endpoint_families` maps each endpoint's
    name to (its index in serving.endpoints, its model_family); None arguments: that section is
    invalid, not checked. A loop that retrains the family's pipeline passes it only its parameters."""
    if endpoint_families is None or pipelines is None:
        return []
    problems: list[Problem] = []
    for endpoint, spec in drift.items():
        arn = spec.retraining_pipeline_arn
        if endpoint not in endpoint_families:
            continue  # the monitoring check names the unknown endpoint
        index, family = endpoint_families[endpoint]
        loop = f"platform.monitoring.drift.{endpoint}"
        if family is None:
            if arn is None:  # an external pipeline needs no family; the family's own pipeline does
                problems.append(Problem(f"platform.serving.endpoints.{index}.model_family",
                                        f"is required: {loop} retrains the endpoint's model family's pipeline (name the "
                                        f"family, or set {loop}.retraining_pipeline_arn to an external pipeline)"))
        elif family in pipelines and arn is not None:
            problems.append(Problem(f"{loop}.retraining_pipeline_arn",
                                    f"cannot be set with {WHERE}.{family} (the drift loop retrains the family's "
                                    "pipeline; drop the ARN, or the pipeline if the team owns one elsewhere)", arn))
        elif family not in pipelines and arn is None:
            problems.append(Problem(f"{loop}.retraining_pipeline_arn",
                                    f"is required without {WHERE}.{family} (declare the family's training pipeline, "
                                    "or name the external pipeline that retrains it)"))
        elif family in pipelines:
            problems += [Problem(f"{loop}.retraining_pipeline_parameters", f"names no parameter of {WHERE}.{family}'s "
                                 f"pipeline ({', '.join(PARAMETERS)})", key)
                         for key in spec.retraining_pipeline_parameters if key not in PARAMETERS]
    return problems
