"""Network: the children's security-relevant inputs, the resource tree, adoption and validation."""

from __future__ import annotations

import ipaddress
import json

import pulumi_aws as aws
import pytest

from mlplat.components.encryption import Encryption, EncryptionArgs
from mlplat.core.errors import ConfigError
from mlplat.components.network import (
    ExistingVpcArgs,
    Network,
    NetworkArgs,
    subnet_cidrs,
)
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import Plan, is_unknown

ACCOUNT = "123456789012"
NETWORK = "mlplat:network:Network"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

# An uninitialised Key passes NetworkArgs' isinstance check without a running program, so the
# validation tests stay pure (no resource is registered anywhere).
KEY = aws.kms.Key.__new__(aws.kms.Key)

EXISTING = dict(
    vpc_id="vpc-0123456789abcdef0",
    cidr_block="10.1.0.0/16",
    private_subnet_ids=("subnet-0123456789abcdef0", "subnet-0123456789abcdef1"),
)
MIXED = "cannot be set with NetworkArgs.existing (adopting a VPC creates no network; drop one of them)"


def network_program(**fields):
    def program() -> None:
        Network("net", NetworkArgs(log_key=aws.kms.Key("logs-key"), **fields))

    return program


@pytest.fixture(scope="module")
def plan() -> Plan:
    return run_callable(network_program())


def interface_endpoints(plan: Plan) -> list:
    return [r for r in plan.of_type(ENDPOINT) if r.inputs["vpcEndpointType"] == "Interface"]


def rendered(exc: pytest.ExceptionInfo[ConfigError]) -> list[str]:
    return [p.render() for p in exc.value.problems]


# --- the tree ---------------------------------------------------------------------------------


def _child(type_token: str, name: str) -> tuple[str, str]:
    return (f"urn:pulumi:test::project::mlplat:network:Network${type_token}::{name}", type_token)


def test_default_tree_is_the_contract(plan):
    # Renaming a child replaces live infrastructure: this list changes only with an alias.
    assert plan.tree() == sorted(
        [
            ("urn:pulumi:test::project::aws:kms/key:Key::logs-key", "aws:kms/key:Key"),
            ("urn:pulumi:test::project::mlplat:network:Network::net", "mlplat:network:Network"),
            _child("aws:ec2/vpc:Vpc", "net-vpc"),
            _child("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "net-default-sg"),
            _child("aws:ec2/subnet:Subnet", "net-private-0"),
            _child("aws:ec2/subnet:Subnet", "net-private-1"),
            _child("aws:ec2/routeTable:RouteTable", "net-private-rt"),
            _child("aws:ec2/routeTableAssociation:RouteTableAssociation", "net-private-rta-0"),
            _child("aws:ec2/routeTableAssociation:RouteTableAssociation", "net-private-rta-1"),
            _child("aws:ec2/vpcEndpoint:VpcEndpoint", "net-s3"),
            _child("aws:ec2/securityGroup:SecurityGroup", "net-endpoints-sg"),
            _child("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "net-endpoints-https"),
            _child("aws:ec2/vpcEndpoint:VpcEndpoint", "net-sagemaker-api"),
            _child("aws:ec2/vpcEndpoint:VpcEndpoint", "net-sagemaker-runtime"),
            _child("aws:ec2/vpcEndpoint:VpcEndpoint", "net-ecr-api"),
            _child("aws:ec2/vpcEndpoint:VpcEndpoint", "net-ecr-dkr"),
            _child("aws:ec2/vpcEndpoint:VpcEndpoint", "net-sts"),
            _child("aws:ec2/vpcEndpoint:VpcEndpoint", "net-logs"),
            _child("aws:ec2/vpcEndpoint:VpcEndpoint", "net-monitoring"),
            _child("aws:ec2/vpcEndpoint:VpcEndpoint", "net-kms"),
            _child("aws:cloudwatch/logGroup:LogGroup", "net-flow-logs"),
            _child("aws:iam/role:Role", "net-flow-logs-role"),
            _child("aws:iam/rolePolicy:RolePolicy", "net-flow-logs-policy"),
            _child("aws:ec2/flowLog:FlowLog", "net-flow-log"),
        ]
    )
    component = plan.named("net", NETWORK)
    assert all(r.parent == component.urn for r in plan if r.name.startswith("net-"))


# --- VPC, subnets, routing -------------------------------------------------------------------


def test_vpc_resolves_private_dns(plan):
    vpc = plan.named("net-vpc", VPC)
    assert vpc.inputs == {"cidrBlock": "10.0.0.0/16", "enableDnsSupport": True, "enableDnsHostnames": True}


def test_default_security_group_is_stripped_of_rules(plan):
    default_sg = plan.named("net-default-sg", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default_sg.inputs == {"vpcId": plan.named("net-vpc", VPC).id, "ingress": [], "egress": []}


def test_private_subnets_are_inside_the_vpc_in_distinct_zones_without_public_ips(plan):
    vpc = plan.named("net-vpc", VPC)
    subnets = [plan.named(f"net-private-{i}", SUBNET) for i in range(2)]
    assert len(plan.of_type(SUBNET)) == 2
    assert [s.inputs for s in subnets] == [
        {"vpcId": vpc.id, "cidrBlock": "10.0.0.0/19", "availabilityZone": "us-east-1a", "mapPublicIpOnLaunch": False},
        {"vpcId": vpc.id, "cidrBlock": "10.0.32.0/19", "availabilityZone": "us-east-1b", "mapPublicIpOnLaunch": False},
    ]
    vpc_net = ipaddress.ip_network(vpc.inputs["cidrBlock"])
    nets = [ipaddress.ip_network(s.inputs["cidrBlock"]) for s in subnets]
    assert all(n.subnet_of(vpc_net) for n in nets)
    assert not nets[0].overlaps(nets[1])


def test_private_route_table_has_no_way_out(plan):
    table = plan.named("net-private-rt", "aws:ec2/routeTable:RouteTable")
    assert table.inputs == {"vpcId": plan.named("net-vpc", VPC).id}
    associations = plan.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    assert sorted((a.inputs["subnetId"], a.inputs["routeTableId"]) for a in associations) == sorted(
        (s.id, table.id) for s in plan.of_type(SUBNET)
    )
    outward = {
        "aws:ec2/internetGateway:InternetGateway", "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
        "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip", "aws:ec2/route:Route",
    }  # fmt: skip
    assert outward.isdisjoint(r.type for r in plan)


def test_s3_gateway_endpoint_serves_the_private_route_table(plan):
    s3 = plan.named("net-s3", ENDPOINT)
    assert s3.inputs == {
        "vpcId": plan.named("net-vpc", VPC).id,
        "serviceName": "com.amazonaws.us-east-1.s3",
        "vpcEndpointType": "Gateway",
        "routeTableIds": [plan.named("net-private-rt", "aws:ec2/routeTable:RouteTable").id],
    }


# --- endpoints and their security group ------------------------------------------------------


def test_endpoint_security_group_admits_only_https_from_the_vpc(plan):
    sg = plan.named("net-endpoints-sg", SG)
    assert "ingress" not in sg.inputs and "egress" not in sg.inputs  # rules live in rule resources
    assert sg.inputs["vpcId"] == plan.named("net-vpc", VPC).id
    assert sg.inputs["description"] == "mlplat net: HTTPS from the VPC to its interface endpoints"
    rules = plan.of_type(INGRESS)
    assert [r.name for r in rules] == ["net-endpoints-https"]
    assert rules[0].inputs == {
        "securityGroupId": sg.id,
        "description": "HTTPS from inside the VPC",
        "ipProtocol": "tcp",
        "fromPort": 443,
        "toPort": 443,
        "cidrIpv4": "10.0.0.0/16",
    }


def test_no_egress_rules_anywhere(plan):
    assert plan.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") == []
    assert plan.of_type("aws:ec2/securityGroupRule:SecurityGroupRule") == []
    assert plan.named("net-default-sg").inputs["egress"] == []


def test_interface_endpoints_use_private_dns_the_endpoint_sg_and_every_subnet(plan):
    # What training and serving need without an internet route (the documented default), not the constant.
    services = ("sagemaker.api", "sagemaker.runtime", "ecr.api", "ecr.dkr", "sts", "logs", "monitoring", "kms")
    names = {f"net-{service.replace('.', '-')}": service for service in services}
    endpoints = interface_endpoints(plan)
    assert sorted(e.name for e in endpoints) == sorted(names)
    subnet_ids = [plan.named(f"net-private-{i}", SUBNET).id for i in range(2)]
    for endpoint in endpoints:
        service = names[endpoint.name]
        assert endpoint.inputs == {
            "vpcId": plan.named("net-vpc", VPC).id,
            "serviceName": f"com.amazonaws.us-east-1.{service}",
            "vpcEndpointType": "Interface",
            "privateDnsEnabled": True,
            "subnetIds": subnet_ids,
            "securityGroupIds": [plan.named("net-endpoints-sg", SG).id],
        }, endpoint.urn


# --- flow logs --------------------------------------------------------------------------------


def test_flow_log_records_all_traffic_into_an_encrypted_retained_group(plan):
    group = plan.named("net-flow-logs", LOG_GROUP)
    assert group.inputs["retentionInDays"] == 365
    assert group.inputs["kmsKeyId"] == plan.named("logs-key", "aws:kms/key:Key").outputs["arn"]
    flow_log = plan.named("net-flow-log", "aws:ec2/flowLog:FlowLog")
    assert flow_log.inputs == {
        "vpcId": plan.named("net-vpc", VPC).id,
        "trafficType": "ALL",
        "logDestinationType": "cloud-watch-logs",
        "logDestination": group.outputs["arn"],
        "iamRoleArn": plan.named("net-flow-logs-role", "aws:iam/role:Role").outputs["arn"],
        "maxAggregationInterval": 60,
    }
    # Created only once the role may write, or the first deliveries fail.
    assert plan.named("net-flow-logs-policy").urn in flow_log.dependencies


def test_flow_log_role_trusts_only_this_accounts_flow_logs(plan):
    role = plan.named("net-flow-logs-role", "aws:iam/role:Role")
    assert json.loads(role.inputs["assumeRolePolicy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowServiceAssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": ACCOUNT},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc-flow-log/*"},
                },
            }
        ],
    }


def test_flow_log_role_may_only_write_to_its_group(plan):
    policy = plan.named("net-flow-logs-policy", "aws:iam/rolePolicy:RolePolicy")
    group_arn = plan.named("net-flow-logs", LOG_GROUP).outputs["arn"]
    assert group_arn == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{plan.named('net-flow-logs').inputs['name']}"
    assert policy.inputs["role"] == plan.named("net-flow-logs-role").id
    assert json.loads(policy.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteFlowLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [group_arn, f"{group_arn}:*"],
            }
        ],
    }


# --- outputs and variants ---------------------------------------------------------------------


def test_outputs_are_the_created_ids(plan):
    assert plan.named("net", NETWORK).outputs == {
        "vpc_id": plan.named("net-vpc", VPC).id,
        "vpc_cidr_block": "10.0.0.0/16",
        "private_subnet_ids": [plan.named(f"net-private-{i}", SUBNET).id for i in range(2)],
        "endpoint_security_group_id": plan.named("net-endpoints-sg", SG).id,
        "route_table_ids": [plan.named("net-private-rt").id],
    }


def test_custom_network_in_another_region():
    plan = run_callable(
        network_program(
            cidr_block="172.16.5.0/24",
            availability_zones=3,
            flow_log_retention_days=30,
            interface_endpoints=("sts",),
            extra_interface_endpoints=("eks", "eks-auth", "ec2"),
        ),
        region="eu-west-1",
    )
    subnets = [plan.named(f"net-private-{i}", SUBNET).inputs for i in range(3)]
    assert [(s["cidrBlock"], s["availabilityZone"]) for s in subnets] == [
        ("172.16.5.0/27", "eu-west-1a"),
        ("172.16.5.32/27", "eu-west-1b"),
        ("172.16.5.64/27", "eu-west-1c"),
    ]
    assert len(plan.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")) == 3
    assert sorted((e.name, e.inputs["serviceName"], len(e.inputs["subnetIds"])) for e in interface_endpoints(plan)) == [
        ("net-ec2", "com.amazonaws.eu-west-1.ec2", 3),
        ("net-eks", "com.amazonaws.eu-west-1.eks", 3),
        ("net-eks-auth", "com.amazonaws.eu-west-1.eks-auth", 3),
        ("net-sts", "com.amazonaws.eu-west-1.sts", 3),
    ]
    assert plan.named("net-s3").inputs["serviceName"] == "com.amazonaws.eu-west-1.s3"
    assert plan.named("net-endpoints-https").inputs["cidrIpv4"] == "172.16.5.0/24"
    assert plan.named("net-flow-logs").inputs["retentionInDays"] == 30
    trust = json.loads(plan.named("net-flow-logs-role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:ec2:eu-west-1:{ACCOUNT}:vpc-flow-log/*"
    }


def test_flow_logs_use_the_encryption_components_logs_key():
    def program() -> None:
        keys = Encryption("keys", EncryptionArgs(protect=False))
        Network("net", NetworkArgs(log_key=keys.key("logs")))

    plan = run_callable(program)
    logs_key = plan.named("keys-logs-key", "aws:kms/key:Key")
    assert plan.named("net-flow-logs").inputs["kmsKeyId"] == logs_key.outputs["arn"]


def test_existing_vpc_declares_nothing_and_exposes_its_ids():
    plan = run_callable(
        lambda: Network("net", NetworkArgs(existing=ExistingVpcArgs(**EXISTING, endpoint_security_group_id="sg-0123456789abcdef0")))
    )
    assert plan.tree() == [("urn:pulumi:test::project::mlplat:network:Network::net", NETWORK)]
    assert plan.named("net", NETWORK).outputs == {
        "vpc_id": "vpc-0123456789abcdef0",
        "vpc_cidr_block": "10.1.0.0/16",
        "private_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        "endpoint_security_group_id": "sg-0123456789abcdef0",
        "route_table_ids": [],
    }
    assert plan.invokes == []  # adopting needs no lookup either


def test_existing_vpc_without_endpoint_group_reports_none():
    # Given as a plain dict, as a stack file would; the missing group is None (dropped from outputs).
    plan = run_callable(lambda: Network("net", NetworkArgs(existing=dict(EXISTING))))
    assert [r.name for r in plan] == ["net"]
    outputs = plan.named("net", NETWORK).outputs
    assert outputs["vpc_id"] == "vpc-0123456789abcdef0"
    assert outputs.get("endpoint_security_group_id") is None


def test_preview_plans_the_same_tree_with_unknown_ids(plan):
    preview = run_callable(network_program(), preview=True)
    assert preview.tree() == plan.tree()
    subnet = preview.named("net-private-0", SUBNET)
    assert is_unknown(subnet.inputs["vpcId"])
    assert subnet.inputs["cidrBlock"] == "10.0.0.0/19"
    assert subnet.inputs["availabilityZone"] == "us-east-1a"  # invokes are answered in preview too
    assert is_unknown(preview.named("net-flow-logs-policy").inputs["policy"])


def test_more_zones_than_the_region_has_fails_with_the_zones_it_has():
    two_zones = {
        "aws:index/getAvailabilityZones:getAvailabilityZones": {
            "names": ["us-east-1a", "us-east-1b"], "zoneIds": ["use1-az1", "use1-az2"],
            "groupNames": ["us-east-1", "us-east-1"], "id": "us-east-1",
        }
    }  # fmt: skip
    with pytest.raises(ConfigError) as exc:
        run_callable(network_program(availability_zones=3), invoke_results=two_zones)
    assert rendered(exc) == [
        "NetworkArgs.availability_zones: 3 is more than this region has available (2: us-east-1a, us-east-1b)"
    ]


# --- validation (pure: no program runs) ------------------------------------------------------


def test_subnet_blocks_do_not_move_when_zones_are_added():
    six = subnet_cidrs("10.0.0.0/16", 6)
    assert subnet_cidrs("10.0.0.0/16", 2) == six[:2]
    assert six == ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19", "10.0.96.0/19", "10.0.128.0/19", "10.0.160.0/19"]
    assert subnet_cidrs("10.9.8.0/24", 6)[-1] == "10.9.8.160/27"  # still above the /28 minimum


def test_existing_with_creation_fields_names_each_field():
    with pytest.raises(ConfigError) as exc:
        NetworkArgs(
            existing=ExistingVpcArgs(**EXISTING),
            cidr_block="10.1.0.0/16",
            availability_zones=2,  # explicitly set counts, even at the default
            log_key=KEY,
            extra_interface_endpoints=("eks",),
        )
    assert str(exc.value) == "\n".join(
        [
            "invalid configuration (4 problems):",
            f"  NetworkArgs.cidr_block: '10.1.0.0/16' {MIXED}",
            f"  NetworkArgs.availability_zones: 2 {MIXED}",
            f"  NetworkArgs.log_key: {MIXED}",
            f"  NetworkArgs.extra_interface_endpoints: ('eks',) {MIXED}",
        ]
    )


def test_existing_alone_is_valid():
    args = NetworkArgs(existing=ExistingVpcArgs(**EXISTING), log_key=None)
    assert args.existing is not None and args.existing.private_subnet_ids == EXISTING["private_subnet_ids"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            dict(availability_zones=1),
            ["NetworkArgs.availability_zones: 1 is too few (need >= 2)"],
        ),
        (
            dict(availability_zones=7),
            ["NetworkArgs.availability_zones: 7 is too many (need <= 6)"],
        ),
        (
            dict(flow_log_retention_days=42),
            [
                "NetworkArgs.flow_log_retention_days: 42 is not a CloudWatch Logs retention period (allowed: 1, 3, "
                "5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)"
            ],
        ),
        (
            dict(cidr_block="10.0.0.1/16"),
            ["NetworkArgs.cidr_block: '10.0.0.1/16' is not an IPv4 CIDR block such as 10.0.0.0/16 (did you mean 10.0.0.0/16?)"],
        ),
        (
            dict(cidr_block="ten"),
            ["NetworkArgs.cidr_block: 'ten' is not an IPv4 CIDR block such as 10.0.0.0/16"],
        ),
        (
            dict(cidr_block="10.0.0.0/25"),
            ["NetworkArgs.cidr_block: '10.0.0.0/25' must be an IPv4 block between /16 and /24 (VPC limits)"],
        ),
        (
            dict(cidr_block="fd00::/56"),
            ["NetworkArgs.cidr_block: 'fd00::/56' must be an IPv4 block between /16 and /24 (VPC limits)"],
        ),
        (
            dict(interface_endpoints=("sts", "sts", "ECR_API", "com.amazonaws.us-east-1.kms", "s3")),
            [
                "NetworkArgs.interface_endpoints: 'sts' is listed twice (list each service once)",
                "NetworkArgs.interface_endpoints: 'ECR_API' is not a service name (lowercase letters, digits and '-', "
                "dot-separated, e.g. 'ecr.api')",
                "NetworkArgs.interface_endpoints: 'com.amazonaws.us-east-1.kms' is a full endpoint service name; give "
                "the short name (e.g. 'sts'): com.amazonaws.<region>. is added",
                "NetworkArgs.interface_endpoints: 's3' is already served by the S3 gateway endpoint every network has "
                "(remove it)",
            ],
        ),
        (
            dict(extra_interface_endpoints=("eks", "sts", "ecr-api", "", "eks.")),
            [
                "NetworkArgs.extra_interface_endpoints: 'sts' is also listed in NetworkArgs.interface_endpoints "
                "(list each service in one of them)",
                "NetworkArgs.extra_interface_endpoints: 'ecr-api' would share the child name suffix 'ecr-api' with "
                "'ecr.api' (list one of them)",
                "NetworkArgs.extra_interface_endpoints: '' is not a service name (lowercase letters, digits and '-', "
                "dot-separated, e.g. 'ecr.api')",
                "NetworkArgs.extra_interface_endpoints: 'eks.' is not a service name (lowercase letters, digits and "
                "'-', dot-separated, e.g. 'ecr.api')",
            ],
        ),
        (
            dict(log_key="arn:aws:kms:us-east-1:123456789012:key/x"),
            ["NetworkArgs.log_key: 'arn:aws:kms:us-east-1:123456789012:key/x' is invalid: input should be an instance of Key"],
        ),
        (
            dict(cidr_blok="10.0.0.0/16"),
            [
                "NetworkArgs.cidr_blok: is not a known key (allowed: availability_zones, cidr_block, existing, "
                "extra_interface_endpoints, flow_log_retention_days, interface_endpoints, log_key)"
            ],
        ),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, dict) else None,
)
def test_bad_args_say_what_is_allowed(fields, expected):
    with pytest.raises(ConfigError) as exc:
        NetworkArgs(**{"log_key": KEY, **fields})
    assert rendered(exc) == expected


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as exc:
        NetworkArgs(availability_zones=1, flow_log_retention_days=2, interface_endpoints=("sts", "sts"))
    assert exc.value.paths == (
        "NetworkArgs.availability_zones",
        "NetworkArgs.flow_log_retention_days",
        "NetworkArgs.log_key",
        "NetworkArgs.interface_endpoints",
    )
    assert rendered(exc)[2] == (
        "NetworkArgs.log_key: is required when creating a network (pass the logs key, e.g. Encryption.key('logs'): "
        "it encrypts the flow log group)"
    )


def test_bad_existing_vpc_says_what_is_allowed():
    with pytest.raises(ConfigError) as exc:
        ExistingVpcArgs(
            vpc_id="vpc-1",
            cidr_block="10.1.0.0/33",
            private_subnet_ids=["subnet-0123456789abcdef0", "subnet-0123456789abcdef0", "subnet-x"],
            endpoint_security_group_id="default",
        )
    assert rendered(exc) == [
        "ExistingVpcArgs.vpc_id: 'vpc-1' is not a VPC id (vpc- and 8 or 17 hex digits)",
        "ExistingVpcArgs.cidr_block: '10.1.0.0/33' is not an IPv4 CIDR block such as 10.0.0.0/16",
        "ExistingVpcArgs.private_subnet_ids: 'subnet-x' is not a subnet id (subnet- and 8 or 17 hex digits)",
        "ExistingVpcArgs.private_subnet_ids: ('subnet-0123456789abcdef0', 'subnet-0123456789abcdef0', 'subnet-x') "
        "lists a subnet twice",
        "ExistingVpcArgs.endpoint_security_group_id: 'default' is not a security group id (sg- and 8 or 17 hex digits)",
    ]
    with pytest.raises(ConfigError) as exc:
        NetworkArgs(existing={**EXISTING, "private_subnet_ids": ["subnet-0123456789abcdef0"]})
    assert rendered(exc) == [  # inside NetworkArgs, the problem names its place there
        "NetworkArgs.existing.private_subnet_ids: ('subnet-0123456789abcdef0',) is too few subnets (need >= 2, in "
        "distinct availability zones)"
    ]


@pytest.mark.parametrize("model", [NetworkArgs, ExistingVpcArgs])
def test_every_optional_field_says_what_omitting_it_does(model):
    for name, field in model.model_fields.items():
        if not field.is_required():
            assert "Omitted:" in (field.description or ""), f"{model.__name__}.{name}"
