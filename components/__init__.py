"""mlplat components: Pulumi building blocks of an ML platform (see the README's catalogue).

Errors live in `mlplat.core.errors` (re-exported here); PlatformConfig and MLPlatform in `mlplat.platform`.
"""

from mlplat.core.errors import ConfigError, PlatformError, Problem, WiringError
from mlplat.core.vocabulary import REQUIRED_TAG_KEYS

from ._lineage import family_tags
from ._metrics import Metric
from ._tags import platform_tags, register_stack_tags, tag_transform
from .artifact_store import ArtifactStore, ArtifactStoreArgs, ArtifactStoreSpec, GovernedBucket
from .drift import DriftMonitor, DriftMonitorArgs, DriftMonitorSpec
from .encryption import Encryption, EncryptionArgs, EncryptionSpec
from .experiment_tracking import ExperimentTracking, ExperimentTrackingArgs, ExperimentTrackingSpec
from .feature_store import (
    Feature,
    FeatureGroupArgs,
    FeatureGroupSpec,
    FeatureSpec,
    FeatureStore,
    FeatureStoreArgs,
    FeatureStoreSpec,
    Ttl,
    TtlSpec,
)
from .model_registry import ModelFamilyArgs, ModelFamilySpec, ModelRegistry, ModelRegistryArgs, ModelRegistrySpec
from .monitoring import (
    AlarmTopic,
    AlarmTopicArgs,
    AlarmTopicSpec,
    EndpointAlarmsSpec,
    EndpointMonitoring,
    EndpointMonitoringArgs,
)
from .network import ExistingVpcArgs, ExistingVpcSpec, Network, NetworkArgs, NetworkSpec
from .serving_args import (
    AsyncInferenceArgs,
    AutoscalingArgs,
    AutoscalingSpec,
    BlueGreenDeploymentArgs,
    BlueGreenDeploymentSpec,
    ProductionVariantArgs,
    ProductionVariantSpec,
    ScaleDownScheduleArgs,
    ScaleDownScheduleSpec,
    ServerlessArgs,
    ServerlessSpec,
    ServingEndpointArgs,
    ServingEndpointSpec,
)
from .serving_endpoint import ServingEndpoint
from .training_args import (
    GpuPoolArgs,
    GpuPoolSpec,
    HelmChartArgs,
    SystemNodesArgs,
    TeamArgs,
    TeamSpec,
    TrainingClusterArgs,
    TrainingClusterSpec,
)
from .training_cluster import TrainingCluster
from .training_pipeline import TrainingPipeline, TrainingPipelineArgs, TrainingPipelineSpec
from .training_pipeline_logs import SageMakerJobLogs, SageMakerJobLogsArgs

__all__ = [
    "AlarmTopic", "AlarmTopicArgs", "AlarmTopicSpec", "ArtifactStore", "ArtifactStoreArgs", "ArtifactStoreSpec",
    "AsyncInferenceArgs", "AutoscalingArgs", "AutoscalingSpec", "BlueGreenDeploymentArgs", "BlueGreenDeploymentSpec",
    "ConfigError", "DriftMonitor", "DriftMonitorArgs", "DriftMonitorSpec", "Encryption", "EncryptionArgs",
    "EncryptionSpec", "EndpointAlarmsSpec", "EndpointMonitoring", "EndpointMonitoringArgs", "ExistingVpcArgs",
    "ExistingVpcSpec", "ExperimentTracking", "ExperimentTrackingArgs", "ExperimentTrackingSpec", "Feature",
    "FeatureGroupArgs", "FeatureGroupSpec", "FeatureSpec", "FeatureStore", "FeatureStoreArgs", "FeatureStoreSpec",
    "GovernedBucket", "GpuPoolArgs", "GpuPoolSpec", "HelmChartArgs", "Metric", "ModelFamilyArgs", "ModelFamilySpec",
    "ModelRegistry", "ModelRegistryArgs", "ModelRegistrySpec", "Network", "NetworkArgs", "NetworkSpec", "PlatformError",
    "Problem", "ProductionVariantArgs", "ProductionVariantSpec", "REQUIRED_TAG_KEYS", "SageMakerJobLogs",
    "SageMakerJobLogsArgs", "ScaleDownScheduleArgs", "ScaleDownScheduleSpec", "ServerlessArgs", "ServerlessSpec",
    "ServingEndpoint", "ServingEndpointArgs", "ServingEndpointSpec", "SystemNodesArgs", "TeamArgs", "TeamSpec",
    "TrainingCluster", "TrainingClusterArgs", "TrainingClusterSpec", "TrainingPipeline", "TrainingPipelineArgs",
    "TrainingPipelineSpec", "Ttl", "TtlSpec", "WiringError", "family_tags", "platform_tags", "register_stack_tags",
    "tag_transform",
]
