"""Realistic provider outputs for the offline runner.

The engine's providers compute ids, ARNs, names and endpoints; under mocks something must play
that part, or documents built from outputs (IAM policies, bucket policies) are incomplete. Each
fake below returns what the real provider would, in the real format for the region and account,
derived deterministically from the resource's URN so plans are stable from run to run.

Types without a fake get their inputs back and a deterministic id: the plan stays honest about
what it does not know rather than inventing attributes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

from pulumi.runtime import Mocks, MockCallArgs, MockResourceArgs

FAKE_ACCOUNT_ID = "123456789012"

Outputs = dict[str, Any]


def stable_hex(seed: str, length: int) -> str:
    """Deterministic lowercase hex derived from `seed` (stands in for provider randomness)."""
    out = ""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"{seed}#{counter}".encode()).hexdigest()
        counter += 1
    return out[:length]


def fake_uuid(seed: str) -> str:
    h = stable_hex(seed, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


@dataclass(frozen=True)
class FakeContext:
    """What a fake needs to shape an output: where it lives and a stable seed."""

    region: str
    account: str
    seed: str
    name: str

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return ":".join(
            ["arn", "aws", service, self.region if region else "", self.account if account else "", resource]
        )

    def hex(self, length: int) -> str:
        return stable_hex(self.seed, length)


FakeFn = Callable[[FakeContext, Mapping[str, Any]], tuple[str, Outputs]]
_FAKES: dict[str, FakeFn] = {}


def fake(*type_tokens: str) -> Callable[[FakeFn], FakeFn]:
    def register(fn: FakeFn) -> FakeFn:
        for token in type_tokens:
            _FAKES[token] = fn
        return fn

    return register


def registered_fake_types() -> frozenset[str]:
    return frozenset(_FAKES)


# --- KMS -------------------------------------------------------------------------------------


@fake("aws:kms/key:Key")
def _kms_key(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    key_id = fake_uuid(ctx.seed)
    return key_id, {"keyId": key_id, "arn": ctx.arn("kms", f"key/{key_id}")}


@fake("aws:kms/alias:Alias")
def _kms_alias(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = props.get("name") or f"alias/{ctx.name}"
    target = props.get("targetKeyId")
    out: Outputs = {"name": name, "arn": ctx.arn("kms", name)}
    if isinstance(target, str) and target.startswith("arn:"):
        out["targetKeyArn"] = target
    elif isinstance(target, str):
        out["targetKeyArn"] = ctx.arn("kms", f"key/{target}")
    return name, out


# --- S3 --------------------------------------------------------------------------------------


@fake("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
def _s3_bucket(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    bucket = props.get("bucket") or f"{ctx.name}-{ctx.hex(7)}"
    return bucket, {
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{ctx.region}.amazonaws.com",
        "hostedZoneId": "Z3AQBSTGFYJSTF",
        "region": props.get("region") or ctx.region,
    }


@fake(
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketLogging:BucketLogging",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketAcl:BucketAcl",
)
def _s3_bucket_setting(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    # The provider uses the bucket name as the id of every per-bucket setting.
    bucket = props.get("bucket")
    return (bucket if isinstance(bucket, str) else ctx.name), {}


# --- EC2 / VPC -------------------------------------------------------------------------------


def _ec2_id(prefix: str, ctx: FakeContext) -> str:
    return f"{prefix}-{ctx.hex(17)}"


@fake("aws:ec2/vpc:Vpc")
def _vpc(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    vpc_id = _ec2_id("vpc", ctx)
    return vpc_id, {
        "arn": ctx.arn("ec2", f"vpc/{vpc_id}"),
        "defaultSecurityGroupId": f"sg-{stable_hex(ctx.seed + 'sg', 17)}",
        "defaultNetworkAclId": f"acl-{stable_hex(ctx.seed + 'acl', 17)}",
        "defaultRouteTableId": f"rtb-{stable_hex(ctx.seed + 'rtb', 17)}",
        "mainRouteTableId": f"rtb-{stable_hex(ctx.seed + 'rtb', 17)}",
        "dhcpOptionsId": f"dopt-{stable_hex(ctx.seed + 'dopt', 17)}",
        "ownerId": ctx.account,
        "instanceTenancy": props.get("instanceTenancy", "default"),
        "enableDnsSupport": props.get("enableDnsSupport", True),
        "enableDnsHostnames": props.get("enableDnsHostnames", False),
    }


@fake("aws:ec2/subnet:Subnet")
def _subnet(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    subnet_id = _ec2_id("subnet", ctx)
    az = props.get("availabilityZone") or f"{ctx.region}a"
    return subnet_id, {
        "arn": ctx.arn("ec2", f"subnet/{subnet_id}"),
        "availabilityZone": az,
        "availabilityZoneId": f"use1-az{(ord(str(az)[-1]) - ord('a')) + 1}",
        "ownerId": ctx.account,
        "mapPublicIpOnLaunch": props.get("mapPublicIpOnLaunch", False),
    }


@fake("aws:ec2/routeTable:RouteTable")
def _route_table(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    rtb = _ec2_id("rtb", ctx)
    return rtb, {"arn": ctx.arn("ec2", f"route-table/{rtb}"), "ownerId": ctx.account}


@fake("aws:ec2/routeTableAssociation:RouteTableAssociation")
def _rtb_assoc(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    return _ec2_id("rtbassoc", ctx), {}


@fake("aws:ec2/securityGroup:SecurityGroup")
def _security_group(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    sg = _ec2_id("sg", ctx)
    name = props.get("name") or f"{ctx.name}-{ctx.hex(7)}"
    return sg, {"arn": ctx.arn("ec2", f"security-group/{sg}"), "ownerId": ctx.account, "name": name}


@fake("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
def _default_security_group(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    sg = _ec2_id("sg", ctx)
    return sg, {
        "arn": ctx.arn("ec2", f"security-group/{sg}"),
        "ownerId": ctx.account,
        "name": "default",
        "description": "default VPC security group",
    }


@fake("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
def _sg_rule(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    rule = _ec2_id("sgr", ctx)
    return rule, {"arn": ctx.arn("ec2", f"security-group-rule/{rule}"), "securityGroupRuleId": rule}


@fake("aws:ec2/vpcEndpoint:VpcEndpoint")
def _vpc_endpoint(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    vpce = _ec2_id("vpce", ctx)
    service = str(props.get("serviceName", ""))
    out: Outputs = {
        "arn": ctx.arn("ec2", f"vpc-endpoint/{vpce}"),
        "ownerId": ctx.account,
        "state": "available",
        "requesterManaged": False,
    }
    if props.get("vpcEndpointType", "Gateway") == "Gateway":
        out["prefixListId"] = f"pl-{ctx.hex(8)}"
        out["cidrBlocks"] = ["3.5.0.0/19"]
    else:
        short = service.split(".", 3)[-1] if service else "service"
        out["dnsEntries"] = [
            {"dnsName": f"{vpce}-{ctx.hex(8)}.{short}.{ctx.region}.vpce.amazonaws.com", "hostedZoneId": "Z7HUB22UULQXV"}
        ]
        out["networkInterfaceIds"] = [f"eni-{stable_hex(ctx.seed + str(i), 17)}" for i, _ in enumerate(props.get("subnetIds") or [])]
    return vpce, out


@fake("aws:ec2/flowLog:FlowLog")
def _flow_log(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    fl = _ec2_id("fl", ctx)
    return fl, {"arn": ctx.arn("ec2", f"vpc-flow-log/{fl}")}


# --- CloudWatch / IAM ------------------------------------------------------------------------


@fake("aws:cloudwatch/logGroup:LogGroup")
def _log_group(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = props.get("name") or f"{ctx.name}-{ctx.hex(7)}"
    return name, {"name": name, "arn": ctx.arn("logs", f"log-group:{name}")}


@fake("aws:iam/role:Role")
def _iam_role(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = props.get("name") or f"{ctx.name}-{ctx.hex(7)}"
    path = props.get("path") or "/"
    return name, {
        "name": name,
        "arn": ctx.arn("iam", f"role{path}{name}", region=False),
        "uniqueId": "AROA" + ctx.hex(17).upper(),
        "createDate": "2026-01-01T00:00:00Z",
    }


@fake("aws:iam/policy:Policy")
def _iam_policy(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = props.get("name") or f"{ctx.name}-{ctx.hex(7)}"
    path = props.get("path") or "/"
    arn = ctx.arn("iam", f"policy{path}{name}", region=False)
    return arn, {"name": name, "arn": arn, "policyId": "ANPA" + ctx.hex(17).upper()}


@fake("aws:iam/rolePolicy:RolePolicy")
def _iam_role_policy(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = props.get("name") or f"{ctx.name}-{ctx.hex(7)}"
    return f"{props.get('role')}:{name}", {"name": name}


@fake("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
def _iam_attachment(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    return f"{props.get('role')}-{ctx.hex(8)}", {}


# --- invokes ---------------------------------------------------------------------------------

InvokeFn = Callable[["RealisticMocks", Mapping[str, Any]], dict[str, Any]]
_INVOKES: dict[str, InvokeFn] = {}


def invoke(*tokens: str) -> Callable[[InvokeFn], InvokeFn]:
    def register(fn: InvokeFn) -> InvokeFn:
        for token in tokens:
            _INVOKES[token] = fn
        return fn

    return register


@invoke("aws:index/getCallerIdentity:getCallerIdentity")
def _caller_identity(m: "RealisticMocks", args: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "accountId": m.account,
        "arn": f"arn:aws:sts::{m.account}:assumed-role/mlplat-offline/offline",
        "userId": "AROAOFFLINEPLAN:offline",
        "id": m.account,
    }


@invoke("aws:index/getRegion:getRegion")
def _region(m: "RealisticMocks", args: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": m.region, "region": m.region, "id": m.region, "endpoint": f"ec2.{m.region}.amazonaws.com",
            "description": m.region}


@invoke("aws:index/getPartition:getPartition")
def _partition(m: "RealisticMocks", args: Mapping[str, Any]) -> dict[str, Any]:
    return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws", "reverseDnsPrefix": "com.amazonaws"}


@invoke("aws:index/getAvailabilityZones:getAvailabilityZones")
def _azs(m: "RealisticMocks", args: Mapping[str, Any]) -> dict[str, Any]:
    letters = "abcdef"
    prefix = {"us-east-1": "use1", "us-west-2": "usw2", "eu-west-1": "euw1", "eu-central-1": "euc1"}.get(
        m.region, m.region.replace("-", "")[:4]
    )
    return {
        "names": [f"{m.region}{c}" for c in letters],
        "zoneIds": [f"{prefix}-az{i + 1}" for i in range(len(letters))],
        "groupNames": [m.region] * len(letters),
        "id": m.region,
        "state": args.get("state"),
    }


class UnmockedInvokeError(LookupError):
    """A program called a data source the offline runner has no answer for."""


class UnknownStackReferenceError(LookupError):
    """A program referenced a stack whose outputs the offline runner was not given."""


STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"


@dataclass
class RealisticMocks(Mocks):
    """Mocks that answer like the AWS provider would in `region` for `account`.

    `invoke_results` overrides or adds invoke answers by token (plain dictionaries, as a test
    kit user would write them). In preview mode, computed outputs are left out so the SDK sees
    them as unknown, as `pulumi preview` does for a new stack.
    """

    region: str = "us-east-1"
    account: str = FAKE_ACCOUNT_ID
    preview: bool = False
    invoke_results: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    stack_references: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    seed_of: Callable[[MockResourceArgs], str] = lambda args: getattr(args, "urn", f"{args.typ}::{args.name}")

    def new_resource(self, args: MockResourceArgs) -> tuple[Optional[str], dict]:
        inputs = dict(args.inputs)
        if args.typ == STACK_REFERENCE_TYPE:
            return self._stack_reference(args)
        fn = _FAKES.get(args.typ)
        if self.preview:
            return "", inputs
        ctx = FakeContext(self.region, self.account, self.seed_of(args), args.name)
        if fn is None:
            return f"{args.name}-{ctx.hex(8)}", inputs
        resource_id, computed = fn(ctx, inputs)
        return resource_id, {**inputs, **computed}

    def _stack_reference(self, args: MockResourceArgs) -> tuple[Optional[str], dict]:
        name = args.inputs.get("name") or args.resource_id or args.name
        if name not in self.stack_references:
            raise UnknownStackReferenceError(
                f"the offline runner has no outputs for stack reference {name!r}; "
                "pass stack_references={name: {output: value}}"
            )
        return name, {"name": name, "outputs": dict(self.stack_references[name]), "secretOutputNames": []}

    def call(self, args: MockCallArgs) -> tuple[dict, Optional[list[tuple[str, str]]]]:
        if args.token in self.invoke_results:
            return dict(self.invoke_results[args.token]), []
        fn = _INVOKES.get(args.token)
        if fn is None:
            raise UnmockedInvokeError(
                f"the offline runner has no answer for invoke {args.token!r}; "
                "pass it in invoke_results={token: {...}} (mlplat.testing) or add a fake in mlplat/fakes.py"
            )
        return fn(self, args.args), []
