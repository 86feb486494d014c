"""ExperimentTracking: a SageMaker managed MLflow tracking server, its artifact store and role.

The server keeps its artifacts in the ArtifactStore's `experiments` bucket under
`s3://<experiments bucket>/<artifact_prefix>` (versioned, no object lock: MLflow deletes
artifacts; docs/DECISIONS.md, Keys and buckets). It runs as a role trusted by
`sagemaker.amazonaws.com` from this account only, allowed to read and write objects under that
prefix and to use the bucket's `data` key through S3, and, through the store's `grant_delete`, to
delete objects under that prefix (MLflow deletes artifacts), nothing else (automatic model
registration is off: models reach the registry through ModelRegistry's model package groups and
their approval flow).

Size and maintenance window differ by environment: the caller passes them
(`tracking_server_size`, `weekly_maintenance_window_start`). The server is protected unless
`protect=False`; deleting it deletes its run metadata (the artifacts stay in the bucket).

    tracking = ExperimentTracking("tracking", ExperimentTrackingArgs(artifact_store=artifacts))
    tracking.grant_write(data_scientist_role)      # log runs and models
    tracking.grant_read(dashboard_role)            # browse runs and download artifacts
"""

from __future__ import annotations

import re
import warnings
from typing import Literal, Optional

import pulumi
import pulumi_aws as aws
from pydantic import Field

from . import _iam
from ._wiring import require_args
from ._grants import attach_grant, require_role
from mlplat.core.naming import child
from .artifact_store import EXPERIMENTS, ArtifactStore, GovernedBucket, grant_policy, object_access_policy
from mlplat.core.models import ArgsModel, Spec, StrictBool
from mlplat.core.errors import ConfigError, Problem

__all__ = [
    "Access",
    "access_policy",
    "check_key_prefix",
    "check_server_name",
    "ExperimentTracking",
    "ExperimentTrackingArgs",
    "ExperimentTrackingSpec",
    "MAX_SERVER_NAME",
    "MLFLOW_READ_ACTIONS",
    "MLFLOW_UI_ACTIONS",
    "MLFLOW_WRITE_ACTIONS",
    "PRESIGNED_URL_ACTIONS",
    "SAGEMAKER_PRINCIPAL",
    "TrackingServerSize",
    "TYPE_TOKEN",
]

TYPE_TOKEN = "mlplat:experiment_tracking:ExperimentTracking"
SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"

TrackingServerSize = Literal["Small", "Medium", "Large"]

MAX_SERVER_NAME = 256
_SERVER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$")
_MAINTENANCE_WINDOW = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01]\d|2[0-3]):([0-5]\d)$")
_MLFLOW_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")

# SageMaker MLflow data-plane actions (IAM prefix `sagemaker-mlflow`), all scoped to the server.
MLFLOW_READ_ACTIONS: tuple[str, ...] = tuple(
    f"sagemaker-mlflow:{a}"
    for a in (
        "GetDownloadURIForModelVersionArtifacts", "GetExperiment", "GetExperimentByName",
        "GetLatestModelVersions", "GetMetricHistory", "GetModelVersion", "GetModelVersionByAlias",
        "GetRegisteredModel", "GetRun", "GetTraceInfo", "ListArtifacts", "SearchExperiments",
        "SearchModelVersions", "SearchRegisteredModels", "SearchRuns", "SearchTraces",
    )
)
MLFLOW_WRITE_ACTIONS: tuple[str, ...] = tuple(
    f"sagemaker-mlflow:{a}"
    for a in (
        "CreateExperiment", "CreateModelVersion", "CreateRegisteredModel", "CreateRun", "DeleteExperiment",
        "DeleteModelVersion", "DeleteModelVersionTag", "DeleteRegisteredModel", "DeleteRegisteredModelAlias",
        "DeleteRegisteredModelTag", "DeleteRun", "DeleteTag", "DeleteTraceTag", "DeleteTraces", "EndTrace",
        "LogBatch", "LogInputs", "LogMetric", "LogModel", "LogParam", "RenameRegisteredModel",
        "RestoreExperiment", "RestoreRun", "SetExperimentTag", "SetModelVersionTag", "SetRegisteredModelAlias",
        "SetRegisteredModelTag", "SetTag", "SetTraceTag", "StartTrace", "TransitionModelVersionStage",
        "UpdateExperiment", "UpdateModelVersion", "UpdateRegisteredModel", "UpdateRun",
    )
)
PRESIGNED_URL_ACTIONS: tuple[str, ...] = ("sagemaker:CreatePresignedMlflowTrackingServerUrl",)
# sagemaker-mlflow:AccessUI accepts no resource (the IAM service reference lists none): on a
# server ARN it would match nothing. It is granted on "*"; which server's UI opens is limited by
# CreatePresignedMlflowTrackingServerUrl, granted on the server only.
MLFLOW_UI_ACTIONS: tuple[str, ...] = ("sagemaker-mlflow:AccessUI",)


class ExperimentTrackingSpec(Spec):
    """The tracking server's settings (data only; the stack config's `experiment_tracking`)."""

    tracking_server_size: TrackingServerSize = Field(
        default="Small", description="Small, Medium or Large. Omitted: Small."
    )
    weekly_maintenance_window_start: str = Field(
        default="Sun:03:00",
        description="Start of the weekly maintenance window, `Ddd:HH:MM` in UTC. Omitted: Sun:03:00.",
    )
    mlflow_version: Optional[str] = Field(
        default=None, description="MLflow version, e.g. 2.16.2. Omitted: the version SageMaker picks at creation."
    )

    def problems_at(self, base: str) -> list[Problem]:
        problems: list[Problem] = []
        if not _MAINTENANCE_WINDOW.match(self.weekly_maintenance_window_start):
            problems.append(
                Problem(f"{base}.weekly_maintenance_window_start", "is not a weekly time 'Ddd:HH:MM' (e.g. 'Sun:03:00', UTC)",
                        self.weekly_maintenance_window_start)
            )
        if self.mlflow_version is not None and not _MLFLOW_VERSION.match(self.mlflow_version):
            problems.append(Problem(f"{base}.mlflow_version", "is not an MLflow version such as '2.16.2'", self.mlflow_version))
        return problems


class ExperimentTrackingArgs(ExperimentTrackingSpec, ArgsModel):
    artifact_store: ArtifactStore = Field(
        description="The ArtifactStore whose `experiments` bucket holds the MLflow artifacts (declare it "
        "with ArtifactStoreArgs.experiments_bucket=True)."
    )
    tracking_server_name: Optional[str] = Field(
        default=None,
        description="The server's name (letters, digits and '-', at most 256 characters; AWS needs it "
        "at creation). Omitted: the component name.",
    )
    artifact_prefix: str = Field(
        default="mlflow/",
        description="Key prefix of the artifacts in the experiments bucket, ending with '/'. Omitted: `mlflow/`.",
    )
    protect: StrictBool = Field(default=True, description="Protect the server from deletion. Omitted: protected.")

    def problems(self) -> list[Problem]:
        base = type(self).__name__
        problems: list[Problem] = []
        store = self.artifact_store
        if store.experiments is None:
            problems.append(
                Problem(
                    f"{base}.artifact_store",
                    f"has no {EXPERIMENTS} bucket (ArtifactStore {store._name!r} declares: {', '.join(store.bucket_roles)}); "
                    "set ArtifactStoreArgs.experiments_bucket=True",
                )
            )
        if self.tracking_server_name is not None:
            problems.extend(check_server_name(f"{base}.tracking_server_name", self.tracking_server_name))
        problems.extend(check_key_prefix(f"{base}.artifact_prefix", self.artifact_prefix))
        return problems + self.problems_at(base)


_SERVER_NAME_RULE = "letters and digits, '-' between them, at most 256 characters"


def check_server_name(path: str, value: str) -> list[Problem]:
    if not _SERVER_NAME.match(value) or len(value) > MAX_SERVER_NAME:
        return [Problem(path, f"is not a tracking server name ({_SERVER_NAME_RULE})", value)]
    return []


def check_key_prefix(path: str, prefix: str) -> list[Problem]:
    if not prefix or prefix.startswith("/") or not prefix.endswith("/") or "*" in prefix or "?" in prefix or "//" in prefix:
        return [Problem(path, "is not a key prefix (no leading '/', no wildcards, ending with '/', e.g. 'mlflow/')", prefix)]
    return []


Access = Literal["read", "write", "access"]


def access_policy(
    access: Access, *, server_arn: pulumi.Input[str], bucket_arn: pulumi.Input[str], key_arn: pulumi.Input[str],
    region: pulumi.Input[str], prefix: str,
) -> _iam.Document:
    """The policy a grant attaches (pure); the actions are listed in `grant_read` and `grant_write`.

    `access` is the grant: "read", "write" (read and write, never an S3 delete), or "access", the
    deprecated `grant_access` (write plus s3:DeleteObject on the artifacts, as before 0.2.0).
    """
    mlflow = MLFLOW_READ_ACTIONS if access == "read" else MLFLOW_READ_ACTIONS + MLFLOW_WRITE_ACTIONS
    writes = access != "read"
    artifacts = object_access_policy(read=True, write=writes, delete=access == "access", bucket_arn=bucket_arn,
                                     key_arn=key_arn, region=region, prefix=prefix)
    return _iam.document(
        [
            _iam.statement(sid="UseTrackingServer", actions=list(mlflow), resources=server_arn),
            _iam.statement(sid="OpenTrackingServerUi", actions=list(PRESIGNED_URL_ACTIONS), resources=server_arn),
            _iam.statement(sid="UseMlflowUi", actions=list(MLFLOW_UI_ACTIONS), resources="*"),
            *artifacts["Statement"],
        ]
    )


class ExperimentTracking(pulumi.ComponentResource):
    """A SageMaker MLflow tracking server with its role, storing artifacts in the experiments bucket.

    Children (suffixes are stable): `<name>-role`, `<name>-role-policy`, `<name>-server`; the
    store gains `<store>-experiments-delete-<name>-role` (the server deletes artifacts). Grants
    add `<name>-<read|write>-<role name>` role policies (`<name>-access-<role name>` for the
    deprecated `grant_access`).
    """

    def __init__(self, name: str, args: ExperimentTrackingArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        args = require_args("ExperimentTracking", name, args, ExperimentTrackingArgs)
        server_name = args.tracking_server_name or name
        if args.tracking_server_name is None and check_server_name("", server_name):
            raise ConfigError(
                [
                    Problem(
                        "ExperimentTrackingArgs.tracking_server_name",
                        f"is omitted and the component name {name!r} is not a tracking server name "
                        f"({_SERVER_NAME_RULE}); set tracking_server_name",
                    )
                ]
            )
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._args = args
        self._grants: set[str] = set()
        self._region = _iam.current_region()
        account_id = _iam.caller_account_id()
        bucket: GovernedBucket = args.artifact_store.bucket(EXPERIMENTS)
        self._bucket = bucket
        self.artifact_store_uri: pulumi.Output[str] = pulumi.Output.concat("s3://", bucket.name, "/", args.artifact_prefix)

        self.role = aws.iam.Role(
            child(name, "role"),
            description=f"mlplat {name}: SageMaker MLflow tracking server",
            assume_role_policy=_iam.to_json(_iam.assume_role_policy(SAGEMAKER_PRINCIPAL, source_account=account_id)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        role_policy = aws.iam.RolePolicy(
            child(name, "role-policy"),
            role=self.role.name,
            policy=_iam.to_json(
                grant_policy("read-write", bucket_arn=bucket.arn, key_arn=bucket.key.arn, region=self._region,
                             prefix=args.artifact_prefix)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # MLflow deletes artifacts (runs and models removed for good): the one role that deletes.
        delete_grant = args.artifact_store.grant_delete(self.role, bucket=EXPERIMENTS, prefix=args.artifact_prefix)
        self.server = aws.sagemaker.MlflowTrackingServer(
            child(name, "server"),
            tracking_server_name=server_name,
            artifact_store_uri=self.artifact_store_uri,
            role_arn=self.role.arn,
            tracking_server_size=args.tracking_server_size,
            weekly_maintenance_window_start=args.weekly_maintenance_window_start,
            mlflow_version=args.mlflow_version,
            automatic_model_registration=False,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=[role_policy, delete_grant]),
        )
        self.server_arn: pulumi.Output[str] = self.server.arn
        self.tracking_server_url: pulumi.Output[str] = self.server.tracking_server_url
        self.register_outputs(
            {"server_arn": self.server_arn, "tracking_server_url": self.tracking_server_url,
             "artifact_store_uri": self.artifact_store_uri}
        )

    def grant_read(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Let `role` browse the tracking server (MLflow clients, the MLflow UI) and read its artifacts.

        One role policy `<name>-read-<role name>`. Exact actions, on the server ARN: the
        `sagemaker-mlflow` actions in MLFLOW_READ_ACTIONS (GetDownloadURIForModelVersionArtifacts,
        GetExperiment, GetExperimentByName, GetLatestModelVersions, GetMetricHistory,
        GetModelVersion, GetModelVersionByAlias, GetRegisteredModel, GetRun, GetTraceInfo,
        ListArtifacts, SearchExperiments, SearchModelVersions, SearchRegisteredModels, SearchRuns,
        SearchTraces) and sagemaker:CreatePresignedMlflowTrackingServerUrl; on "*",
        sagemaker-mlflow:AccessUI (it accepts no resource; the presigned URL, granted on this
        server only, decides which UI opens). MLflow clients read artifacts from S3
        themselves, so it also carries ArtifactStore's read grant on
        `<experiments bucket>/<artifact_prefix>*`: s3:GetObject, s3:GetObjectVersion,
        s3:ListBucket limited to the prefix, kms:Decrypt on the data key through S3 only.
        """
        return self._grant("read", role)

    def grant_write(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Let `role` log to the tracking server (runs, metrics, models, traces) as well as read it.

        One role policy `<name>-write-<role name>`. Exact actions, on the server ARN: those of
        `grant_read` (AccessUI on "*") plus the `sagemaker-mlflow` actions in MLFLOW_WRITE_ACTIONS (CreateExperiment,
        CreateModelVersion, CreateRegisteredModel, CreateRun, DeleteExperiment, DeleteModelVersion,
        DeleteModelVersionTag, DeleteRegisteredModel, DeleteRegisteredModelAlias,
        DeleteRegisteredModelTag, DeleteRun, DeleteTag, DeleteTraceTag, DeleteTraces, EndTrace,
        LogBatch, LogInputs, LogMetric, LogModel, LogParam, RenameRegisteredModel,
        RestoreExperiment, RestoreRun, SetExperimentTag, SetModelVersionTag,
        SetRegisteredModelAlias, SetRegisteredModelTag, SetTag, SetTraceTag, StartTrace,
        TransitionModelVersionStage, UpdateExperiment, UpdateModelVersion, UpdateRegisteredModel,
        UpdateRun: the MLflow API a client writes with, its Delete* calls included, which the
        server carries out). On the artifacts it carries ArtifactStore's read-write grant on
        `<experiments bucket>/<artifact_prefix>*`: s3:GetObject, s3:GetObjectVersion,
        s3:PutObject, s3:AbortMultipartUpload, s3:ListBucket limited to the prefix, kms:Decrypt,
        kms:GenerateDataKey on the data key through S3 only; never s3:DeleteObject (the server
        deletes artifacts; a role that must delete them itself asks the store:
        `store.experiments.grant_delete(role, prefix=<artifact_prefix>)`).
        """
        return self._grant("write", role)

    def grant_access(self, role: aws.iam.Role, *, read_only: bool = False) -> aws.iam.RolePolicy:
        """Deprecated since 0.2.0: use `grant_read(role)` or `grant_write(role)`.

        `grant_access(role, read_only=True)` is `grant_read(role)` (same policy, same name).
        `grant_access(role)` keeps its policy `<name>-access-<role name>`: the actions of
        `grant_write` plus s3:DeleteObject on `<experiments bucket>/<artifact_prefix>*`, as in
        0.1.0. Moving to `grant_write` drops that delete and replaces the policy by
        `<name>-write-<role name>`.
        """
        replacement = "grant_read(role)" if read_only else "grant_write(role)"
        warnings.warn(
            f"ExperimentTracking.grant_access is deprecated since mlplat 0.2.0; use {replacement} "
            "(grant_write gives no S3 delete on the artifacts)",
            DeprecationWarning,
            stacklevel=2,
        )
        if not isinstance(read_only, bool):
            raise ConfigError([Problem("grant_access.read_only", "is not a boolean (True or False)", read_only)])
        return self._grant("read" if read_only else "access", role, method="grant_access")

    def _grant(self, access: Access, role: aws.iam.Role, *, method: Optional[str] = None) -> aws.iam.RolePolicy:
        require_role(f"ExperimentTracking {self._name!r}.{method or 'grant_' + access}", role)
        name = child(self._name, f"{access}-{role._name}")
        document = access_policy(
            access, server_arn=self.server.arn, bucket_arn=self._bucket.arn, key_arn=self._bucket.key.arn,
            region=self._region, prefix=self._args.artifact_prefix,
        )
        article = "an" if access == "access" else "a"
        return attach_grant(
            self, self._grants, name, role, document,
            duplicate=f"ExperimentTracking {self._name!r} already has {article} {access} grant for role {role._name!r} "
            f"({name}); grant once",
        )
