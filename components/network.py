"""Network: a private VPC the platform runs in, with no route to the internet.

AWS services are reached through VPC endpoints (an S3 gateway endpoint and interface endpoints
for SageMaker, ECR, STS, logs, ...), so training and serving need neither an internet gateway
nor a NAT. All traffic is recorded by a VPC flow log into a KMS-encrypted log group.
Or adopt an existing VPC with `existing=`: nothing is then declared.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws
from pydantic import Field

from . import _iam
from ._wiring import require_args
from mlplat.core.naming import child
from mlplat.core.models import ArgsModel, Spec, StrictInt
from mlplat.core.validators import check_log_retention, check_vpc_cidr
from mlplat.core.vocabulary import MAX_AVAILABILITY_ZONES, MIN_AVAILABILITY_ZONES
from mlplat.core.errors import ConfigError, Problem

__all__ = [
    "DEFAULT_INTERFACE_ENDPOINTS",
    "endpoint_service_name",
    "ExistingVpcArgs",
    "ExistingVpcSpec",
    "FLOW_LOG_ACTIONS",
    "flow_log_role_policy",
    "flow_log_trust_policy",
    "FLOW_LOGS_PRINCIPAL",
    "HTTPS",
    "https_egress_group",
    "Network",
    "NetworkArgs",
    "NetworkSpec",
    "SUBNET_BITS",
    "subnet_cidrs",
]

DEFAULT_INTERFACE_ENDPOINTS: tuple[str, ...] = (
    "sagemaker.api", "sagemaker.runtime", "ecr.api", "ecr.dkr", "sts", "logs", "monitoring", "kms",
)  # fmt: skip

# Each AZ's subnet is one of 2**SUBNET_BITS equal blocks of the VPC CIDR, at the AZ's index: a
# subnet's CIDR never depends on how many AZs there are, so adding an AZ later replaces nothing.
SUBNET_BITS = 3  # 8 blocks >= MAX_AVAILABILITY_ZONES; a /24 VPC still gets /27 subnets (> /28 minimum)

FLOW_LOGS_PRINCIPAL = "vpc-flow-logs.amazonaws.com"
FLOW_LOG_ACTIONS: tuple[str, ...] = ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams")

_SERVICE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_SG_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")

# Fields that describe a network to create: none may be set with `existing`.
_SPEC_CREATION_FIELDS: tuple[str, ...] = ("cidr_block", "availability_zones", "flow_log_retention_days")
_ARGS_CREATION_FIELDS: tuple[str, ...] = ("log_key", "interface_endpoints", "extra_interface_endpoints")


class ExistingVpcSpec(Spec):
    """A VPC the platform adopts instead of creating one (nothing in it is managed)."""

    vpc_id: str = Field(description="The VPC to adopt (vpc-...).")
    cidr_block: str = Field(description="The VPC's primary IPv4 CIDR, exposed as `vpc_cidr_block`.")
    private_subnet_ids: tuple[str, ...] = Field(
        description="Private subnets for workloads and endpoints, at least 2, in distinct availability zones."
    )
    endpoint_security_group_id: Optional[str] = Field(
        default=None,
        description="Security group of the VPC's interface endpoints. "
        "Omitted: `endpoint_security_group_id` resolves to None and consumers add no rule to it.",
    )

    def problems_at(self, base: str) -> list[Problem]:
        problems: list[Problem] = []
        if not _VPC_ID.match(self.vpc_id):
            problems.append(Problem(f"{base}.vpc_id", "is not a VPC id (vpc- and 8 or 17 hex digits)", self.vpc_id))
        if not _is_ipv4_network(self.cidr_block):
            problems.append(Problem(f"{base}.cidr_block", "is not an IPv4 CIDR block such as 10.0.0.0/16", self.cidr_block))
        subnets = self.private_subnet_ids
        if len(subnets) < MIN_AVAILABILITY_ZONES:
            problems.append(
                Problem(f"{base}.private_subnet_ids",
                        f"is too few subnets (need >= {MIN_AVAILABILITY_ZONES}, in distinct availability zones)", subnets)
            )
        for subnet in subnets:
            if not _SUBNET_ID.match(subnet):
                problems.append(Problem(f"{base}.private_subnet_ids", "is not a subnet id (subnet- and 8 or 17 hex digits)", subnet))
        if len(set(subnets)) != len(subnets):
            problems.append(Problem(f"{base}.private_subnet_ids", "lists a subnet twice", subnets))
        sg = self.endpoint_security_group_id
        if sg is not None and not _SG_ID.match(sg):
            problems.append(
                Problem(f"{base}.endpoint_security_group_id", "is not a security group id (sg- and 8 or 17 hex digits)", sg)
            )
        return problems


class ExistingVpcArgs(ExistingVpcSpec, ArgsModel):
    """ExistingVpcSpec built on its own: bad values raise ConfigError naming `ExistingVpcArgs.<field>`."""

    def problems(self) -> list[Problem]:
        return self.problems_at("ExistingVpcArgs")


class NetworkSpec(Spec):
    """The network's settings (data only; the stack config's `network`)."""

    existing: Optional[ExistingVpcSpec] = Field(
        default=None,
        description="Adopt this VPC instead of creating one; no creation field below may be set with it. "
        "Omitted: a new VPC is created from the fields below.",
    )
    cidr_block: str = Field(
        default="10.0.0.0/16",
        description="IPv4 CIDR of the created VPC, /16 to /24. Omitted: 10.0.0.0/16.",
    )
    availability_zones: StrictInt = Field(
        default=MIN_AVAILABILITY_ZONES,
        description=f"Private subnets are spread over this many AZs ({MIN_AVAILABILITY_ZONES} to "
        f"{MAX_AVAILABILITY_ZONES}), in the region's listing order. Omitted: {MIN_AVAILABILITY_ZONES}.",
    )
    flow_log_retention_days: StrictInt = Field(
        default=365,
        description="Days the VPC flow log group keeps records (a CloudWatch Logs retention period). "
        "Omitted: 365.",
    )

    def problems_at(self, base: str) -> list[Problem]:
        if self.existing is not None:
            problems = self.existing.problems_at(f"{base}.existing")
            return problems + _mixed_problems(self, base, _SPEC_CREATION_FIELDS)
        problems = check_vpc_cidr(f"{base}.cidr_block", self.cidr_block)
        azs = self.availability_zones
        if azs < MIN_AVAILABILITY_ZONES:
            problems.append(Problem(f"{base}.availability_zones", f"is too few (need >= {MIN_AVAILABILITY_ZONES})", azs))
        elif azs > MAX_AVAILABILITY_ZONES:
            problems.append(Problem(f"{base}.availability_zones", f"is too many (need <= {MAX_AVAILABILITY_ZONES})", azs))
        problems.extend(check_log_retention(f"{base}.flow_log_retention_days", self.flow_log_retention_days))
        return problems


class NetworkArgs(NetworkSpec, ArgsModel):
    log_key: Optional[aws.kms.Key] = Field(
        default=None,
        description="The logs KMS key that encrypts the flow log group (`Encryption.key('logs')`). "
        "Omitted: allowed only with `existing`; creating a network without it raises ConfigError.",
    )
    interface_endpoints: tuple[str, ...] = Field(
        default=DEFAULT_INTERFACE_ENDPOINTS,
        description="Short service names (`ecr.api`) given an interface endpoint with private DNS. "
        "Omitted: SageMaker API and runtime, ECR API and registry, STS, logs, monitoring and KMS.",
    )
    extra_interface_endpoints: tuple[str, ...] = Field(
        default=(),
        description="Interface endpoints added to `interface_endpoints` (e.g. eks, ec2 for a cluster). "
        "Omitted: only `interface_endpoints` are created.",
    )

    def problems(self) -> list[Problem]:
        problems = self.problems_at("NetworkArgs")
        if self.existing is not None:
            return problems + _mixed_problems(self, "NetworkArgs", _ARGS_CREATION_FIELDS)
        if self.log_key is None:
            problems.append(
                Problem(
                    "NetworkArgs.log_key",
                    "is required when creating a network (pass the logs key, e.g. Encryption.key('logs'): "
                    "it encrypts the flow log group)",
                )
            )
        return problems + _endpoint_problems(self)

    @property
    def endpoint_services(self) -> tuple[str, ...]:
        """Every interface endpoint's service, in declaration order."""
        return self.interface_endpoints + self.extra_interface_endpoints


def _mixed_problems(settings: NetworkSpec, base: str, fields: Sequence[str]) -> list[Problem]:
    """Creation fields set together with `existing` (adopting a VPC creates no network)."""
    problems: list[Problem] = []
    message = f"cannot be set with {base}.existing (adopting a VPC creates no network; drop one of them)"
    for field in fields:
        value = getattr(settings, field)
        if field not in settings.model_fields_set or value is None:  # an explicit None is an omission
            continue
        if isinstance(value, pulumi.Resource):  # its repr says nothing useful
            problems.append(Problem(f"{base}.{field}", message))
        else:
            problems.append(Problem(f"{base}.{field}", message, value))
    return problems


def _endpoint_problems(args: NetworkArgs) -> list[Problem]:
    problems: list[Problem] = []
    # Child names replace dots with dashes, so two spellings of one suffix would collide.
    seen: dict[str, tuple[str, str]] = {}
    for field in ("interface_endpoints", "extra_interface_endpoints"):
        path = f"NetworkArgs.{field}"
        for service in getattr(args, field):
            if not _SERVICE.match(service):
                problems.append(
                    Problem(path, "is not a service name (lowercase letters, digits and '-', dot-separated, e.g. 'ecr.api')", service)
                )
                continue
            if service.startswith("com.amazonaws."):
                problems.append(
                    Problem(path, "is a full endpoint service name; give the short name (e.g. 'sts'): "
                            "com.amazonaws.<region>. is added", service)
                )
                continue
            if service == "s3":
                problems.append(
                    Problem(path, "is already served by the S3 gateway endpoint every network has (remove it)", service)
                )
                continue
            suffix = _endpoint_suffix(service)
            if suffix in seen:
                other_field, other = seen[suffix]
                if other == service and other_field == field:
                    problems.append(Problem(path, "is listed twice (list each service once)", service))
                elif other == service:
                    problems.append(
                        Problem(path, f"is also listed in NetworkArgs.{other_field} (list each service in one of them)", service)
                    )
                else:
                    problems.append(
                        Problem(path, f"would share the child name suffix {suffix!r} with {other!r} (list one of them)", service)
                    )
                continue
            seen[suffix] = (field, service)
    return problems


def _is_ipv4_network(cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr, strict=True).version == 4
    except ValueError:
        return False


def subnet_cidrs(vpc_cidr: str, availability_zones: int) -> list[str]:
    """The private subnets' CIDRs, one per AZ: block i of the VPC CIDR split into 2**SUBNET_BITS."""
    blocks = ipaddress.ip_network(vpc_cidr).subnets(prefixlen_diff=SUBNET_BITS)
    return [str(block) for _, block in zip(range(availability_zones), blocks)]


def endpoint_service_name(region: pulumi.Input[str], service: str) -> pulumi.Output[str]:
    return pulumi.Output.concat("com.amazonaws.", region, ".", service)


def flow_log_trust_policy(*, account_id: pulumi.Input[str], region: pulumi.Input[str]) -> _iam.Document:
    """Trust for VPC Flow Logs delivering this account's flow logs in this region only."""
    return _iam.assume_role_policy(
        FLOW_LOGS_PRINCIPAL,
        source_account=account_id,
        source_arn=pulumi.Output.concat("arn:aws:ec2:", region, ":", account_id, ":vpc-flow-log/*"),
    )


def flow_log_role_policy(log_group_arn: pulumi.Input[str]) -> _iam.Document:
    """What the flow log role may do: write streams of one log group, nothing else (pure)."""
    return _iam.document(
        [
            _iam.statement(
                sid="WriteFlowLogs",
                actions=list(FLOW_LOG_ACTIONS),
                resources=[log_group_arn, pulumi.Output.concat(log_group_arn, ":*")],
            )
        ]
    )


def _endpoint_suffix(service: str) -> str:
    return service.replace(".", "-")


HTTPS = 443


def https_egress_group(
    owner: pulumi.Resource,
    network: "Network",
    *,
    name: str,
    description: str,
    vpc_rule: tuple[str, str],
    s3_rule: tuple[str, str],
    s3_prefix_list_id: pulumi.Input[str],
    tags: Optional[dict[str, str]] = None,
) -> tuple[aws.ec2.SecurityGroup, list[aws.vpc.SecurityGroupEgressRule]]:
    """A security group for workloads in the network whose only rules are HTTPS egress: to the VPC
    (its interface endpoints) and to S3's prefix list (the gateway endpoint). `vpc_rule` and
    `s3_rule` are each rule's (name, description). No inline rules: the provider then removes
    AWS's default allow-all egress, so these rules are all there is."""
    here = pulumi.ResourceOptions(parent=owner)
    group = aws.ec2.SecurityGroup(name, description=description, vpc_id=network.vpc_id, tags=tags, opts=here)
    to_vpc = aws.vpc.SecurityGroupEgressRule(
        vpc_rule[0], security_group_id=group.id, description=vpc_rule[1],
        ip_protocol="tcp", from_port=HTTPS, to_port=HTTPS, cidr_ipv4=network.vpc_cidr_block, opts=here,
    )
    to_s3 = aws.vpc.SecurityGroupEgressRule(
        s3_rule[0], security_group_id=group.id, description=s3_rule[1],
        ip_protocol="tcp", from_port=HTTPS, to_port=HTTPS, prefix_list_id=s3_prefix_list_id, opts=here,
    )
    return group, [to_vpc, to_s3]


class Network(pulumi.ComponentResource):
    """A private VPC with endpoints and flow logs, or an adopted VPC.

    Children when creating (suffixes are stable): `<name>-vpc`, `<name>-default-sg`,
    `<name>-private-<i>`, `<name>-private-rt`, `<name>-private-rta-<i>`, `<name>-s3`,
    `<name>-endpoints-sg`, `<name>-endpoints-https`, `<name>-<service with dashes>` per interface
    endpoint, `<name>-flow-logs`, `<name>-flow-logs-role`, `<name>-flow-logs-policy`,
    `<name>-flow-log`. Deleting the component deletes the flow log group and its records.
    With `existing=`, no child is declared.
    """

    vpc_id: pulumi.Output[str]
    vpc_cidr_block: pulumi.Output[str]
    private_subnet_ids: pulumi.Output[list[str]]
    subnet_ids: list[pulumi.Input[str]]  # the same, one Input per subnet (for resources declared per subnet)
    endpoint_security_group_id: pulumi.Output[Optional[str]]
    route_table_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        args = require_args("Network", name, args, NetworkArgs)
        super().__init__("mlplat:network:Network", name, None, opts)
        self.vpc: Optional[aws.ec2.Vpc] = None
        self.subnets: list[aws.ec2.Subnet] = []
        self.endpoints: dict[str, aws.ec2.VpcEndpoint] = {}
        self.flow_log_group: Optional[aws.cloudwatch.LogGroup] = None
        if args.existing is not None:
            self._adopt(args.existing)
        else:
            self._create(name, args)
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr_block": self.vpc_cidr_block,
                "private_subnet_ids": self.private_subnet_ids,
                "endpoint_security_group_id": self.endpoint_security_group_id,
                "route_table_ids": self.route_table_ids,
            }
        )

    def _adopt(self, existing: ExistingVpcArgs) -> None:
        self.vpc_id = pulumi.Output.from_input(existing.vpc_id)
        self.vpc_cidr_block = pulumi.Output.from_input(existing.cidr_block)
        self.private_subnet_ids = pulumi.Output.from_input(list(existing.private_subnet_ids))
        self.subnet_ids = list(existing.private_subnet_ids)
        self.endpoint_security_group_id = pulumi.Output.from_input(existing.endpoint_security_group_id)
        # The adopted VPC's route tables are not managed here, so none is reported.
        self.route_table_ids = pulumi.Output.from_input([])

    def _create(self, name: str, args: NetworkArgs) -> None:
        assert args.log_key is not None  # NetworkArgs.problems() guarantees it when creating
        region = _iam.current_region()
        account_id = _iam.caller_account_id()
        here = pulumi.ResourceOptions(parent=self)

        # Interface endpoints with private DNS need both DNS attributes on the VPC.
        vpc = aws.ec2.Vpc(
            child(name, "vpc"),
            cidr_block=args.cidr_block,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            opts=here,
        )
        self.vpc = vpc
        # Adopting the default security group with no rules revokes its allow-all rules, so
        # nothing can use it to reach everything else in the VPC.
        aws.ec2.DefaultSecurityGroup(child(name, "default-sg"), vpc_id=vpc.id, ingress=[], egress=[], opts=here)

        zones = aws.get_availability_zones_output(state="available").names
        for i, cidr in enumerate(subnet_cidrs(args.cidr_block, args.availability_zones)):
            self.subnets.append(
                aws.ec2.Subnet(
                    child(name, f"private-{i}"),
                    vpc_id=vpc.id,
                    cidr_block=cidr,
                    availability_zone=zones.apply(lambda names, i=i: _zone(names, i, args.availability_zones)),
                    map_public_ip_on_launch=False,
                    opts=here,
                )
            )

        # No routes: there is no internet gateway and no NAT; the S3 gateway endpoint adds its own.
        route_table = aws.ec2.RouteTable(child(name, "private-rt"), vpc_id=vpc.id, opts=here)
        for i, subnet in enumerate(self.subnets):
            aws.ec2.RouteTableAssociation(
                child(name, f"private-rta-{i}"), subnet_id=subnet.id, route_table_id=route_table.id, opts=here
            )
        self.endpoints["s3"] = aws.ec2.VpcEndpoint(
            child(name, "s3"),
            vpc_id=vpc.id,
            service_name=endpoint_service_name(region, "s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=[route_table.id],
            opts=here,
        )

        # No inline rules: the provider then removes AWS's default allow-all egress, which
        # interface endpoints do not need (they only answer connections).
        endpoint_sg = aws.ec2.SecurityGroup(
            child(name, "endpoints-sg"),
            description=f"mlplat {name}: HTTPS from the VPC to its interface endpoints",
            vpc_id=vpc.id,
            opts=here,
        )
        aws.vpc.SecurityGroupIngressRule(
            child(name, "endpoints-https"),
            security_group_id=endpoint_sg.id,
            description="HTTPS from inside the VPC",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=args.cidr_block,
            opts=here,
        )
        subnet_ids = [subnet.id for subnet in self.subnets]
        for service in args.endpoint_services:
            self.endpoints[service] = aws.ec2.VpcEndpoint(
                child(name, _endpoint_suffix(service)),
                vpc_id=vpc.id,
                service_name=endpoint_service_name(region, service),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=subnet_ids,
                security_group_ids=[endpoint_sg.id],
                opts=here,
            )

        self._flow_logs(name, args, vpc, region, account_id)

        self.vpc_id = vpc.id
        self.vpc_cidr_block = vpc.cidr_block
        self.private_subnet_ids = pulumi.Output.all(*subnet_ids).apply(list)
        self.subnet_ids = list(subnet_ids)
        self.endpoint_security_group_id = endpoint_sg.id
        self.route_table_ids = pulumi.Output.all(route_table.id).apply(list)

    def _flow_logs(
        self, name: str, args: NetworkArgs, vpc: aws.ec2.Vpc,
        region: pulumi.Output[str], account_id: pulumi.Output[str],
    ) -> None:
        assert args.log_key is not None
        here = pulumi.ResourceOptions(parent=self)
        log_group = aws.cloudwatch.LogGroup(
            child(name, "flow-logs"),
            retention_in_days=args.flow_log_retention_days,
            kms_key_id=args.log_key.arn,
            opts=here,
        )
        self.flow_log_group = log_group
        role = aws.iam.Role(
            child(name, "flow-logs-role"),
            description=f"mlplat {name}: VPC Flow Logs delivery",
            assume_role_policy=_iam.to_json(flow_log_trust_policy(account_id=account_id, region=region)),
            opts=here,
        )
        policy = aws.iam.RolePolicy(
            child(name, "flow-logs-policy"),
            role=role.id,
            policy=_iam.to_json(flow_log_role_policy(log_group.arn)),
            opts=here,
        )
        # Wait for the role's permissions: a flow log created first reports delivery errors.
        aws.ec2.FlowLog(
            child(name, "flow-log"),
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )


def _zone(names: Sequence[str], index: int, wanted: int) -> str:
    if index >= len(names):
        raise ConfigError(
            [
                Problem(
                    "NetworkArgs.availability_zones",
                    f"is more than this region has available ({len(names)}: {', '.join(names)})",
                    wanted,
                )
            ]
        )
    return names[index]
