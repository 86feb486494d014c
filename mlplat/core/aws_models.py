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

__all__ = [
    "operation_model", "python_pattern", "regions", "service_model", "shape", "shape_enum", "shape_limits", "shape_pattern",
]


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
    """A named shape's pattern (botocore's patterns match the whole value, as Java's `matches`).

    Java's Unicode classes \\p{L}, \\p{N} and \\p{Z} (tag keys and values) become Python equivalents."""
    pattern = shape(service, name).metadata.get("pattern")
    return re.compile(python_pattern(pattern)) if pattern is not None else None


# Unicode separators (category Z): what \p{Z} matches.
_SEPARATORS = "\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_CHARACTER_CLASS = re.compile(r"\[((?:\\.|[^\]\\])*)\]")
_PROPERTY = re.compile(r"\\p\{(\w+)\}")


def python_pattern(pattern: str) -> str:
    """A botocore (Java) pattern in Python's syntax: character classes with \\p{L}, \\p{N}, \\p{Z}."""
    return _CHARACTER_CLASS.sub(_python_class, pattern)


def _python_class(match: re.Match[str]) -> str:
    body = match.group(1)
    properties = set(_PROPERTY.findall(body))
    if not properties:
        return match.group(0)
    if body.startswith("^") or not properties <= {"L", "N", "Z"}:
        raise ValueError(f"unsupported character class in a botocore pattern: {match.group(0)}")
    rest = _PROPERTY.sub("", body) + (_SEPARATORS if "Z" in properties else "")
    # [^\W_] is a letter or a number; [^\W\d_] a letter; \d a decimal number.
    words = {frozenset("LN"): r"[^\W_]", frozenset("L"): r"[^\W\d_]", frozenset("N"): r"\d"}.get(frozenset(properties - {"Z"}))
    alternatives = [a for a in (words, f"[{rest}]" if rest else None) if a]
    return "(?:" + "|".join(alternatives) + ")"


@functools.lru_cache(maxsize=None)
def regions(service: str = "ec2") -> tuple[str, ...]:
    """The regions botocore's endpoint data lists for a service (the public partition)."""
    return tuple(sorted(_session().get_available_regions(service)))
