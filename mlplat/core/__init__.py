"""The neutral bottom layer: what components, policies and tooling share.

`errors` (the one exception tree), `vocabulary` (environments, classifications, tag keys, the Kubernetes
version), `sdk_types` (what the provider SDKs say about a type token), `sdk_compat` (the SDK internals the
layers below tooling rely on, and the SDK versions mlplat is tested with), `aws_models` (botocore's service
models, read once), `models` (base pydantic models and how their errors read), `naming`, `schedules` and
`validators` (pure checks). It imports nothing else of mlplat.
"""

__all__: list[str] = []  # the API is the submodules; import them by name
