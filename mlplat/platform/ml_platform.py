"""MLPlatform (L3): the whole platform of one stack, built from a PlatformConfig.

Children (stable names): `<name>-encryption`, `<name>-network`, `<name>-artifacts`,
`<name>-alarms` (the alarm topic), per endpoint `<endpoint>` with `<name>-<endpoint>-monitoring`
and `<name>-<endpoint>-drift`, `<name>-training` when the training cluster is enabled,
`<name>-features`, `<name>-registry`, `<name>-tracking` for the model lifecycle, and per entry of
`pipelines` a `<name>-<family>-pipeline` with the account's SageMaker job log groups
`<name>-sagemaker-job-logs` (declared once, for every pipeline; in layer stacks by the foundation
when `layers.sagemaker_job_logs_retention_days` is set, and referenced by the ml-services layers). A
drift loop retrains its endpoint's family's pipeline unless it names an external
`retraining_pipeline_arn`. A team's ml-services layer (`ml-services-<team>`) declares its families
and pipelines only: the feature store and the tracking server are the environment's `ml-services`.
Bucket names start with `<project>-<env>-<role>-`, so renaming the project tag replaces buckets:
set `tags.project` once.

The registry is declared before the endpoints: an endpoint of a family it declares pulls from the
family's `serving` repository, and `model_package: latest-approved` deploys the newest Approved
package of the family's group, asked of a `ModelPackageSource` (`model_packages.py`) and reported
in the plan.
"""

from __future__ import annotations

from typing import Any, Optional

import pulumi

from mlplat.components import family_tags, platform_tags, tag_transform
from mlplat.components.artifact_store import ArtifactStore, ArtifactStoreArgs, ArtifactStoreSpec
from mlplat.components.drift import DriftMonitor, DriftMonitorArgs, DriftMonitorSpec
from mlplat.components.encryption import DEFAULT_DOMAINS, Encryption, EncryptionArgs, EncryptionSpec
from mlplat.components.experiment_tracking import ExperimentTracking, ExperimentTrackingArgs, ExperimentTrackingSpec
from mlplat.components.feature_store import FeatureStore, FeatureStoreArgs, FeatureStoreSpec
from mlplat.components.model_registry import KEY_DOMAIN as REGISTRY_KEY_DOMAIN
from mlplat.components.model_registry import ModelRegistry, ModelRegistryArgs, ModelRegistrySpec
from mlplat.components.monitoring import (
    AlarmTopic,
    AlarmTopicArgs,
    AlarmTopicSpec,
    EndpointAlarmsSpec,
    EndpointMonitoring,
    EndpointMonitoringArgs,
)
from mlplat.components.network import Network, NetworkArgs, NetworkSpec
from mlplat.components.serving_args import SERVING_REPOSITORY, ServingEndpointSpec
from mlplat.components.serving_endpoint import ServingEndpoint, ServingEndpointArgs
from mlplat.components.training_args import (
    KUBERAY_CHART,
    REQUIRED_INTERFACE_ENDPOINTS,
    TrainingClusterArgs,
    TrainingClusterSpec,
    deterministic_cluster_name,
)
from mlplat.components.training_cluster import TrainingCluster, subnet_discovery_tags
from mlplat.components.training_pipeline import (
    TrainingPipeline,
    TrainingPipelineArgs,
    TrainingPipelineSpec,
    model_data_prefix,
)
from mlplat.components.training_pipeline_logs import SageMakerJobLogs, SageMakerJobLogsArgs
from mlplat.core.errors import ConfigError, Problem
from mlplat.core.naming import bucket_prefix, child
from mlplat.core.vocabulary import LAYER_ALL, ML_SERVICES_LAYER
from .budget import declare_budgets
from .config import PlatformConfig, foundation_bound_sections, stack_file_label
from .config_layers import registry_layer
from .config_ml_lifecycle import deploy_token, deployment_notes
from .config_serving import ServingEndpointConfig, deprecation_notices
from .layers import Upstream, declares, layer_dependencies
from .model_packages import (
    Boto3ModelPackages,
    ModelPackageSource,
    Resolution,
    current_model_package_source,
    latest_approved,
    model_package_group_arn,
    provider_assume_roles,
)

__all__ = ["ALERTS_DOMAIN", "MLPlatform", "foundation_extras", "served_families"]

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
    pipelines: dict[str, TrainingPipeline]

    def __init__(
        self, name: str, config: PlatformConfig, opts: Optional[pulumi.ResourceOptions] = None, *,
        model_packages: Optional[ModelPackageSource] = None, upstream: Optional[Upstream] = None,
        cross_account_readers: Optional[tuple[str, ...]] = None, registry_account: Optional[str] = None,
        registry_apart: bool = False, registering_accounts: tuple[str, ...] = (),
    ) -> None:
        """`model_packages` answers `model_package: latest-approved`; omitted: the source the run installed
        (`model_package_source`, e.g. the offline runner's snapshot), else SageMaker through boto3.
        A layer stack (`config.layer` other than `all`) declares its layer only, with the same children as
        the single stack, and takes the layers below from `upstream` (`mlplat.platform.layers`).
        `cross_account_readers` (from the account map, `mlplat.platform.accounts.registry_readers`): the accounts
        the registry's groups and repositories, the models key and the models bucket grant read access; omitted:
        the registry's `consumer_accounts` (groups and repositories only).
        `registry_account` (from the account map, `AccountMap.registry_account`): the account of the registry a
        serving layer deploys from when it is not the stack's own (the shared-services account); `latest-approved`
        then asks for the group by its ARN in that account, and the contract's group ARN must be it.
        `registry_apart` (from the account map, `AccountMap.registry_apart`): this ml-services layer is a registry
        stack in the shared-services account over a foundation in another account; it declares its own
        `<name>-encryption` (the `models` key of its ECR repositories, which the readers may decrypt through ECR
        only, and the `alerts` key of its dead-letter queues) and `<name>-alarms` topic (approvals, the deploy
        dead-letter alarm; `monitoring.subscriptions` of its stack file) instead of the foundation's.
        `registering_accounts` (from the account map, `AccountMap.registering_accounts`): the accounts whose
        pipelines register into this stack's registry (its groups' policies let their family pipeline roles
        create packages); they must be among the readers.
        An ml-services layer whose `layers.ml_services` names another layer (`config_layers.registry_layer`) declares
        pipelines for that layer's families, which it reads through `upstream` (by ARN when `registry_account`
        says they are in another account)."""
        if registry_apart:
            wrong = [Problem(f"platform.{section}", "is not declared by a registry stack in shared services "
                             "(MLPlatform(registry_apart=True)): it needs the foundation's account")
                     for section, declared in foundation_bound_sections(config).items() if declared]
            if not declares(config.layer, "ml-services") or declares(config.layer, "foundation"):
                wrong.append(Problem("platform.layer", "is not an ml-services layer: registry_apart=True is for an "
                                     "ml-services layer stack in shared services", config.layer))
            if wrong:
                raise ConfigError(wrong)
        self._cross_account_readers = cross_account_readers or ()
        self._registry_account = registry_account
        self._registering_accounts = registering_accounts
        # Args that need no resource are built first: a bad value fails before anything is declared.
        project, env, layer = config.tags.project, config.environment, config.layer
        if upstream is None and layer_dependencies(layer):
            raise ConfigError([Problem("platform.layer", "reads the layers below through stack references: pass "
                                       "MLPlatform(..., upstream=Upstream(...))", layer)])
        store_name = child(name, "artifacts")
        bucket_name_prefix = bucket_prefix(project, env)
        cluster_domain = f"cluster-{config.training.name}" if config.training.enabled else None
        cluster_domains, experiments = foundation_extras(config, cluster_domain)
        domains = DEFAULT_DOMAINS + (ALERTS_DOMAIN,) + cluster_domains
        key_users: dict[str, Any] = {"logs": ("cloudwatch-logs",), ALERTS_DOMAIN: ("sns-alarm-publishers",)}
        for domain in cluster_domains:
            key_users[domain] = ("autoscaling-volumes", "eventbridge-to-sqs")
        encryption_args = EncryptionArgs(
            domains=domains,
            key_users=key_users,
            **config.encryption.given(EncryptionSpec),
            alias_prefix=f"alias/{project}-{env}",
            s3_log_source_bucket_prefixes=ArtifactStore.log_source_prefixes(
                store_name, bucket_name_prefix, experiments_bucket=experiments
            ),
            protect=config.deletion_protection,
            cross_account_readers={"models": self._cross_account_readers} if self._cross_account_readers else {},
        ) if declares(layer, "foundation") else None
        super().__init__("mlplat:platform:MLPlatform", name, None, opts)
        here = pulumi.ResourceOptions(parent=self)
        if layer != LAYER_ALL:
            # `pulumi state move` re-parents what it moves to the new stack's root: the alias finds it there.
            here = pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)])
        self.config = config
        self._upstream = upstream
        if encryption_args is None:
            assert upstream is not None
            self.encryption, self.network, self.artifacts, self.alarm_topic = upstream.foundation(
                name, self, key_domains=domains, network_created=config.network.existing is None,
                bucket_roles=("datasets", "models", "captures") + (("experiments",) if experiments else ()),
                # The cluster's nodes need these (and `logs` for Container Insights); the contract check names any missing.
                interface_endpoints=(*REQUIRED_INTERFACE_ENDPOINTS, *(("logs",) if config.training.container_insights else ()))
                if cluster_domain and declares(layer, "training") else (),
            )
            if registry_apart:
                self.encryption, self.alarm_topic = self._registry_keys_and_topic(name, config, here)
        else:
            self.encryption = Encryption(child(name, "encryption"), encryption_args, here)
            self.network = Network(child(name, "network"), self._network_args(config, bool(cluster_domains)), here)
            self.artifacts = ArtifactStore(
                store_name,
                ArtifactStoreArgs(
                    encryption=self.encryption,
                    bucket_name_prefix=bucket_name_prefix,
                    **config.artifact_store.given(ArtifactStoreSpec),
                    protect=config.deletion_protection,
                    experiments_bucket=experiments,
                    cross_account_readers={"models": self._cross_account_readers} if self._cross_account_readers else {},
                ),
                here,
            )
            self.alarm_topic = AlarmTopic(
                child(name, "alarms"),
                AlarmTopicArgs(key=self.encryption.key(ALERTS_DOMAIN), **config.monitoring.subscriptions.given(AlarmTopicSpec)),
                here,
            )
        # The registry and the pipelines come before the endpoints, which take their family's repository and
        # group from the registry, and whose drift loops retrain the pipelines (declaration order changes no URN).
        self.features = self.registry = self.tracking = None
        self.pipelines = {}
        self.job_logs: Optional[SageMakerJobLogs] = None
        if layer == "foundation" and config.layers.sagemaker_job_logs_retention_days is not None:
            # One pair per account, which every ml-services layer's pipelines write to: the foundation's.
            self.job_logs = self._job_logs(name, config.layers.sagemaker_job_logs_retention_days, here)
        if declares(layer, "ml-services"):
            self.features, self.registry, self.tracking = self._ml_lifecycle(name, config, here)
            if layer != LAYER_ALL and registry_layer(layer, config.layers) is not None:
                assert upstream is not None  # a pipelines stack: its families are another layer's registry's
                self.registry, _ = upstream.ml_services(  # type: ignore[assignment]
                    name, {family: spec.family_repositories for family, spec in config.pipelines.items()}, (),
                    group_prefix=f"{project}-{env}-", group_arn=self._group_arn if registry_account else None,
                    registry_account=registry_account)
            self.pipelines = self._pipelines(name, config, here)
        elif declares(layer, "serving"):
            assert upstream is not None
            families, retrained = served_families(config)
            self.registry, self.pipelines = upstream.ml_services(  # type: ignore[assignment]
                name, families, retrained, group_prefix=f"{project}-{env}-",
                group_arn=self._group_arn if registry_account else None)
        self._model_packages = model_packages
        self.model_package_resolutions: dict[str, Resolution] = {}
        self.endpoints = {}
        if declares(layer, "serving"):
            for notice in deprecation_notices(config.serving.endpoints):
                pulumi.log.warn(f"stack config: {notice}")
            for index, endpoint in enumerate(config.serving.endpoints):
                self.endpoints[endpoint.name] = self._serve(index, endpoint, here)
        self.training = None
        if cluster_domain and declares(layer, "training"):
            self.training = self._training(name, config, cluster_domain, here)
        if layer == "foundation":
            # Karpenter finds the subnets by this tag: the stack that owns the network tags them.
            for cluster in config.layers.training_clusters:
                subnet_discovery_tags(child(name, "training"), deterministic_cluster_name(project, env, cluster),
                                      self.network.subnet_ids, here)
        self.budgets = None
        if declares(layer, "foundation"):  # the environment's budgets: one place, the foundation
            self.budgets = declare_budgets(name, project=project, environment=env, budget=config.budget_usd_per_month,
                                           team_budgets=config.team_budgets_usd_per_month,
                                           topic_arn=self.alarm_topic.arn, opts=here)
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
        if isinstance(self.registry, ModelRegistry):
            outputs["repository_urls"] = self.registry.repository_urls
        if self.tracking is not None:
            outputs["tracking_server_url"] = self.tracking.tracking_server_url
        if self.pipelines and declares(layer, "ml-services"):
            outputs["pipeline_arns"] = {family: p.arn for family, p in self.pipelines.items()}
        self.register_outputs(outputs)

    def _registry_keys_and_topic(self, name: str, config: PlatformConfig,
                                 here: pulumi.ResourceOptions) -> tuple[Encryption, AlarmTopic]:
        """A registry stack's own keys and alarm topic, in its (shared-services) account: the foundation's admit
        their own account only. The models key admits the registry's readers through ECR alone (it encrypts
        repositories only; the model data stays in the foundation's bucket)."""
        readers = self._cross_account_readers
        encryption = Encryption(
            child(name, "encryption"),
            EncryptionArgs(
                domains=(REGISTRY_KEY_DOMAIN, ALERTS_DOMAIN),
                key_users={ALERTS_DOMAIN: ("sns-alarm-publishers",)},
                **config.encryption.given(EncryptionSpec),
                # Several registry stacks (team ml-services layers) may share the account: the layer names the aliases.
                alias_prefix=f"alias/{config.tags.project}-{config.environment}-{config.layer}",
                protect=config.deletion_protection,
                cross_account_readers={REGISTRY_KEY_DOMAIN: readers} if readers else {},
                cross_account_services=("ecr",),
            ),
            here,
        )
        topic = AlarmTopic(
            child(name, "alarms"),
            AlarmTopicArgs(key=encryption.key(ALERTS_DOMAIN), **config.monitoring.subscriptions.given(AlarmTopicSpec)),
            here,
        )
        return encryption, topic

    def _pipelines(self, name: str, config: PlatformConfig, here: pulumi.ResourceOptions) -> dict[str, TrainingPipeline]:
        if not config.pipelines:
            return {}
        assert self.registry is not None  # the config checks guarantee the families are the registry's
        if config.layer == LAYER_ALL:
            # The job log groups are the account's, not a family's: one pair, kept as long as the longest asks.
            job_logs: SageMakerJobLogs = self._job_logs(
                name, max(p.log_retention_days for p in config.pipelines.values()), here)
        else:  # the foundation's (several ml-services layers share them); its contract check names a missing pair
            assert self._upstream is not None
            job_logs = self._upstream.job_logs(name)
        return {
            family: TrainingPipeline(
                child(name, f"{family}-pipeline"),
                TrainingPipelineArgs(
                    **spec.given(TrainingPipelineSpec),
                    family=self.registry.family(family),
                    artifact_store=self.artifacts,
                    network=self.network,
                    job_logs=job_logs,
                    alarm_topic=self.alarm_topic,
                    environment=config.environment,
                ),
                here,
            )
            for family, spec in config.pipelines.items()
        }

    def _job_logs(self, name: str, retention_days: int, here: pulumi.ResourceOptions) -> SageMakerJobLogs:
        return SageMakerJobLogs(child(name, "sagemaker-job-logs"),
                                SageMakerJobLogsArgs(key=self.encryption.key("logs"), retention_days=retention_days), here)

    def _ml_lifecycle(self, name: str, config: PlatformConfig, here: pulumi.ResourceOptions):
        env, prefix = config.environment, f"{config.tags.project}-{config.environment}-"
        features = registry = tracking = None
        store = config.feature_store
        # A team's ml-services layer holds families and pipelines only: the environment's one declares these.
        environment_wide = config.layer in (LAYER_ALL, ML_SERVICES_LAYER)
        if store.groups and environment_wide:
            features = FeatureStore(
                child(name, "features"),
                FeatureStoreArgs(
                    artifact_store=self.artifacts,
                    **store.given(FeatureStoreSpec),
                    name_prefix=prefix,
                    protect=config.deletion_protection,
                ),
                here,
            )
        reg = config.model_registry
        if reg.families:
            for note in deployment_notes(env, reg):
                pulumi.log.warn(note, self)
            deployment: dict[str, Any] = {}
            if reg.github is not None:
                deployment = {"environment": env, "deployment_token": deploy_token(stack_file_label(pulumi.get_stack())),
                              "dead_letter_key": self.encryption.key(ALERTS_DOMAIN)}
            readers = {"consumer_accounts": self._cross_account_readers} if self._cross_account_readers else {}
            if self._registering_accounts:
                readers["registering_accounts"] = self._registering_accounts
                deployment.setdefault("environment", env)  # dev pipelines may register Approved
            registry = ModelRegistry(
                child(name, "registry"),
                ModelRegistryArgs(
                    encryption=self.encryption,
                    **{**reg.given(ModelRegistrySpec), **readers},
                    name_prefix=prefix,
                    approval_topic=self.alarm_topic.topic if reg.notify_approvals else None,
                    force_delete_repositories=env == "dev",
                    protect=config.deletion_protection,
                    **deployment,
                ),
                here,
            )
        tracking_config = config.experiment_tracking
        if tracking_config.enabled and environment_wide:
            tracking = ExperimentTracking(
                child(name, "tracking"),
                ExperimentTrackingArgs(
                    artifact_store=self.artifacts,
                    tracking_server_name=f"{prefix}mlflow",
                    **tracking_config.given(ExperimentTrackingSpec),
                    protect=config.deletion_protection,
                ),
                here,
            )
        return features, registry, tracking

    def _network_args(self, config: PlatformConfig, training: bool) -> NetworkArgs:
        net = config.network
        if net.existing is not None:
            return NetworkArgs(**net.given(NetworkSpec))
        extra = tuple(e for e in REQUIRED_INTERFACE_ENDPOINTS if e not in NetworkArgs.model_fields["interface_endpoints"].default)
        return NetworkArgs(
            **net.given(NetworkSpec),
            log_key=self.encryption.key("logs"),
            extra_interface_endpoints=extra if training else (),
        )

    def _model_source(self, index: int, endpoint: ServingEndpointConfig) -> dict[str, Any]:
        """The endpoint's model package and image repository: `latest-approved` resolved against the
        family's group, the repository wired from the family's `serving` repository when the registry
        declares the family (the stack config's checks guarantee both exist)."""
        settings = endpoint.given(ServingEndpointSpec)
        family = None
        if self.registry is not None and endpoint.model_family in self.registry.families:
            family = self.registry.family(endpoint.model_family)
        if endpoint.latest_approved:
            if family is None:  # parse_platform_config refuses it; a config built without its checks may not
                raise ConfigError([Problem(f"platform.serving.endpoints.{index}.model_family", "is not a family of "
                                           "platform.model_registry.families, whose group model_package: "
                                           "latest-approved reads", endpoint.model_family)])
            group = self._group_arn(family.group_name) if self._registry_account else family.group_name
            resolution = latest_approved(self._package_source(), group)
            self.model_package_resolutions[endpoint.name] = resolution
            settings.pop("model_package")
            if resolution.chosen is not None:
                settings["model_package"] = resolution.chosen.arn
        raw = endpoint.image is not None or endpoint.model_data_url is not None
        if family is not None and not raw and "model_package" in settings:
            settings["image_repository"] = family.repository(SERVING_REPOSITORY)
        if family is not None and not raw and endpoint.model_artifacts_prefix is None:
            # The family's packages carry the model data its pipeline wrote: the role reads there (not `<endpoint>/`).
            settings["model_artifacts_prefix"] = model_data_prefix(endpoint.model_family or "")
        return settings

    def _group_arn(self, group_name: str) -> str:
        """The ARN of a group of the registry account (the stack's region: the registry serves it there)."""
        region = self.config.region or pulumi.Config("aws").get("region")
        if not region or not self._registry_account:
            raise ConfigError([Problem("platform.region", "is required to name the model package groups of the "
                                       f"registry in account {self._registry_account} (aws:region or platform.region)",
                                       region)])
        return model_package_group_arn(region=region, account=self._registry_account, group_name=group_name)

    def _package_source(self) -> ModelPackageSource:
        if self._model_packages is None:
            aws_config = pulumi.Config("aws")
            self._model_packages = current_model_package_source() or Boto3ModelPackages(
                self.config.region or aws_config.get("region"), profile=aws_config.get("profile"),
                assume_roles=provider_assume_roles(aws_config.get_object("assumeRoles")),
            )
        return self._model_packages

    def _serve(self, index: int, endpoint: ServingEndpointConfig, here: pulumi.ResourceOptions) -> ServingEndpoint:
        config = self.config
        env, project = config.environment, config.tags.project
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
                **self._model_source(index, endpoint),
            ),
            here,
        )
        resolution = self.model_package_resolutions.get(endpoint.name)
        if resolution is not None:
            pulumi.log.info(resolution.describe(endpoint.name), resource=serving)
        alarms = config.monitoring.endpoint_alarms
        watchers = here
        if endpoint.model_family:
            # Everything that watches the family's endpoint belongs to the family too (lineage).
            watchers = pulumi.ResourceOptions.merge(
                here, pulumi.ResourceOptions(transforms=[tag_transform(family_tags(endpoint.model_family))]))
        EndpointMonitoring(
            child(self._name, f"{endpoint.name}-monitoring"),
            EndpointMonitoringArgs(endpoint=serving, alarm_topic=self.alarm_topic, **alarms.given(EndpointAlarmsSpec)),
            watchers,
        )
        loop = config.monitoring.drift.get(endpoint.name)
        if loop is not None and not serving.waiting_for_model:
            settings = loop.given(DriftMonitorSpec)
            settings["schedule_expression"] = loop.schedule_expression or config.monitoring.drift_schedule_expression
            if loop.retraining_pipeline_arn is None:
                # The config checks guarantee the endpoint names a family that has a pipeline.
                settings["retraining_pipeline"] = self.pipelines[endpoint.model_family or ""]
            DriftMonitor(
                child(self._name, f"{endpoint.name}-drift"),
                DriftMonitorArgs(
                    endpoint=serving,
                    network=self.network,
                    alarm_topic=self.alarm_topic,
                    baseline_bucket=self.artifacts.datasets,
                    **settings,
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
                environment=config.environment,
                **t.given(TrainingClusterSpec),
                artifact_store=self.artifacts,
                alarm_topic=self.alarm_topic,
                kuberay=KUBERAY_CHART if t.kuberay else None,
                image_cache_prefix=t.image_cache_prefix,
                tag_subnets=config.layer == LAYER_ALL,
                # Karpenter's instances are not Pulumi resources: the stack's tag transform never sees them.
                node_tags=platform_tags(
                    owner=config.tags.owner, cost_center=config.tags.cost_center, project=config.tags.project,
                    environment=config.environment, data_classification=config.tags.data_classification,
                    extra=config.tags.extra,
                ),
                protect=config.deletion_protection,
            ),
            here,
        )


def foundation_extras(config: PlatformConfig, cluster_domain: Optional[str]) -> tuple[tuple[str, ...], bool]:
    """The cluster key domains and whether the experiments bucket exists, for the stack's foundation:
    from the stack's own sections in one stack, from `layers` in a foundation layer stack."""
    if config.layer == "foundation":
        return tuple(f"cluster-{c}" for c in config.layers.training_clusters), config.layers.experiments_bucket
    return ((cluster_domain,) if cluster_domain else ()), config.experiment_tracking.enabled


def served_families(config: PlatformConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The families a serving layer takes from the ml-services layer (endpoints of a family that deploy a
    model package, not a raw image or artifact), and those whose pipeline a drift loop retrains."""
    families = tuple(dict.fromkeys(
        e.model_family for e in config.serving.endpoints
        if e.model_family and e.image is None and e.model_data_url is None
    ))
    by_endpoint = {e.name: e.model_family for e in config.serving.endpoints}
    retrained = tuple(dict.fromkeys(
        by_endpoint[endpoint] for endpoint, loop in config.monitoring.drift.items()
        if loop.retraining_pipeline_arn is None and by_endpoint.get(endpoint)
    ))
    return families, retrained
