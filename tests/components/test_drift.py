"""DriftMonitor: Model Monitor job and schedule, drift alarm, EventBridge rule and retraining target.

The endpoint is a `CapturingEndpointDouble`: a test double of ServingEndpoint that implements the
`CapturingEndpoint` protocol (name, serverless flag, captures bucket handle) and declares no
resources; its captures bucket is a plain S3 bucket and KMS key declared by the test program.
"""

from __future__ import annotations

import gc
import json
import warnings
from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
import pulumi_aws as aws
import pytest

from mlplat.components.drift import (
    CapturingEndpoint,
    DriftMonitor,
    DriftMonitorArgs,
    schedule_interval_seconds,
)
from mlplat.core.errors import ConfigError
from mlplat.components.monitoring import AlarmTopic, AlarmTopicArgs
from mlplat.components.network import ExistingVpcArgs, Network, NetworkArgs
from mlplat.tooling.fakes.monitoring import UnknownImageRegionError
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import Plan, is_unknown

ACCOUNT = "123456789012"
ENDPOINT = "mlplat-test-fraud"
PIPELINE = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/fraud-retrain"
CONSTRAINTS = "s3://mlplat-test-datasets/fraud/baseline/constraints.json"
STATISTICS = "s3://mlplat-test-datasets/fraud/baseline/statistics.json"
IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer:latest"
DRIFT = "mlplat:monitoring:DriftMonitor"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


@dataclass
class BucketDouble:
    """A governed bucket handle (ARN, name, key), as ArtifactStore's GovernedBucket offers."""

    arn: pulumi.Output[str]
    name: pulumi.Output[str]
    key: aws.kms.Key


@dataclass
class CapturingEndpointDouble:
    """Test double of ServingEndpoint implementing CapturingEndpoint (no resources of its own)."""

    endpoint_name: Any = ENDPOINT
    serverless: bool = False
    captures_bucket: Optional[Any] = field(default=None)
    captures_prefix: str = f"{ENDPOINT}/"
    waiting_for_model: bool = False


BASE_ARGS = dict(
    baseline_constraints_uri=CONSTRAINTS,
    baseline_statistics_uri=STATISTICS,
    features=("amount", "merchant_category"),
    retraining_pipeline_arn=PIPELINE,
)

# Uninitialised resources pass the Args' isinstance checks without a running program.
TOPIC = AlarmTopic.__new__(AlarmTopic)
KEY = aws.kms.Key.__new__(aws.kms.Key)


def _adopted_network() -> Network:
    return Network("net", NetworkArgs(existing=ExistingVpcArgs(
        vpc_id="vpc-0123456789abcdef0", cidr_block="10.1.0.0/16",
        private_subnet_ids=("subnet-0123456789abcdef0", "subnet-0123456789abcdef1"),
    )))


def drift_program(*, adopted: bool = False, baseline_key: bool = False, baseline_bucket: bool = False, **fields: Any):
    def program() -> None:
        if baseline_key:
            fields["baseline_kms_key"] = aws.kms.Key("baseline-key")
        topic = AlarmTopic("alarms", AlarmTopicArgs(key=aws.kms.Key("alerts-key")))
        network = _adopted_network() if adopted else Network("net", NetworkArgs(log_key=aws.kms.Key("logs-key")))
        bucket = aws.s3.Bucket("captures")
        captures = BucketDouble(bucket.arn, bucket.bucket, aws.kms.Key("data-key"))
        endpoint = CapturingEndpointDouble(pulumi.Output.from_input(ENDPOINT), captures_bucket=captures)
        args = {**BASE_ARGS, **fields}
        if baseline_bucket:  # datasets and captures share the data key, as in ArtifactStore
            datasets = aws.s3.Bucket("datasets")
            args.pop("baseline_constraints_uri")
            args.pop("baseline_statistics_uri")
            args.update(baseline_bucket=BucketDouble(datasets.arn, datasets.bucket, captures.key),
                        baseline_prefix="fraud/baseline/")
        DriftMonitor("fraud-drift", DriftMonitorArgs(endpoint=endpoint, network=network, alarm_topic=topic, **args))

    return program


@pytest.fixture(scope="module")
def plan() -> Plan:
    return run_callable(drift_program(retraining_pipeline_parameters={"TriggeredBy": "drift-alarm"}))


def out(plan: Plan, name: str, key: str = "arn") -> Any:
    return plan.named(name).outputs[key]


def rendered(exc: pytest.ExceptionInfo[ConfigError]) -> list[str]:
    return [p.render() for p in exc.value.problems]


# --- the tree ---------------------------------------------------------------------------------


def _in(type_token: str, name: str) -> tuple[str, str]:
    return (f"urn:pulumi:test::project::{DRIFT}${type_token}::{name}", type_token)


def test_resource_tree_is_the_contract(plan):
    # Renaming a child replaces live infrastructure: this list changes only with an alias.
    assert sorted(r for r in plan.tree() if DRIFT in r[0]) == sorted(
        [
            (f"urn:pulumi:test::project::{DRIFT}::fraud-drift", DRIFT),
            _in("aws:ec2/securityGroup:SecurityGroup", "fraud-drift-job-sg"),
            _in("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "fraud-drift-job-https-vpc"),
            _in("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "fraud-drift-job-https-s3"),
            _in("aws:iam/role:Role", "fraud-drift-job-role"),
            _in(ROLE_POLICY, "fraud-drift-job-policy"),
            _in("aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition", "fraud-drift-job-definition"),
            _in("aws:sagemaker/monitoringSchedule:MonitoringSchedule", "fraud-drift-schedule"),
            _in(ALARM, "fraud-drift-drift-alarm"),
            _in("aws:cloudwatch/eventRule:EventRule", "fraud-drift-retrain-rule"),
            _in("aws:iam/role:Role", "fraud-drift-retrain-role"),
            _in(ROLE_POLICY, "fraud-drift-retrain-policy"),
            _in("aws:cloudwatch/eventTarget:EventTarget", "fraud-drift-retrain-target"),
        ]
    )


# --- the monitoring job -----------------------------------------------------------------------


def test_job_definition_is_isolated_encrypted_and_in_the_vpc(plan):
    job = plan.named("fraud-drift-job-definition")
    data_key = out(plan, "data-key")
    captures = out(plan, "captures", "bucket")
    assert job.declared_inputs == {
        "roleArn": out(plan, "fraud-drift-job-role"),
        "dataQualityAppSpecification": {"imageUri": IMAGE, "environment": {"publish_cloudwatch_metrics": "Enabled"}},
        "dataQualityBaselineConfig": {"constraintsResource": {"s3Uri": CONSTRAINTS}, "statisticsResource": {"s3Uri": STATISTICS}},
        "dataQualityJobInput": {"endpointInput": {
            "endpointName": ENDPOINT, "localPath": "/opt/ml/processing/input/endpoint",
            "s3DataDistributionType": "FullyReplicated", "s3InputMode": "File"}},
        "dataQualityJobOutputConfig": {"kmsKeyId": data_key, "monitoringOutputs": {"s3Output": {
            "s3Uri": f"s3://{captures}/model-monitor/fraud-drift/", "localPath": "/opt/ml/processing/output",
            "s3UploadMode": "EndOfJob"}}},
        "jobResources": {"clusterConfig": {"instanceCount": 1, "instanceType": "ml.m5.xlarge", "volumeSizeInGb": 20,
                                           "volumeKmsKeyId": data_key}},
        "networkConfig": {"enableInterContainerTrafficEncryption": True, "enableNetworkIsolation": True, "vpcConfig": {
            "securityGroupIds": [plan.named("fraud-drift-job-sg").id],
            "subnets": [plan.named("net-private-0").id, plan.named("net-private-1").id]}},
        "stoppingCondition": {"maxRuntimeInSeconds": 1800},
    }
    assert plan.named("fraud-drift-job-policy").urn in job.dependencies


def test_image_comes_from_the_prebuilt_image_lookup(plan):
    assert ("aws:sagemaker/getPrebuiltEcrImage:getPrebuiltEcrImage",
            {"repositoryName": "sagemaker-model-monitor-analyzer", "imageTag": "latest"}) in plan.invokes


def test_image_registry_follows_the_region():
    eu = run_callable(drift_program(adopted=True, security_group_ids=("sg-0123456789abcdef0",)), region="eu-west-1")
    spec = eu.named("fraud-drift-job-definition").inputs["dataQualityAppSpecification"]
    assert spec["imageUri"] == "468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer:latest"


def test_regions_without_a_model_monitor_registry_fail_clearly():
    program = drift_program(adopted=True, security_group_ids=("sg-0123456789abcdef0",))
    message = ""
    with warnings.catch_warnings():  # the failed program's pending outputs are never awaited
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            run_callable(program, region="mars-east-1")
        except UnknownImageRegionError as error:
            message = str(error)
        run_callable(lambda: None)  # the next run releases the failed one's state
        gc.collect()
    assert message.startswith(
        "no registry ID available for region (mars-east-1) and repository (sagemaker-model-monitor-analyzer): "
        "Model Monitor images are published in af-south-1, ap-east-1,"
    )


def test_schedule_runs_the_job_definition_hourly(plan):
    assert plan.named("fraud-drift-schedule").declared_inputs == {
        "monitoringScheduleConfig": {
            "monitoringType": "DataQuality",
            "monitoringJobDefinitionName": out(plan, "fraud-drift-job-definition", "name"),
            "scheduleConfig": {"scheduleExpression": "cron(0 * ? * * *)"},
        }
    }


def test_job_security_group_allows_only_https_to_the_vpc_and_s3(plan):
    sg = plan.named("fraud-drift-job-sg")
    assert {k: v for k, v in sg.inputs.items() if k != "name"} == {
        "vpcId": plan.named("net-vpc").id,
        "description": "mlplat fraud-drift: Model Monitor jobs reach S3 and the VPC endpoints over HTTPS",
    }
    base = {"securityGroupId": sg.id, "ipProtocol": "tcp", "fromPort": 443, "toPort": 443}
    assert plan.named("fraud-drift-job-https-vpc").inputs == {
        **base, "description": "HTTPS to the VPC's interface endpoints", "cidrIpv4": "10.0.0.0/16"}
    assert plan.named("fraud-drift-job-https-s3").inputs == {
        **base, "description": "HTTPS to S3 through the gateway endpoint", "prefixListId": out(plan, "net-s3", "prefixListId")}


def test_job_role_trusts_sagemaker_of_this_account_only(plan):
    role = plan.named("fraud-drift-job-role")
    assert json.loads(role.inputs["assumeRolePolicy"]) == {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowServiceAssumeRole", "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }],
    }


def _job_policy(plan: Plan, *, baseline_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    captures = out(plan, "captures")
    data_key = out(plan, "data-key")
    log_group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/sagemaker/ProcessingJobs"
    subnets = [plan.named(f"net-private-{i}").id for i in range(2)]
    sgs = plan.named("fraud-drift-job-definition").inputs["networkConfig"]["vpcConfig"]["securityGroupIds"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadCapturedData", "Effect": "Allow", "Action": "s3:GetObject",
             "Resource": [f"{captures}/{ENDPOINT}/*"]},
            {"Sid": "ListCapturedData", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": [captures],
             "Condition": {"StringLike": {"s3:prefix": f"{ENDPOINT}/*"}}},
            {"Sid": "ReadBaseline", "Effect": "Allow", "Action": "s3:GetObject", "Resource": [
                "arn:aws:s3:::mlplat-test-datasets/fraud/baseline/constraints.json",
                "arn:aws:s3:::mlplat-test-datasets/fraud/baseline/statistics.json"]},
            {"Sid": "WriteReports", "Effect": "Allow", "Action": "s3:PutObject",
             "Resource": [f"{captures}/model-monitor/fraud-drift/*"]},
            {"Sid": "UseObjectKeysThroughS3", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
             "Resource": [data_key, *baseline_keys],
             "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}},
            {"Sid": "EncryptJobVolume", "Effect": "Allow", "Action": "kms:CreateGrant", "Resource": [data_key],
             "Condition": {"Bool": {"kms:GrantIsForAWSResource": True}}},
            {"Sid": "WriteJobLogs", "Effect": "Allow",
             "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
             "Resource": [log_group, f"{log_group}:log-stream:*"]},
            {"Sid": "PublishMonitorMetrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
             "Condition": {"StringEquals": {"cloudwatch:namespace": "aws/sagemaker/Endpoints/data-metrics"}}},
            {"Sid": "PullAnalyzerImage", "Effect": "Allow",
             "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
             "Resource": ["arn:aws:ecr:us-east-1:156813124566:repository/sagemaker-model-monitor-analyzer"]},
            {"Sid": "AuthenticateToEcr", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Sid": "ManageJobNetworkInterfaces", "Effect": "Allow",
             "Action": ["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
                        "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"],
             "Resource": [f"arn:aws:ec2:us-east-1:{ACCOUNT}:network-interface/*",
                          *(f"arn:aws:ec2:us-east-1:{ACCOUNT}:subnet/{s}" for s in subnets),
                          *(f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{g}" for g in sgs)]},
            {"Sid": "DescribeJobNetwork", "Effect": "Allow",
             "Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions",
                        "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"], "Resource": "*"},
        ],
    }


def test_job_role_policy_is_exact(plan):
    policy = plan.named("fraud-drift-job-policy")
    assert policy.inputs["role"] == plan.named("fraud-drift-job-role").id
    assert json.loads(policy.inputs["policy"]) == _job_policy(plan)


def test_a_baseline_key_is_usable_through_s3_too():
    plan = run_callable(drift_program(baseline_key=True))
    assert json.loads(plan.named("fraud-drift-job-policy").inputs["policy"]) == _job_policy(
        plan, baseline_keys=(out(plan, "baseline-key"),))


# --- drift alarm and retraining ---------------------------------------------------------------


def test_drift_alarm_takes_the_largest_feature_drift_of_this_endpoint_and_schedule(plan):
    topic = out(plan, "alarms-topic")
    dimensions = {"Endpoint": ENDPOINT, "MonitoringSchedule": out(plan, "fraud-drift-schedule", "name")}

    def query(query_id: str, feature: str) -> dict[str, Any]:
        return {"id": query_id, "returnData": False, "metric": {
            "namespace": "aws/sagemaker/Endpoints/data-metrics", "metricName": f"feature_baseline_drift_{feature}",
            "dimensions": dimensions, "period": 3600, "stat": "Maximum"}}

    assert plan.named("fraud-drift-drift-alarm").declared_inputs == {
        "alarmDescription": "A monitored feature of the endpoint drifted from its baseline by more than 0.1 "
                            "(amount, merchant_category); EventBridge starts retraining.",
        "comparisonOperator": "GreaterThanThreshold", "threshold": 0.1,
        "evaluationPeriods": 1, "datapointsToAlarm": 1, "treatMissingData": "ignore",
        "actionsEnabled": True, "alarmActions": [topic], "okActions": [topic],
        "metricQueries": [
            query("f0", "amount"), query("f1", "merchant_category"),
            {"id": "drift", "expression": "MAX([f0, f1])", "label": "largest feature baseline drift", "returnData": True},
        ],
    }


def test_rule_matches_the_drift_alarm_entering_alarm(plan):
    rule = plan.named("fraud-drift-retrain-rule")
    assert {k: v for k, v in rule.inputs.items() if k not in ("eventPattern", "name")} == {
        "description": "mlplat fraud-drift: start retraining when the drift alarm goes to ALARM", "state": "ENABLED"}
    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "resources": [out(plan, "fraud-drift-drift-alarm")],
        "detail": {"state": {"value": ["ALARM"]}},
    }


def test_target_starts_the_retraining_pipeline_with_its_parameters(plan):
    target = plan.named("fraud-drift-retrain-target")
    assert target.inputs == {
        "rule": out(plan, "fraud-drift-retrain-rule", "name"),
        "targetId": "retraining-pipeline",
        "arn": PIPELINE,
        "roleArn": out(plan, "fraud-drift-retrain-role"),
        "sagemakerPipelineTarget": {"pipelineParameterLists": [{"name": "TriggeredBy", "value": "drift-alarm"}]},
    }
    assert plan.named("fraud-drift-retrain-policy").urn in target.dependencies


def test_retraining_role_is_least_privilege(plan):
    role = plan.named("fraud-drift-retrain-role")
    assert json.loads(role.inputs["assumeRolePolicy"]) == {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowServiceAssumeRole", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT},
                          "ArnLike": {"aws:SourceArn": out(plan, "fraud-drift-retrain-rule")}},
        }],
    }
    assert json.loads(plan.named("fraud-drift-retrain-policy").inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "StartRetrainingPipeline", "Effect": "Allow", "Action": "sagemaker:StartPipelineExecution",
                       "Resource": PIPELINE}],
    }


def test_baseline_in_a_governed_bucket_is_read_with_its_key():
    plan = run_callable(drift_program(adopted=True, security_group_ids=("sg-0123456789abcdef0",), baseline_bucket=True))
    datasets = plan.named("datasets")
    assert plan.named("fraud-drift-job-definition").inputs["dataQualityBaselineConfig"] == {
        "constraintsResource": {"s3Uri": f"s3://{datasets.outputs['bucket']}/fraud/baseline/constraints.json"},
        "statisticsResource": {"s3Uri": f"s3://{datasets.outputs['bucket']}/fraud/baseline/statistics.json"},
    }
    statements = {s["Sid"]: s for s in json.loads(plan.named("fraud-drift-job-policy").inputs["policy"])["Statement"]}
    assert statements["ReadBaseline"]["Resource"] == [
        f"{datasets.outputs['arn']}/fraud/baseline/constraints.json", f"{datasets.outputs['arn']}/fraud/baseline/statistics.json"]
    assert statements["UseObjectKeysThroughS3"]["Resource"] == [out(plan, "data-key")]  # one key, listed once


def test_adopted_network_daily_schedule_and_no_parameters():
    plan = run_callable(drift_program(
        adopted=True, security_group_ids=("sg-0123456789abcdef0",), schedule_expression="cron(0 3 ? * * *)",
        max_runtime_seconds=7200,
    ))
    assert not [r for r in plan if r.name.startswith("fraud-drift-job-sg") or "job-https" in r.name]
    job = plan.named("fraud-drift-job-definition").inputs
    assert job["networkConfig"]["vpcConfig"] == {
        "securityGroupIds": ["sg-0123456789abcdef0"], "subnets": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]}
    assert job["stoppingCondition"] == {"maxRuntimeInSeconds": 7200}
    queries = plan.named("fraud-drift-drift-alarm").inputs["metricQueries"]
    assert {q["metric"]["period"] for q in queries if "metric" in q} == {86400}
    assert "sagemakerPipelineTarget" not in plan.named("fraud-drift-retrain-target").inputs


def test_preview_runs(plan):
    preview = run_callable(drift_program(), preview=True)
    assert [r for r in preview.tree() if DRIFT in r[0]] == [r for r in plan.tree() if DRIFT in r[0]]
    assert is_unknown(preview.named("fraud-drift-retrain-rule").inputs["eventPattern"])
    assert preview.named("fraud-drift-schedule").inputs["monitoringScheduleConfig"]["scheduleConfig"] == {
        "scheduleExpression": "cron(0 * ? * * *)"}


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(("expression", "seconds"), [
    ("cron(0 * ? * * *)", 3600),
    ("cron(0 12 ? * * *)", 86400),
    ("cron(0 0/6 ? * * *)", 6 * 3600),
    ("cron(0 17/12 ? * * *)", 12 * 3600),
    ("cron(0 24 ? * * *)", None),
    ("cron(30 * ? * * *)", None),
    ("cron(0 0/25 ? * * *)", None),
    ("rate(1 hour)", None),
    ("NOW", None),
])
def test_schedule_expressions_model_monitor_accepts(expression, seconds):
    assert schedule_interval_seconds(expression) == seconds


def _network_stub(*, adopted: bool) -> Network:
    network = Network.__new__(Network)
    network.vpc = None if adopted else object()  # what DriftMonitorArgs reads: created or adopted
    return network


def test_double_implements_the_protocol():
    assert isinstance(CapturingEndpointDouble(captures_bucket=BucketDouble("arn", "name", KEY)), CapturingEndpoint)


def test_bad_drift_args_list_every_problem():
    with pytest.raises(ConfigError) as exc:
        DriftMonitorArgs(
            endpoint=CapturingEndpointDouble(captures_bucket=None, captures_prefix="/captures"),
            network=_network_stub(adopted=True), alarm_topic=TOPIC,
            baseline_constraints_uri="s3://bucket/", baseline_statistics_uri="https://bucket/statistics.json",
            features=("amount", "amount", " "), retraining_pipeline_arn="arn:aws:sagemaker:us-east-1:123:pipeline/x",
            retraining_pipeline_parameters={"bad name": "v"}, threshold=0, schedule_expression="rate(1 hour)",
            max_runtime_seconds=90000, instance_type="ml.m5.huge", volume_size_gb=0,
            reports_prefix="reports/*/",
        )
    assert rendered(exc) == [
        "DriftMonitorArgs.endpoint: has no captures bucket (enable data capture on the endpoint)",
        "DriftMonitorArgs.endpoint.captures_prefix: '/captures' is not a key prefix (no leading '/', no wildcard, "
        "ends with '/', e.g. 'fraud/')",
        "DriftMonitorArgs.baseline_constraints_uri: 's3://bucket/' is not an S3 object URI (s3://bucket/key.json)",
        "DriftMonitorArgs.baseline_statistics_uri: 'https://bucket/statistics.json' is not an S3 object URI "
        "(s3://bucket/key.json)",
        "DriftMonitorArgs.features: ' ' is not a feature name (non-blank, at most 232 characters)",
        "DriftMonitorArgs.features: ('amount', 'amount', ' ') lists a feature twice",
        "DriftMonitorArgs.threshold: 0.0 must be greater than 0",
        "DriftMonitorArgs.schedule_expression: 'rate(1 hour)' is not a schedule Model Monitor accepts (hourly "
        "cron(0 * ? * * *), daily cron(0 H ? * * *) or every N hours cron(0 H/N ? * * *), with H 0-23 and N 1-24; "
        "rate() and NOW are not Model Monitor schedules)",
        "DriftMonitorArgs.retraining_pipeline_arn: 'arn:aws:sagemaker:us-east-1:123:pipeline/x' is not a SageMaker "
        "pipeline ARN (arn:aws:sagemaker:<region>:<account>:pipeline/<name>)",
        "DriftMonitorArgs.retraining_pipeline_parameters: 'bad name' has a parameter name that is not letters, digits "
        "and '-' (at most 256)",
        "DriftMonitorArgs.max_runtime_seconds: 90000 must be between 1 and the schedule's interval (86400 s)",
        "DriftMonitorArgs.instance_type: 'ml.m5.huge' is not a processing instance type (e.g. ml.m5.xlarge)",
        "DriftMonitorArgs.volume_size_gb: 0 must be between 1 and 16384",
        "DriftMonitorArgs.reports_prefix: 'reports/*/' is not a key prefix (no leading '/', no wildcard, ends with "
        "'/', e.g. 'fraud/')",
        "DriftMonitorArgs.security_group_ids: is required with an adopted VPC (the job's security group must reach S3 "
        "and the VPC endpoints; pass one that allows it)",
    ]


def test_the_baseline_is_given_one_way():
    bucket = BucketDouble("arn", "name", KEY)
    endpoint = CapturingEndpointDouble(captures_bucket=bucket)
    common = dict(endpoint=endpoint, network=_network_stub(adopted=False), alarm_topic=TOPIC,
                  features=("amount",), retraining_pipeline_arn=PIPELINE)
    with pytest.raises(ConfigError) as exc:
        DriftMonitorArgs(**common, baseline_bucket=bucket, baseline_constraints_uri=CONSTRAINTS, baseline_kms_key=KEY)
    assert rendered(exc) == [
        "DriftMonitorArgs.baseline_constraints_uri: cannot be set with baseline_bucket (the baseline is read from the "
        "bucket, with its key; drop one of them)",
        "DriftMonitorArgs.baseline_kms_key: cannot be set with baseline_bucket (the baseline is read from the bucket, "
        "with its key; drop one of them)",
        "DriftMonitorArgs.baseline_prefix: is required with baseline_bucket (the key prefix of constraints.json and "
        "statistics.json, e.g. 'fraud/baseline/')",
    ]
    with pytest.raises(ConfigError) as exc:
        DriftMonitorArgs(**common, baseline_prefix="fraud/", baseline_statistics_uri=STATISTICS)
    assert rendered(exc) == [
        "DriftMonitorArgs.baseline_prefix: 'fraud/' needs baseline_bucket (URIs name their files fully)",
        "DriftMonitorArgs.baseline_constraints_uri: is required without baseline_bucket (say where the baseline is: "
        "baseline_bucket and baseline_prefix, or both URIs)",
    ]


def test_serverless_endpoints_cannot_be_drift_monitored():
    with pytest.raises(ConfigError) as exc:
        DriftMonitorArgs(endpoint=CapturingEndpointDouble(serverless=True), network=_network_stub(adopted=False),
                         alarm_topic=TOPIC, **BASE_ARGS)
    assert rendered(exc) == [
        "DriftMonitorArgs.endpoint: is serverless: serverless endpoints have no data capture and Model Monitor cannot "
        "watch them (monitor a provisioned endpoint)",
    ]


def test_endpoints_waiting_for_a_model_cannot_be_drift_monitored_yet():
    endpoint = CapturingEndpointDouble(captures_bucket=BucketDouble("a", "n", KEY), waiting_for_model=True)
    with pytest.raises(ConfigError) as exc:
        DriftMonitorArgs(endpoint=endpoint, network=_network_stub(adopted=False), alarm_topic=TOPIC, **BASE_ARGS)
    assert rendered(exc) == [
        "DriftMonitorArgs.endpoint: waits for an approved model package: Model Monitor needs a deployed endpoint "
        "(declare the DriftMonitor once it has a model)",
    ]


def test_runtime_longer_than_an_hourly_schedule_and_too_many_features_are_refused():
    with pytest.raises(ConfigError) as exc:
        DriftMonitorArgs(endpoint=CapturingEndpointDouble(captures_bucket=BucketDouble("a", "n", KEY)),
                         network=_network_stub(adopted=False), alarm_topic=TOPIC,
                         **{**BASE_ARGS, "features": tuple(f"f{i}" for i in range(11))},
                         max_runtime_seconds=3601, security_group_ids=("sg-1",))
    assert rendered(exc) == [
        "DriftMonitorArgs.features: ('f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8', 'f9', 'f10') must "
        "list 1 to 10 features (a metric-math alarm takes 10 metrics)",
        "DriftMonitorArgs.max_runtime_seconds: 3601 must be between 1 and the schedule's interval (3600 s)",
        "DriftMonitorArgs.security_group_ids: 'sg-1' is not a security group id (sg-...)",
    ]


def test_the_retraining_pipeline_is_one_of_the_training_pipeline_or_an_external_arn():
    from mlplat.components.training_pipeline import TrainingPipeline

    bucket = BucketDouble("arn", "name", KEY)
    pipeline = TrainingPipeline.__new__(TrainingPipeline)  # uninitialised: passes the isinstance check
    common = dict(endpoint=CapturingEndpointDouble(captures_bucket=bucket), network=_network_stub(adopted=False),
                  alarm_topic=TOPIC, features=("amount",), baseline_constraints_uri=CONSTRAINTS,
                  baseline_statistics_uri=STATISTICS)
    with pytest.raises(ConfigError) as exc:
        DriftMonitorArgs(**common, retraining_pipeline=pipeline, retraining_pipeline_arn=PIPELINE)
    assert rendered(exc) == [
        "DriftMonitorArgs.retraining_pipeline_arn: cannot be set with retraining_pipeline (the loop retrains one "
        "pipeline: drop the ARN to retrain the family's pipeline)",
    ]
    with pytest.raises(ConfigError) as exc:
        DriftMonitorArgs(**common)
    assert rendered(exc) == [
        "DriftMonitorArgs.retraining_pipeline_arn: is required without retraining_pipeline (say which pipeline "
        "retrains the model)",
    ]
    with pytest.raises(ConfigError) as exc:
        DriftMonitorArgs(**common, retraining_pipeline=pipeline, retraining_pipeline_parameters={"Epochs": "3"})
    assert rendered(exc) == [
        "DriftMonitorArgs.retraining_pipeline_parameters: 'Epochs' names no parameter of the TrainingPipeline "
        "(InputDataUrl, ProcessingInstanceType, ProcessingInstanceCount, TrainingInstanceType, TrainingInstanceCount, "
        "ModelApprovalStatus, ImageTag)",
    ]
    assert DriftMonitorArgs(**common, retraining_pipeline=pipeline).retraining_pipeline is pipeline
