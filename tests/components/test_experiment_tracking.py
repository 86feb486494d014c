"""ExperimentTracking: the MLflow tracking server, its scoped role, grant_access and errors.

Programs run under the offline runner; assertions read the Plan (plain data).
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable, Optional

import iam_reference
import pulumi_aws as aws
import pytest
from parliament import iam_definition

from mlplat.components.artifact_store import ArtifactStore, ArtifactStoreArgs
from mlplat.components.encryption import Encryption, EncryptionArgs
from mlplat.core.errors import ConfigError, WiringError
from mlplat.components.experiment_tracking import (
    MLFLOW_READ_ACTIONS,
    MLFLOW_UI_ACTIONS,
    MLFLOW_WRITE_ACTIONS,
    PRESIGNED_URL_ACTIONS,
    ExperimentTracking,
    ExperimentTrackingArgs,
)
from mlplat.tooling.contracts import check_plan
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import Plan, PlannedResource, is_unknown

TRACKING = "mlplat:experiment_tracking:ExperimentTracking"
SERVER = "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ACCOUNT = "123456789012"
REGION = "us-east-1"


def program(
    *, experiments_bucket: bool = True, after: Optional[Callable[[ExperimentTracking], Any]] = None,
    name: str = "tracking", **args: Any,
) -> Callable[[], None]:
    def run() -> None:
        prefixes = ArtifactStore.log_source_prefixes("store", experiments_bucket=experiments_bucket)
        keys = Encryption("enc", EncryptionArgs(s3_log_source_bucket_prefixes=prefixes))
        store = ArtifactStore("store", ArtifactStoreArgs(encryption=keys, experiments_bucket=experiments_bucket))
        tracking = ExperimentTracking(name, ExperimentTrackingArgs(artifact_store=store, **args))
        if after is not None:
            after(tracking)

    return run


@functools.cache
def default_plan() -> Plan:
    return run_callable(program())


def doc(resource: PlannedResource, key: str = "policy") -> Any:
    return json.loads(resource.inputs[key])


def bucket(plan: Plan) -> PlannedResource:
    return plan.named("store-experiments", "aws:s3/bucket:Bucket")


def data_key(plan: Plan) -> str:
    return plan.named("enc-data-key", "aws:kms/key:Key").outputs["arn"]


def s3_statements(plan: Plan, *, write: bool, delete: bool = False, prefix: str = "mlflow/") -> list[dict[str, Any]]:
    arn = bucket(plan).outputs["arn"]
    objects = (["s3:GetObject", "s3:GetObjectVersion"] + (["s3:PutObject", "s3:AbortMultipartUpload"] if write else [])
               + (["s3:DeleteObject"] if delete else []))
    key_actions: Any = ["kms:Decrypt", "kms:GenerateDataKey"] if write else "kms:Decrypt"
    return [
        {"Sid": "ObjectAccess", "Effect": "Allow", "Action": objects, "Resource": f"{arn}/{prefix}*"},
        {"Sid": "ListBucket", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": arn,
         "Condition": {"StringLike": {"s3:prefix": f"{prefix}*"}}},
        {"Sid": "UseBucketKeyThroughS3", "Effect": "Allow", "Action": key_actions, "Resource": data_key(plan),
         "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}},
    ]


# --- the resource tree -----------------------------------------------------------------------

_C = "urn:pulumi:test::project::mlplat:experiment_tracking:ExperimentTracking"
_S = "urn:pulumi:test::project::mlplat:artifact_store:ArtifactStore"
GOLDEN_TREE = [
    (f"{_C}$aws:iam/role:Role::tracking-role", ROLE),
    (f"{_C}$aws:iam/rolePolicy:RolePolicy::tracking-role-policy", ROLE_POLICY),
    (f"{_C}$aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer::tracking-server", SERVER),
    (f"{_C}::tracking", TRACKING),
]


def tree(plan: Plan) -> list[tuple[str, str]]:
    component = plan.named("tracking", TRACKING)
    return plan.tree(component.urn)


def test_resource_tree_matches_golden() -> None:
    plan = default_plan()
    assert tree(plan) == GOLDEN_TREE
    component = plan.named("tracking", TRACKING)
    assert all(r.parent == component.urn for r in plan.descendants(component.urn))


# --- the server and its role -----------------------------------------------------------------


def test_server_exact_inputs_protected_after_its_role_policy() -> None:
    plan = default_plan()
    server = plan.named("tracking-server", SERVER)
    assert server.inputs == {
        "trackingServerName": "tracking",
        "artifactStoreUri": f"s3://{bucket(plan).id}/mlflow/",
        "roleArn": plan.named("tracking-role", ROLE).outputs["arn"],
        "trackingServerSize": "Small",
        "weeklyMaintenanceWindowStart": "Sun:03:00",
        "automaticModelRegistration": False,
    }, server.urn
    assert server.protect is True
    assert plan.named("tracking-role-policy", ROLE_POLICY).urn in server.dependencies
    assert server.outputs["arn"] == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:mlflow-tracking-server/tracking"


def test_environment_values_reach_the_server() -> None:
    plan = run_callable(program(tracking_server_name="mlplat-prod-mlflow", tracking_server_size="Medium",
                                weekly_maintenance_window_start="Sat:22:30", mlflow_version="2.16.2",
                                artifact_prefix="runs/", protect=False))
    server = plan.named("tracking-server", SERVER)
    assert {k: server.inputs[k] for k in ("trackingServerName", "trackingServerSize", "weeklyMaintenanceWindowStart",
                                          "mlflowVersion", "artifactStoreUri")} == {
        "trackingServerName": "mlplat-prod-mlflow",
        "trackingServerSize": "Medium",
        "weeklyMaintenanceWindowStart": "Sat:22:30",
        "mlflowVersion": "2.16.2",
        "artifactStoreUri": f"s3://{bucket(plan).id}/runs/",
    }
    assert server.protect is False
    assert doc(plan.named("tracking-role-policy", ROLE_POLICY))["Statement"] == s3_statements(plan, write=True, prefix="runs/")


def test_role_trusted_by_sagemaker_and_scoped_to_the_artifact_prefix() -> None:
    plan = default_plan()
    role = plan.named("tracking-role", ROLE)
    assert doc(role, "assumeRolePolicy") == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AllowServiceAssumeRole", "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
             "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}
        ],
    }
    policy = plan.named("tracking-role-policy", ROLE_POLICY)
    assert policy.inputs["role"] == role.outputs["name"]
    assert doc(policy) == {"Version": "2012-10-17", "Statement": s3_statements(plan, write=True)}  # delete: its own grant
    assert plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []


def test_outputs() -> None:
    plan = default_plan()
    server = plan.named("tracking-server", SERVER)
    assert plan.named("tracking", TRACKING).outputs == {
        "server_arn": server.outputs["arn"],
        "tracking_server_url": server.outputs["trackingServerUrl"],
        "artifact_store_uri": f"s3://{bucket(plan).id}/mlflow/",
    }
    assert server.outputs["trackingServerUrl"].startswith("https://t-")
    assert server.outputs["trackingServerUrl"].endswith(f".{REGION}.experiments.sagemaker.aws")


def test_only_the_server_role_may_delete_artifacts_through_its_own_delete_grant() -> None:
    plan = default_plan()
    store = plan.named("store", "mlplat:artifact_store:ArtifactStore")
    grants = [r for r in plan.of_type(ROLE_POLICY) if r.parent == store.urn]
    assert [r.urn for r in grants] == [f"{_S}$aws:iam/rolePolicy:RolePolicy::store-experiments-delete-tracking-role"]
    delete = grants[0]
    assert delete.inputs["role"] == plan.named("tracking-role", ROLE).outputs["name"]
    assert doc(delete)["Statement"] == [
        {"Sid": "ObjectAccess", "Effect": "Allow", "Action": "s3:DeleteObject", "Resource": f"{bucket(plan).outputs['arn']}/mlflow/*"}
    ]
    assert delete.urn in plan.named("tracking-server", SERVER).dependencies


def test_plan_passes_the_api_contracts_and_preview_runs() -> None:
    assert check_plan(default_plan()) == []
    preview = run_callable(program(), preview=True)
    assert tree(preview) == GOLDEN_TREE
    assert is_unknown(preview.named("tracking-server", SERVER).inputs["roleArn"])
    assert check_plan(preview) == []


# --- grant_access ----------------------------------------------------------------------------


def grants(grant: Callable[[ExperimentTracking, aws.iam.Role], Any]) -> Callable[[], None]:
    def after(tracking: ExperimentTracking) -> None:
        grant(tracking, aws.iam.Role("scientist", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []})))

    return program(after=after)


def test_mlflow_actions_are_exactly_the_installed_iam_definition() -> None:
    definition = next(s for s in iam_definition if s["prefix"] == "sagemaker-mlflow")
    known = {f"sagemaker-mlflow:{p['privilege']}" for p in definition["privileges"]}
    assert set(MLFLOW_READ_ACTIONS) | set(MLFLOW_WRITE_ACTIONS) | set(MLFLOW_UI_ACTIONS) == known
    assert len(MLFLOW_READ_ACTIONS + MLFLOW_WRITE_ACTIONS + MLFLOW_UI_ACTIONS) == len(known)  # no action twice
    levels = {f"sagemaker-mlflow:{p['privilege']}": p["access_level"] for p in definition["privileges"]}
    assert {levels[a] for a in MLFLOW_READ_ACTIONS} <= {"Read", "List"}
    sagemaker = next(s for s in iam_definition if s["prefix"] == "sagemaker")
    assert {"sagemaker:" + p["privilege"] for p in sagemaker["privileges"]} >= set(PRESIGNED_URL_ACTIONS)


# AccessUI accepts no resource: on the server's ARN it would allow nothing.
UI_STATEMENT = {"Sid": "UseMlflowUi", "Effect": "Allow", "Action": "sagemaker-mlflow:AccessUI", "Resource": "*"}


def test_grant_write_exact_and_without_s3_delete() -> None:
    plan = run_callable(grants(lambda t, r: t.grant_write(r)))
    grant = plan.named("tracking-write-scientist", ROLE_POLICY)
    server = plan.named("tracking-server", SERVER).outputs["arn"]
    assert grant.parent == plan.named("tracking", TRACKING).urn
    assert grant.inputs["role"] == plan.named("scientist", ROLE).outputs["name"]
    assert doc(grant) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "UseTrackingServer", "Effect": "Allow", "Action": list(MLFLOW_READ_ACTIONS + MLFLOW_WRITE_ACTIONS),
             "Resource": server},
            {"Sid": "OpenTrackingServerUi", "Effect": "Allow", "Action": "sagemaker:CreatePresignedMlflowTrackingServerUrl",
             "Resource": server},
            UI_STATEMENT,
            *s3_statements(plan, write=True),
        ],
    }


def test_grants_and_the_server_policies_pass_the_iam_reference() -> None:
    plan = run_callable(grants(lambda t, r: (t.grant_read(r), t.grant_write(r))))
    documents = {r.name: doc(r) for r in plan.of_type(ROLE_POLICY)}
    assert sorted(documents) == ["store-experiments-delete-tracking-role", "tracking-read-scientist",
                                 "tracking-role-policy", "tracking-write-scientist"]
    assert {name: iam_reference.problems(d) for name, d in documents.items()} == {name: [] for name in documents}


def test_grant_read_exact() -> None:
    plan = run_callable(grants(lambda t, r: t.grant_read(r)))
    grant = plan.named("tracking-read-scientist", ROLE_POLICY)
    server = plan.named("tracking-server", SERVER).outputs["arn"]
    assert doc(grant)["Statement"] == [
        {"Sid": "UseTrackingServer", "Effect": "Allow", "Action": list(MLFLOW_READ_ACTIONS), "Resource": server},
        {"Sid": "OpenTrackingServerUi", "Effect": "Allow", "Action": "sagemaker:CreatePresignedMlflowTrackingServerUrl",
         "Resource": server},
        UI_STATEMENT,
        *s3_statements(plan, write=False),
    ]


def test_deprecated_grant_access_warns_and_keeps_its_name_and_policy() -> None:
    with pytest.warns(DeprecationWarning, match=r"ExperimentTracking\.grant_access is deprecated since mlplat 0\.2\.0; "
                      r"use grant_write\(role\) \(grant_write gives no S3 delete on the artifacts\)"):
        plan = run_callable(grants(lambda t, r: t.grant_access(r)))
    grant = plan.named("tracking-access-scientist", ROLE_POLICY)
    server = plan.named("tracking-server", SERVER).outputs["arn"]
    # 0.1.0's policy (the write actions and s3:DeleteObject, unlike grant_write), with AccessUI on "*".
    assert doc(grant)["Statement"] == [
        {"Sid": "UseTrackingServer", "Effect": "Allow", "Action": list(MLFLOW_READ_ACTIONS + MLFLOW_WRITE_ACTIONS),
         "Resource": server},
        {"Sid": "OpenTrackingServerUi", "Effect": "Allow", "Action": "sagemaker:CreatePresignedMlflowTrackingServerUrl",
         "Resource": server},
        UI_STATEMENT,
        *s3_statements(plan, write=True, delete=True),
    ]
    with pytest.warns(DeprecationWarning, match=r"use grant_read\(role\)"):
        read_only = run_callable(grants(lambda t, r: t.grant_access(r, read_only=True)))
    same = run_callable(grants(lambda t, r: t.grant_read(r)))
    assert read_only.named("tracking-read-scientist", ROLE_POLICY).inputs == same.named("tracking-read-scientist", ROLE_POLICY).inputs


def test_wrong_grants_are_wiring_errors() -> None:
    with pytest.raises(WiringError) as info:
        run_callable(grants(lambda t, r: (t.grant_write(r), t.grant_write(r))))
    assert str(info.value) == (
        "ExperimentTracking 'tracking' already has a write grant for role 'scientist' (tracking-write-scientist); grant once"
    )
    with pytest.raises(WiringError) as info:
        run_callable(grants(lambda t, r: t.grant_read("scientist")))  # type: ignore[arg-type]
    assert str(info.value) == (
        "ExperimentTracking 'tracking'.grant_read needs an aws.iam.Role resource (so the grant can attach a policy to "
        "it), got str: 'scientist'"
    )
    with pytest.warns(DeprecationWarning), pytest.raises(WiringError, match=r"'tracking'\.grant_access needs an aws\.iam\.Role"):
        run_callable(grants(lambda t, r: t.grant_access("scientist")))  # type: ignore[arg-type]


def test_grant_access_read_only_must_be_a_boolean() -> None:
    with pytest.warns(DeprecationWarning), pytest.raises(ConfigError) as info:
        run_callable(grants(lambda t, r: t.grant_access(r, read_only="yes")))  # type: ignore[arg-type]
    assert str(info.value) == (
        "invalid configuration (1 problem):\n  grant_access.read_only: 'yes' is not a boolean (True or False)"
    )


# --- Args ------------------------------------------------------------------------------------


def config_error(**kwargs: Any) -> str:
    with pytest.raises(ConfigError) as info:
        run_callable(program(**kwargs))
    return str(info.value)


def expect(*lines: str) -> str:
    noun = "problem" if len(lines) == 1 else "problems"
    return "\n".join([f"invalid configuration ({len(lines)} {noun}):", *("  " + line for line in lines)])


def test_store_without_experiments_bucket_is_refused() -> None:
    assert config_error(experiments_bucket=False) == expect(
        "ExperimentTrackingArgs.artifact_store: has no experiments bucket (ArtifactStore 'store' declares: datasets, "
        "models, captures, access-logs); set ArtifactStoreArgs.experiments_bucket=True"
    )


def test_bad_values_are_reported_together() -> None:
    message = config_error(
        tracking_server_name="mlflow_server", artifact_prefix="/mlflow", weekly_maintenance_window_start="Sunday 3am",
        mlflow_version="latest", tracking_server_size="XLarge",
    )
    assert message == expect(
        "ExperimentTrackingArgs.tracking_server_size: 'XLarge' is not allowed (allowed: 'Small', 'Medium' or 'Large')"
    )
    message = config_error(
        tracking_server_name="mlflow_server", artifact_prefix="/mlflow", weekly_maintenance_window_start="Sunday 3am",
        mlflow_version="latest",
    )
    assert message == expect(
        "ExperimentTrackingArgs.tracking_server_name: 'mlflow_server' is not a tracking server name (letters and digits, "
        "'-' between them, at most 256 characters)",
        "ExperimentTrackingArgs.artifact_prefix: '/mlflow' is not a key prefix (no leading '/', no wildcards, ending "
        "with '/', e.g. 'mlflow/')",
        "ExperimentTrackingArgs.weekly_maintenance_window_start: 'Sunday 3am' is not a weekly time 'Ddd:HH:MM' "
        "(e.g. 'Sun:03:00', UTC)",
        "ExperimentTrackingArgs.mlflow_version: 'latest' is not an MLflow version such as '2.16.2'",
    )


def test_component_name_must_make_a_server_name_when_none_is_given() -> None:
    assert config_error(name="ml_flow") == expect(
        "ExperimentTrackingArgs.tracking_server_name: is omitted and the component name 'ml_flow' is not a tracking "
        "server name (letters and digits, '-' between them, at most 256 characters); set tracking_server_name"
    )
