"""The platform's shared vocabulary: values components, rules and tooling must agree on.

Defined once here (docs/DECISIONS.md, Packaging and layers: environments, classifications, tag keys, the Kubernetes version);
every other module imports them instead of restating them.
"""

from __future__ import annotations

import re
from typing import Literal, Optional, get_args

__all__ = [
    "BUCKET_ROLE_TAG",
    "CONFIG_KEY",
    "CONFIG_NAMESPACE",
    "DATA_CLASSIFICATIONS",
    "DEFAULT_KUBERNETES_VERSION",
    "DataClassification",
    "ENVIRONMENTS",
    "ENDPOINT_INSTANCE_CAPS",
    "ENVIRONMENT_TAG",
    "Environment",
    "FAMILY_TAG",
    "FEATURE_GROUP_TAG",
    "GPU_NODE_CAPS",
    "LOG_RETENTION_DAYS",
    "MANAGED_BY",
    "MAX_GPUS_PER_NODE",
    "MAX_API_INTEGER",
    "MAX_AVAILABILITY_ZONES",
    "MIN_AVAILABILITY_ZONES",
    "PLATFORM_VERSION_TAG",
    "RESERVED_TAG_PREFIXES",
    "REQUIRED_TAG_KEYS",
    "SOURCE_REVISION_TAG",
    "SUPPORTED_KUBERNETES_VERSIONS",
    "environment_of_stack",
    "BASE_LAYERS",
    "LAYER_ALL",
    "LAYER_NAME",
    "ML_SERVICES_LAYER",
    "SERVING_LAYER_PREFIX",
    "layer_kind",
    "layer_of_stack",
]

Environment = Literal["dev", "staging", "prod"]
ENVIRONMENTS: tuple[str, ...] = get_args(Environment)


# Layer stacks of an environment: `<environment>-<layer>` (`prod-foundation`, `prod-serving-fraud`).
LAYER_ALL = "all"  # the single stack: every layer in one
BASE_LAYERS: tuple[str, ...] = ("foundation", "ml-services", "training")
SERVING_LAYER_PREFIX = "serving"
ML_SERVICES_LAYER = "ml-services"  # the environment's one ml-services stack (feature store, tracking)
_TEAM = r"-[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?"
# `serving` alone: one serving stack for every family; `serving-<team>`: one per team (or set of families).
# `ml-services-<team>`: a team's model families and pipelines, beside the environment's one `ml-services`.
LAYER_NAME = re.compile(rf"foundation|ml-services(?:{_TEAM})?|training|serving(?:{_TEAM})?")


def layer_kind(layer: str) -> str:
    """`all`, `foundation`, `ml-services` (also for `ml-services-<team>`), `training` or `serving` (for
    `serving-<team>`)."""
    if layer == SERVING_LAYER_PREFIX or layer.startswith(f"{SERVING_LAYER_PREFIX}-"):
        return "serving"
    if layer.startswith(f"{ML_SERVICES_LAYER}-"):
        return ML_SERVICES_LAYER
    return layer


def layer_of_stack(stack: str) -> Optional[tuple[str, str]]:
    """(environment, layer) of a layer stack's name (`prod-serving-fraud`, `org/project/prod-training`), or None."""
    name = stack.rsplit("/", 1)[-1]
    for environment in ENVIRONMENTS:
        prefix = f"{environment}-"
        if name.startswith(prefix) and LAYER_NAME.fullmatch(name[len(prefix):]):
            return environment, name[len(prefix):]
    return None


def environment_of_stack(stack: str) -> Optional[str]:
    """The environment a stack's name tells (`dev`, `team-dev`, `org/project/dev`, and layer stacks
    `<env>-<layer>` such as `prod-foundation`), or None."""
    for environment in ENVIRONMENTS:
        if stack == environment or stack.endswith((f"-{environment}", f"/{environment}")):
            return environment
    layer = layer_of_stack(stack)
    return layer[0] if layer is not None else None


DataClassification = Literal["public", "internal", "confidential", "restricted"]
DATA_CLASSIFICATIONS: tuple[str, ...] = get_args(DataClassification)

# The stack file's structured value: `ml-platform:platform`.
CONFIG_NAMESPACE = "ml-platform"
CONFIG_KEY = "platform"

# Tags every taggable AWS resource of a stack carries, and who manages it.
MANAGED_BY = "mlplat"
REQUIRED_TAG_KEYS: tuple[str, ...] = ("owner", "cost-center", "project", "env", "data-classification", "managed-by")
ENVIRONMENT_TAG = "mlplat:environment"
BUCKET_ROLE_TAG = "mlplat:bucket-role"
FAMILY_TAG = "mlplat:model-family"
FEATURE_GROUP_TAG = "mlplat:feature-group"
PLATFORM_VERSION_TAG = "mlplat:platform-version"
SOURCE_REVISION_TAG = "mlplat:source-revision"
# Tag key prefixes no user tag may take: AWS reserves `aws:`; `mlplat:` carries lineage and roles.
RESERVED_TAG_PREFIXES: tuple[str, ...] = ("aws:", "mlplat:")

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

MIN_AVAILABILITY_ZONES = 2
MAX_AVAILABILITY_ZONES = 6
# AWS APIs take integers as 32-bit numbers: a larger count or duration is refused (or wraps).
MAX_API_INTEGER = 2**31 - 1

SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = ("1.31", "1.32", "1.33", "1.34", "1.35")
DEFAULT_KUBERNETES_VERSION = "1.34"
# Max nodes per GPU pool (docs/DECISIONS.md, Serving: dev 2, staging 4, prod 16).
GPU_NODE_CAPS: dict[str, int] = {"dev": 2, "staging": 4, "prod": 16}
# GPUs of the largest NVIDIA instances the GPU AMI runs (p4d, p5, g5.48xlarge, ...): a pool of N nodes
# holds at most N x this many GPUs, which bounds a team's quota in it.
MAX_GPUS_PER_NODE = 8
# Most instances per endpoint variant (initial count, autoscaling bounds, scale-down capacity), per
# environment: dev is one small instance, staging prod's shape at smaller sizes; a cap against an extra zero.
ENDPOINT_INSTANCE_CAPS: dict[str, int] = {"dev": 4, "staging": 10, "prod": 40}
