"""Pulumi entry point of the bootstrap stack: the state bucket and the secrets provider's key."""

from mlplat.platform.bootstrap import build_state_backend

build_state_backend()
