"""botocore's AWS service models, read once: the enums, patterns and limits of the real APIs.

Components validate Args, the stack schema lists regions and the contract checks validate requests
against the same models, so a value the API would refuse is refused at plan time by every one of them.
"""

from __future__ import annotations

import functools
import re
from typing import Optional

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

__all__ = ["operation_model", "regions", "service_model", "shape", "shape_enum", "shape_limits", "shape_pattern"]


@functools.lru_cache(maxsize=1)
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.lru_cache(maxsize=None)
def service_model(service: str) -> ServiceModel:
    return _session().get_service_model(service)


@functools.lru_cache(maxsize=None)
def operation_model(service: str, operation: str) -> OperationModel:
    return service_model(service).operation_model(operation)


@functools.lru_cache(maxsize=None)
def shape(service: str, name: str) -> Shape:
    """A named shape of a service model (`shape("ec2", "InstanceType")`)."""
    return service_model(service).shape_for(name)


@functools.lru_cache(maxsize=None)
def shape_enum(service: str, name: str) -> tuple[str, ...]:
    """The enum of a named shape (sagemaker ProductionVariantInstanceType, ec2 InstanceType, ...)."""
    return tuple(shape(service, name).enum)


def shape_limits(service: str, name: str) -> tuple[Optional[int], Optional[int]]:
    """(min, max) of a named shape: lengths for strings and lists, bounds for numbers."""
    meta = shape(service, name).metadata
    return meta.get("min"), meta.get("max")


@functools.lru_cache(maxsize=None)
def shape_pattern(service: str, name: str) -> Optional[re.Pattern[str]]:
    """A named shape's pattern (botocore's patterns match the whole value, as Java's `matches`)."""
    pattern = shape(service, name).metadata.get("pattern")
    return re.compile(pattern) if pattern is not None else None


@functools.lru_cache(maxsize=None)
def regions(service: str = "ec2") -> tuple[str, ...]:
    """The regions botocore's endpoint data lists for a service (the public partition)."""
    return tuple(sorted(_session().get_available_regions(service)))
