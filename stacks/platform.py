"""Composition root of the reference stacks: the library's (`mlplat.platform.program`), unchanged.

Kept under this name for the project's `__main__.py`, the tests and the benches that import it."""

from mlplat.platform.program import build_platform, declare_platform, load_accounts, load_platform_config

__all__ = ["build_platform", "declare_platform", "load_accounts", "load_platform_config"]
