"""The tooling layer: offline runner, plan, plan checks, policy runner, reports, CLI and the pytest plugin.

It may import every layer below it (platform, components, policies, core); nothing below imports it.
"""

__all__: list[str] = []  # the API is the submodules; import them by name
