"""The growth team's stack: mlplat's governed storage, a feature store and a serving endpoint.

mlplat is installed (`pip install mlplat`); its components are `mlplat.components`. This project
keeps its own `components` package (naming and feature definitions) beside it.
"""

import pulumi
import pulumi_aws as aws

from components import TeamNaming, customer_activity
from mlplat.components import (
    AlarmTopic,
    AlarmTopicArgs,
    ArtifactStore,
    ArtifactStoreArgs,
    BlueGreenDeploymentArgs,
    Encryption,
    EncryptionArgs,
    FeatureStore,
    FeatureStoreArgs,
    Network,
    NetworkArgs,
    ProductionVariantArgs,
    ServingEndpoint,
    ServingEndpointArgs,
    platform_tags,
    register_stack_tags,
)

config = pulumi.Config()
environment = config.require("environment")
owner = config.require("owner")
naming = TeamNaming(environment)
disposable = environment == "dev"  # dev may be destroyed with its data; staging and prod are protected

# Every taggable AWS resource of the stack carries mlplat's required tags (registered before any resource).
register_stack_tags(platform_tags(
    owner=owner, cost_center=config.require("cost_center"), project=pulumi.get_project(), environment=environment,
    data_classification="confidential", extra={"team": naming.team},
))

STORE = "artifacts"
keys = Encryption("keys", EncryptionArgs(
    domains=("data", "models", "logs", "alerts"),
    key_users={"logs": ("cloudwatch-logs",), "alerts": ("sns-alarm-publishers",)},
    alias_prefix=naming.alias_prefix(),
    deletion_window_days=7 if disposable else 30,
    # The logs key lets S3 deliver the store's access logs: name the buckets that log, before they exist.
    s3_log_source_bucket_prefixes=ArtifactStore.log_source_prefixes(STORE, naming.prefix),
    protect=not disposable,
))
network = Network("network", NetworkArgs(availability_zones=2, log_key=keys.key("logs")))
store = ArtifactStore(STORE, ArtifactStoreArgs(
    encryption=keys, bucket_name_prefix=naming.prefix, object_lock=not disposable, force_destroy=disposable,
    protect=not disposable,
))
alarms = AlarmTopic("alarms", AlarmTopicArgs(key=keys.key("alerts"), emails=(config.require("alarm_email"),)))

features = FeatureStore("features", FeatureStoreArgs(
    artifact_store=store, groups=(customer_activity(owner),), name_prefix=naming.prefix, protect=not disposable,
))

# The approved model package from the team's registry, served in the private network.
propensity = ServingEndpoint("propensity", ServingEndpointArgs(
    models_bucket=store.models,
    captures_bucket=store.captures,
    network=network,
    log_key=keys.key("logs"),
    alarm_actions=(alarms.arn,),
    model_package=config.require("model_package_arn"),
    image_repository_arn=config.require("image_repository_arn"),
    variants=(ProductionVariantArgs(instance_type="ml.m5.large", initial_instance_count=1),),
    deployment=BlueGreenDeploymentArgs(traffic="ALL_AT_ONCE", wait_in_seconds=0, termination_wait_in_seconds=0),
    data_capture_sampling_percentage=20,
    log_retention_days=30,
    name_prefix=naming.prefix,
    model_family="propensity",
))

# The team's monthly budget (costs tagged with its owner): alerts to the alarm topic, and the limit
# MLP-COST-01 compares the plan's fixed monthly estimate with.
aws.budgets.Budget(
    "budget",
    name=f"{naming.prefix}budget",
    budget_type="COST",
    limit_amount=config.require("budget_usd_per_month"),
    limit_unit="USD",
    time_unit="MONTHLY",
    cost_filters=[aws.budgets.BudgetCostFilterArgs(name="TagKeyValue", values=[f"user:owner${owner}"])],
    notifications=[aws.budgets.BudgetNotificationArgs(
        comparison_operator="GREATER_THAN", notification_type="ACTUAL", threshold=80, threshold_type="PERCENTAGE",
        subscriber_sns_topic_arns=[alarms.arn],
    )],
)

pulumi.export("bucket_names", store.bucket_names)
pulumi.export("feature_group_names", features.feature_group_names)
pulumi.export("endpoint_name", propensity.endpoint_name)
