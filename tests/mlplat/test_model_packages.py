"""`model_package: latest-approved`: the newest Approved package of a group, from SageMaker (boto3 against moto)
and from a registry snapshot file; a missing group; pagination; malformed snapshots."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from mlplat.core.errors import ConfigError, PlatformError
from mlplat.platform.model_packages import (
    Boto3ModelPackages,
    NoModelPackages,
    SnapshotModelPackages,
    current_model_package_source,
    latest_approved,
    model_package_group_arn,
    model_package_source,
)

REGION = "us-east-1"
GROUP = "mlplat-staging-churn"


@pytest.fixture
def sagemaker(monkeypatch):
    """A SageMaker client against moto, with fake credentials (never the machine's)."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield boto3.client("sagemaker", region_name=REGION)


def register(client, group: str, statuses: list[str]) -> list[str]:
    """Create the group (once) and one package per status, oldest first, as a pipeline registers them:
    PendingManualApproval, then approved or rejected by a reviewer (UpdateModelPackage)."""
    try:
        client.create_model_package_group(ModelPackageGroupName=group)
    except client.exceptions.ClientError:
        pass
    arns = []
    for status in statuses:
        arn = client.create_model_package(
            ModelPackageGroupName=group, ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={
                "Containers": [{"Image": f"123456789012.dkr.ecr.{REGION}.amazonaws.com/{group}-serving@sha256:" + "a" * 64}],
                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
            },
        )["ModelPackageArn"]
        if status != "PendingManualApproval":
            client.update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status)
        arns.append(arn)
    return arns


def test_boto3_chooses_the_newest_approved_package_and_ignores_newer_pending_and_rejected(sagemaker):
    arns = register(sagemaker, GROUP, ["Approved", "Rejected", "Approved", "Rejected", "PendingManualApproval"])
    register(sagemaker, "mlplat-staging-other", ["Approved"])  # newer, in another group
    resolution = latest_approved(Boto3ModelPackages(REGION), GROUP)
    assert resolution.chosen is not None
    assert resolution.chosen.arn == arns[2]
    assert resolution.chosen.version == 3 and resolution.approved == 2
    assert resolution.chosen.creation_time.tzinfo is not None
    line = resolution.describe("churn")
    assert arns[2] in line and resolution.chosen.creation_time.isoformat() in line
    assert f"SageMaker ListModelPackages in {REGION}" in line


def test_boto3_approving_an_older_package_later_does_not_make_it_the_newest(sagemaker):
    arns = register(sagemaker, GROUP, ["PendingManualApproval", "Approved"])
    sagemaker.update_model_package(ModelPackageArn=arns[0], ModelApprovalStatus="Approved")  # approved last
    assert latest_approved(Boto3ModelPackages(REGION), GROUP).chosen.arn == arns[1]  # CreationTime decides


def test_boto3_group_that_does_not_exist_yet_has_no_approved_package(sagemaker):
    resolution = latest_approved(Boto3ModelPackages(REGION), "mlplat-staging-new")
    assert resolution.chosen is None and resolution.listing.packages == ()
    assert "does not exist yet" in resolution.describe("churn")
    assert resolution.describe("churn").endswith("the endpoint waits for a model")


def test_boto3_reads_every_page(sagemaker):
    arns = register(sagemaker, GROUP, ["Approved"] * 104 + ["Rejected", "PendingManualApproval"])
    calls = []
    source = Boto3ModelPackages(REGION, client=sagemaker)
    sagemaker.meta.events.register("provide-client-params.sagemaker.ListModelPackages",
                                   lambda params, **_: calls.append(params.get("NextToken")))
    resolution = latest_approved(source, GROUP)
    assert len(calls) == 2 and calls[0] is None and calls[1]  # a second page, asked with the first page's token
    assert resolution.approved == 104
    assert resolution.chosen.arn == arns[103]


def test_boto3_asks_for_approved_packages_newest_first(sagemaker):
    seen = []
    sagemaker.meta.events.register("provide-client-params.sagemaker.ListModelPackages", lambda params, **_: seen.append(params))
    latest_approved(Boto3ModelPackages(REGION, client=sagemaker), GROUP)
    assert {k: seen[0][k] for k in ("ModelPackageGroupName", "ModelApprovalStatus", "SortBy", "SortOrder")} == {
        "ModelPackageGroupName": GROUP, "ModelApprovalStatus": "Approved", "SortBy": "CreationTime",
        "SortOrder": "Descending",
    }


@pytest.mark.parametrize("account", [None, "555566667777"])
def test_boto3_access_denied_is_one_clear_error(account):
    """A group of this account by name, or of another account by ARN (the shared-services registry): the error
    names the group, and for another account the group policy that must grant the read."""
    group = GROUP if account is None else model_package_group_arn(region=REGION, account=account, group_name=GROUP)
    # moto grants everything: botocore's Stubber stands in for IAM's refusal (this error path only).
    client = boto3.client("sagemaker", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_client_error("list_model_packages", service_error_code="AccessDeniedException",
                              service_message="not authorized to perform: sagemaker:ListModelPackages")
        with pytest.raises(PlatformError) as excinfo:
            latest_approved(Boto3ModelPackages(REGION, client=client), group)
    message = str(excinfo.value)
    assert f"group {group}" in message and "AccessDeniedException" in message
    assert "sagemaker:ListModelPackages" in message
    assert (f"the group is in account {account}" in message and "group policy" in message) if account else (
        "the group is in account" not in message)


# --- snapshot files ------------------------------------------------------------------------------


def summary(version: int, status: str, created: str, group: str = GROUP) -> dict:
    """A ModelPackageSummary as `aws sagemaker list-model-packages` (CLI v2) prints it."""
    return {
        "ModelPackageGroupName": group, "ModelPackageVersion": version,
        "ModelPackageArn": f"arn:aws:sagemaker:{REGION}:123456789012:model-package/{group}/{version}",
        "CreationTime": created, "ModelPackageStatus": "Completed", "ModelApprovalStatus": status,
    }


SNAPSHOT = {GROUP: [
    summary(5, "PendingManualApproval", "2026-11-30T07:33:08.640000+00:00"),
    summary(4, "Rejected", "2026-11-19T16:48:51.026000+00:00"),
    summary(3, "Approved", "2026-11-05T10:21:19.377000+00:00"),
    summary(1, "Approved", "2026-09-03T08:12:44.512000+00:00"),
    summary(2, "Approved", "2026-10-15T09:05:37.904000+00:00"),  # out of order: the time decides, not the position
]}


def write(tmp_path, document) -> str:
    path = tmp_path / "registry.staging.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_snapshot_chooses_the_newest_approved_package_and_ignores_newer_pending_and_rejected(tmp_path):
    source = SnapshotModelPackages.from_file(write(tmp_path, SNAPSHOT), "stacks/registry.staging.json")
    resolution = latest_approved(source, GROUP)
    assert resolution.chosen.arn.endswith(f"model-package/{GROUP}/3")
    assert resolution.chosen.creation_time == datetime(2026, 11, 5, 10, 21, 19, 377000, tzinfo=timezone.utc)
    assert resolution.approved == 3
    assert "registry snapshot stacks/registry.staging.json" in resolution.describe("churn")


def test_snapshot_skips_an_approved_package_whose_registration_failed(tmp_path):
    failed = dict(summary(6, "Approved", "2026-12-01T00:00:00+00:00"), ModelPackageStatus="Failed")
    source = SnapshotModelPackages.from_file(write(tmp_path, {GROUP: [failed, *SNAPSHOT[GROUP]]}))
    assert latest_approved(source, GROUP).chosen.version == 3


def test_snapshot_takes_epoch_seconds_as_cli_v1_prints_them(tmp_path):
    older = dict(summary(1, "Approved", "x"), CreationTime=1_700_000_000.25)
    newer = dict(summary(2, "Approved", "x"), CreationTime=1_700_000_100)
    source = SnapshotModelPackages.from_file(write(tmp_path, {GROUP: [older, newer]}))
    assert latest_approved(source, GROUP).chosen.version == 2


def test_snapshot_without_the_group_or_without_an_approved_package_waits(tmp_path):
    source = SnapshotModelPackages.from_file(write(tmp_path, {
        GROUP: [summary(1, "Rejected", "2026-09-03T08:12:44+00:00")], "mlplat-staging-empty": [],
    }))
    for group, reason in ((GROUP, "no package in it is Approved"), ("mlplat-staging-empty", "no package in it is Approved"),
                          ("mlplat-staging-absent", "the snapshot has no entry for this group")):
        resolution = latest_approved(source, group)
        assert resolution.chosen is None
        assert reason in resolution.describe("churn") and "the endpoint waits for a model" in resolution.describe("churn")


MALFORMED = [
    pytest.param("[]", ["stacks/registry.staging.json: registry snapshot: 'list' is not a JSON object of model "
                        "package group name to its ModelPackageSummaryList (as `aws sagemaker list-model-packages "
                        "--query ModelPackageSummaryList` prints it)"], id="not-an-object"),
    pytest.param("{", None, id="not-json"),
    pytest.param(json.dumps({GROUP: {"ModelPackageSummaryList": []}}), [
        f"stacks/registry.staging.json: {GROUP}: is the whole list-model-packages output; give its "
        "ModelPackageSummaryList (as `aws sagemaker list-model-packages --query ModelPackageSummaryList` prints it)",
    ], id="whole-output"),
    pytest.param(json.dumps({GROUP: [
        {k: v for k, v in summary(1, "Approved", "x").items() if k != "CreationTime"},
        summary(2, "Approved", "yesterday"),
        summary(3, "approved", "2026-10-15T09:05:37+00:00"),
        summary(4, "Approved", "2026-10-15T09:05:37"),
        dict(summary(5, "Approved", "2026-10-15T09:05:37+00:00"), ModelPackageArn="churn/5"),
        summary(6, "Approved", "2026-10-15T09:05:37+00:00", group="mlplat-staging-other"),
    ]}), [
        f"stacks/registry.staging.json: {GROUP}.0.CreationTime: is required (a member of every ModelPackageSummary)",
        f"stacks/registry.staging.json: {GROUP}.1.CreationTime: 'yesterday' is not a time with a UTC offset (ISO 8601 "
        "as the CLI prints it, e.g. '2026-11-02T09:15:00.123000+00:00', or epoch seconds)",
        f"stacks/registry.staging.json: {GROUP}.2.ModelApprovalStatus: 'approved' is not one of Approved, Rejected, "
        "PendingManualApproval",
        f"stacks/registry.staging.json: {GROUP}.3.CreationTime: '2026-10-15T09:05:37' is not a time with a UTC offset "
        "(ISO 8601 as the CLI prints it, e.g. '2026-11-02T09:15:00.123000+00:00', or epoch seconds)",
        f"stacks/registry.staging.json: {GROUP}.4.ModelPackageArn: 'churn/5' is not a model package ARN "
        "(arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>)",
        f"stacks/registry.staging.json: {GROUP}.5.ModelPackageArn: 'arn:aws:sagemaker:{REGION}:123456789012:"
        f"model-package/mlplat-staging-other/6' is not a package of group {GROUP} (the snapshot's key must be the "
        "group the list was made for)",
        f"stacks/registry.staging.json: {GROUP}.5.ModelPackageGroupName: 'mlplat-staging-other' is not the "
        f"snapshot's key '{GROUP}' (each key lists its own group)",
    ], id="bad-entries"),
]


@pytest.mark.parametrize(("text", "expected"), MALFORMED)
def test_a_malformed_snapshot_is_one_config_error_naming_the_file_the_group_and_the_problem(tmp_path, text, expected):
    path = tmp_path / "registry.staging.json"
    path.write_text(text)
    with pytest.raises(ConfigError) as excinfo:
        SnapshotModelPackages.from_file(path, "stacks/registry.staging.json")
    rendered = [p.render(excinfo.value.source) for p in excinfo.value.problems]
    if expected is None:
        assert len(rendered) == 1 and rendered[0].startswith("stacks/registry.staging.json: registry snapshot: ")
        assert "is not JSON" in rendered[0]
    else:
        assert rendered == expected


def test_a_missing_snapshot_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="registry snapshot: .* is not a file"):
        SnapshotModelPackages.from_file(tmp_path / "absent.json")


def test_no_registry_has_no_approved_package_and_says_why():
    resolution = latest_approved(NoModelPackages(), GROUP)
    assert resolution.chosen is None
    assert "offline plans do not call AWS" in resolution.describe("churn")


def test_the_installed_source_is_scoped_to_the_block():
    assert current_model_package_source() is None
    source = NoModelPackages("test")
    with model_package_source(source):
        assert current_model_package_source() is source
        with model_package_source(NoModelPackages("inner")):
            assert current_model_package_source().reason == "inner"
        assert current_model_package_source() is source
    assert current_model_package_source() is None
