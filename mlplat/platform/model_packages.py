"""Which model package `model_package: latest-approved` deploys: the newest Approved one of the family's group.

MLPlatform asks a `ModelPackageSource` (one method) for the Approved packages of a model package
group and deploys the newest by `CreationTime`; an Approved package whose registration has not
completed (`ModelPackageStatus` other than `Completed`) cannot be deployed and is skipped. Sources:

- `Boto3ModelPackages`: SageMaker's ListModelPackages at `pulumi preview`/`up` (the stack's region,
  the standard credential chain, then the roles of the stack's `aws:assumeRoles` assumed in order as
  the provider assumes them, so the registry is asked with the stack's own identity; every page is
  read, so the choice does not rest on the server's sort); a group that does not exist yet (a new
  stack's first preview) has no approved package;
- `SnapshotModelPackages`: a JSON file `{group name or ARN: ModelPackageSummaryList}` as
  `aws sagemaker list-model-packages --query ModelPackageSummaryList` prints it, validated on load
  (a ConfigError names the file, the group, the entry and what is wrong);
- `NoModelPackages`: no registry at all (an offline plan without a snapshot): no approved package.

A group in another account (the shared-services registry a workload account's serving stack deploys
from, `mlplat.platform.accounts`) is named by its ARN (`model_package_group_arn`): ListModelPackages
takes it as `ModelPackageGroupName`, and a snapshot keys that group by the same ARN, so the plan shows
the package of the account it lives in.

The offline runner installs its source for the run with `model_package_source(...)` (a context
variable, reset when the run ends); without one, MLPlatform asks SageMaker.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional, Protocol, Sequence

from mlplat.core import aws_models
from mlplat.core.errors import ConfigError, PlatformError, Problem

__all__ = [
    "APPROVED",
    "Boto3ModelPackages",
    "COMPLETED",
    "current_model_package_source",
    "latest_approved",
    "model_package_group_arn",
    "model_package_source",
    "ModelPackageSource",
    "ModelPackageSummary",
    "NoModelPackages",
    "PackageListing",
    "provider_assume_roles",
    "Resolution",
    "SnapshotModelPackages",
]

APPROVED = "Approved"
COMPLETED = "Completed"
PAGE_SIZE = 100  # ListModelPackages' MaxResults maximum


@dataclass(frozen=True)
class ModelPackageSummary:
    """One entry of ListModelPackages' ModelPackageSummaryList (the members the choice needs)."""

    arn: str
    creation_time: datetime
    status: str  # ModelPackageStatus
    approval_status: Optional[str] = None  # ModelApprovalStatus (versioned packages have one)
    version: Optional[int] = None

    @property
    def deployable(self) -> bool:
        return self.approval_status == APPROVED and self.status == COMPLETED


@dataclass(frozen=True)
class PackageListing:
    """What a source knows of one group: its packages (a source may list other statuses too: they
    are ignored), where the answer came from, and why there is no list when there is none."""

    group_name: str
    packages: tuple[ModelPackageSummary, ...]
    source: str  # e.g. "SageMaker ListModelPackages in us-east-1", "registry snapshot stacks/registry.prod.json"
    absent: Optional[str] = None  # e.g. "the group does not exist yet"


class ModelPackageSource(Protocol):
    def list_approved(self, group_name: str) -> PackageListing:
        """The group's model packages whose ModelApprovalStatus is Approved (others may be included);
        `group_name` is the group's name, or its ARN for a group in another account."""
        ...


_GROUP_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
                        r"model-package-group/(?P<name>[A-Za-z0-9][A-Za-z0-9-]{0,62})$")


def model_package_group_arn(*, region: str, account: str, group_name: str, partition: str = "aws") -> str:
    """The ARN of a model package group, as SageMaker builds it (a group in another account is asked by it)."""
    return f"arn:{partition}:sagemaker:{region}:{account}:model-package-group/{group_name}"


def _group_parts(group: str) -> tuple[Optional[str], str]:
    """(the account of a group ARN or None for a bare name, the group's name)."""
    match = _GROUP_ARN.match(group)
    return (match.group("account"), match.group("name")) if match else (None, group)


@dataclass(frozen=True)
class Resolution:
    """The outcome of `latest-approved` for one group: the package chosen, or none (the endpoint waits)."""

    listing: PackageListing
    chosen: Optional[ModelPackageSummary]
    approved: int  # deployable Approved packages seen

    def describe(self, endpoint: str) -> str:
        """The plan's line: which package, created when, from where; or why none."""
        listing = self.listing
        where = f"group {listing.group_name}, from {listing.source}"
        if self.chosen is not None:
            package = self.chosen
            version = f"version {package.version}, " if package.version is not None else ""
            newer = sorted((p for p in listing.packages if p.creation_time > package.creation_time),
                           key=lambda p: p.creation_time, reverse=True)
            skipped = "; newer, not deployed: " + ", ".join(
                f"{_name(p)} {p.approval_status or 'no approval status'}"
                + ("" if p.status == COMPLETED else f" ({p.status})") for p in newer
            ) if newer else ""
            return (f"endpoint {endpoint}: model_package latest-approved is {package.arn} ({version}created "
                    f"{package.creation_time.isoformat()}; the newest of {self.approved} Approved package"
                    f"{'s' if self.approved != 1 else ''} in {where}{skipped})")
        reason = listing.absent or "no package in it is Approved (and Completed)"
        return (f"endpoint {endpoint}: model_package latest-approved found no approved package ({where}: {reason}); "
                "the endpoint waits for a model")


def _name(package: ModelPackageSummary) -> str:
    return f"version {package.version}" if package.version is not None else package.arn


def latest_approved(source: ModelPackageSource, group_name: str) -> Resolution:
    """The newest deployable Approved package of `group_name` by CreationTime (ties: the higher version)."""
    listing = source.list_approved(group_name)
    deployable = [p for p in listing.packages if p.deployable]
    chosen = max(deployable, key=lambda p: (p.creation_time, p.version or 0), default=None)
    return Resolution(listing=listing, chosen=chosen, approved=len(deployable))


# --- the run's source -------------------------------------------------------------------------------

_SOURCE: contextvars.ContextVar[Optional[ModelPackageSource]] = contextvars.ContextVar(
    "mlplat_model_package_source", default=None
)


@contextlib.contextmanager
def model_package_source(source: ModelPackageSource) -> Iterator[ModelPackageSource]:
    """Within the block, MLPlatform answers `latest-approved` from `source` (the offline runner, tests)."""
    token = _SOURCE.set(source)
    try:
        yield source
    finally:
        _SOURCE.reset(token)


def current_model_package_source() -> Optional[ModelPackageSource]:
    """The source installed by `model_package_source`, if any."""
    return _SOURCE.get()


# --- SageMaker --------------------------------------------------------------------------------------


class Boto3ModelPackages:
    """ListModelPackages through boto3: the stack's region, the standard credential chain (environment,
    profile, SSO, instance or OIDC role), then each role of `assume_roles` in order (the provider's
    `aws:assumeRoles` entries: `roleArn`, optional `sessionName`, `externalId`), or an explicit client (tests)."""

    def __init__(self, region: Optional[str], *, profile: Optional[str] = None, client: Any = None,
                 assume_roles: Sequence[Mapping[str, Any]] = (), endpoint_url: Optional[str] = None) -> None:
        self.region = region
        self.profile = profile
        self.assume_roles = tuple(assume_roles)
        self.endpoint_url = endpoint_url
        self._client = client

    def _sagemaker(self) -> Any:
        if self._client is None:
            import boto3  # only a real preview/up needs it

            session = boto3.session.Session(region_name=self.region, profile_name=self.profile)
            for role in self.assume_roles:  # chained, as the provider chains them
                sts = session.client("sts", endpoint_url=self.endpoint_url)
                credentials = sts.assume_role(**_assume_role_request(role))["Credentials"]
                session = boto3.session.Session(
                    region_name=self.region, aws_access_key_id=credentials["AccessKeyId"],
                    aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"],
                )
            self._client = session.client("sagemaker", endpoint_url=self.endpoint_url)
        return self._client

    def list_approved(self, group_name: str) -> PackageListing:
        from botocore.exceptions import BotoCoreError, ClientError

        source = f"SageMaker ListModelPackages in {self.region or 'the default region'}"
        if self.assume_roles:
            source += f" as {self.assume_roles[-1].get('roleArn')}"
        packages: list[ModelPackageSummary] = []
        try:
            # botocore's model: ListModelPackages' ModelPackageGroupName is an `ArnOrName` (pattern
            # `(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:[a-z\-]*\/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)`,
            # max 170): a group of another account is asked by its ARN, under that account's group policy.
            paginator = self._sagemaker().get_paginator("list_model_packages")
            pages = paginator.paginate(
                ModelPackageGroupName=group_name, ModelApprovalStatus=APPROVED, SortBy="CreationTime",
                SortOrder="Descending", PaginationConfig={"PageSize": PAGE_SIZE},
            )
            for page in pages:
                packages += [_from_api(entry) for entry in page.get("ModelPackageSummaryList", [])]
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if _group_missing(error):
                return PackageListing(group_name, (), source, absent="the group does not exist yet")
            raise PlatformError(
                f"model_package latest-approved: ListModelPackages on group {group_name} ({source}) failed: "
                f"{error.get('Code', 'error')}: {error.get('Message', exc)} (the credentials running the preview need "
                f"sagemaker:ListModelPackages on the group's packages{_cross_account_hint(group_name)})"
            ) from None
        except BotoCoreError as exc:
            raise PlatformError(
                f"model_package latest-approved: cannot ask SageMaker for group {group_name}'s packages ({source}): "
                f"{exc} (configure AWS credentials as for `pulumi up`, e.g. AWS_PROFILE)"
            ) from None
        if not packages:
            return PackageListing(group_name, (), source, absent="the group has no Approved package, or does not "
                                  "exist yet")
        return PackageListing(group_name, tuple(packages), source)


def provider_assume_roles(value: Any) -> list[dict[str, Any]]:
    """The entries of a stack's `aws:assumeRoles` (data or JSON text) that name a role, in order."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return [dict(r) for r in value if isinstance(r, Mapping) and r.get("roleArn")] if isinstance(value, list) else []


def _assume_role_request(role: Mapping[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {"RoleArn": role["roleArn"], "RoleSessionName": role.get("sessionName") or "mlplat-latest-approved"}
    if role.get("externalId"):
        request["ExternalId"] = role["externalId"]
    return request


def _cross_account_hint(group: str) -> str:
    account, _ = _group_parts(group)
    if account is None:
        return ""
    return (f"; the group is in account {account}: its model package group policy must grant the stack's account "
            "(the account map's consumers)")


def _group_missing(error: Mapping[str, Any]) -> bool:
    code, message = str(error.get("Code", "")), str(error.get("Message", "")).lower()
    return code in ("ResourceNotFound", "ResourceNotFoundException") or (
        code == "ValidationException" and ("does not exist" in message or "not found" in message)
    )


def _from_api(entry: Mapping[str, Any]) -> ModelPackageSummary:
    created = entry["CreationTime"]
    if isinstance(created, datetime) and created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    return ModelPackageSummary(
        arn=entry["ModelPackageArn"], creation_time=created, status=entry.get("ModelPackageStatus", ""),
        approval_status=entry.get("ModelApprovalStatus"), version=entry.get("ModelPackageVersion"),
    )


# --- no registry --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoModelPackages:
    """No registry to ask (an offline plan without a snapshot): every group has no approved package."""

    reason: str = "no registry snapshot (offline plans do not call AWS; pass --registry FILE)"

    def list_approved(self, group_name: str) -> PackageListing:
        return PackageListing(group_name, (), "the offline plan", absent=self.reason)


# --- snapshot file --------------------------------------------------------------------------------------

_CLI = "as `aws sagemaker list-model-packages --query ModelPackageSummaryList` prints it"


@dataclass(frozen=True)
class SnapshotModelPackages:
    """A registry snapshot: `{group name or ARN: ModelPackageSummaryList}` (see the module docs)."""

    groups: Mapping[str, tuple[ModelPackageSummary, ...]]
    label: str

    @classmethod
    def from_file(cls, path: str | Path, label: Optional[str] = None) -> "SnapshotModelPackages":
        """Read and validate `path`; ConfigError naming the file (`label`), the group, the entry and what is wrong."""
        path = Path(path)
        label = label or str(path)
        if not path.is_file():
            raise ConfigError([Problem("registry snapshot", "is not a file", str(path))], label)
        try:
            document = json.loads(path.read_text())
        except (ValueError, UnicodeDecodeError) as exc:
            raise ConfigError([Problem("registry snapshot", f"is not JSON ({exc})", str(path))], label) from None
        return cls.from_document(document, label)

    @classmethod
    def from_document(cls, document: Any, label: str) -> "SnapshotModelPackages":
        if not isinstance(document, dict):
            raise ConfigError([Problem("registry snapshot", "is not a JSON object of model package group name to its "
                                       f"ModelPackageSummaryList ({_CLI})", type(document).__name__)], label)
        problems: list[Problem] = []
        groups: dict[str, tuple[ModelPackageSummary, ...]] = {}
        for group, entries in document.items():
            summaries, found = _entries(group, entries)
            problems += found
            groups[group] = summaries
        if problems:
            raise ConfigError(problems, label)
        return cls(groups=groups, label=label)

    def list_approved(self, group_name: str) -> PackageListing:
        source = f"registry snapshot {self.label}"
        if group_name not in self.groups:
            account, name = _group_parts(group_name)
            hint = (f" (it has one for the name {name}: a group of account {account} is keyed by its ARN, the "
                    "account the registry lives in)") if account is not None and name in self.groups else ""
            return PackageListing(group_name, (), source, absent=f"the snapshot has no entry for this group{hint}")
        return PackageListing(group_name, self.groups[group_name], source)


def _entries(group: str, entries: Any) -> tuple[tuple[ModelPackageSummary, ...], list[Problem]]:
    if isinstance(entries, dict) and "ModelPackageSummaryList" in entries:
        return (), [Problem(group, "is the whole list-model-packages output; give its ModelPackageSummaryList "
                            f"({_CLI})")]
    if not isinstance(entries, list):
        return (), [Problem(group, f"is not a ModelPackageSummaryList (a list of package summaries, {_CLI})",
                            type(entries).__name__)]
    problems: list[Problem] = []
    summaries: list[ModelPackageSummary] = []
    for index, entry in enumerate(entries):
        where = f"{group}.{index}"
        if not isinstance(entry, dict):
            problems.append(Problem(where, "is not a ModelPackageSummary (a JSON object)", type(entry).__name__))
            continue
        found = _entry_problems(group, where, entry)
        problems += found
        if not found:
            summaries.append(ModelPackageSummary(
                arn=entry["ModelPackageArn"], creation_time=_creation_time(entry["CreationTime"]),  # type: ignore[arg-type]
                status=entry["ModelPackageStatus"], approval_status=entry.get("ModelApprovalStatus"),
                version=entry.get("ModelPackageVersion"),
            ))
    return tuple(summaries), problems


def _entry_problems(group: str, where: str, entry: Mapping[str, Any]) -> list[Problem]:
    """The members the choice reads, checked against botocore's ModelPackageSummary shape; other members
    a newer CLI may print are left alone."""
    shape = aws_models.shape("sagemaker", "ModelPackageSummary")
    problems = [Problem(f"{where}.{member}", "is required (a member of every ModelPackageSummary)")
                for member in shape.required_members if member not in entry]
    arn = entry.get("ModelPackageArn")
    if arn is not None:
        pattern = aws_models.shape_pattern("sagemaker", "ModelPackageArn")
        if not isinstance(arn, str) or (pattern is not None and not pattern.fullmatch(arn)):
            problems.append(Problem(f"{where}.ModelPackageArn", "is not a model package ARN "
                                    "(arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>)", arn))
        elif f":model-package/{_group_parts(group)[1].lower()}/" not in arn.lower():
            problems.append(Problem(f"{where}.ModelPackageArn", f"is not a package of group {group} (the snapshot's "
                                    "key must be the group the list was made for)", arn))
        elif _group_parts(group)[0] is not None and arn.split(":")[4] != _group_parts(group)[0]:
            problems.append(Problem(f"{where}.ModelPackageArn", f"is not in account {_group_parts(group)[0]} of the "
                                    f"group ARN {group} (a group's packages live in its account)", arn))
    if "CreationTime" in entry and _creation_time(entry["CreationTime"]) is None:
        problems.append(Problem(f"{where}.CreationTime", "is not a time with a UTC offset (ISO 8601 as the CLI prints "
                                "it, e.g. '2026-11-02T09:15:00.123000+00:00', or epoch seconds)", entry["CreationTime"]))
    for member in ("ModelPackageStatus", "ModelApprovalStatus"):
        if member in entry:
            allowed = aws_models.shape_enum("sagemaker", member)
            if entry[member] not in allowed:
                problems.append(Problem(f"{where}.{member}", f"is not one of {', '.join(allowed)}", entry[member]))
    for member in ("ModelPackageGroupName",):
        if member in entry and entry[member] not in (group, _group_parts(group)[1]):
            problems.append(Problem(f"{where}.{member}", f"is not the snapshot's key {group!r} (each key lists its "
                                    "own group)", entry[member]))
    version = entry.get("ModelPackageVersion")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        problems.append(Problem(f"{where}.ModelPackageVersion", "is not a version number (1 or more)", version))
    return problems


def _creation_time(value: Any) -> Optional[datetime]:
    """A CreationTime as the CLI prints it: ISO 8601 (CLI v2) or epoch seconds (CLI v1's default)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value, tz=timezone.utc) if math.isfinite(value) and value >= 0 else None
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None

