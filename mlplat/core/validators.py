"""Pure checks that components, the stack config and rules share: each returns Problems, never raises."""

from __future__ import annotations

import ipaddress
from typing import Mapping, Sequence

from . import aws_models
from .errors import Problem
from .vocabulary import LOG_RETENTION_DAYS, RESERVED_TAG_PREFIXES

__all__ = [
    "TAG_CHARACTERS", "check_log_retention", "check_public_access", "check_tag_key", "check_tag_value", "check_tags",
    "check_vpc_cidr",
]

# The platform tags SageMaker, IAM, CloudWatch Logs, S3, KMS, EKS...: their tag rules (botocore's
# sagemaker TagKey / TagValue: lengths and characters, the strictest of them) hold for every tag.
_TAG_SERVICE = "sagemaker"
TAG_CHARACTERS = "letters, digits, spaces and _ . : / = + - @"

MIN_VPC_PREFIX, MAX_VPC_PREFIX = 16, 24  # VPC limits: /16 is the largest, /24 keeps subnets >= /27


def check_log_retention(path: str, days: int) -> list[Problem]:
    """Problems with a CloudWatch Logs retention period."""
    if days in LOG_RETENTION_DAYS:
        return []
    allowed = ", ".join(map(str, LOG_RETENTION_DAYS))
    return [Problem(path, f"is not a CloudWatch Logs retention period (allowed: {allowed})", days)]


def check_vpc_cidr(path: str, cidr: str) -> list[Problem]:
    """Problems with a VPC CIDR to create."""
    try:
        network = ipaddress.ip_network(cidr, strict=True)
    except ValueError:
        try:
            hint = f" (did you mean {ipaddress.ip_network(cidr, strict=False)}?)"
        except ValueError:
            hint = ""
        return [Problem(path, f"is not an IPv4 CIDR block such as 10.0.0.0/16{hint}", cidr)]
    if network.version != 4 or not MIN_VPC_PREFIX <= network.prefixlen <= MAX_VPC_PREFIX:
        return [Problem(path, f"must be an IPv4 block between /{MIN_VPC_PREFIX} and /{MAX_VPC_PREFIX} (VPC limits)", cidr)]
    return []


def check_public_access(where: str, environment: str, enabled: bool, cidrs: Sequence[str]) -> list[Problem]:
    """A public cluster endpoint only in dev, only with an allow-list, never the whole internet.

    One check for the stack config (`platform.training`) and the component (`TrainingClusterArgs`)."""
    problems: list[Problem] = []
    if enabled and environment != "dev":
        problems.append(
            Problem(f"{where}.endpoint_public_access",
                    f"is not allowed in {environment} (only dev clusters may have a public API endpoint; "
                    "manage the cluster from inside the VPC)", True)
        )
    if enabled and not cidrs:
        problems.append(
            Problem(f"{where}.public_access_cidrs", "is empty; a public endpoint needs an allow-list of CIDRs "
                    "(EKS would otherwise admit 0.0.0.0/0)", tuple(cidrs))
        )
    if cidrs and not enabled:
        problems.append(
            Problem(f"{where}.public_access_cidrs", "has no effect without endpoint_public_access=True (remove it)", tuple(cidrs))
        )
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            problems.append(Problem(f"{where}.public_access_cidrs", "is not a CIDR block such as 203.0.113.0/24", cidr))
            continue
        if network.prefixlen == 0:
            problems.append(Problem(f"{where}.public_access_cidrs", "admits the whole internet (list your own ranges)", cidr))
    return problems


def check_tag_key(path: str, key: object) -> list[Problem]:
    """Problems with a tag key AWS would refuse (length, characters, the `aws:` prefix), or one that
    takes the `mlplat:` prefix of the platform's own tags."""
    low, high = aws_models.shape_limits(_TAG_SERVICE, "TagKey")
    pattern = aws_models.shape_pattern(_TAG_SERVICE, "TagKey")
    if (
        not isinstance(key, str) or not (low or 1) <= len(key) <= (high or 128)
        or (pattern is not None and not pattern.fullmatch(key)) or key.lower().startswith("aws:")
    ):
        return [Problem(path, f"is not an AWS tag key ({low or 1} to {high} {TAG_CHARACTERS}; not starting with 'aws:')", key)]
    reserved = [p for p in RESERVED_TAG_PREFIXES if key.lower().startswith(p)]
    if reserved:
        return [Problem(path, f"starts with {reserved[0]!r}, the prefix of the platform's own tags", key)]
    return []


def check_tag_value(path: str, value: object, *, required: bool = False) -> list[Problem]:
    """Problems with a tag value AWS would refuse (length, characters, the `aws:` prefix); a
    `required` value must not be blank either."""
    low, high = aws_models.shape_limits(_TAG_SERVICE, "TagValue")
    pattern = aws_models.shape_pattern(_TAG_SERVICE, "TagValue")
    low = 1 if required else (low or 0)
    if (
        not isinstance(value, str) or not low <= len(value) <= (high or 256) or (required and not value.strip())
        or (pattern is not None and not pattern.fullmatch(value))
    ):
        blank = ", not blank" if required else ""
        return [Problem(path, f"is not an AWS tag value ({low} to {high} {TAG_CHARACTERS}{blank})", value)]
    if value.lower().startswith("aws:"):
        return [Problem(path, "starts with 'aws:', which AWS reserves for its own tags", value)]
    return []


def check_tags(path: str, tags: Mapping[object, object]) -> list[Problem]:
    """Problems with a map of tags: a key's under `path`, a value's under `path.<key>`."""
    problems: list[Problem] = []
    for key, value in tags.items():
        problems += check_tag_key(path, key)
        problems += check_tag_value(f"{path}.{key}", value)
    return problems
