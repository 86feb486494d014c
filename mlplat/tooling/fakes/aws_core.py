"""Fakes for the core AWS services: KMS, S3, EC2/VPC, CloudWatch Logs, IAM, and account invokes."""

from __future__ import annotations

import json
from typing import Any, Mapping

from ._core import FakeContext, Outputs, RealisticMocks, fake, fake_uuid, invoke, stable_hex

__all__: list[str] = []  # registers its fakes on import; nothing to import from here


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
    bucket = ctx.name_from(props, "bucket")
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
    name = ctx.name_from(props, "name")
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
    name = ctx.name_from(props, "name")
    return name, {"name": name, "arn": ctx.arn("logs", f"log-group:{name}")}


@fake("aws:iam/role:Role")
def _iam_role(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "name")
    path = props.get("path") or "/"
    return name, {
        "name": name,
        "arn": ctx.arn("iam", f"role{path}{name}", region=False),
        "uniqueId": "AROA" + ctx.hex(17).upper(),
        "createDate": "2026-01-01T00:00:00Z",
    }


@fake("aws:iam/instanceProfile:InstanceProfile")
def _iam_instance_profile(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "name")
    path = props.get("path") or "/"
    return name, {
        "name": name,
        "arn": ctx.arn("iam", f"instance-profile{path}{name}", region=False),
        "uniqueId": "AIPA" + ctx.hex(17).upper(),
        "createDate": "2026-01-01T00:00:00Z",
    }


@fake("aws:ec2/tag:Tag")
def _ec2_tag(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    # The provider's id is `<resource id>,<key>`.
    return f"{props.get('resourceId')},{props.get('key')}", {}


@fake("aws:iam/policy:Policy")
def _iam_policy(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "name")
    path = props.get("path") or "/"
    arn = ctx.arn("iam", f"policy{path}{name}", region=False)
    return arn, {"name": name, "arn": arn, "policyId": "ANPA" + ctx.hex(17).upper()}


@fake("aws:iam/rolePolicy:RolePolicy")
def _iam_role_policy(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    name = ctx.name_from(props, "name")
    return f"{props.get('role')}:{name}", {"name": name}


@fake("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
def _iam_attachment(ctx: FakeContext, props: Mapping[str, Any]) -> tuple[str, Outputs]:
    return f"{props.get('role')}-{ctx.hex(8)}", {}


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


@invoke("aws:iam/getPolicyDocument:getPolicyDocument")
def _policy_document(m: "RealisticMocks", args: Mapping[str, Any]) -> dict[str, Any]:
    """The policy JSON the provider renders from the statements (not an AWS call: computed exactly):
    one-element lists become strings, a statement's effect defaults to Allow, the statements of
    `sourcePolicyDocuments` come first and `overridePolicyDocuments` replace those with the same Sid."""
    statements: list[dict[str, Any]] = []
    for source in args.get("sourcePolicyDocuments") or []:
        statements.extend(_statements_of(source))
    statements.extend(_statement(s) for s in args.get("statements") or [])
    for override in args.get("overridePolicyDocuments") or []:
        for statement in _statements_of(override):
            same = [i for i, s in enumerate(statements) if statement.get("Sid") and s.get("Sid") == statement.get("Sid")]
            if same:
                statements[same[0]] = statement
            else:
                statements.append(statement)
    document: dict[str, Any] = {"Version": args.get("version") or "2012-10-17"}
    if args.get("policyId"):
        document["Id"] = args["policyId"]
    document["Statement"] = statements
    rendered = json.dumps(document, indent=2)
    return {
        **dict(args),
        "id": str(int(stable_hex(rendered, 8), 16)),
        "json": rendered,
        "minifiedJson": json.dumps(document, separators=(",", ":")),
    }


def _statements_of(document: Any) -> list[dict[str, Any]]:
    try:
        parsed = json.loads(document) if isinstance(document, str) else document
    except ValueError:
        return []
    found = parsed.get("Statement", []) if isinstance(parsed, Mapping) else []
    return [dict(s) for s in ([found] if isinstance(found, Mapping) else found) if isinstance(s, Mapping)]


def _one_or_many(values: Any) -> Any:
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    return values[0] if len(values) == 1 else values


def _statement(given: Mapping[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = {}
    if given.get("sid"):
        statement["Sid"] = given["sid"]
    statement["Effect"] = given.get("effect") or "Allow"
    for key, field in (("actions", "Action"), ("notActions", "NotAction"), ("resources", "Resource"),
                       ("notResources", "NotResource")):  # fmt: skip
        if given.get(key):
            statement[field] = _one_or_many(given[key])
    for key, field in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
        principals = given.get(key) or []
        if principals:
            if any(p.get("type") == "*" for p in principals):
                statement[field] = "*"
            else:
                statement[field] = {p.get("type"): _one_or_many(p.get("identifiers") or []) for p in principals}
    conditions: dict[str, dict[str, Any]] = {}
    for condition in given.get("conditions") or []:
        conditions.setdefault(condition.get("test"), {})[condition.get("variable")] = _one_or_many(condition.get("values") or [])
    if conditions:
        statement["Condition"] = conditions
    return statement
