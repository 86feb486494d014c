"""MLPlatform (L3): the whole platform of one stack, built from a PlatformConfig.

Children (stable names): `<name>-encryption`, `<name>-network`, `<name>-artifacts`,
`<name>-alarms` (the alarm topic), per endpoint `<endpoint>` with `<name>-<endpoint>-monitoring`
and `<name>-<endpoint>-drift`, `<name>-training` when the training cluster is enabled, and
`<name>-features`, `<name>-registry`, `<name>-tracking` for the model lifecycle.
Bucket names start with `<project>-<env>-<role>-`, so renaming the project tag replaces buckets:
set `tags.project` once.
"""

from __future__ import annotations

from typing import Any, Optional

import pulumi

from mlplat.components.artifact_store import ArtifactStore, ArtifactStoreArgs
from .config import PlatformConfig
from mlplat.components import family_tags, tag_transform
from mlplat.core.naming import bucket_prefix, child
from .config_serving import ServingEndpointConfig
from mlplat.components.drift import DriftMonitor, DriftMonitorArgs
from mlplat.components.encryption import DEFAULT_DOMAINS, Encryption, EncryptionArgs
from mlplat.components.experiment_tracking import ExperimentTracking, ExperimentTrackingArgs
from mlplat.components.feature_store import FeatureGroupArgs, FeatureStore, FeatureStoreArgs
from mlplat.components.model_registry import ModelFamilyArgs, ModelRegistry, ModelRegistryArgs
from mlplat.components.monitoring import AlarmTopic, AlarmTopicArgs, EndpointMonitoring, EndpointMonitoringArgs
from mlplat.components.network import ExistingVpcArgs, Network, NetworkArgs
from mlplat.components.serving_endpoint import ServingEndpoint, ServingEndpointArgs
from mlplat.components.training_args import (
    KUBERAY_CHART,
    REQUIRED_INTERFACE_ENDPOINTS,
    GpuPoolArgs,
    TeamArgs,
    TrainingClusterArgs,
    deterministic_cluster_name,
)
from mlplat.components.training_cluster import TrainingCluster

ALERTS_DOMAIN = "alerts"


class MLPlatform(pulumi.ComponentResource):
    encryption: Encryption
    network: Network
    artifacts: ArtifactStore
    alarm_topic: AlarmTopic
    endpoints: dict[str, ServingEndpoint]
    training: Optional[TrainingCluster]
    features: Optional[FeatureStore]
    registry: Optional[ModelRegistry]
    tracking: Optional[ExperimentTracking]

    def __init__(self, name: str, config: PlatformConfig, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        # Args that need no resource are built first: a bad value fails before anything is declared.
        project, env = config.tags.project, config.environment
        store_name = child(name, "artifacts")
        bucket_name_prefix = bucket_prefix(project, env)
        cluster_domain = f"cluster-{config.training.name}" if config.training.enabled else None
        domains = DEFAULT_DOMAINS + (ALERTS_DOMAIN,) + ((cluster_domain,) if cluster_domain else ())
        key_users: dict[str, Any] = {"logs": ("cloudwatch-logs",), ALERTS_DOMAIN: ("sns-alarm-publishers",)}
        if cluster_domain:
            key_users[cluster_domain] = ("autoscaling-volumes",)
        encryption_args = EncryptionArgs(
            domains=domains,
            key_users=key_users,
            deletion_window_days=config.encryption.deletion_window_days,
            alias_prefix=f"alias/{project}-{env}",
            s3_log_source_bucket_prefixes=ArtifactStore.log_source_prefixes(
                store_name, bucket_name_prefix, experiments_bucket=config.experiment_tracking.enabled
            ),
            protect=config.deletion_protection,
        )
        store = config.artifact_store
        super().__init__("mlplat:platform:MLPlatform", name, None, opts)
        here = pulumi.ResourceOptions(parent=self)
        self.config = config
        self.encryption = Encryption(child(name, "encryption"), encryption_args, here)
        self.network = Network(child(name, "network"), self._network_args(config), here)
        self.artifacts = ArtifactStore(
            store_name,
            ArtifactStoreArgs(
                encryption=self.encryption,
                bucket_name_prefix=bucket_name_prefix,
                object_lock=store.object_lock,
                object_lock_retention_days=store.object_lock_retention_days,
                force_destroy=store.force_destroy,
                protect=config.deletion_protection,
                noncurrent_version_transition_days=store.noncurrent_version_transition_days,
                noncurrent_version_expiration_days=store.noncurrent_version_expiration_days,
                abort_incomplete_multipart_upload_days=store.abort_incomplete_multipart_upload_days,
                access_log_expiration_days=store.access_log_expiration_days,
                experiments_bucket=config.experiment_tracking.enabled,
            ),
            here,
        )
        subscriptions = config.monitoring.subscriptions
        self.alarm_topic = AlarmTopic(
            child(name, "alarms"),
            AlarmTopicArgs(
                key=self.encryption.key(ALERTS_DOMAIN),
                email_subscriptions=subscriptions.emails,
                https_subscriptions=subscriptions.https,
            ),
            here,
        )
        self.endpoints = {}
        for endpoint in config.serving.endpoints:
            self.endpoints[endpoint.name] = self._serve(endpoint, here)
        self.training = self._training(name, config, cluster_domain, here) if cluster_domain else None
        self.features, self.registry, self.tracking = self._ml_lifecycle(name, config, here)
        outputs: dict[str, Any] = {
            "vpc_id": self.network.vpc_id,
            "key_arns": self.encryption.key_arns,
            "bucket_names": self.artifacts.bucket_names,
            "alarm_topic_arn": self.alarm_topic.arn,
            "endpoint_names": {k: e.endpoint_name for k, e in self.endpoints.items()},
        }
        if self.training is not None:
            outputs["training_cluster_name"] = self.training.cluster_name
        if self.features is not None:
            outputs["feature_group_names"] = self.features.feature_group_names
        if self.registry is not None:
            outputs["repository_urls"] = self.registry.repository_urls
        if self.tracking is not None:
            outputs["tracking_server_url"] = self.tracking.tracking_server_url
        self.register_outputs(outputs)

    def _ml_lifecycle(self, name: str, config: PlatformConfig, here: pulumi.ResourceOptions):
        env, prefix = config.environment, f"{config.tags.project}-{config.environment}-"
        features = registry = tracking = None
        store = config.feature_store
        if store.groups:
            features = FeatureStore(
                child(name, "features"),
                FeatureStoreArgs(
                    artifact_store=self.artifacts,
                    groups=tuple(FeatureGroupArgs(**g.model_dump()) for g in store.groups),
                    name_prefix=prefix,
                    offline_prefix=store.offline_prefix,
                    athena_workgroup=store.athena_workgroup,
                    protect=config.deletion_protection,
                ),
                here,
            )
        reg = config.model_registry
        if reg.families:
            registry = ModelRegistry(
                child(name, "registry"),
                ModelRegistryArgs(
                    encryption=self.encryption,
                    families=tuple(ModelFamilyArgs(**f.model_dump()) for f in reg.families),
                    name_prefix=prefix,
                    consumer_accounts=tuple(reg.consumer_accounts),
                    approval_topic=self.alarm_topic.topic if reg.notify_approvals else None,
                    keep_images=reg.keep_images,
                    untagged_image_expiration_days=reg.untagged_image_expiration_days,
                    force_delete_repositories=env == "dev",
                    protect=config.deletion_protection,
                ),
                here,
            )
        tracking_config = config.experiment_tracking
        if tracking_config.enabled:
            tracking = ExperimentTracking(
                child(name, "tracking"),
                ExperimentTrackingArgs(
                    artifact_store=self.artifacts,
                    tracking_server_name=f"{prefix}mlflow",
                    tracking_server_size=tracking_config.tracking_server_size,
                    weekly_maintenance_window_start=tracking_config.weekly_maintenance_window_start,
                    mlflow_version=tracking_config.mlflow_version,
                    protect=config.deletion_protection,
                ),
                here,
            )
        return features, registry, tracking

    def _network_args(self, config: PlatformConfig) -> NetworkArgs:
        net = config.network
        if net.existing is not None:
            return NetworkArgs(existing=ExistingVpcArgs(**net.existing.model_dump()))
        extra = tuple(e for e in REQUIRED_INTERFACE_ENDPOINTS if e not in NetworkArgs.model_fields["interface_endpoints"].default)
        return NetworkArgs(
            cidr_block=net.cidr_block,
            availability_zones=net.availability_zones,
            flow_log_retention_days=net.flow_log_retention_days,
            log_key=self.encryption.key("logs"),
            extra_interface_endpoints=extra if config.training.enabled else (),
        )

    def _serve(self, endpoint: ServingEndpointConfig, here: pulumi.ResourceOptions) -> ServingEndpoint:
        config = self.config
        env, project = config.environment, config.tags.project
        fields: dict[str, Any] = endpoint.model_dump(exclude={"name"}, exclude_none=True)
        if fields.get("autoscaling") and fields["autoscaling"].get("target_invocations_per_instance") is None:
            fields.pop("autoscaling")  # dev: no autoscaling without a measured target
        serving = ServingEndpoint(
            endpoint.name,
            ServingEndpointArgs(
                models_bucket=self.artifacts.models,
                captures_bucket=self.artifacts.captures,
                network=self.network,
                log_key=self.encryption.key("logs"),
                alarm_actions=(self.alarm_topic.arn,),
                name_prefix=f"{project}-{env}-",
                allow_raw_model_artifacts=(env == "dev"),
                **fields,
            ),
            here,
        )
        alarms = config.monitoring.endpoint_alarms
        watchers = here
        if endpoint.model_family:
            # Everything that watches the family's endpoint belongs to the family too (lineage).
            watchers = pulumi.ResourceOptions(parent=self, transforms=[tag_transform(family_tags(endpoint.model_family))])
        EndpointMonitoring(
            child(self._name, f"{endpoint.name}-monitoring"),
            EndpointMonitoringArgs(
                endpoint=serving,
                alarm_topic=self.alarm_topic,
                period_seconds=alarms.period_seconds,
                evaluation_periods=alarms.evaluation_periods,
                datapoints_to_alarm=alarms.datapoints_to_alarm,
                invocation_5xx_errors_threshold=alarms.invocation_5xx_errors,
                invocation_4xx_error_rate_threshold=alarms.invocation_4xx_error_rate,
                model_latency_p99_threshold_ms=alarms.model_latency_p99_ms,
                overhead_latency_p99_threshold_ms=alarms.overhead_latency_p99_ms,
                cpu_utilization_threshold_percent=alarms.cpu_utilization_percent,
                gpu_utilization_threshold_percent=alarms.gpu_utilization_percent,
                disk_utilization_threshold_percent=alarms.disk_utilization_percent,
            ),
            watchers,
        )
        loop = config.monitoring.drift.get(endpoint.name)
        if loop is not None and not serving.waiting_for_model:
            DriftMonitor(
                child(self._name, f"{endpoint.name}-drift"),
                DriftMonitorArgs(
                    endpoint=serving,
                    network=self.network,
                    alarm_topic=self.alarm_topic,
                    baseline_bucket=self.artifacts.datasets,
                    baseline_prefix=loop.baseline_prefix,
                    drift_features=loop.features,
                    drift_threshold=loop.threshold,
                    schedule_expression=loop.schedule_expression or config.monitoring.drift_schedule_expression,
                    retraining_pipeline_arn=loop.retraining_pipeline_arn,
                    retraining_pipeline_parameters=loop.retraining_pipeline_parameters,
                ),
                watchers,
            )
        elif loop is not None:
            pulumi.log.info(f"endpoint {endpoint.name}: drift monitoring starts once an approved model is deployed")
        return serving

    def _training(self, name: str, config: PlatformConfig, domain: str, here: pulumi.ResourceOptions) -> TrainingCluster:
        t = config.training
        return TrainingCluster(
            child(name, "training"),
            TrainingClusterArgs(
                cluster_name=deterministic_cluster_name(config.tags.project, config.environment, t.name),
                network=self.network,
                cluster_key=self.encryption.key(domain),
                log_key=self.encryption.key("logs"),
                admin_role_arns=tuple(t.admin_role_arns),
                environment=config.environment,
                version=t.version,
                endpoint_public_access=t.endpoint_public_access,
                public_access_cidrs=tuple(t.public_access_cidrs),
                log_retention_days=t.log_retention_days,
                gpu_pools=tuple(GpuPoolArgs(**p.model_dump()) for p in t.gpu_pools),
                teams=tuple(TeamArgs(**team.model_dump()) for team in t.teams),
                artifact_store=self.artifacts,
                kuberay=KUBERAY_CHART if t.kuberay else None,
                image_cache_prefix=t.image_cache_prefix,
                protect=config.deletion_protection,
            ),
            here,
        )
