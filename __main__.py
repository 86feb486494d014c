"""Pulumi entry point: load the stack's PlatformConfig, build the platform, export its outputs."""

from stacks.platform import build_platform

build_platform()
