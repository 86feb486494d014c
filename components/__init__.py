"""mlplat components: Pulumi building blocks of an ML platform (see README's catalogue)."""

from ._tags import REQUIRED_TAG_KEYS, platform_tags, register_stack_tags
from .artifact_store import ArtifactStore, ArtifactStoreArgs
from .config import PlatformConfig, parse_platform_config
from .encryption import Encryption, EncryptionArgs
from .errors import ConfigError, PlatformError, Problem, WiringError
from .network import ExistingVpcArgs, Network, NetworkArgs
from .platform import MLPlatform

__all__ = [
    "ArtifactStore",
    "ArtifactStoreArgs",
    "ConfigError",
    "Encryption",
    "EncryptionArgs",
    "ExistingVpcArgs",
    "MLPlatform",
    "Network",
    "NetworkArgs",
    "PlatformConfig",
    "PlatformError",
    "Problem",
    "REQUIRED_TAG_KEYS",
    "WiringError",
    "parse_platform_config",
    "platform_tags",
    "register_stack_tags",
]
