"""The `layer` and `layers` settings of PlatformConfig: which part of the environment a stack declares.

`layer: all` (the default) is the single stack of an environment. A layer stack declares one part
(`mlplat.platform.layers`) and its stack file holds that part's sections only (with the
environment-wide ones: environment, region, tags, deletion_protection); a section of another layer
is an error naming the layer it belongs to, so each setting lives in exactly one stack file.

A team's ml-services stack (`ml-services-<team>`) holds `model_registry` and `pipelines` only: the
feature store (one Glue database per environment) and the tracking server (one per environment)
belong to the environment's one `ml-services` stack, whose names two declarations would collide on.

`layers.ml_services` names the ml-services layer whose model families a stack reads: a serving
stack's endpoints deploy them (and its drift loops retrain their pipelines); an ml-services stack's
pipelines register into them (a pipelines stack in the workload account over a registry stack in the
shared-services account, which cannot run pipelines). Such an ml-services stack declares no
`model_registry` of its own. A serving stack over such a registry names the pipelines' layer in
`layers.pipelines`, for its drift loops.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from pydantic import Field

from mlplat.core.errors import Problem
from mlplat.core.models import StrictBool, StrictInt, StrictModel
from mlplat.core.validators import check_log_retention
from mlplat.core.vocabulary import LAYER_ALL, LAYER_NAME, ML_SERVICES_LAYER, layer_kind

__all__ = ["COMMON_SECTIONS", "LAYER_NAMES_TEXT", "LayersConfig", "check_layer", "layer_reference_problems",
           "layer_sections", "pipelines_layer", "registry_layer", "section_owner"]

LAYER_NAMES_TEXT = ("all, foundation, ml-services, ml-services-<team>, training, serving or serving-<team> "
                    "(<team>: lowercase letters, digits and '-')")

# Sections every stack file of an environment holds.
COMMON_SECTIONS = frozenset({"environment", "region", "tags", "deletion_protection", "layer", "layers"})
# The sections of each layer kind; `monitoring` is split: subscriptions (foundation's alarm topic), the rest serving's.
_SECTIONS: dict[str, frozenset[str]] = {
    # The environment's budgets are declared once, by the foundation (`mlplat plan --env` sums the layers).
    "foundation": frozenset({"encryption", "network", "artifact_store", "monitoring", "budget_usd_per_month",
                             "team_budgets_usd_per_month"}),
    "ml-services": frozenset({"feature_store", "model_registry", "experiment_tracking", "pipelines"}),
    "training": frozenset({"training"}),
    "serving": frozenset({"serving", "monitoring"}),
}
_FOUNDATION_MONITORING = frozenset({"subscriptions"})
# A team's ml-services stack: its families and their pipelines; the rest of ml-services is the environment's.
_TEAM_ML_SERVICES = frozenset({"model_registry", "pipelines"})
_ENVIRONMENT_ML_SERVICES = {
    "feature_store": "one Glue database <prefix>features per environment",
    "experiment_tracking": "one tracking server <prefix>mlflow per environment",
}
# Settings of `layers` the foundation alone declares.
_FOUNDATION_ONLY = ("training_clusters", "experiments_bucket", "sagemaker_job_logs_retention_days")


class LayersConfig(StrictModel):
    """How a layer stack finds the layers below, and what the foundation declares for the layers above."""

    stack_prefix: str = Field(
        default="", pattern=r"^([A-Za-z0-9_.-]+/){0,2}$",
        description="Prefix of the referenced layer stacks' names: `<org>/<project>/` (Pulumi Cloud, or a "
        "self-managed backend's `organization/<project>/`). Omitted: the stacks of this project by name.",
    )
    training_clusters: tuple[str, ...] = Field(
        default=(), description="foundation only: the `training.name` of the environment's training layer; the "
        "foundation declares the cluster's key and the interface endpoints its nodes need. Omitted: no cluster.",
    )
    budget_usd_per_month: Optional[float] = Field(
        default=None, gt=0,
        description="A layer stack's own monthly budget in USD: `mlplat plan --env` compares the layer's fixed "
        "monthly estimate with it (MLP-COST-01 across layers; a limit of the plan, not an AWS Budget: AWS "
        "cannot attribute costs to a stack). The environment's budget is the foundation's "
        "budget_usd_per_month. Omitted: the layer has no limit of its own.",
    )
    experiments_bucket: StrictBool = Field(
        default=False, description="foundation only: declare the experiments bucket of the ml-services layer's "
        "tracking server (experiment_tracking). Omitted: none.",
    )
    sagemaker_job_logs_retention_days: Optional[StrictInt] = Field(
        default=None, description="foundation only: declare the account's SageMaker job log groups "
        "(/aws/sagemaker/TrainingJobs, /aws/sagemaker/ProcessingJobs) with this retention (a CloudWatch Logs "
        "period, e.g. 365): one pair per account, which the pipelines of every ml-services stack write to. "
        "Required when an ml-services layer declares pipelines. Omitted: the foundation declares none.",
    )
    ml_services: str = Field(
        default=ML_SERVICES_LAYER, description="The ml-services layer this stack reads its model families from: "
        "ml-services (the environment's) or ml-services-<team> (a team's, stack <environment>-ml-services-<team>). "
        "A serving stack deploys their packages and retrains their pipelines (omitted: ml-services). An "
        "ml-services stack sets it when its `pipelines` register into another stack's registry (a registry "
        "stack in the shared-services account, which cannot run pipelines); it then declares no "
        "`model_registry` (omitted: its pipelines register into its own registry).",
    )
    pipelines: Optional[str] = Field(
        default=None, description="serving only: the ml-services layer whose training pipelines this stack's drift "
        "loops retrain, when it is not layers.ml_services (whose registry runs no pipeline: a registry stack in "
        "the shared-services account, whose families a workload-account ml-services stack trains). Omitted: "
        "layers.ml_services.",
    )


def section_owner(section: str, keys: Optional[Mapping[str, Any]] = None) -> str:
    """The layer kind whose stack file holds `section` (`monitoring`: by its keys)."""
    if section == "monitoring":
        return "foundation" if keys is not None and set(keys) <= _FOUNDATION_MONITORING else "serving"
    return next(kind for kind, sections in _SECTIONS.items() if section in sections)


def layer_sections(layer: str) -> frozenset[str]:
    """The sections a stack of `layer` declares resources from (all of them for `all`)."""
    if layer == LAYER_ALL:
        return frozenset().union(*_SECTIONS.values()) | COMMON_SECTIONS
    if _team_ml_services(layer):
        return _TEAM_ML_SERVICES | COMMON_SECTIONS
    return _SECTIONS.get(layer_kind(layer), frozenset()) | COMMON_SECTIONS


def _team_ml_services(layer: str) -> bool:
    return layer != ML_SERVICES_LAYER and layer_kind(layer) == ML_SERVICES_LAYER


def check_layer(raw: Mapping[str, Any], layer: Any, layers: Optional[LayersConfig], *,
                registry_apart: bool = False) -> list[Problem]:
    """The layer's name, the foundation-only settings, and each section in the stack file of its layer.
    `registry_apart`: the stack is an ml-services registry in the shared-services account over a foundation in
    another account (`AccountMap.registry_apart`); it declares its own alarm topic, so it holds
    `monitoring.subscriptions` too."""
    if not isinstance(layer, str):
        return []  # the type error is reported already
    if layer != LAYER_ALL and not LAYER_NAME.fullmatch(layer):
        return [Problem("platform.layer", f"is not a layer: {LAYER_NAMES_TEXT}", layer)]
    problems: list[Problem] = []
    if layers is not None and layer != "foundation":
        for field in _FOUNDATION_ONLY:
            if getattr(layers, field) not in (None, False, ()):
                told = "derives it from the stack's own sections" if layer == LAYER_ALL else "does not declare it"
                problems.append(Problem(f"platform.layers.{field}", f"is a setting of the foundation layer; a {layer} "
                                        f"stack {told}", getattr(layers, field)))
    if layers is not None:
        problems += layer_reference_problems(layer, layers, raw)
    if layers is not None and layer == "foundation" and layers.sagemaker_job_logs_retention_days is not None:
        problems += check_log_retention("platform.layers.sagemaker_job_logs_retention_days",
                                        layers.sagemaker_job_logs_retention_days)
    if layer == LAYER_ALL:
        if layers is not None and layers.budget_usd_per_month is not None:
            problems.append(Problem("platform.layers.budget_usd_per_month", "is a layer stack's own budget; a single "
                                    "stack's is budget_usd_per_month", layers.budget_usd_per_month))
        return problems
    kind = layer_kind(layer)
    for section, value in raw.items():
        if section in COMMON_SECTIONS or section not in frozenset().union(*_SECTIONS.values()):
            continue
        if section == "monitoring" and isinstance(value, Mapping):
            own_topic = kind == "foundation" or registry_apart
            foreign = sorted(set(value) & _FOUNDATION_MONITORING) if not own_topic else sorted(
                set(value) - _FOUNDATION_MONITORING)
            for key in foreign:
                owner = "foundation" if key in _FOUNDATION_MONITORING else "serving-<team>"
                problems.append(Problem(f"platform.monitoring.{key}", f"belongs to the {owner} layer's stack file, not "
                                        f"to a {layer} stack"))
            continue
        if section == "network" and kind != "foundation" and isinstance(value, Mapping) and set(value) <= {"existing"}:
            continue  # an adopted VPC is restated above the foundation: consumers shape their resources by it
        if section == "pipelines" and kind == ML_SERVICES_LAYER and isinstance(value, Mapping):
            for family, pipeline in value.items():
                if isinstance(pipeline, Mapping) and "log_retention_days" in pipeline:
                    problems.append(Problem(f"platform.pipelines.{family}.log_retention_days", "is the retention of the "
                                            "account's SageMaker job log groups, which a layered environment's "
                                            "foundation declares: set its layers.sagemaker_job_logs_retention_days",
                                            pipeline["log_retention_days"]))
        if section in _ENVIRONMENT_ML_SERVICES and _team_ml_services(layer):
            environment = raw.get("environment", "<environment>")
            problems.append(Problem(f"platform.{section}", f"belongs to the environment's one ml-services stack's file "
                                    f"(stacks/Pulumi.{environment}-ml-services.yaml), not to a team's {layer} stack: "
                                    f"{_ENVIRONMENT_ML_SERVICES[section]}, which a second declaration would collide "
                                    "with (a team's ml-services stack holds model_registry and pipelines only)"))
            continue
        if section not in _SECTIONS[kind]:
            owner = section_owner(section)
            owner = "serving-<team>" if owner == "serving" else owner
            problems.append(Problem(f"platform.{section}", f"belongs to the {owner} layer's stack file, not to a "
                                    f"{layer} stack (a setting lives in one stack file)"))
    return problems


def pipelines_layer(layer: str, layers: LayersConfig) -> Optional[str]:
    """The ml-services layer whose pipelines a serving stack's drift loops retrain, when it is not the one it reads
    families from (`layers.pipelines`); None otherwise."""
    kind = layer_kind(layer)
    if kind == "serving" and layers.pipelines is not None and layers.pipelines != layers.ml_services:
        return layers.pipelines
    return None


def registry_layer(layer: str, layers: LayersConfig) -> Optional[str]:
    """The ml-services layer whose model families a stack of `layer` reads through a stack reference: a serving
    layer's `layers.ml_services`, an ml-services layer's when set (its pipelines register there); None for a
    stack that declares its own families (the single stack, an ml-services layer without it) or reads none."""
    kind = layer_kind(layer)
    if kind == "serving" or (kind == ML_SERVICES_LAYER and "ml_services" in layers.model_fields_set):
        return layers.ml_services
    return None


def _ml_services_problems(layer: str, layers: LayersConfig, raw: Mapping[str, Any]) -> list[Problem]:
    """`layers.ml_services`: set in serving and ml-services stacks only, naming an ml-services layer (another one,
    for an ml-services stack, which then declares no registry of its own)."""
    if "ml_services" not in layers.model_fields_set:
        return []
    value = layers.ml_services
    kind = layer_kind(layer)
    if kind not in ("serving", ML_SERVICES_LAYER):
        where = "the single stack declares its own ml-services" if layer == LAYER_ALL else f"a {layer} stack reads none"
        return [Problem("platform.layers.ml_services", f"is a setting of serving and ml-services layer stacks (the "
                        f"ml-services layer whose model families they read); {where}", value)]
    if not _is_ml_services_layer(value):
        return [_not_ml_services_layer("platform.layers.ml_services", value)]
    if kind == ML_SERVICES_LAYER and value == layer:
        return [Problem("platform.layers.ml_services", f"names this stack's own layer: an ml-services stack sets it to "
                        "another ml-services layer, whose registry its pipelines register into", value)]
    registry = raw.get("model_registry")
    if kind == ML_SERVICES_LAYER and isinstance(registry, Mapping) and registry.get("families"):
        return [Problem("platform.model_registry", f"cannot be declared with layers.ml_services: {value} (this stack's "
                        f"pipelines register into the families of the {value} layer's registry; declare families "
                        "there, or drop layers.ml_services to keep a registry here)")]
    return []


def _pipelines_problems(layer: str, layers: LayersConfig) -> list[Problem]:
    """`layers.pipelines`: set in serving stacks only, naming an ml-services layer."""
    value = layers.pipelines
    if value is None:
        return []
    if layer_kind(layer) != "serving":
        where = "the single stack declares its own pipelines" if layer == LAYER_ALL else f"a {layer} stack has none"
        return [Problem("platform.layers.pipelines", "is a setting of serving layer stacks (the ml-services layer whose "
                        f"pipelines their drift loops retrain); {where}", value)]
    if not _is_ml_services_layer(value):
        return [_not_ml_services_layer("platform.layers.pipelines", value)]
    return []


def layer_reference_problems(layer: str, layers: LayersConfig, raw: Mapping[str, Any]) -> list[Problem]:
    """`layers.ml_services` and `layers.pipelines`: the ml-services layers a stack of `layer` references, each
    where it may be set and naming an ml-services layer (`raw`: the stack file's platform config)."""
    return _ml_services_problems(layer, layers, raw) + _pipelines_problems(layer, layers)


def _is_ml_services_layer(value: Any) -> bool:
    return isinstance(value, str) and bool(LAYER_NAME.fullmatch(value)) and layer_kind(value) == ML_SERVICES_LAYER


def _not_ml_services_layer(path: str, value: Any) -> Problem:
    return Problem(path, "is not an ml-services layer: ml-services (the environment's) or ml-services-<team> "
                         "(<team>: lowercase letters, digits and '-')", value)
