"""The offline plan of programs whose resource types and invokes no hand-written fake models.

The programs in tests/programs were written for these tests (API Gateway v1 and v2 with Lambda,
ECS on Fargate behind a load balancer, an EC2 web server with AMI and VPC lookups, a static site
with a Route 53 zone lookup and CloudFront, RDS, Step Functions, Kubernetes and Helm). Each must
plan to completion (their `apply`s concatenate outputs, so a missing one fails the run), and the
formats of what they export are checked, against botocore's ARN patterns where a shape names one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from mlplat.core.aws_models import shape_pattern
from mlplat.tooling.fakes import FAKE_ACCOUNT_ID
from mlplat.tooling.offline import run_callable, run_stack
from mlplat.tooling.plan import is_unknown

PROGRAMS = Path(__file__).resolve().parents[1] / "programs"
REGION = "eu-west-1"  # the programs' stack files
ARN = re.compile(r"arn:aws:[a-z0-9-]+:([a-z0-9-]*):(\d{12})?:.+")
HEX17 = "[0-9a-f]{17}"


@pytest.fixture(scope="module")
def plans() -> dict[str, object]:
    return {program.name: run_stack(program, "dev") for program in sorted(PROGRAMS.iterdir()) if program.is_dir()}


def test_every_program_plans_to_completion_and_says_what_was_generated(plans):
    assert set(plans) == {"serverless_api", "fargate_service", "web_server", "static_site", "database", "workflow",
                          "kubernetes_app", "helm_charts", "events", "certificate"}
    for name, plan in plans.items():
        assert plan.outputs and not any(value is None for value in plan.outputs.values()), name
        if not plan.generated_outputs:  # the Helm program: only hand-written fakes answer it
            continue
        generated_types = set(plan.generated_outputs)
        noted = [d.message for d in plan.diagnostics if "outputs generated from the provider SDK's types" in d.message]
        assert len(noted) == len(generated_types), name
        for type_token, (count, properties) in plan.generated_outputs.items():
            resources = plan.of_type(type_token)
            assert len(resources) == count and properties, type_token
            assert all(all(_present(r.outputs, p) for p in properties) for r in resources), type_token


def _present(outputs: dict, path: str) -> bool:
    """Whether a generated property (`arn`, `origins[].connectionAttempts`) is in the outputs; a
    nested path counts when some element of its list holds it (the one the program's value topped up)."""
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        items = outputs.get(head[:-2])
        return isinstance(items, list) and any(_present(item, rest) if rest else True for item in items)
    if head not in outputs:
        return False
    return _present(outputs[head], rest) if rest else True


def test_lambda_and_api_gateway_outputs_have_the_providers_formats(plans):
    plan = plans["serverless_api"]
    function = plan.of_type("aws:lambda/function:Function")[0]
    function_arn = shape_pattern("lambda", "FunctionArn")
    assert function_arn is not None and function_arn.fullmatch(function.outputs["arn"])
    assert function.outputs["arn"] == f"arn:aws:lambda:{REGION}:{FAKE_ACCOUNT_ID}:function:{function.inputs['name']}"
    assert function.outputs["invokeArn"] == (
        f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function.outputs['arn']}/invocations"
    )
    rest = plan.of_type("aws:apigateway/restApi:RestApi")[0]
    assert re.fullmatch("[a-z0-9]{10}", rest.id)
    assert plan.outputs["rest_url"] == f"https://{rest.id}.execute-api.{REGION}.amazonaws.com/prod/hello"
    http = plan.of_type("aws:apigatewayv2/api:Api")[0]
    assert plan.outputs["http_url"] == f"https://{http.id}.execute-api.{REGION}.amazonaws.com/hello"
    # The integration's URI is the function's invoke ARN: generated outputs flow into other inputs.
    assert plan.of_type("aws:apigateway/integration:Integration")[0].inputs["uri"] == function.outputs["invokeArn"]
    permission = plan.of_type("aws:lambda/permission:Permission")[0]
    assert permission.inputs["sourceArn"] == f"arn:aws:execute-api:{REGION}:{FAKE_ACCOUNT_ID}:{rest.id}/*/*"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", plan.outputs["last_modified"])


def test_fargate_service_behind_a_load_balancer(plans):
    plan = plans["fargate_service"]
    balancer = plan.of_type("aws:lb/loadBalancer:LoadBalancer")[0]
    assert re.fullmatch(rf"arn:aws:elasticloadbalancing:{REGION}:{FAKE_ACCOUNT_ID}:loadbalancer/app/{balancer.inputs['name']}/[0-9a-f]{{16}}",
                        balancer.outputs["arn"])
    assert re.fullmatch(rf"http://[a-z0-9-]+-\d+\.{REGION}\.elb\.amazonaws\.com", plan.outputs["url"])
    assert plan.outputs["task_definition"] == f"arn:aws:ecs:{REGION}:{FAKE_ACCOUNT_ID}:task-definition/app:1"
    cluster = plan.of_type("aws:ecs/cluster:Cluster")[0]
    assert plan.outputs["service"].startswith(f"arn:aws:ecs:{REGION}:{FAKE_ACCOUNT_ID}:service/{cluster.inputs['name']}/")
    assert re.fullmatch(f"subnet-{HEX17}", plan.outputs["first_subnet"])
    vpc_lookup = [args for token, args in plan.generic_invokes if token == "aws:ec2/getVpc:getVpc"]
    assert vpc_lookup == [{"default": True}]
    # The target group's VPC is the id the lookup returned.
    assert re.fullmatch(f"vpc-{HEX17}", plan.of_type("aws:lb/targetGroup:TargetGroup")[0].inputs["vpcId"])


def test_ec2_web_server_with_ami_and_vpc_lookups(plans):
    plan = plans["web_server"]
    assert re.fullmatch(f"ami-{HEX17}", plan.outputs["ami"])
    assert plan.outputs["ami_architecture"] in ("x86_64", "arm64", "i386", "x86_64_mac", "arm64_mac")
    server = plan.of_type("aws:ec2/instance:Instance")[0]
    assert re.fullmatch(f"i-{HEX17}", server.id) and server.inputs["ami"] == plan.outputs["ami"]
    assert plan.outputs["instance_arn"] == f"arn:aws:ec2:{REGION}:{FAKE_ACCOUNT_ID}:instance/{server.id}"
    assert re.fullmatch(r"203\.0\.113\.\d{1,3}", plan.outputs["public_ip"])  # documentation addresses only
    tokens = {token for token, _ in plan.generic_invokes}
    assert tokens == {"aws:ec2/getAmi:getAmi", "aws:ec2/getVpc:getVpc"}
    listed = [d for d in plan.diagnostics if d.severity == "warning" and "answered generically" in d.message]
    assert {d.message.split("(", 1)[0] for d in listed} == {f"invoke {t}" for t in tokens}


def test_static_site_cloudfront_and_route53(plans):
    plan = plans["static_site"]
    distribution = plan.of_type("aws:cloudfront/distribution:Distribution")[0]
    resource_arn = shape_pattern("cloudfront", "ResourceARN")
    assert resource_arn is not None and resource_arn.fullmatch(plan.outputs["distribution_arn"])
    assert plan.outputs["distribution_arn"] == f"arn:aws:cloudfront::{FAKE_ACCOUNT_ID}:distribution/{distribution.id}"
    assert re.fullmatch("E[A-Z0-9]{13}", distribution.id)
    assert re.fullmatch(r"https://d[a-z0-9]{13}\.cloudfront\.net", plan.outputs["cdn_url"])
    assert re.fullmatch("Z[A-Z0-9]{20}", plan.outputs["zone_id"])
    record = plan.of_type("aws:route53/record:Record")[0]
    assert record.inputs["aliases"][0]["zoneId"] == "Z2FDTNDATAQYW2" and plan.outputs["record"] == "www.example.com"
    # The bucket has a hand-written fake: it keeps priority and is not listed as generated.
    assert "aws:s3/bucket:Bucket" not in plan.generated_outputs
    bucket = plan.of_type("aws:s3/bucket:Bucket")[0]
    assert bucket.outputs["bucketRegionalDomainName"] == f"{bucket.id}.s3.{REGION}.amazonaws.com"


def test_rds_instance(plans):
    plan = plans["database"]
    database = plan.of_type("aws:rds/instance:Instance")[0]
    arn = shape_pattern("rds", "DBAndClusterArn")
    assert arn is not None and arn.fullmatch(plan.outputs["arn"])
    address = database.outputs["address"]
    assert re.fullmatch(rf"[a-z0-9-]+\.[a-z0-9]{{12}}\.{REGION}\.rds\.amazonaws\.com", address)
    assert plan.outputs["endpoint"] == f"{address}:5432"
    assert plan.outputs["connection"] == f"postgresql://app@{address}:5432/postgres"
    assert plan.outputs["subnet_group_arn"].startswith(f"arn:aws:rds:{REGION}:{FAKE_ACCOUNT_ID}:subgrp:")


def test_step_functions_state_machine(plans):
    plan = plans["workflow"]
    machine = plan.of_type("aws:sfn/stateMachine:StateMachine")[0]
    expected = f"arn:aws:states:{REGION}:{FAKE_ACCOUNT_ID}:stateMachine:{machine.inputs['name']}"
    assert plan.outputs["state_machine_arn"] == expected and machine.id == expected
    worker = plan.of_type("aws:lambda/function:Function")[0]
    assert json.loads(machine.inputs["definition"])["States"]["Work"]["Resource"] == worker.outputs["arn"]


def test_kubernetes_status_follows_the_kind(plans):
    plan = plans["kubernetes_app"]
    assert plan.outputs["ready"] == 3  # the Deployment's spec.replicas
    deployment = plan.of_type("kubernetes:apps/v1:Deployment")[0]
    assert deployment.outputs["status"]["availableReplicas"] == 3
    assert re.fullmatch(rf"a[0-9a-f]{{32}}-\d+\.{REGION}\.elb\.amazonaws\.com", plan.outputs["hostname"])
    public, internal = sorted(plan.of_type("kubernetes:core/v1:Service"), key=lambda r: r.name)
    assert 30000 <= public.outputs["spec"]["ports"][0]["nodePort"] <= 32767
    assert internal.outputs["status"] == {"loadBalancer": {}} and "nodePort" not in internal.outputs["spec"]["ports"][0]
    assert re.fullmatch(r"172\.20\.\d{1,3}\.\d{1,3}", plan.outputs["internal_ip"])
    assert plan.outputs["cache_status"] == "deployed"
    release = plan.of_type("kubernetes:helm.sh/v3:Release")[0]
    assert plan.outputs["cache_address"] == f"{release.outputs['status']['name']}-master.cache.svc"


def test_generated_values_are_stable_and_follow_region_and_account():
    def program():
        fn = aws.lambda_.Function("fn", role="arn:aws:iam::123456789012:role/r", runtime="python3.12", handler="h.h")
        pulumi.export("arn", fn.arn)
        pulumi.export("subnets", aws.ec2.get_subnets().ids)

    first, again = run_callable(program), run_callable(program)
    assert first.outputs == again.outputs
    assert first.named("fn").outputs == again.named("fn").outputs
    other = run_callable(program, region="ap-southeast-2", account="210987654321")
    assert other.outputs["arn"] == f"arn:aws:lambda:ap-southeast-2:210987654321:function:{other.named('fn').inputs['name']}"
    assert ARN.fullmatch(other.outputs["arn"]).groups() == ("ap-southeast-2", "210987654321")


def test_preview_keeps_generated_outputs_unknown():
    def program():
        fn = aws.lambda_.Function("fn", role="arn:aws:iam::123456789012:role/r", runtime="python3.12", handler="h.h")
        pulumi.export("arn", fn.arn)

    plan = run_callable(program, preview=True)
    assert is_unknown(plan.outputs["arn"])
    assert "arn" not in plan.named("fn").outputs and not plan.generated_outputs


def test_inputs_the_program_gave_are_kept_and_optional_inputs_are_not_invented():
    plan = run_callable(lambda: aws.lambda_.Function(
        "fn", name="given", role="arn:aws:iam::123456789012:role/r", runtime="python3.12", handler="h.h",
        architectures=["arm64"],
    ))
    outputs = plan.named("fn").outputs
    assert outputs["name"] == "given" and outputs["architectures"] == ["arm64"]
    # Optional inputs the program left out (a KMS key, layers, a dead-letter queue) stay absent.
    assert not {"kmsKeyArn", "layers", "deadLetterConfig"} & set(outputs)


def test_pinned_invoke_answers_are_matched_by_arguments():
    def program():
        pulumi.export("arm", aws.ec2.get_ami(owners=["amazon"], filters=[{"name": "architecture", "values": ["arm64"]}]).id)
        pulumi.export("other", aws.ec2.get_ami(owners=["self"]).id)

    pinned = {"aws:ec2/getAmi:getAmi": [
        {"args": {"filters": [{"name": "architecture", "values": ["arm64"]}]}, "result": {"id": "ami-0123456789abcdef0"}},
    ]}
    plan = run_callable(program, invoke_results=pinned)
    assert plan.outputs["arm"] == "ami-0123456789abcdef0"
    assert re.fullmatch(f"ami-{HEX17}", plan.outputs["other"]) and plan.outputs["other"] != plan.outputs["arm"]
    assert plan.generic_invokes == [("aws:ec2/getAmi:getAmi", {"owners": ["self"]})]


def test_an_invoke_no_sdk_declares_fails_with_a_clear_message():
    def program():
        pulumi.runtime.invoke("acme:index/getWidget:getWidget", {})

    with pytest.raises(Exception, match="no answer for invoke 'acme:index/getWidget:getWidget'.*--invoke-results"):
        run_callable(program)


def test_a_custom_resource_without_a_class_gets_the_api_servers_metadata():
    import pulumi_kubernetes as k8s

    plan = run_callable(lambda: k8s.apiextensions.CustomResource(
        "pool", api_version="example.com/v1", kind="Widget", metadata={"namespace": "team"}, spec={"size": 2},
    ))
    widget = plan.named("pool")
    assert widget.id == f"team/{widget.outputs['metadata']['name']}" and widget.outputs["metadata"]["uid"]
    assert plan.undescribed_types == {"kubernetes:example.com/v1:Widget": 1}


def test_nested_inputs_given_in_part_are_topped_up_with_what_the_provider_adds():
    def program():
        listener = aws.lb.Listener(
            "http", load_balancer_arn="arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/lb/0123456789abcdef",
            port=80, default_actions=[
                {"type": "forward", "target_group_arn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg/0123456789abcdef"},
                {"type": "redirect", "redirect": {"status_code": "HTTP_301", "port": "443"}},
            ],
        )
        cdn = aws.cloudfront.Distribution(
            "cdn", enabled=True,
            origins=[{"domain_name": "example.com", "origin_id": "o", "connection_timeout": 5}],
            default_cache_behavior={"allowed_methods": ["GET", "HEAD"], "cached_methods": ["GET", "HEAD"],
                                    "target_origin_id": "o", "viewer_protocol_policy": "redirect-to-https", "min_ttl": 60},
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate={"cloudfront_default_certificate": True},
        )
        eks = aws.eks.Cluster("eks", role_arn="arn:aws:iam::123456789012:role/eks", vpc_config={"subnet_ids": ["subnet-1"]})
        pulumi.export("orders", listener.default_actions.apply(lambda actions: [a.order for a in actions]))
        pulumi.export("redirect", listener.default_actions.apply(lambda actions: actions[1].redirect.host + ":" + actions[1].redirect.port))
        pulumi.export("attempts", cdn.origins.apply(lambda origins: origins[0].connection_attempts + origins[0].connection_timeout))
        pulumi.export("cache", cdn.default_cache_behavior.apply(lambda b: (b.min_ttl, b.compress)))
        pulumi.export("eks_sg", eks.vpc_config.cluster_security_group_id)

    plan = run_callable(program)
    # Documented defaults fill what the program left out; what it gave (a timeout, a port, a TTL) stays.
    assert plan.outputs["orders"] == [1, 2]
    assert plan.outputs["redirect"] == "#{host}:443"
    assert plan.outputs["attempts"] == 3 + 5
    assert plan.outputs["cache"] == [60, False]
    listener = plan.named("http").outputs["defaultActions"]
    assert "redirect" not in listener[0] and listener[0]["targetGroupArn"].endswith("targetgroup/tg/0123456789abcdef")
    assert re.fullmatch(f"sg-{HEX17}", plan.outputs["eks_sg"])  # "created by Amazon EKS": a value the service assigns
    assert plan.named("eks").outputs["vpcConfig"]["subnetIds"] == ["subnet-1"]
    # An optional field without a documented default is not invented.
    assert "originPath" not in plan.named("cdn").outputs["origins"][0]
    # The plan says which nested fields were added.
    _, properties = plan.generated_outputs["aws:lb/listener:Listener"]
    assert {"defaultActions[].order", "defaultActions[].redirect.host"} <= set(properties)
    assert "defaultActions[].redirect.port" not in properties  # the program gave it


def test_helm_charts_plan_and_say_their_objects_are_not_rendered(plans):
    plan = plans["helm_charts"]
    assert plan.outputs["ingress_objects"] == 0 and plan.outputs["cache_objects"] == 0
    warnings = [d.message for d in plan.diagnostics if d.severity == "warning" and "Helm chart not rendered" in d.message]
    assert len(warnings) == 2
    v3 = next(w for w in warnings if "helm.sh/v3:Chart 'ingress'" in w)
    assert "'ingress-nginx', version 4.11.0" in v3 and "--invoke-results" in v3 and "kubernetes:helm:template" in v3
    v4 = next(w for w in warnings if "helm.sh/v4:Chart 'cache'" in w)
    assert "`resources` output is empty" in v4 and "cannot be pinned" in v4
    # The v4 Chart is a remote component: it is in the plan (with its inputs), as a component.
    chart = plan.named("cache")
    assert chart.type == "kubernetes:helm.sh/v4:Chart" and not chart.custom and chart.inputs["version"] == "20.1.0"
    # Plain manifests are decoded offline: the ConfigMap is planned and gets the API server's metadata.
    config_map = plan.of_type("kubernetes:core/v1:ConfigMap")[0]
    assert config_map.inputs["data"] == {"mode": "standalone"}
    assert plan.outputs["settings_uid"] == config_map.outputs["metadata"]["uid"]


RENDERED = [
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "ingress"},
     "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 80}]}},
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "ingress"},
     "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {
         "metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}},
]


def _chart_program():
    import pulumi_kubernetes as k8s

    chart = k8s.helm.v3.Chart("ingress", k8s.helm.v3.ChartOpts(chart="ingress-nginx", namespace="ingress"))
    service = chart.get_resource("v1/Service", "ingress/web")
    pulumi.export("hostname", service.status.load_balancer.ingress[0].hostname)
    pulumi.export("objects", chart.resources.apply(len))


def test_a_v3_charts_rendered_objects_can_be_pinned_and_are_planned():
    plan = run_callable(_chart_program, region=REGION, invoke_results={"kubernetes:helm:template": {"result": RENDERED}})
    assert plan.outputs["objects"] == 2
    assert re.fullmatch(rf"a[0-9a-f]{{32}}-\d+\.{REGION}\.elb\.amazonaws\.com", plan.outputs["hostname"])
    deployment = plan.of_type("kubernetes:apps/v1:Deployment")[0]
    assert deployment.parent == plan.named("ingress").urn and deployment.outputs["status"]["readyReplicas"] == 2
    assert not any("not rendered" in d.message for d in plan.diagnostics)


def test_a_lookup_in_a_chart_nothing_rendered_names_the_chart(tmp_path):
    from mlplat.tooling.program_errors import explain

    with pytest.raises(KeyError) as raised:
        run_callable(_chart_program)
    message = explain(raised.value, tmp_path).message
    assert "KeyError: 'v1/Service:ingress/web'" in message
    assert "Helm chart not rendered offline: kubernetes:helm.sh/v3:Chart 'ingress'" in message


def test_events_sns_to_sqs_and_a_dynamodb_stream_into_lambda(plans):
    plan = plans["events"]
    topic, queue = plan.of_type("aws:sns/topic:Topic")[0], plan.of_type("aws:sqs/queue:Queue")[0]
    uuid = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}"
    assert re.fullmatch(rf"{re.escape(topic.outputs['arn'])}:{uuid}", plan.outputs["subscription"])
    assert plan.of_type("aws:sns/topicSubscription:TopicSubscription")[0].inputs["endpoint"] == queue.outputs["arn"]
    table = plan.of_type("aws:dynamodb/table:Table")[0]
    assert table.outputs["streamArn"] == f"{table.outputs['arn']}/stream/{table.outputs['streamLabel']}"
    assert plan.outputs["stream_label"] == table.outputs["streamLabel"]
    assert re.fullmatch(rf"{uuid} Enabled", plan.outputs["stream_mapping"])
    worker = plan.of_type("aws:lambda/function:Function")[0]
    # A mapping given the function's name reports the function's ARN (the same the function has).
    assert plan.outputs["queue_mapping_function"] == worker.outputs["arn"]


def test_certificate_validated_through_route53_and_a_secret_config_value(plans):
    plan = plans["certificate"]
    certificate = plan.of_type("aws:acm/certificate:Certificate")[0]
    arn = shape_pattern("acm", "Arn")
    assert arn is None or arn.fullmatch(plan.outputs["certificate"])
    assert re.fullmatch(rf"arn:aws:acm:{REGION}:{FAKE_ACCOUNT_ID}:certificate/[0-9a-f-]{{36}}", plan.outputs["certificate"])
    options = certificate.outputs["domainValidationOptions"]
    assert [o["domainName"] for o in options] == ["app.example.org", "www.app.example.org"]
    records = sorted(plan.of_type("aws:route53/record:Record"), key=lambda r: r.name)
    for option, record in zip(options, records):
        assert re.fullmatch(rf"_[0-9a-f]{{32}}\.{re.escape(option['domainName'])}\.", record.inputs["name"])
        assert record.inputs["type"] == "CNAME" and record.inputs["records"][0].endswith(".acm-validations.aws.")
    assert plan.outputs["expires"] > "2026-01-01T00:00:00Z"
    # The password read with require_secret stays secret: in the input that takes it and the output built from it.
    assert "database_url" in plan.output_secret_paths
    assert "secretString" in plan.of_type("aws:secretsmanager/secretVersion:SecretVersion")[0].secret_paths


def test_a_policy_document_is_rendered_as_the_provider_renders_it():
    def program():
        base = aws.iam.get_policy_document(statements=[{"sid": "Read", "actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/*"]}])
        document = aws.iam.get_policy_document(
            source_policy_documents=[base.json],
            statements=[{
                "effect": "Deny", "actions": ["s3:*"], "resources": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                "principals": [{"type": "*", "identifiers": ["*"]}],
                "conditions": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}],
            }],
        )
        pulumi.export("policy", document.json)
        pulumi.export("user", aws.ecr.get_authorization_token().user_name)

    plan = run_callable(program)
    assert json.loads(plan.outputs["policy"]) == {"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Principal": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]}
    # Computed exactly, so not listed among the invented answers; the ECR token is.
    assert [token for token, _ in plan.generic_invokes] == ["aws:ecr/getAuthorizationToken:getAuthorizationToken"]
    assert plan.outputs["user"] == "AWS"
