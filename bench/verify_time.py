"""verify: `mlplat verify` over N resources against moto in server mode, time per resource and scaling.

A generated deployment of N resources (per unit: a bucket with its encryption, public access
block, versioning and ownership settings, and a metric alarm: 6 resources) is created in a moto
server on 127.0.0.1 and written as a `pulumi stack export`. Two measures run interleaved:

- `verify`: `mlplat.tooling.verify.verify` with its default pool;
- `sequential boto3` (the baseline): the same reads, one after the other, with plain boto3 calls
  and no framework: what a hand-written script reading each resource once would take.

`ratio` = verify / sequential boto3 (below 1: the pool wins more than the framework costs). The
target: 1,000 resources verified in under a minute on this machine.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import urllib.request
from pathlib import Path
from typing import Any, Sequence

from . import fit_power_law, interleave, ratio_summary, target

FULL_SIZES = (100, 400, 1000)
QUICK_SIZES = (30, 60)
REGION = "us-east-1"
TARGET_SECONDS_FOR_1000 = 60.0
PER_UNIT = 6


def measure(sizes: Sequence[int], *, runs: int) -> dict[str, Any]:
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    # werkzeug logs every request to stderr unless told otherwise (thousands of lines per size).
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        points = [_point(url, size, runs) for size in sizes]
    finally:
        server.stop()
    largest = max(points, key=lambda p: p["resources"])
    projected = largest["ms_per_resource"]["verify"]  # ms per resource x 1,000 resources = seconds for 1,000
    return {
        "description": "mlplat verify vs the same reads with sequential plain boto3, against moto in server mode",
        "points": points,
        "growth": fit_power_law([p["resources"] for p in points], [p["ms"]["verify"]["median"] for p in points]),
        "target": target("verify: seconds for 1,000 resources (at the largest size's rate)", round(projected, 2),
                         TARGET_SECONDS_FOR_1000, unit=" s"),
    }


def _point(url: str, size: int, runs: int) -> dict[str, Any]:
    import boto3

    from mlplat.tooling.state import load_deployment
    from mlplat.tooling.verify import AwsClients, verify

    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).read()
    session = boto3.Session(region_name=REGION)
    units = max(1, size // PER_UNIT)
    document = _create(session, url, units)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "state.json"
        path.write_text(json.dumps(document))
        deployment = load_deployment(path, stack="bench")
    clients = AwsClients(region=REGION, endpoint_url=url, session=session)
    s3, cloudwatch = (session.client(s, endpoint_url=url) for s in ("s3", "cloudwatch"))
    problems: list[int] = []

    def run_verify() -> None:
        problems.append(len(verify(deployment, clients).findings))

    def sequential() -> None:
        for unit in range(units):
            bucket = f"bench-{unit}"
            s3.head_bucket(Bucket=bucket)
            s3.get_bucket_encryption(Bucket=bucket)
            s3.get_public_access_block(Bucket=bucket)
            s3.get_bucket_versioning(Bucket=bucket)
            s3.get_bucket_ownership_controls(Bucket=bucket)
            cloudwatch.describe_alarms(AlarmNames=[f"bench-{unit}"], AlarmTypes=["MetricAlarm"])

    run_verify(), sequential()  # warm-up: clients, connections, botocore models
    samples = interleave({"verify": run_verify, "sequential_boto3": sequential}, runs)
    resources = len(deployment.plan.custom_resources)
    return {
        "resources": resources,
        "problems_found": max(problems),  # a healthy deployment: 0 (otherwise the timing measured errors)
        "ms": {name: s.summary(1000.0) for name, s in samples.items()},
        "ms_per_resource": {name: round(s.median * 1000.0 / resources, 3) for name, s in samples.items()},
        "ratio": ratio_summary(samples["verify"].values, samples["sequential_boto3"].values),
    }


def _create(session: Any, url: str, units: int) -> dict[str, Any]:
    """`units` buckets with their settings and one alarm each, created in moto; the matching stack export."""
    s3, cloudwatch = (session.client(s, endpoint_url=url) for s in ("s3", "cloudwatch"))
    resources: list[dict[str, Any]] = []

    def state(type_: str, name: str, inputs: dict[str, Any]) -> None:
        resources.append({"urn": f"urn:pulumi:bench::bench::{type_}::{name}", "custom": True, "type": type_,
                          "id": name, "inputs": inputs, "outputs": inputs})

    for unit in range(units):
        bucket = f"bench-{unit}"
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True})
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
        cloudwatch.put_metric_alarm(AlarmName=bucket, MetricName="Errors", Namespace="bench", Statistic="Sum", Period=60,
                                    EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
        state("aws:s3/bucket:Bucket", bucket, {"bucket": bucket})
        state("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", f"{bucket}-sse",
              {"bucket": bucket, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]})
        state("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{bucket}-pab",
              {"bucket": bucket, "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
               "restrictPublicBuckets": True})
        state("aws:s3/bucketVersioning:BucketVersioning", f"{bucket}-versioning",
              {"bucket": bucket, "versioningConfiguration": {"status": "Enabled"}})
        state("aws:s3/bucketOwnershipControls:BucketOwnershipControls", f"{bucket}-ownership",
              {"bucket": bucket, "rule": {"objectOwnership": "BucketOwnerEnforced"}})
        state("aws:cloudwatch/metricAlarm:MetricAlarm", f"{bucket}-alarm",
              {"name": bucket, "threshold": 1.0, "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 1})
    return {"version": 3, "deployment": {"manifest": {}, "resources": resources}}
