"""`mlplat verify`: is what runs what the state says, and is it healthy? Read-only, with boto3.

Per resource of a supported type (`checked_types()`), one checker reads the live resource once and
reports what differs from the state (a `pulumi stack export`) and what is unhealthy; a resource the
state records that no longer exists is reported as missing, never skipped. Checkers live in this
package's modules, one per AWS service, registered with `@checks(type_token)`.

Resources are read concurrently by a bounded pool; botocore's standard retry mode retries
throttling and transient errors with backoff; any other AWS error (access denied on one resource)
is reported for that resource and the rest go on. Nothing here writes to AWS.
"""

from __future__ import annotations

import importlib
import pkgutil

from ._core import (
    DEFAULT_WORKERS,
    AwsClients,
    Finding,
    ReadFailed,
    VerifyReport,
    checked_types,
    checks,
    render_json,
    render_text,
    verify,
)

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "AwsClients",
    "DEFAULT_WORKERS",
    "checked_types",
    "checks",
    "Finding",
    "ReadFailed",
    "render_json",
    "render_text",
    "verify",
    "VerifyReport",
]
