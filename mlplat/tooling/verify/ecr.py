"""ECR: repositories present, tags immutable and scan on push as recorded."""

from __future__ import annotations

from typing import Iterable

from ._core import Context, Finding, checks, read

__all__ = ["repository"]


@checks("aws:ecr/repository:Repository")
def repository(context: Context) -> Iterable[Finding]:
    name = context.value("name") or context.resource.id
    answer = read(context, f"repository {name}", lambda: context.clients.client("ecr").describe_repositories(
        repositoryNames=[name]), missing_codes=("RepositoryNotFoundException",))
    live = answer["repositories"][0]
    return [
        *context.differs("tag mutability", context.value("imageTagMutability"), live.get("imageTagMutability")),
        *context.differs("scan on push", context.value("imageScanningConfiguration.scanOnPush"),
                         live.get("imageScanningConfiguration", {}).get("scanOnPush")),
    ]
