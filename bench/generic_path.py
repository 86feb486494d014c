"""The generic path's cost: outputs generated from SDK type information against hand-written fakes.

One program declares N resources of types that have hand-written fakes (IAM roles and policies, S3
buckets, log groups, KMS keys, VPCs, subnets, security groups, launch templates), each wired to an
earlier one so that outputs flow into inputs as in real programs. It runs twice, interleaved, in
one process, under the offline runner:

- `fakes`: as `mlplat plan` runs it, the hand-written fakes answering;
- `generic`: the same program with those fakes set aside (`mlplat.tooling.fakes.without_fakes`),
  so every resource takes the generic path: its outputs generated from the provider SDK's type
  information (compiled once per type and cached; a warm-up round pays for that).

Both sides register the same resources; the generic side generates more properties (every output
the provider always sets, where a fake writes the few callers read), and that is part of its cost.
**ratio = generic / fakes, per resource; target <= 1.10.** A ratio, never a timed assertion.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from . import interleave, ratio_summary, summary, target

TARGET_GENERIC_RATIO = 1.10
FULL_SIZES: tuple[int, ...] = (40, 160)
QUICK_SIZES: tuple[int, ...] = (16,)

# Types of the program below, all with hand-written fakes.
FAKED_TYPES: tuple[str, ...] = (
    "aws:iam/role:Role", "aws:iam/policy:Policy", "aws:s3/bucket:Bucket", "aws:cloudwatch/logGroup:LogGroup",
    "aws:kms/key:Key", "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/securityGroup:SecurityGroup",
)  # fmt: skip
PER_UNIT = len(FAKED_TYPES)


def program(units: int) -> Callable[[], None]:
    """`units` x one resource of every faked type, each unit's resources wired together."""

    def declare() -> None:
        import json

        import pulumi
        import pulumi_aws as aws

        for i in range(units):
            key = aws.kms.Key(f"key-{i}", description="bench")
            vpc = aws.ec2.Vpc(f"vpc-{i}", cidr_block="10.0.0.0/16")
            subnet = aws.ec2.Subnet(f"subnet-{i}", vpc_id=vpc.id, cidr_block="10.0.1.0/24")
            aws.ec2.SecurityGroup(f"sg-{i}", vpc_id=subnet.vpc_id, description="bench")
            bucket = aws.s3.Bucket(f"bucket-{i}", tags={"key": key.arn})
            aws.cloudwatch.LogGroup(f"logs-{i}", kms_key_id=key.arn, retention_in_days=30)
            role = aws.iam.Role(f"role-{i}", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
            aws.iam.Policy(f"policy-{i}", policy=pulumi.Output.all(bucket.arn, role.arn).apply(
                lambda arns: json.dumps({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": arns[0]}]})))

    return declare


def _run(units: int, generic: bool) -> Callable[[], dict[str, float]]:
    from mlplat.tooling.fakes import without_fakes
    from mlplat.tooling.offline import run_callable

    declare = program(units)

    def run() -> Any:
        if generic:
            with without_fakes(*FAKED_TYPES):
                plan = run_callable(declare)
            assert set(plan.generated_outputs) == set(FAKED_TYPES), plan.generated_outputs
        else:
            plan = run_callable(declare)
            assert not plan.generated_outputs
        return {"resources": float(len(plan.custom_resources))}

    return run


def measure(sizes: Sequence[int], *, runs: int, warmup: int = 1) -> dict[str, Any]:
    points: list[dict[str, Any]] = []
    for units in sizes:
        sides = {"fakes": _run(units, generic=False), "generic": _run(units, generic=True)}
        for _ in range(warmup):  # imports, the SDK's first-run paths, the generic path's compiled types
            for run in sides.values():
                run()
        samples = interleave(sides, runs)
        resources = int(samples["fakes.resources"].values[0])
        assert int(samples["generic.resources"].values[0]) == resources
        per_resource = 1000.0 / resources
        points.append({
            "units": units,
            "resources": resources,
            "ms": {side: summary(samples[side].values, 1000.0) for side in sides},
            "ms_per_resource": {side: summary(samples[side].values, per_resource) for side in sides},
            "ratio": ratio_summary(samples["generic"].values, samples["fakes"].values),
            "samples_seconds": {name: s.values for name, s in samples.items()},
        })
    worst = max((p["ratio"]["value"] for p in points if p["ratio"]["value"] is not None), default=None)
    return {
        "description": "the same program with hand-written fakes against the generic path (fakes set aside); "
                       "ratio = generic / fakes per resource, medians of interleaved runs",
        "types": list(FAKED_TYPES),
        "points": points,
        "target": target("generic path / hand-written fakes, per resource (worst size)", worst, TARGET_GENERIC_RATIO),
    }
