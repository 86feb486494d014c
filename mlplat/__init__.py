"""mlplat: an ML platform as code on Pulumi.

Layers, bottom to top (checked by `make lint`): `mlplat.core` (shared vocabulary, errors, validators),
`mlplat.components` and `mlplat.policies` (independent of each other), `mlplat.platform` (the typed stack
config and MLPlatform), `mlplat.tooling` (offline plan, checks, CLI, pytest plugin). The repository's
docs/ARCHITECTURE.md describes them and how data flows between them.
"""

__all__: list[str] = []
