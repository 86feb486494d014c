"""mlplat components: Pulumi building blocks of an ML platform (see the README's catalogue).

Errors live in `mlplat.core.errors` (re-exported here); PlatformConfig and MLPlatform in `mlplat.platform`.
"""

from mlplat.core.errors import ConfigError, PlatformError, Problem, WiringError
from mlplat.core.vocabulary import REQUIRED_TAG_KEYS

from ._lineage import family_tags
from ._metrics import Metric
from ._tags import platform_tags, register_stack_tags, tag_transform
from .artifact_store import ArtifactStore, ArtifactStoreArgs, GovernedBucket
from .drift import DriftMonitor, DriftMonitorArgs
from .encryption import Encryption, EncryptionArgs
from .experiment_tracking import ExperimentTracking, ExperimentTrackingArgs
from .feature_store import Feature, FeatureGroupArgs, FeatureStore, FeatureStoreArgs, Ttl
from .model_registry import ModelFamilyArgs, ModelRegistry, ModelRegistryArgs
from .monitoring import AlarmTopic, AlarmTopicArgs, EndpointMonitoring, EndpointMonitoringArgs
from .network import ExistingVpcArgs, Network, NetworkArgs
from .serving_args import (
    AsyncInferenceArgs,
    AutoscalingArgs,
    BlueGreenDeploymentArgs,
    ProductionVariantArgs,
    ScaleDownScheduleArgs,
    ServerlessArgs,
    ServingEndpointArgs,
)
from .serving_endpoint import ServingEndpoint
from .training_args import GpuPoolArgs, HelmChartArgs, SystemNodesArgs, TeamArgs, TrainingClusterArgs
from .training_cluster import TrainingCluster

__all__ = [
    "AlarmTopic", "AlarmTopicArgs", "ArtifactStore", "ArtifactStoreArgs", "AsyncInferenceArgs", "AutoscalingArgs",
    "BlueGreenDeploymentArgs", "ConfigError", "DriftMonitor", "DriftMonitorArgs", "Encryption", "EncryptionArgs",
    "EndpointMonitoring", "EndpointMonitoringArgs", "ExistingVpcArgs", "ExperimentTracking", "ExperimentTrackingArgs",
    "Feature", "FeatureGroupArgs", "FeatureStore", "FeatureStoreArgs", "GovernedBucket", "GpuPoolArgs", "HelmChartArgs",
    "Metric", "ModelFamilyArgs", "ModelRegistry", "ModelRegistryArgs", "Network", "NetworkArgs",
    "PlatformError", "Problem", "ProductionVariantArgs", "REQUIRED_TAG_KEYS", "ScaleDownScheduleArgs",
    "ServerlessArgs", "ServingEndpoint", "ServingEndpointArgs", "SystemNodesArgs", "TeamArgs", "TrainingCluster",
    "TrainingClusterArgs", "Ttl", "WiringError", "family_tags", "platform_tags", "register_stack_tags", "tag_transform",
]
