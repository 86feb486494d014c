"""`latest-approved` against a registry in another account: the group asked by its ARN, with the stack's own
identity (the roles of its `aws:assumeRoles`, assumed in order as the provider assumes them).

The identity is tested against moto in server mode: STS AssumeRole there returns credentials of the role's account,
and SageMaker answers from that account's registry. Moto does not read a resource of another account by its ARN
(its ListModelPackages keeps the name of a group ARN and answers from the caller's own account), so the
cross-account request itself (ModelPackageGroupName = the shared account's group ARN) is checked with botocore's
Stubber, the one API moto lacks here."""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timezone

import boto3
import pytest
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from mlplat.core import aws_models
from mlplat.core.errors import ConfigError
from mlplat.platform.model_packages import (
    Boto3ModelPackages,
    SnapshotModelPackages,
    latest_approved,
    model_package_group_arn,
)

REGION = "us-east-1"
SHARED, PROD, DEFAULT = "555566667777", "444455556666", "123456789012"
GROUP = "mlplat-prod-churn"
SHARED_GROUP = model_package_group_arn(region=REGION, account=SHARED, group_name=GROUP)


def role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/ml-platform-deploy"


@pytest.fixture(scope="module")
def moto_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto_url(moto_server, monkeypatch):
    """Every boto3 client of the test talks to moto (AWS_ENDPOINT_URL), with fake credentials."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")).read()
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": moto_server}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    return moto_server


def sagemaker_as(account: str):
    """A SageMaker client acting in `account` (moto maps an assumed role's credentials to the role's account)."""
    credentials = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=role(account), RoleSessionName="test")["Credentials"]
    return boto3.client("sagemaker", region_name=REGION, aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials["SessionToken"])


def register(client, statuses: list[str]) -> list[str]:
    client.create_model_package_group(ModelPackageGroupName=GROUP)
    arns = []
    for status in statuses:
        arn = client.create_model_package(
            ModelPackageGroupName=GROUP, ModelApprovalStatus=status,
            InferenceSpecification={"Containers": [{"Image": f"{SHARED}.dkr.ecr.{REGION}.amazonaws.com/x@sha256:" + "a" * 64}],
                                    "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
        )["ModelPackageArn"]
        arns.append(arn)
    return arns


def test_the_registry_is_asked_with_the_assumed_roles_identity(moto_url):
    ours = register(sagemaker_as(PROD), ["Approved", "Rejected"])
    # The credentials' own account has a group of the same name with a newer Approved package: never read.
    register(boto3.client("sagemaker", region_name=REGION), ["Approved", "Approved"])
    source = Boto3ModelPackages(REGION, assume_roles=[{"roleArn": role(PROD), "sessionName": "plan"}])
    resolution = latest_approved(source, GROUP)
    assert resolution.chosen is not None and resolution.chosen.arn == ours[0]
    assert f":{PROD}:model-package/" in resolution.chosen.arn and resolution.approved == 1
    assert f"as {role(PROD)}" in resolution.describe("churn")


def test_assume_roles_are_chained_in_order(moto_url):
    ours = register(sagemaker_as(PROD), ["Approved"])
    calls = []
    source = Boto3ModelPackages(REGION, assume_roles=[{"roleArn": role(SHARED)}, {"roleArn": role(PROD),
                                                                                "externalId": "ext-1"}])
    boto3.DEFAULT_SESSION = None
    original = boto3.session.Session.client

    def recording(session, service, *args, **kwargs):
        client = original(session, service, *args, **kwargs)
        if service == "sts":
            client.meta.events.register("provide-client-params.sts.AssumeRole",
                                        lambda params, **_: calls.append(dict(params)))
        return client

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(boto3.session.Session, "client", recording)
        resolution = latest_approved(source, GROUP)
    assert [c["RoleArn"] for c in calls] == [role(SHARED), role(PROD)]
    assert calls[1]["ExternalId"] == "ext-1" and calls[0]["RoleSessionName"] == "mlplat-latest-approved"
    assert resolution.chosen.arn == ours[0]


def test_botocore_accepts_a_group_arn_as_model_package_group_name():
    shape = aws_models.operation_model("sagemaker", "ListModelPackages").input_shape.members["ModelPackageGroupName"]
    pattern = aws_models.shape_pattern("sagemaker", shape.name)
    assert pattern is not None and pattern.fullmatch(SHARED_GROUP) and pattern.fullmatch(GROUP)
    assert len(SHARED_GROUP) <= shape.metadata["max"]


def test_a_group_of_another_account_is_listed_by_its_arn():
    client = boto3.client("sagemaker", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    package = f"arn:aws:sagemaker:{REGION}:{SHARED}:model-package/{GROUP}/4"
    with Stubber(client) as stub:
        stub.add_response("list_model_packages", {"ModelPackageSummaryList": [{
            "ModelPackageGroupName": GROUP, "ModelPackageVersion": 4, "ModelPackageArn": package,
            "CreationTime": datetime(2026, 11, 10, tzinfo=timezone.utc), "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": "Approved"}]},
            {"ModelPackageGroupName": SHARED_GROUP, "ModelApprovalStatus": "Approved", "SortBy": "CreationTime",
             "SortOrder": "Descending", "MaxResults": 100})
        resolution = latest_approved(Boto3ModelPackages(REGION, client=client), SHARED_GROUP)
        stub.assert_no_pending_responses()
    assert resolution.chosen.arn == package
    assert f"group {SHARED_GROUP}" in resolution.describe("churn")


def entry(account: str, version: int = 4) -> dict:
    return {"ModelPackageGroupName": GROUP, "ModelPackageVersion": version,
            "ModelPackageArn": f"arn:aws:sagemaker:{REGION}:{account}:model-package/{GROUP}/{version}",
            "CreationTime": "2026-11-10T08:44:03+00:00", "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": "Approved"}


def test_a_snapshot_keys_a_group_of_another_account_by_its_arn():
    snapshot = SnapshotModelPackages.from_document({SHARED_GROUP: [entry(SHARED)]}, "registry.prod.json")
    assert latest_approved(snapshot, SHARED_GROUP).chosen.arn.split(":")[4] == SHARED
    by_name = SnapshotModelPackages.from_document({GROUP: [entry(SHARED)]}, "registry.prod.json")
    absent = latest_approved(by_name, SHARED_GROUP)
    assert absent.chosen is None and "keyed by its ARN" in (absent.listing.absent or "")


def test_a_snapshot_package_outside_the_groups_account_is_a_config_error():
    with pytest.raises(ConfigError) as error:
        SnapshotModelPackages.from_document({SHARED_GROUP: [entry(PROD)]}, "registry.prod.json")
    text = str(error.value)
    assert f"{SHARED_GROUP}.0.ModelPackageArn" in text and f"is not in account {SHARED}" in text
    assert json.dumps(entry(PROD)["ModelPackageArn"]).strip('"') in text


def test_preflight_of_a_serving_layer_asks_the_shared_group_with_the_stacks_role(moto_url, capsys):
    """`mlplat preflight` (run before every `pulumi up` of the deploy workflow) plans the layer with its references
    and asks the live registry as `pulumi up` does: the stack's deploy role, the shared group by ARN."""
    from pathlib import Path

    from mlplat.tooling.cli import main

    example = Path(__file__).resolve().parents[2] / "examples" / "multi-account"
    assumed, listed = [], []
    original = boto3.session.Session.client

    def recording(session, service, *args, **kwargs):
        client = original(session, service, *args, **kwargs)
        if service == "sts":
            client.meta.events.register("provide-client-params.sts.AssumeRole",
                                        lambda params, **_: assumed.append(params["RoleArn"]))
        if service == "sagemaker":
            client.meta.events.register("provide-client-params.sagemaker.ListModelPackages",
                                        lambda params, **_: listed.append(params["ModelPackageGroupName"]))
        return client

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(boto3.session.Session, "client", recording)
        code = main(["preflight", "--stack", "prod-serving-growth", "--cwd", str(example)])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err  # quotas aside: no configuration error, no traceback
    assert "Traceback" not in captured.err
    assert assumed == [role(PROD)] and listed == [SHARED_GROUP]
