"""The platform layer: the typed stack config (PlatformConfig, specs + environment defaults) and MLPlatform.

Imports the components (and the core); never the tooling.
"""

from .config import PlatformConfig, parse_platform_config, stack_file_label
from .ml_platform import MLPlatform

__all__ = ["MLPlatform", "PlatformConfig", "parse_platform_config", "stack_file_label"]
