"""The `layer` and `layers` settings of PlatformConfig: which part of the environment a stack declares.

`layer: all` (the default) is the single stack of an environment. A layer stack declares one part
(`mlplat.platform.layers`) and its stack file holds that part's sections only (with the
environment-wide ones: environment, region, tags, deletion_protection); a section of another layer
is an error naming the layer it belongs to, so each setting lives in exactly one stack file.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from pydantic import Field

from mlplat.core.errors import Problem
from mlplat.core.models import StrictBool, StrictModel
from mlplat.core.vocabulary import LAYER_ALL, LAYER_NAME, SERVING_LAYER_PREFIX

__all__ = ["COMMON_SECTIONS", "LayersConfig", "check_layer", "layer_sections", "section_owner"]

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


def layer_kind_of(layer: str) -> str:
    return "serving" if layer.startswith(SERVING_LAYER_PREFIX) else layer  # `serving`, `serving-<team>`


def section_owner(section: str, keys: Optional[Mapping[str, Any]] = None) -> str:
    """The layer kind whose stack file holds `section` (`monitoring`: by its keys)."""
    if section == "monitoring":
        return "foundation" if keys is not None and set(keys) <= _FOUNDATION_MONITORING else "serving"
    return next(kind for kind, sections in _SECTIONS.items() if section in sections)


def layer_sections(layer: str) -> frozenset[str]:
    """The sections a stack of `layer` declares resources from (all of them for `all`)."""
    if layer == LAYER_ALL:
        return frozenset().union(*_SECTIONS.values()) | COMMON_SECTIONS
    return _SECTIONS.get(layer_kind_of(layer), frozenset()) | COMMON_SECTIONS


def check_layer(raw: Mapping[str, Any], layer: Any, layers: Optional[LayersConfig]) -> list[Problem]:
    """The layer's name, the foundation-only settings, and each section in the stack file of its layer."""
    if not isinstance(layer, str):
        return []  # the type error is reported already
    if layer != LAYER_ALL and not LAYER_NAME.fullmatch(layer):
        return [Problem("platform.layer", "is not a layer: all, foundation, ml-services, training, serving or serving-<team> "
                                          "(<team>: lowercase letters, digits and '-')", layer)]
    problems: list[Problem] = []
    if layers is not None and layer != "foundation":
        for field in ("training_clusters", "experiments_bucket"):
            if getattr(layers, field):
                told = "derives it from the stack's own sections" if layer == LAYER_ALL else "does not declare it"
                problems.append(Problem(f"platform.layers.{field}", f"is a setting of the foundation layer; a {layer} "
                                        f"stack {told}", getattr(layers, field)))
    if layer == LAYER_ALL:
        if layers is not None and layers.budget_usd_per_month is not None:
            problems.append(Problem("platform.layers.budget_usd_per_month", "is a layer stack's own budget; a single "
                                    "stack's is budget_usd_per_month", layers.budget_usd_per_month))
        return problems
    kind = layer_kind_of(layer)
    for section, value in raw.items():
        if section in COMMON_SECTIONS or section not in frozenset().union(*_SECTIONS.values()):
            continue
        if section == "monitoring" and isinstance(value, Mapping):
            foreign = sorted(set(value) & _FOUNDATION_MONITORING) if kind != "foundation" else sorted(
                set(value) - _FOUNDATION_MONITORING)
            for key in foreign:
                owner = "foundation" if key in _FOUNDATION_MONITORING else "serving-<team>"
                problems.append(Problem(f"platform.monitoring.{key}", f"belongs to the {owner} layer's stack file, not "
                                        f"to a {layer} stack"))
            continue
        if section == "network" and kind != "foundation" and isinstance(value, Mapping) and set(value) <= {"existing"}:
            continue  # an adopted VPC is restated above the foundation: consumers shape their resources by it
        if section not in _SECTIONS[kind]:
            owner = section_owner(section)
            owner = "serving-<team>" if owner == "serving" else owner
            problems.append(Problem(f"platform.{section}", f"belongs to the {owner} layer's stack file, not to a "
                                    f"{layer} stack (a setting lives in one stack file)"))
    return problems
