"""ServingEndpoint: a SageMaker real-time (or serverless) endpoint, deployed blue/green.

One model (a registered, approved model package, or in dev a raw image + artifact), one endpoint
configuration and one endpoint with a deterministic name (`<name_prefix><name>`, docs/DECISIONS.md, Naming), so
that the endpoint can name its rollback alarms and the alarms can name the endpoint:

- provisioned variants run in the platform VPC (private subnets, the endpoint's own security
  group, which may only open HTTPS to the VPC's interface endpoints and to S3 through the gateway
  endpoint) with network isolation, encrypt their volumes with the models key, and capture
  requests and responses into the captures bucket under `<endpoint>/` with the captures key;
- updates are blue/green (canary by default) and roll back automatically when this endpoint's
  5XX or p99 model latency alarm (or an alarm the caller adds) fires during the deployment;
- the endpoint configuration uses a name prefix, so a changed configuration is created before
  the old one is deleted; variant names stay stable (blue/green requires it);
- the execution role may read only the model artifacts prefix, pull only from the image's ECR
  repository, write only under the endpoint's captures prefix and its own log group, and manage
  only network interfaces in the platform's private subnets.

Serverless (`serverless=`) is an explicit alternative for dev and low-traffic models: AWS runs
serverless endpoints outside customer VPCs, without network isolation, data capture, shadow
variants or async inference, so none of them is declared; `serverless` is True on the component
and in its outputs, so the plan shows the choice.

Without a model source (no `model_package`, no `image`) the endpoint *waits for an approved
model package*: the execution role, its policy, the log group and the security group are
declared, the model, configuration, endpoint, alarms and autoscaling are not, a warning says so
and `waiting_for_model` is True. Setting `model_package` later deploys it.

Scale-down and scale to zero: a provisioned real-time variant cannot go below one instance
(Application Auto Scaling's minimum for `sagemaker:variant:DesiredInstanceCount` on variants),
so `scale_down_schedule` pins capacity to `capacity` (>= 1) out of hours and restores it in the
morning. Serverless endpoints already scale to zero when idle, so they take no autoscaling and no
schedule. Async endpoints could scale to zero, but only with a backlog-driven scale-out policy
this component does not declare; their minimum is one instance too. With a schedule, the scalable
target ignores later changes of its min/max (the scheduled actions move them every day); changed
autoscaling bounds reach AWS through the scale-up action, at its next run.

Metrics: SageMaker publishes invocation and instance metrics per variant (dimensions EndpointName
and VariantName), so every `metric_*()` method takes a `variant` (default: the first production
variant). The rollback alarms cover every production variant (metric math when there are several).

Instance-type changes with autoscaling: AWS refuses to update a variant's instance type while the
variant is a registered scalable target. Each scaled variant therefore has a guard, a
`pulumi:index:Stash` child `<name>-<variant>-scaling-guard` holding the instance type, replaced
(delete-before-replace, `replace_on_changes=["input"]` and a `replacement_trigger`) when the type
changes. The endpoint depends on the guard, and the scalable target's `resource_id` carries a
property dependency on it. When the engine replaces a resource delete-before-replace, it first
deletes every dependent whose replacement follows from it: the scaling policy, the scheduled
actions and the scalable target (its `resource_id` forces replacement) are deregistered, then the
guard is replaced, then the endpoint is updated (it waits on the guard), then the target and its
policies are registered again. One `pulumi up` does the two-step change AWS requires.

    endpoint = ServingEndpoint("churn", ServingEndpointArgs(
        models_bucket=store.models, captures_bucket=store.captures, network=net,
        log_key=keys.key("logs"), alarm_actions=[topic.arn],
        model_package="arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn/3",
        image_repository=registry.family("churn").repository("serving"), name_prefix="mlplat-prod-",
    ))
    endpoint.grant_invoke(app_role)
    latency = endpoint.metric_model_latency()          # AWS/SageMaker ModelLatency p99
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

import pulumi
import pulumi_aws as aws

from . import _iam
from ._lineage import deployment_tags, family_tags
from ._metrics import Metric, period_problems, statistic_problems
from ._grants import attach_grant, require_role
from ._wiring import lookup, require_args
from mlplat.core.naming import child
from .artifact_store import GovernedBucket
from mlplat.core.errors import ConfigError, raise_if_problems
from .network import Network, https_egress_group
from .serving_args import (  # the arguments and their validation (pure); ServingEndpointArgs is re-exported
    AutoscalingArgs,
    BlueGreenDeploymentArgs,
    ServingEndpointArgs,
    artifacts_prefix,
    config_name_prefix,
    endpoint_name_for,
    endpoint_problems,
    image_repository_arn,
)

__all__ = [
    "alarm_metric_args",
    "CAPACITY_PERCENT",
    "DEFAULT_METRIC_PERIOD",
    "EC2_CREATE_ENI_ACTIONS",
    "EC2_DESCRIBE_ACTIONS",
    "EC2_MANAGE_ENI_ACTIONS",
    "ECR_PULL_ACTIONS",
    "execution_policy",
    "execution_trust_policy",
    "INSTANCE_NAMESPACE",
    "INVOCATION_NAMESPACE",
    "invoke_policy",
    "LOG_ACTIONS",
    "LOG_GROUP_PREFIX",
    "SAGEMAKER_PRINCIPAL",
    "SCALABLE_DIMENSION",
    "SCALING_METRIC",
    "ServingEndpoint",
    "TYPE_TOKEN",
    "VpcAccess",
]

TYPE_TOKEN = "mlplat:serving:ServingEndpoint"

SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"
INVOCATION_NAMESPACE = "AWS/SageMaker"
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
DEFAULT_METRIC_PERIOD = 60  # seconds: the SageMaker endpoint metrics are published every minute
LOG_GROUP_PREFIX = "/aws/sagemaker/Endpoints/"
CAPACITY_PERCENT = "CAPACITY_PERCENT"
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
SCALING_METRIC = "SageMakerVariantInvocationsPerInstance"


# --- IAM documents (pure: Python data, serialised only at the edge) ---------------------------


@dataclass(frozen=True)
class VpcAccess:
    """Where the endpoint's network interfaces may be created (the model's VPC config)."""

    subnet_arns: pulumi.Input[list[str]]
    security_group_arn: pulumi.Input[str]
    region: pulumi.Input[str]
    account_id: pulumi.Input[str]


EC2_CREATE_ENI_ACTIONS: tuple[str, ...] = ("ec2:CreateNetworkInterface",)
EC2_MANAGE_ENI_ACTIONS: tuple[str, ...] = (
    "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission",
)  # fmt: skip
EC2_DESCRIBE_ACTIONS: tuple[str, ...] = (
    "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions", "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
)  # fmt: skip
ECR_PULL_ACTIONS: tuple[str, ...] = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
LOG_ACTIONS: tuple[str, ...] = ("logs:CreateLogStream", "logs:PutLogEvents")


def execution_trust_policy(account_id: pulumi.Input[str]) -> _iam.Document:
    """Trust for SageMaker acting for this account only (confused-deputy guard)."""
    return _iam.assume_role_policy(SAGEMAKER_PRINCIPAL, source_account=account_id)


def execution_policy(
    *,
    region: pulumi.Input[str],
    models_bucket_arn: pulumi.Input[str],
    models_prefix: str,
    models_key_arn: pulumi.Input[str],
    log_group_arn: pulumi.Input[str],
    image_repository_arn: Optional[pulumi.Input[str]] = None,
    captures_bucket_arn: Optional[pulumi.Input[str]] = None,
    captures_prefix: Optional[str] = None,
    captures_key_arn: Optional[pulumi.Input[str]] = None,
    async_outputs: bool = False,
    vpc: Optional[VpcAccess] = None,
) -> _iam.Document:
    """The execution role's permissions, statement by statement:

    - s3:GetObject on `<models bucket>/<models_prefix>*`; kms:Decrypt on the models key, only via S3
      or SageMaker (`kms:ViaService`);
    - ecr:BatchGetImage, ecr:GetDownloadUrlForLayer on the image's repository; ecr:GetAuthorizationToken
      on "*" (it accepts no resource); both only when the repository is known;
    - s3:PutObject on `<captures bucket>/<captures_prefix>*` and kms:GenerateDataKey on the captures
      key via S3 (plus kms:Decrypt with async outputs, which S3 needs for multipart uploads), when
      data capture or async inference writes there;
    - logs:CreateLogStream, logs:PutLogEvents on the endpoint's log group and its streams;
    - VPC mode: ec2:CreateNetworkInterface on network interfaces, the given subnets and security
      group; ec2:CreateNetworkInterfacePermission, ec2:DeleteNetworkInterface,
      ec2:DeleteNetworkInterfacePermission on network interfaces in those subnets (`ec2:Subnet`);
      the five ec2:Describe* calls SageMaker makes, on "*" (they accept no resource), in this region.
    """
    def via(*services: str) -> dict[str, Any]:
        endpoints = [pulumi.Output.concat(service, ".", region, ".amazonaws.com") for service in services]
        return {"StringEquals": {"kms:ViaService": endpoints if len(endpoints) > 1 else endpoints[0]}}

    statements = [
        _iam.statement(sid="ReadModelArtifacts", actions=["s3:GetObject"],
                       resources=pulumi.Output.concat(models_bucket_arn, "/", models_prefix, "*")),
        _iam.statement(sid="DecryptModelArtifacts", actions=["kms:Decrypt"], resources=models_key_arn,
                       conditions=via("s3", "sagemaker")),
    ]
    if image_repository_arn is not None:
        statements += [
            _iam.statement(sid="PullInferenceImage", actions=list(ECR_PULL_ACTIONS), resources=image_repository_arn),
            _iam.statement(sid="GetEcrAuthorizationToken", actions=["ecr:GetAuthorizationToken"], resources="*"),
        ]
    if captures_bucket_arn is not None:
        assert captures_prefix is not None and captures_key_arn is not None
        statements += [
            _iam.statement(sid="WriteCaptures", actions=["s3:PutObject"],
                           resources=pulumi.Output.concat(captures_bucket_arn, "/", captures_prefix, "*")),
            _iam.statement(sid="EncryptCaptures",
                           actions=["kms:GenerateDataKey", "kms:Decrypt"] if async_outputs else ["kms:GenerateDataKey"],
                           resources=captures_key_arn, conditions=via("s3")),
        ]
    statements.append(
        _iam.statement(sid="WriteEndpointLogs", actions=list(LOG_ACTIONS),
                       resources=[log_group_arn, pulumi.Output.concat(log_group_arn, ":log-stream:*")])
    )
    if vpc is not None:
        enis = pulumi.Output.concat("arn:aws:ec2:", vpc.region, ":", vpc.account_id, ":network-interface/*")
        statements += [
            _iam.statement(
                sid="CreateNetworkInterfacesInPrivateSubnets", actions=list(EC2_CREATE_ENI_ACTIONS),
                resources=pulumi.Output.all(enis, vpc.subnet_arns, vpc.security_group_arn).apply(
                    lambda v: [v[0], *v[1], v[2]]
                ),
            ),
            _iam.statement(
                sid="ManageNetworkInterfacesInPrivateSubnets", actions=list(EC2_MANAGE_ENI_ACTIONS), resources=enis,
                conditions={"ArnEquals": {"ec2:Subnet": vpc.subnet_arns}},
            ),
            _iam.statement(
                sid="DescribeNetworking", actions=list(EC2_DESCRIBE_ACTIONS), resources="*",
                conditions={"StringEquals": {"ec2:Region": vpc.region}},
            ),
        ]
    return _iam.document(statements)


def invoke_policy(endpoint_arn: pulumi.Input[str], *, asynchronous: bool = False) -> _iam.Document:
    """sagemaker:InvokeEndpoint (and sagemaker:InvokeEndpointAsync for async endpoints) on one endpoint."""
    actions = ["sagemaker:InvokeEndpoint"] + (["sagemaker:InvokeEndpointAsync"] if asynchronous else [])
    return _iam.document([_iam.statement(sid="InvokeEndpoint", actions=actions, resources=endpoint_arn)])


# --- alarms (pure) ------------------------------------------------------------------------------


def alarm_metric_args(metrics: Sequence[Metric], aggregate: str, label: str) -> dict[str, Any]:
    """The metric part of a MetricAlarm over one metric, or over several combined with `aggregate`
    (SUM, MAX) in a metric math expression (one metric per production variant)."""
    if len(metrics) == 1:
        return metrics[0].alarm_args()
    queries = [
        aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=f"m{i}",
            metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace=m.namespace, metric_name=m.metric_name, dimensions=dict(m.dimensions),
                period=m.period_seconds, stat=m.statistic, unit=m.unit,
            ),
            return_data=False,
        )
        for i, m in enumerate(metrics)
    ]
    ids = ", ".join(f"m{i}" for i in range(len(metrics)))
    queries.append(aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id="e1", expression=f"{aggregate}([{ids}])", label=label, return_data=True,
    ))
    return {"metric_queries": queries}


def _target_tracking(scaling: AutoscalingArgs) -> aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs:
    tracking = aws.appautoscaling
    return tracking.PolicyTargetTrackingScalingPolicyConfigurationArgs(
        predefined_metric_specification=tracking.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
            predefined_metric_type=SCALING_METRIC,
        ),
        target_value=scaling.target_invocations_per_instance,
        scale_in_cooldown=scaling.scale_in_cooldown_seconds,
        scale_out_cooldown=scaling.scale_out_cooldown_seconds,
    )


# --- the component ------------------------------------------------------------------------------


class ServingEndpoint(pulumi.ComponentResource):
    """A SageMaker endpoint with blue/green deployment, auto-rollback, data capture and autoscaling.

    Children (suffixes are stable): `<name>-execution-role`, `<name>-execution-policy`, `<name>-logs`;
    provisioned: `<name>-sg`, `<name>-sg-vpc-https`, `<name>-sg-s3-https`; with a model:
    `<name>-model`, `<name>-config`, `<name>-endpoint`, `<name>-rollback-5xx`,
    `<name>-rollback-latency`; per scaled variant: `<name>-<variant>-scaling-guard`,
    `<name>-<variant>-scaling-target`, `<name>-<variant>-scaling-policy` (autoscaling),
    `<name>-<variant>-scale-down` and `-scale-up` (schedule). Grants add `<name>-invoke-<role name>`.
    Deleting the component deletes the endpoint and its log group with the logs.
    """

    endpoint_name: pulumi.Output[str]
    endpoint_arn: pulumi.Output[str]
    execution_role: aws.iam.Role
    variant_names: tuple[str, ...]

    def __init__(self, name: str, args: ServingEndpointArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        args = require_args("ServingEndpoint", name, args, ServingEndpointArgs)
        raise_if_problems(endpoint_problems(name, args))
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._args = args
        self._grants: set[str] = set()
        self.physical_name = endpoint_name_for(name, args.name_prefix)
        self.serverless = args.serverless is not None
        self.waiting_for_model = args.waits_for_model
        self.asynchronous = args.async_inference is not None
        self.variant_names = args.production_variant_names
        self.shadow_variant_names = tuple(v.name for v in args.shadow_variants)
        # Production variant -> instance type (empty for serverless, which has no instances).
        self.instance_types: dict[str, str] = (
            {} if args.serverless is not None else {v.name: v.instance_type for v in args.variants}
        )
        captures = not self.serverless
        # Where data capture and async outputs land (None for serverless: nothing is captured).
        self.captures_bucket: Optional[GovernedBucket] = args.captures_bucket if captures else None
        self.captures_prefix = f"{self.physical_name}/"
        self.data_capture_s3_uri: Optional[pulumi.Output[str]] = (
            self._captures_uri("data-capture") if captures else None
        )
        self._account_id = _iam.caller_account_id()
        self._region = _iam.current_region()
        here = pulumi.ResourceOptions(parent=self)
        tags = family_tags(args.model_family) if args.model_family else None

        self.log_group = aws.cloudwatch.LogGroup(
            child(name, "logs"),
            name=f"{LOG_GROUP_PREFIX}{self.physical_name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_key.arn,
            tags=tags,
            opts=here,
        )
        self.execution_role = aws.iam.Role(
            child(name, "execution-role"),
            description=f"mlplat {name}: SageMaker execution role of endpoint {self.physical_name}",
            assume_role_policy=_iam.to_json(execution_trust_policy(self._account_id)),
            tags=tags,
            opts=here,
        )
        self.security_group: Optional[aws.ec2.SecurityGroup] = None
        self._egress_rules: list[aws.vpc.SecurityGroupEgressRule] = []
        vpc: Optional[VpcAccess] = None
        if not self.serverless:
            self.security_group = self._security_group(name, args.network, tags)
            vpc = VpcAccess(
                subnet_arns=pulumi.Output.all(self._region, self._account_id, args.network.private_subnet_ids).apply(
                    lambda v: [f"arn:aws:ec2:{v[0]}:{v[1]}:subnet/{s}" for s in v[2]]
                ),
                security_group_arn=self.security_group.arn,
                region=self._region,
                account_id=self._account_id,
            )
        repository: Optional[pulumi.Input[str]] = (
            args.image_repository.arn if args.image_repository is not None
            else args.image_repository_arn or (image_repository_arn(args.image) if args.image else None)
        )
        policy = execution_policy(
            region=self._region,
            models_bucket_arn=args.models_bucket.arn,
            models_prefix=artifacts_prefix(name, args),
            models_key_arn=args.models_bucket.key.arn,
            log_group_arn=self.log_group.arn,
            image_repository_arn=repository,
            captures_bucket_arn=args.captures_bucket.arn if captures else None,
            captures_prefix=self.captures_prefix if captures else None,
            captures_key_arn=args.captures_bucket.key.arn if captures else None,
            async_outputs=self.asynchronous,
            vpc=vpc,
        )
        self.execution_policy = aws.iam.RolePolicy(
            child(name, "execution-policy"),
            role=self.execution_role.id,
            policy=_iam.to_json(policy),
            opts=here,
        )

        self.model: Optional[aws.sagemaker.Model] = None
        self.endpoint_config: Optional[aws.sagemaker.EndpointConfiguration] = None
        self.endpoint: Optional[aws.sagemaker.Endpoint] = None
        self.rollback_alarms: dict[str, aws.cloudwatch.MetricAlarm] = {}
        self.scaling_targets: dict[str, aws.appautoscaling.Target] = {}
        if self.waiting_for_model:
            pulumi.log.warn(
                f"ServingEndpoint {name!r} (endpoint {self.physical_name}) waits for an approved model package: "
                "its execution role, policy and log group are declared, its model, endpoint configuration and "
                "endpoint are not; set model_package to deploy it",
                resource=self,
            )
            self.endpoint_name = pulumi.Output.from_input(self.physical_name)
            self.endpoint_arn = self._deterministic_arn()
        else:
            self._deploy(name, args, vpc is not None, tags)
        self.register_outputs(
            {
                "endpoint_name": self.endpoint_name,
                "endpoint_arn": self.endpoint_arn,
                "execution_role_arn": self.execution_role.arn,
                "variant_names": list(self.variant_names),
                "serverless": self.serverless,
                "waiting_for_model": self.waiting_for_model,
            }
        )

    # --- children -------------------------------------------------------------------------------

    def _security_group(self, name: str, network: Network, tags: Optional[dict[str, str]]) -> aws.ec2.SecurityGroup:
        gateway = network.endpoints.get("s3")
        if gateway is not None:
            prefix_list = gateway.prefix_list_id
        else:  # an adopted VPC: its S3 gateway endpoint routes the region's S3 prefix list
            prefix_list = aws.ec2.get_prefix_list_output(
                name=pulumi.Output.concat("com.amazonaws.", self._region, ".s3")
            ).id
        sg, rules = https_egress_group(
            self, network, name=child(name, "sg"),
            description=f"mlplat {name}: SageMaker endpoint network interfaces (HTTPS to VPC endpoints and S3 only)",
            vpc_rule=(child(name, "sg-vpc-https"), "HTTPS to the VPC interface endpoints (ECR, STS, logs, KMS)"),
            s3_rule=(child(name, "sg-s3-https"), "HTTPS to S3 through the gateway endpoint (model artifacts, captures)"),
            s3_prefix_list_id=prefix_list,
            tags=tags,
        )
        # The endpoint downloads the model through these rules: it waits for them.
        self._egress_rules = rules
        return sg

    def _deploy(self, name: str, args: ServingEndpointArgs, in_vpc: bool, tags: Optional[dict[str, str]]) -> None:
        here = pulumi.ResourceOptions(parent=self)
        model_tags = self._deployment_tags(args, "aws:sagemaker/model:Model") or tags
        config_tags = self._deployment_tags(args, "aws:sagemaker/endpointConfiguration:EndpointConfiguration") or tags
        if args.model_package is not None:
            container = aws.sagemaker.ModelPrimaryContainerArgs(model_package_name=args.model_package)
        else:
            container = aws.sagemaker.ModelPrimaryContainerArgs(image=args.image, model_data_url=args.model_data_url)
        extra: dict[str, Any] = {}
        if in_vpc:
            assert self.security_group is not None
            extra["enable_network_isolation"] = True
            extra["vpc_config"] = aws.sagemaker.ModelVpcConfigArgs(
                security_group_ids=[self.security_group.id], subnets=args.network.private_subnet_ids,
            )
        # SageMaker checks the role's access when it creates the model: the policy comes first.
        self.model = aws.sagemaker.Model(
            child(name, "model"),
            primary_container=container,
            execution_role_arn=self.execution_role.arn,
            tags=model_tags,
            **extra,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.execution_policy]),
        )
        self.endpoint_config = aws.sagemaker.EndpointConfiguration(
            child(name, "config"),
            name_prefix=config_name_prefix(self.physical_name),
            kms_key_arn=None if self.serverless else args.models_bucket.key.arn,
            production_variants=self._production_variants(args, self.model.name),
            shadow_production_variants=self._shadow_variants(args, self.model.name),
            data_capture_config=self._data_capture(args),
            async_inference_config=self._async_config(args),
            tags=config_tags,
            opts=here,
        )
        self._rollback_alarms(name, args, tags)
        guards = self._scaling_guards(name, args)
        deployment = args.deployment
        self.endpoint = aws.sagemaker.Endpoint(
            child(name, "endpoint"),
            name=self.physical_name,
            endpoint_config_name=self.endpoint_config.name,
            deployment_config=aws.sagemaker.EndpointDeploymentConfigArgs(
                blue_green_update_policy=aws.sagemaker.EndpointDeploymentConfigBlueGreenUpdatePolicyArgs(
                    traffic_routing_configuration=self._traffic(deployment),
                    termination_wait_in_seconds=deployment.termination_wait_in_seconds,
                    maximum_execution_timeout_in_seconds=deployment.maximum_execution_timeout_in_seconds,
                ),
                auto_rollback_configuration=aws.sagemaker.EndpointDeploymentConfigAutoRollbackConfigurationArgs(
                    alarms=[
                        aws.sagemaker.EndpointDeploymentConfigAutoRollbackConfigurationAlarmArgs(alarm_name=alarm_name)
                        for alarm_name in [a.name for a in self.rollback_alarms.values()]
                        + list(deployment.rollback_alarm_names)
                    ]
                ),
            ),
            tags=tags,
            # The log group exists with its retention and key before SageMaker would create it, the
            # network path to ECR and S3 is open before instances pull the model, and the guards come
            # first so that an instance-type change deregisters autoscaling (module docs).
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[self.log_group, self.execution_policy, *self._egress_rules, *guards.values()],
            ),
        )
        self.endpoint_name = self.endpoint.name
        self.endpoint_arn = self.endpoint.arn
        self._autoscaling(name, args, guards)

    def _deployment_tags(self, args: ServingEndpointArgs, resource_type: str) -> Optional[dict[str, str]]:
        if args.model_family and args.source_revision:
            return deployment_tags(args.model_family, args.source_revision, resource_type=resource_type)
        return None

    def _production_variants(self, args: ServingEndpointArgs, model_name: pulumi.Output[str]) -> list[Any]:
        if args.serverless is not None:
            cfg = args.serverless
            return [
                aws.sagemaker.EndpointConfigurationProductionVariantArgs(
                    variant_name=cfg.variant_name,
                    model_name=model_name,
                    initial_variant_weight=1.0,
                    serverless_config=aws.sagemaker.EndpointConfigurationProductionVariantServerlessConfigArgs(
                        memory_size_in_mb=cfg.memory_size_in_mb,
                        max_concurrency=cfg.max_concurrency,
                        provisioned_concurrency=cfg.provisioned_concurrency,
                    ),
                )
            ]
        return [
            aws.sagemaker.EndpointConfigurationProductionVariantArgs(
                variant_name=v.name,
                model_name=model_name,
                instance_type=v.instance_type,
                initial_instance_count=v.initial_instance_count,
                initial_variant_weight=v.initial_weight,
            )
            for v in args.variants
        ]

    def _shadow_variants(self, args: ServingEndpointArgs, model_name: pulumi.Output[str]) -> Optional[list[Any]]:
        if not args.shadow_variants:
            return None
        return [
            aws.sagemaker.EndpointConfigurationShadowProductionVariantArgs(
                variant_name=v.name,
                model_name=model_name,
                instance_type=v.instance_type,
                initial_instance_count=v.initial_instance_count,
                initial_variant_weight=v.initial_weight,
            )
            for v in args.shadow_variants
        ]

    def _captures_uri(self, leaf: str) -> pulumi.Output[str]:
        return pulumi.Output.concat("s3://", self._args.captures_bucket.name, "/", self.physical_name, "/", leaf)

    def _data_capture(self, args: ServingEndpointArgs) -> Optional[Any]:
        if self.serverless:
            return None
        return aws.sagemaker.EndpointConfigurationDataCaptureConfigArgs(
            enable_capture=True,
            initial_sampling_percentage=args.data_capture_sampling_percentage,
            destination_s3_uri=self.data_capture_s3_uri,
            kms_key_id=args.captures_bucket.key.arn,
            capture_options=[
                aws.sagemaker.EndpointConfigurationDataCaptureConfigCaptureOptionArgs(capture_mode="Input"),
                aws.sagemaker.EndpointConfigurationDataCaptureConfigCaptureOptionArgs(capture_mode="Output"),
            ],
        )

    def _async_config(self, args: ServingEndpointArgs) -> Optional[Any]:
        if args.async_inference is None:
            return None
        concurrency = args.async_inference.max_concurrent_invocations_per_instance
        return aws.sagemaker.EndpointConfigurationAsyncInferenceConfigArgs(
            output_config=aws.sagemaker.EndpointConfigurationAsyncInferenceConfigOutputConfigArgs(
                s3_output_path=self._captures_uri("async-output"),
                s3_failure_path=self._captures_uri("async-failures"),
                kms_key_id=args.captures_bucket.key.arn,
            ),
            client_config=aws.sagemaker.EndpointConfigurationAsyncInferenceConfigClientConfigArgs(
                max_concurrent_invocations_per_instance=concurrency,
            ) if concurrency is not None else None,
        )

    @staticmethod
    def _traffic(d: BlueGreenDeploymentArgs) -> Any:
        sm = aws.sagemaker
        routing = "EndpointDeploymentConfigBlueGreenUpdatePolicyTrafficRoutingConfiguration"
        extra: dict[str, Any] = {}
        if d.traffic == "CANARY":
            extra["canary_size"] = getattr(sm, f"{routing}CanarySizeArgs")(
                type=CAPACITY_PERCENT, value=d.canary_size_percent,
            )
        elif d.traffic == "LINEAR":
            extra["linear_step_size"] = getattr(sm, f"{routing}LinearStepSizeArgs")(
                type=CAPACITY_PERCENT, value=d.linear_step_percent,
            )
        return getattr(sm, f"{routing}Args")(type=d.traffic, wait_interval_in_seconds=d.wait_in_seconds, **extra)

    def _rollback_alarms(self, name: str, args: ServingEndpointArgs, tags: Optional[dict[str, str]]) -> None:
        d = args.deployment
        variants = self.variant_names
        specs = {
            "5xx": dict(
                metrics=[self.metric_invocation_5xx_errors(v) for v in variants], aggregate="SUM",
                comparison_operator="GreaterThanOrEqualToThreshold", threshold=float(d.rollback_5xx_errors_threshold),
                description=f"Endpoint {self.physical_name}: at least {d.rollback_5xx_errors_threshold} 5XX "
                "error(s) per minute for 2 minutes; rolls back a blue/green deployment in progress",
            ),
            "latency": dict(
                metrics=[self.metric_model_latency(v) for v in variants], aggregate="MAX",
                comparison_operator="GreaterThanThreshold", threshold=float(d.rollback_model_latency_p99_ms * 1000),
                description=f"Endpoint {self.physical_name}: p99 model latency above "
                f"{d.rollback_model_latency_p99_ms:g} ms for 2 minutes; rolls back a blue/green deployment in progress",
            ),
        }
        for key, spec in specs.items():
            self.rollback_alarms[key] = aws.cloudwatch.MetricAlarm(
                child(name, f"rollback-{key}"),
                name=f"{self.physical_name}-rollback-{key}",
                alarm_description=spec["description"],
                comparison_operator=spec["comparison_operator"],
                threshold=spec["threshold"],
                evaluation_periods=2,
                datapoints_to_alarm=2,
                treat_missing_data="notBreaching",
                actions_enabled=True,
                alarm_actions=list(args.alarm_actions),
                tags=tags,
                **alarm_metric_args(spec["metrics"], spec["aggregate"], f"{self.physical_name} {key}"),
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _scaled(self, args: ServingEndpointArgs) -> bool:
        return not self.serverless and (args.autoscaling is not None or args.scale_down_schedule is not None)

    def _scaling_guards(self, name: str, args: ServingEndpointArgs) -> dict[str, pulumi.Stash]:
        if not self._scaled(args):
            return {}
        guards = {}
        for variant in args.variants:
            guards[variant.name] = pulumi.Stash(
                child(name, f"{variant.name}-scaling-guard"),
                input=variant.instance_type,
                opts=pulumi.ResourceOptions(
                    parent=self, delete_before_replace=True, replace_on_changes=["input"],
                    replacement_trigger=variant.instance_type,
                ),
            )
        return guards

    def _autoscaling(self, name: str, args: ServingEndpointArgs, guards: dict[str, pulumi.Stash]) -> None:
        if not guards:
            return
        assert self.endpoint is not None
        scaling, schedule = args.autoscaling, args.scale_down_schedule
        here = pulumi.ResourceOptions(parent=self)
        for variant in args.variants:
            low = scaling.min_capacity if scaling else variant.initial_instance_count
            high = scaling.max_capacity if scaling else variant.initial_instance_count
            target = aws.appautoscaling.Target(
                child(name, f"{variant.name}-scaling-target"),
                service_namespace="sagemaker",
                scalable_dimension=SCALABLE_DIMENSION,
                # The guard in resource_id is what replaces the target before an instance-type change.
                resource_id=pulumi.Output.all(self.endpoint.name, guards[variant.name].urn).apply(
                    lambda v, variant=variant.name: f"endpoint/{v[0]}/variant/{variant}"
                ),
                min_capacity=low,
                max_capacity=high,
                # Scheduled actions move min/max at night; the scale-up action restores them.
                opts=pulumi.ResourceOptions(
                    parent=self, ignore_changes=["minCapacity", "maxCapacity"] if schedule else None
                ),
            )
            self.scaling_targets[variant.name] = target
            on_target = dict(
                resource_id=target.resource_id, scalable_dimension=target.scalable_dimension,
                service_namespace=target.service_namespace,
            )
            if scaling is not None:
                aws.appautoscaling.Policy(
                    child(name, f"{variant.name}-scaling-policy"),
                    name=f"{self.physical_name}-{variant.name}-invocations-per-instance",
                    policy_type="TargetTrackingScaling",
                    target_tracking_scaling_policy_configuration=_target_tracking(scaling),
                    **on_target,
                    opts=here,
                )
            if schedule is not None:
                for suffix, cron, capacity in (
                    ("scale-down", schedule.scale_down_cron, (schedule.capacity, schedule.capacity)),
                    ("scale-up", schedule.scale_up_cron, (low, high)),
                ):
                    aws.appautoscaling.ScheduledAction(
                        child(name, f"{variant.name}-{suffix}"),
                        name=f"{self.physical_name}-{variant.name}-{suffix}",
                        schedule=cron,
                        timezone=schedule.timezone,
                        scalable_target_action=aws.appautoscaling.ScheduledActionScalableTargetActionArgs(
                            min_capacity=capacity[0], max_capacity=capacity[1],
                        ),
                        **on_target,
                        opts=here,
                    )

    def _deterministic_arn(self) -> pulumi.Output[str]:
        return pulumi.Output.concat(
            "arn:aws:sagemaker:", self._region, ":", self._account_id, ":endpoint/", self.physical_name.lower()
        )

    # --- metrics ----------------------------------------------------------------------------

    def _metric(
        self, method: str, namespace: str, metric_name: str, default_statistic: str, variant: Optional[str],
        statistic: Optional[str], period_seconds: Optional[int], unit: Optional[str] = None,
    ) -> Metric:
        """The metric of `variant`; `method` names the call in errors (every problem at once)."""
        known = self.variant_names + self.shadow_variant_names
        chosen = variant if variant is not None else self.variant_names[0]
        lookup(dict.fromkeys(known), chosen, where=f"ServingEndpoint {self._name!r}.{method}", argument="variant",
               noun="a variant of this endpoint")
        chosen_statistic = default_statistic if statistic is None else statistic
        chosen_period = DEFAULT_METRIC_PERIOD if period_seconds is None else period_seconds
        problems = statistic_problems(f"{method}.statistic", chosen_statistic)
        problems += period_problems(f"{method}.period_seconds", chosen_period)
        if problems:
            raise ConfigError(problems)
        return Metric(
            namespace=namespace,
            metric_name=metric_name,
            dimensions={"EndpointName": self.physical_name, "VariantName": chosen},
            statistic=chosen_statistic,
            period_seconds=chosen_period,
            unit=unit,
        )

    def metric_invocations(self, variant: Optional[str] = None, *, statistic: Optional[str] = None,
                           period_seconds: Optional[int] = None) -> Metric:
        """AWS/SageMaker Invocations of a variant (default: the first production variant), Sum per minute."""
        return self._metric("metric_invocations", INVOCATION_NAMESPACE, "Invocations", "Sum", variant, statistic, period_seconds)

    def metric_invocation_5xx_errors(self, variant: Optional[str] = None, *, statistic: Optional[str] = None,
                                     period_seconds: Optional[int] = None) -> Metric:
        """AWS/SageMaker Invocation5XXErrors (model or container errors), Sum per minute."""
        return self._metric("metric_invocation_5xx_errors", INVOCATION_NAMESPACE, "Invocation5XXErrors", "Sum", variant, statistic, period_seconds)

    def metric_invocation_4xx_errors(self, variant: Optional[str] = None, *, statistic: Optional[str] = None,
                                     period_seconds: Optional[int] = None) -> Metric:
        """AWS/SageMaker Invocation4XXErrors (bad requests), Sum per minute."""
        return self._metric("metric_invocation_4xx_errors", INVOCATION_NAMESPACE, "Invocation4XXErrors", "Sum", variant, statistic, period_seconds)

    def metric_model_latency(self, variant: Optional[str] = None, *, statistic: Optional[str] = None,
                             period_seconds: Optional[int] = None) -> Metric:
        """AWS/SageMaker ModelLatency (time in the container), p99, in microseconds."""
        return self._metric("metric_model_latency", INVOCATION_NAMESPACE, "ModelLatency", "p99", variant, statistic, period_seconds,
                            unit="Microseconds")

    def metric_overhead_latency(self, variant: Optional[str] = None, *, statistic: Optional[str] = None,
                                period_seconds: Optional[int] = None) -> Metric:
        """AWS/SageMaker OverheadLatency (time SageMaker adds), p99, in microseconds."""
        return self._metric("metric_overhead_latency", INVOCATION_NAMESPACE, "OverheadLatency", "p99", variant, statistic, period_seconds,
                            unit="Microseconds")

    def metric_invocations_per_instance(self, variant: Optional[str] = None, *, statistic: Optional[str] = None,
                                        period_seconds: Optional[int] = None) -> Metric:
        """AWS/SageMaker InvocationsPerInstance (what autoscaling tracks), Sum per minute."""
        return self._metric("metric_invocations_per_instance", INVOCATION_NAMESPACE, "InvocationsPerInstance", "Sum", variant, statistic,
                            period_seconds)

    def metric_cpu_utilization(self, variant: Optional[str] = None, *, statistic: Optional[str] = None,
                               period_seconds: Optional[int] = None) -> Metric:
        """/aws/sagemaker/Endpoints CPUUtilization (percent, summed over cores), Average."""
        return self._metric("metric_cpu_utilization", INSTANCE_NAMESPACE, "CPUUtilization", "Average", variant, statistic, period_seconds)

    def metric_memory_utilization(self, variant: Optional[str] = None, *, statistic: Optional[str] = None,
                                  period_seconds: Optional[int] = None) -> Metric:
        """/aws/sagemaker/Endpoints MemoryUtilization (percent), Average."""
        return self._metric("metric_memory_utilization", INSTANCE_NAMESPACE, "MemoryUtilization", "Average", variant, statistic, period_seconds)

    def metric_disk_utilization(self, variant: Optional[str] = None, *, statistic: Optional[str] = None,
                                period_seconds: Optional[int] = None) -> Metric:
        """/aws/sagemaker/Endpoints DiskUtilization (percent), Average."""
        return self._metric("metric_disk_utilization", INSTANCE_NAMESPACE, "DiskUtilization", "Average", variant, statistic, period_seconds)

    def metric_gpu_utilization(self, variant: Optional[str] = None, *, statistic: Optional[str] = None,
                               period_seconds: Optional[int] = None) -> Metric:
        """/aws/sagemaker/Endpoints GPUUtilization (percent, summed over GPUs), Average."""
        return self._metric("metric_gpu_utilization", INSTANCE_NAMESPACE, "GPUUtilization", "Average", variant, statistic, period_seconds)

    def metric_gpu_memory_utilization(self, variant: Optional[str] = None, *, statistic: Optional[str] = None,
                                      period_seconds: Optional[int] = None) -> Metric:
        """/aws/sagemaker/Endpoints GPUMemoryUtilization (percent), Average."""
        return self._metric("metric_gpu_memory_utilization", INSTANCE_NAMESPACE, "GPUMemoryUtilization", "Average", variant, statistic,
                            period_seconds)

    # --- grants -------------------------------------------------------------------------------

    def grant_invoke(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Let `role` call this endpoint: one role policy with sagemaker:InvokeEndpoint (plus
        sagemaker:InvokeEndpointAsync on async endpoints) on this endpoint's ARN, nothing else.
        Works while the endpoint waits for a model (its ARN is deterministic)."""
        require_role(f"ServingEndpoint {self._name!r}.grant_invoke", role)
        name = child(self._name, f"invoke-{role._name}")
        return attach_grant(
            self, self._grants, name, role, invoke_policy(self.endpoint_arn, asynchronous=self.asynchronous),
            duplicate=f"ServingEndpoint {self._name!r} already grants invoke to role {role._name!r} ({name}); grant once",
        )
