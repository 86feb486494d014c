"""`mlplat verify` against moto in server mode on 127.0.0.1: a healthy platform passes, every
injected fault is found and named, bad input exits 2.

The platform is the reference prod plan's resources of the types verify reads, created in moto:
KMS keys and the S3 buckets' settings by hand (the plan's contract checks do not map them), the
rest by replaying the requests the plan's contract mappers build (CreateEndpointConfig,
PutMetricAlarm, CreateRepository, PutRule, ...). The state is the plan as `pulumi stack export`
writes it, with moto's key ids in place of the fakes'.

moto lacks what three reads need: DescribeMonitoringSchedule, DescribeMlflowTrackingServer and
composite alarms in DescribeAlarms: for those the tests answer with botocore's Stubber
(`StubbedSageMaker`, `StubbedCloudWatch`), never by skipping the check. moto's endpoints are InService at once and
its EventBridge connections AUTHORIZED: the failed endpoint and the deauthorized connection are set in moto's
backend, which serves the server on the same process.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

import boto3
import pytest
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer
from stack_exports import export_of

from mlplat.tooling.cli import EXIT_CHECKS_FAILED, EXIT_CONFIG_ERROR, main
from mlplat.tooling.contracts import requests_for
from mlplat.tooling.offline import run_stack
from mlplat.tooling.plan import Plan
from mlplat.tooling.state import load_deployment
from mlplat.tooling.verify import AwsClients, checked_types, render_json, render_text, verify

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
REPLAYED = (
    "aws:sagemaker/model:Model", "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
    "aws:sagemaker/endpoint:Endpoint", "aws:sagemaker/featureGroup:FeatureGroup", "aws:ecr/repository:Repository",
    "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget",
    "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup",
    "aws:sagemaker/pipeline:Pipeline", "aws:cloudwatch/eventConnection:EventConnection",
    "aws:cloudwatch/eventApiDestination:EventApiDestination", "aws:sqs/queue:Queue", "aws:sqs/queuePolicy:QueuePolicy",
)
NOT_IN_MOTO = ("aws:sagemaker/monitoringSchedule:MonitoringSchedule", "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer",
               "aws:cloudwatch/compositeAlarm:CompositeAlarm")


@pytest.fixture(scope="module")
def moto_url():
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def prod_plan() -> Plan:
    return run_stack(ROOT, "prod")


@pytest.fixture
def platform(moto_url, prod_plan, tmp_path):
    """The prod platform created in a fresh moto; returns (state file, boto3 session, the export)."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")).read()
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    client = lambda service: session.client(service, endpoint_url=moto_url)  # noqa: E731
    renamed = _create_keys(prod_plan, client("kms"))
    plan = _renamed(prod_plan, renamed)
    _create_buckets(plan, client("s3"))
    for resource in plan.custom_resources:
        if resource.type in REPLAYED:
            for request in requests_for(resource, plan):
                if request.service != "ec2":  # node groups also describe instance types: a read
                    getattr(client(request.service), _snake(request.operation))(**request.params)
    export = export_of(plan)
    state = tmp_path / "prod-state.json"
    state.write_text(json.dumps(export))
    return state, session, export


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


def _create_keys(plan: Plan, kms) -> dict[str, str]:
    renamed = {}
    for key in plan.of_type("aws:kms/key:Key"):
        created = kms.create_key(Description=key.inputs["description"], Policy=key.inputs["policy"])["KeyMetadata"]
        if key.inputs.get("enableKeyRotation"):
            kms.enable_key_rotation(KeyId=created["KeyId"])
        renamed[key.id] = created["KeyId"]
    return renamed


def _renamed(plan: Plan, renamed: dict[str, str]) -> Plan:
    """The plan with moto's key ids wherever the fakes' appear (ARNs, policies, capture settings)."""
    text = json.dumps([(r.inputs, r.outputs, r.id) for r in plan.resources])
    for old, new in renamed.items():
        text = text.replace(old, new)
    resources = [dataclasses.replace(r, inputs=i, outputs=o, id=id_) for r, (i, o, id_) in zip(plan.resources, json.loads(text))]
    return dataclasses.replace(plan, resources=resources)


def _create_buckets(plan: Plan, s3) -> None:
    for bucket in plan.of_type("aws:s3/bucket:Bucket"):
        s3.create_bucket(Bucket=bucket.inputs["bucket"])
    for sse in plan.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"):
        default = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
        s3.put_bucket_encryption(Bucket=sse.inputs["bucket"], ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": default["sseAlgorithm"],
                                                   "KMSMasterKeyID": default["kmsMasterKeyId"]},
            "BucketKeyEnabled": True}]})
    for block in plan.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"):
        s3.put_public_access_block(Bucket=block.inputs["bucket"], PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True})
    for versioning in plan.of_type("aws:s3/bucketVersioning:BucketVersioning"):
        s3.put_bucket_versioning(Bucket=versioning.inputs["bucket"],
                                 VersioningConfiguration={"Status": versioning.inputs["versioningConfiguration"]["status"]})
    for ownership in plan.of_type("aws:s3/bucketOwnershipControls:BucketOwnershipControls"):
        s3.put_bucket_ownership_controls(Bucket=ownership.inputs["bucket"], OwnershipControls={
            "Rules": [{"ObjectOwnership": ownership.inputs["rule"]["objectOwnership"]}]})
    for policy in plan.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        s3.put_bucket_policy(Bucket=policy.inputs["bucket"], Policy=policy.inputs["policy"])


class StubbedSageMaker:
    """moto's SageMaker, with botocore's Stubber answering the two calls moto does not implement."""

    def __init__(self, real, schedule_status: str = "Scheduled") -> None:
        self._real = real
        self._stubbed = boto3.client("sagemaker", region_name=REGION)
        self._schedule_status = schedule_status
        self._stubber = Stubber(self._stubbed)
        self._stubber.activate()

    def describe_monitoring_schedule(self, **params: Any) -> dict:
        self._stubber.add_response("describe_monitoring_schedule", {
            "MonitoringScheduleArn": f"arn:aws:sagemaker:{REGION}:123456789012:monitoring-schedule/x",
            "MonitoringScheduleName": params["MonitoringScheduleName"], "MonitoringScheduleStatus": self._schedule_status,
            "CreationTime": "2026-12-01T00:00:00Z", "LastModifiedTime": "2026-12-01T00:00:00Z",
            "MonitoringScheduleConfig": {}}, params)
        return self._stubbed.describe_monitoring_schedule(**params)

    def describe_mlflow_tracking_server(self, **params: Any) -> dict:
        self._stubber.add_response("describe_mlflow_tracking_server", {
            "TrackingServerName": params["TrackingServerName"], "TrackingServerStatus": "Created", "IsActive": "Active"}, params)
        return self._stubbed.describe_mlflow_tracking_server(**params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class StubbedCloudWatch:
    """moto's CloudWatch, with botocore's Stubber answering for composite alarms (moto has none):
    `composites` maps an alarm name to what DescribeAlarms returns for it (None: no such alarm)."""

    def __init__(self, real, composites: dict[str, Any]) -> None:
        self._real = real
        self._composites = composites
        self._stubbed = boto3.client("cloudwatch", region_name=REGION)
        self._stubber = Stubber(self._stubbed)
        self._stubber.activate()

    def describe_alarms(self, **params: Any) -> dict:
        if params.get("AlarmTypes") != ["CompositeAlarm"]:
            return self._real.describe_alarms(**params)
        alarm = self._composites.get(params["AlarmNames"][0])
        self._stubber.add_response("describe_alarms", {"CompositeAlarms": [alarm] if alarm else [], "MetricAlarms": []}, params)
        return self._stubbed.describe_alarms(**params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def composite_alarms(export: dict) -> dict[str, Any]:
    """What CloudWatch answers for the state's composite alarms, as they were created."""
    return {
        r["inputs"]["alarmName"]: {"AlarmName": r["inputs"]["alarmName"], "AlarmRule": r["inputs"]["alarmRule"],
                                   "AlarmActions": r["inputs"]["alarmActions"], "ActionsEnabled": True}
        for r in export["deployment"]["resources"] if r["type"] == "aws:cloudwatch/compositeAlarm:CompositeAlarm"
    }


class Clients(AwsClients):
    def __init__(self, moto_url: str, session: boto3.Session, schedule_status: str = "Scheduled",
                 composites: Optional[dict[str, Any]] = None) -> None:
        super().__init__(region=REGION, endpoint_url=moto_url, session=session)
        self._sagemaker = StubbedSageMaker(super().client("sagemaker"), schedule_status)
        self._cloudwatch = StubbedCloudWatch(super().client("cloudwatch"), composites or {})

    def client(self, service: str) -> Any:
        if service == "sagemaker":
            return self._sagemaker
        return self._cloudwatch if service == "cloudwatch" else super().client(service)


def _verify(platform, moto_url, schedule_status="Scheduled", composites=None):
    state, session, export = platform
    deployment = load_deployment(state, stack="prod")
    composites = composite_alarms(export) if composites is None else composites
    return verify(deployment, Clients(moto_url, session, schedule_status, composites))


def test_a_composite_alarm_with_another_rule_or_deleted(platform, moto_url):
    _, _, export = platform
    composites = composite_alarms(export)
    name, alarm = next(iter(composites.items()))
    changed = {**composites, name: {**alarm, "AlarmRule": "ALARM(\"something-else\")"}}
    finding = _one(_verify(platform, moto_url, composites=changed), "alarm rule")
    assert (finding.expected, finding.found) == (alarm["AlarmRule"], "ALARM(\"something-else\")")
    report = _verify(platform, moto_url, composites={k: v for k, v in composites.items() if k != name})
    assert [(f.type, f.kind) for f in report.findings] == [("aws:cloudwatch/compositeAlarm:CompositeAlarm", "missing")]


def test_the_healthy_platform_passes(platform, moto_url, prod_plan):
    report = _verify(platform, moto_url)
    assert report.findings == []
    expected = sum(1 for r in prod_plan.custom_resources if r.type in checked_types())
    assert report.checked == expected > 60
    assert render_text(report).startswith(f"verify stack 'prod': {expected} resources checked, 0 problems")


def _one(report, check):
    found = [f for f in report.findings if f.check == check]
    assert len(found) == 1, report.findings
    return found[0]


def test_encryption_removed(platform, moto_url):
    _, session, export = platform
    bucket = next(r for r in export["deployment"]["resources"]
                  if r["type"].startswith("aws:s3/bucketServerSideEncryptionConfiguration"))
    session.client("s3", endpoint_url=moto_url).delete_bucket_encryption(Bucket=bucket["inputs"]["bucket"])
    finding = _one(_verify(platform, moto_url), "encryption algorithm")
    assert (finding.urn, finding.kind, finding.expected) == (bucket["urn"], "differs", "aws:kms")
    assert finding.found != "aws:kms"


def test_rotation_off(platform, moto_url):
    _, session, export = platform
    key = next(r for r in export["deployment"]["resources"] if r["type"] == "aws:kms/key:Key")
    session.client("kms", endpoint_url=moto_url).disable_key_rotation(KeyId=key["id"])
    finding = _one(_verify(platform, moto_url), "key rotation")
    assert (finding.urn, finding.expected, finding.found) == (key["urn"], True, False)


def test_public_access_block_relaxed(platform, moto_url):
    _, session, export = platform
    block = next(r for r in export["deployment"]["resources"] if r["type"].endswith("BucketPublicAccessBlock"))
    session.client("s3", endpoint_url=moto_url).put_public_access_block(Bucket=block["inputs"]["bucket"], PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "BlockPublicPolicy": False, "IgnorePublicAcls": True, "RestrictPublicBuckets": True})
    finding = _one(_verify(platform, moto_url), "public access block BlockPublicPolicy")
    assert (finding.urn, finding.expected, finding.found) == (block["urn"], True, False)


def test_endpoint_on_another_configuration(platform, moto_url):
    _, session, export = platform
    sagemaker = session.client("sagemaker", endpoint_url=moto_url)
    endpoint = next(r for r in export["deployment"]["resources"] if r["type"] == "aws:sagemaker/endpoint:Endpoint")
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["inputs"]["endpointConfigName"])
    sagemaker.create_endpoint_config(EndpointConfigName="hand-made", ProductionVariants=config["ProductionVariants"])
    # moto has no UpdateEndpoint: the endpoint is recreated on the other configuration, as a console user could.
    sagemaker.delete_endpoint(EndpointName=endpoint["inputs"]["name"])
    sagemaker.create_endpoint(EndpointName=endpoint["inputs"]["name"], EndpointConfigName="hand-made")
    finding = _one(_verify(platform, moto_url), "endpoint configuration")
    assert (finding.urn, finding.expected, finding.found) == (endpoint["urn"], endpoint["inputs"]["endpointConfigName"], "hand-made")


def test_endpoint_failed(platform, moto_url):
    from moto.sagemaker.models import sagemaker_backends

    _, _, export = platform
    endpoint = next(r for r in export["deployment"]["resources"] if r["type"] == "aws:sagemaker/endpoint:Endpoint")
    backend = sagemaker_backends["123456789012"][REGION]
    backend.endpoints[endpoint["inputs"]["name"]].endpoint_status = "Failed"
    finding = _one(_verify(platform, moto_url), "endpoint status")
    assert (finding.urn, finding.kind, finding.found) == (endpoint["urn"], "unhealthy", "Failed")


def test_schedule_stopped(platform, moto_url):
    finding = _one(_verify(platform, moto_url, schedule_status="Stopped"), "monitoring schedule status")
    assert (finding.kind, finding.expected, finding.found) == ("unhealthy", "Scheduled", "Stopped")


def test_alarm_deleted(platform, moto_url):
    _, session, export = platform
    alarm = next(r for r in export["deployment"]["resources"] if r["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm")
    session.client("cloudwatch", endpoint_url=moto_url).delete_alarms(AlarmNames=[alarm["inputs"]["name"]])
    report = _verify(platform, moto_url)
    assert [(f.urn, f.kind) for f in report.findings] == [(alarm["urn"], "missing")]


def test_a_deleted_resource_is_reported_not_skipped(platform, moto_url):
    _, session, export = platform
    repository = next(r for r in export["deployment"]["resources"] if r["type"] == "aws:ecr/repository:Repository")
    session.client("ecr", endpoint_url=moto_url).delete_repository(repositoryName=repository["inputs"]["name"], force=True)
    report = _verify(platform, moto_url)
    assert [(f.urn, f.kind) for f in report.findings] == [(repository["urn"], "missing")]
    assert "missing" in render_text(report) and json.loads(render_json(report))["problems"][0]["kind"] == "missing"


def test_access_denied_on_one_resource_is_reported_and_the_rest_go_on(platform, moto_url):
    state, session, export = platform
    denied = next(r for r in export["deployment"]["resources"] if r["type"] == "aws:ecr/repository:Repository")

    class DenyingEcr:
        """moto's ECR, except that reading `denied` answers AccessDenied (botocore's Stubber)."""

        def __init__(self, real):
            self._real = real

        def describe_repositories(self, **params):
            if params["repositoryNames"] != [denied["inputs"]["name"]]:
                return self._real.describe_repositories(**params)
            stubbed = boto3.client("ecr", region_name=REGION)
            with Stubber(stubbed) as stubber:
                stubber.add_client_error("describe_repositories", "AccessDeniedException", "not allowed", 400)
                return stubbed.describe_repositories(**params)

    class Denying(Clients):
        def client(self, service):
            real = super().client(service)
            return DenyingEcr(real) if service == "ecr" else real

    report = verify(load_deployment(state, stack="prod"), Denying(moto_url, session, composites=composite_alarms(export)))
    assert [(f.urn, f.kind) for f in report.findings] == [(denied["urn"], "error")]
    assert "AccessDeniedException: not allowed" in report.findings[0].found
    assert report.checked > 60


def test_the_command_runs_as_a_separate_process(platform, moto_url, tmp_path):
    """The CLI as users run it, against the server; the two types moto lacks are left out of this state."""
    state, _, export = platform
    document = copy.deepcopy(export)
    document["deployment"]["resources"] = [r for r in document["deployment"]["resources"] if r["type"] not in NOT_IN_MOTO]
    trimmed = tmp_path / "trimmed.json"
    trimmed.write_text(json.dumps(document))
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    run = subprocess.run([sys.executable, "-m", "mlplat.tooling.cli", "verify", "--stack", "prod", "--cwd", str(ROOT),
                          "--state", str(trimmed), "--endpoint-url", moto_url, "--format", "json"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(run.stdout)["problems"] == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--stack", "qa"], "Pulumi.qa.yaml: does not exist"),
        (["--workers", "0"], "--workers: 0 must be at least 1"),
    ],
)
def test_bad_input_exits_2_with_one_message(platform, moto_url, capsys, arguments, message):
    state, _, _ = platform
    argv = ["verify", "--stack", "prod", "--cwd", str(ROOT), "--state", str(state), "--endpoint-url", moto_url]
    for flag, value in zip(arguments[::2], arguments[1::2]):
        if flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    assert main(argv) == EXIT_CONFIG_ERROR
    captured = capsys.readouterr()
    assert captured.err.startswith("mlplat verify: ") and message in captured.err and "Traceback" not in captured.err


def test_a_preview_is_not_a_state(tmp_path, capsys):
    preview = tmp_path / "preview.json"
    preview.write_text(json.dumps({"steps": []}))
    assert main(["verify", "--stack", "prod", "--cwd", str(ROOT), "--state", str(preview)]) == EXIT_CONFIG_ERROR
    assert "is a preview, not a `pulumi stack export`" in capsys.readouterr().err


def test_verify_fails_with_exit_1_when_something_differs(platform, moto_url, capsys, monkeypatch):
    state, session, export = platform
    key = next(r for r in export["deployment"]["resources"] if r["type"] == "aws:kms/key:Key")
    session.client("kms", endpoint_url=moto_url).disable_key_rotation(KeyId=key["id"])
    monkeypatch.setattr("mlplat.tooling.verify.AwsClients",
                        lambda **kw: Clients(moto_url, session, composites=composite_alarms(export)))
    assert main(["verify", "--stack", "prod", "--cwd", str(ROOT), "--state", str(state)]) == EXIT_CHECKS_FAILED
    out = capsys.readouterr().out
    assert ", 1 problems" in out.splitlines()[0]
    assert "key rotation: expected true, found false" in out


# --- the approval's deployment path: EventBridge connection and API destination, the dead-letter queue -------------

def _of_type(export: dict, type_: str) -> dict:
    return next(r for r in export["deployment"]["resources"] if r["type"] == type_)


def test_a_deauthorized_connection_is_unhealthy(platform, moto_url):
    from moto.events.models import events_backends

    _, _, export = platform
    connection = _of_type(export, "aws:cloudwatch/eventConnection:EventConnection")
    # What EventBridge does when GitHub refuses the token; moto's connections stay AUTHORIZED otherwise.
    events_backends["123456789012"][REGION].connections[connection["inputs"]["name"]].state = "DEAUTHORIZED"
    finding = _one(_verify(platform, moto_url), "connection state")
    assert (finding.urn, finding.kind, finding.expected, finding.found) == (
        connection["urn"], "unhealthy", "AUTHORIZED", "DEAUTHORIZED")


def test_an_api_destination_calling_elsewhere_differs(platform, moto_url):
    _, session, export = platform
    destination = _of_type(export, "aws:cloudwatch/eventApiDestination:EventApiDestination")
    session.client("events", endpoint_url=moto_url).update_api_destination(
        Name=destination["inputs"]["name"], InvocationEndpoint="https://example.com/collect", HttpMethod="POST")
    finding = _one(_verify(platform, moto_url), "invocation endpoint")
    assert (finding.urn, finding.expected, finding.found) == (
        destination["urn"], destination["inputs"]["invocationEndpoint"], "https://example.com/collect")


def test_dead_letter_queue_encryption_and_policy_removed(platform, moto_url):
    _, session, export = platform
    queue, policy = _of_type(export, "aws:sqs/queue:Queue"), _of_type(export, "aws:sqs/queuePolicy:QueuePolicy")
    sqs = session.client("sqs", endpoint_url=moto_url)
    url = sqs.get_queue_url(QueueName=queue["inputs"]["name"])["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"KmsMasterKeyId": "", "Policy": ""})
    report = _verify(platform, moto_url)
    assert sorted((f.urn, f.check) for f in report.findings) == sorted([
        (queue["urn"], "encryption key"), (policy["urn"], "queue policy")])
    assert _one(report, "encryption key").found is None


def test_a_deleted_dead_letter_queue_is_missing_with_its_policy(platform, moto_url):
    _, session, export = platform
    queue, policy = _of_type(export, "aws:sqs/queue:Queue"), _of_type(export, "aws:sqs/queuePolicy:QueuePolicy")
    sqs = session.client("sqs", endpoint_url=moto_url)
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=queue["inputs"]["name"])["QueueUrl"])
    report = _verify(platform, moto_url)
    assert sorted((f.urn, f.kind) for f in report.findings) == sorted([(queue["urn"], "missing"), (policy["urn"], "missing")])
