"""Contract checks of planned resources against botocore's AWS API models (see `_core`).

Mappers live in this package's modules, one per AWS domain, registered with `@contract`.
"""

import importlib
import pkgutil

from mlplat.core.aws_models import shape_enum

from ._core import (
    ContractError,
    MappingGap,
    Refusal,
    Request,
    check_plan,
    contract,
    input_shape,
    mapped_types,
    planned_name,
    operation_model,
    requests_for,
    tag_list,
    to_request,
    validate,
)

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "ContractError",
    "MappingGap",
    "Refusal",
    "Request",
    "check_plan",
    "contract",
    "input_shape",
    "mapped_types",
    "planned_name",
    "operation_model",
    "requests_for",
    "shape_enum",
    "tag_list",
    "to_request",
    "validate",
]
