"""The verify engine: checker registry, AWS clients, the concurrent run and the report."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal, Optional

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ...core.paths import value_at
from ..plan import PlannedResource
from ..state import Deployment

Kind = Literal["differs", "unhealthy", "missing", "error"]

DEFAULT_WORKERS = 16
# Standard mode retries throttling and transient errors with exponential backoff and jitter; one
# connection per worker, so the pool never waits on (or discards) connections.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 6}, connect_timeout=10, read_timeout=30)


@dataclass(frozen=True)
class Finding:
    """One way a live resource is not what the state says, or is not healthy."""

    urn: str
    type: str
    check: str  # "encryption", "status", "key rotation", ...
    kind: Kind
    expected: Any = None
    found: Any = None

    def render(self) -> str:
        if self.kind == "missing":
            return f"{self.urn}: missing: {self.check} (the state records it; AWS has none)"
        if self.kind == "error":
            return f"{self.urn}: {self.check}: could not be read: {self.found}"
        return f"{self.urn}: {self.kind}: {self.check}: expected {_show(self.expected)}, found {_show(self.found)}"

    def to_json(self) -> dict[str, Any]:
        return {"urn": self.urn, "type": self.type, "check": self.check, "kind": self.kind,
                "expected": self.expected, "found": self.found}


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str) if not isinstance(value, str) else value


class ReadFailed(Exception):
    """A checker could not read a resource for a reason other than its absence."""


class Missing(Exception):
    """The resource does not exist (any more)."""


Checker = Callable[["Context"], Iterable[Finding]]
_CHECKERS: dict[str, Checker] = {}


def checks(*type_tokens: str) -> Callable[[Checker], Checker]:
    """Register the function that reads and checks one resource of these types."""

    def register(fn: Checker) -> Checker:
        for token in type_tokens:
            _CHECKERS[token] = fn
        return fn

    return register


def checked_types() -> frozenset[str]:
    return frozenset(_CHECKERS)


class AwsClients:
    """boto3 clients per service, made once and shared by the pool (boto3 clients are thread-safe)."""

    def __init__(self, *, region: str, endpoint_url: Optional[str] = None, session: Optional[boto3.Session] = None,
                 connections: int = DEFAULT_WORKERS) -> None:
        self.region = region
        self.endpoint_url = endpoint_url
        self._config = CLIENT_CONFIG.merge(Config(max_pool_connections=max(10, connections)))
        self._session = session or boto3.Session(region_name=region)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def has_credentials(self) -> bool:
        return self._session.get_credentials() is not None

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(
                    service, region_name=self.region, endpoint_url=self.endpoint_url, config=self._config)
            return self._clients[service]


@dataclass
class Context:
    """What a checker gets: the resource as the state records it, and the clients."""

    resource: PlannedResource
    clients: AwsClients

    def finding(self, check: str, kind: Kind, expected: Any = None, found: Any = None) -> Finding:
        return Finding(self.resource.urn, self.resource.type, check, kind, expected, found)

    def differs(self, check: str, expected: Any, found: Any) -> list[Finding]:
        """A finding when `found` is not `expected` (None expected: the state does not say, nothing to compare)."""
        if expected is None or expected == found:
            return []
        return [self.finding(check, "differs", expected, found)]

    def value(self, *names: str, default: Any = None) -> Any:
        """The first of `names` the state records, outputs first (the provider's view), then inputs."""
        for source in (self.resource.outputs, self.resource.inputs):
            for name in names:
                current = value_at(source, name)
                if current not in (None, ""):
                    return current
        return default


@dataclass
class VerifyReport:
    stack: str
    checked: int
    unsupported: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.findings)


def verify(deployment: Deployment, clients: AwsClients, *, workers: int = DEFAULT_WORKERS) -> VerifyReport:
    """Check every resource of a supported type; one resource's failure never stops the others."""
    resources = [r for r in deployment.plan.custom_resources if r.type in _CHECKERS]
    unsupported = len(deployment.plan.custom_resources) - len(resources)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="mlplat-verify") as pool:
        results = list(pool.map(lambda r: _check_one(r, clients), resources))
    findings = [f for found in results for f in found]
    return VerifyReport(stack=deployment.plan.stack, checked=len(resources), unsupported=unsupported, findings=findings)


def _check_one(resource: PlannedResource, clients: AwsClients) -> list[Finding]:
    context = Context(resource, clients)
    try:
        return list(_CHECKERS[resource.type](context))
    except Missing as gone:
        return [context.finding(str(gone) or resource.type, "missing")]
    except ClientError as error:
        return [context.finding(error.operation_name, "error", found=_client_error(error))]
    except (ReadFailed, BotoCoreError) as error:
        return [context.finding(resource.type, "error", found=str(error))]


def _client_error(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'Error')}: {details.get('Message', '')}".rstrip(": ")


_UNSET = object()


def read(context: Context, what: str, call: Callable[[], Any], *, missing_codes: Iterable[str] = (),
         unset_codes: Iterable[str] = (), unset: Any = _UNSET) -> Any:
    """`call()`'s answer. `Missing(what)` when AWS answers with one of `missing_codes` (or a 404 / "could
    not find"); `unset` when it answers with one of `unset_codes` (a configuration that is not there,
    such as a bucket's encryption removed). Other errors propagate (reported for this resource)."""
    try:
        return call()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if unset is not _UNSET and code in set(unset_codes):
            return unset
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = error.response.get("Error", {}).get("Message", "")
        if code in set(missing_codes) or status == 404 or (code == "ValidationException" and "not find" in message.lower()):
            raise Missing(what) from None
        raise


def canonical(document: Any) -> Any:
    """A JSON policy document compared by content: parsed, keys sorted, one-item lists as their item
    and lists as sets (AWS may reorder statements' members and drop a list around a single value)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return document
    if isinstance(document, dict):
        return {k: canonical(v) for k, v in sorted(document.items())}
    if isinstance(document, list):
        items = [canonical(v) for v in document]
        if len(items) == 1:
            return items[0]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return document


def key_id(value: Any) -> Any:
    """A KMS key named by ARN or id, as its id (AWS answers with either)."""
    if isinstance(value, str) and ":key/" in value:
        return value.rsplit("/", 1)[1]
    return value


# --- reports ---------------------------------------------------------------------------------


def render_text(report: VerifyReport, redact: Callable[[str], str] = lambda s: s) -> str:
    lines = [f"verify stack {report.stack!r}: {report.checked} resources checked, {len(report.findings)} problems"
             + (f" ({report.unsupported} resources of types verify does not read)" if report.unsupported else "")]
    lines += [f"  {f.render()}" for f in sorted(report.findings, key=lambda f: (f.urn, f.check))]
    return redact("\n".join(lines) + "\n")


def render_json(report: VerifyReport, redact: Callable[[str], str] = lambda s: s) -> str:
    document = {
        "stack": report.stack, "checked": report.checked, "unsupported": report.unsupported,
        "problems": [f.to_json() for f in sorted(report.findings, key=lambda f: (f.urn, f.check))],
    }
    return redact(json.dumps(document, indent=2, default=str) + "\n")
