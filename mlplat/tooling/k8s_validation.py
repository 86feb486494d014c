"""Validate the Kubernetes objects a plan declares, as the API server would with strict field
validation (`kubectl apply --validate=strict`): unknown fields are errors, not silently pruned.

- Built-in kinds (Namespace, NetworkPolicy, ...) are checked against the Kubernetes OpenAPI
  schema that the `kubernetes-validate` package ships, for the newest Kubernetes version it has
  that is not newer than the cluster's (`schema_version`), in its strict variant;
- Kueue objects (`kueue.x-k8s.io`) are checked against the `openAPIV3Schema` of the served
  version in their CustomResourceDefinitions, read from the folder `MLPLAT_KUEUE_CRDS` names
  (default: `../shared/data/kueue-v0.19.2` beside the repository). The CRD schema is made strict
  the way the API server applies it (objects without `x-kubernetes-preserve-unknown-fields`
  admit no unknown fields; `x-kubernetes-int-or-string` admits both), `metadata` is checked
  against ObjectMeta, and the object's scope (cluster or namespaced) against `metadata.namespace`.
  CEL rules (`x-kubernetes-validations`) and admission webhooks are not evaluated here.

Objects of other custom resource groups, Helm releases (rendered inside the provider) and
server-side-apply patches are reported as skipped, never as passed.

Values unknown at plan time (`--preview`) are left out; a required field that is only unknown
is not reported missing.
"""

from __future__ import annotations

import copy
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

import jsonschema
import yaml
from referencing import Registry, Resource

from .plan import Plan, PlannedResource, is_unknown

KUEUE_CRDS_ENV = "MLPLAT_KUEUE_CRDS"
KUEUE_GROUP = "kueue.x-k8s.io"
KUEUE_CRD_VERSION = "0.19.2"
CRD_GROUPS: tuple[str, ...] = (KUEUE_GROUP,)
_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_RENDERED = ("kubernetes:helm.sh/", "kubernetes:yaml/", "kubernetes:kustomize/")
_NOT_OBJECTS = (*_RENDERED, "pulumi:providers:")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


@dataclass(frozen=True)
class K8sProblem:
    """One way the API server would refuse a planned Kubernetes object."""

    urn: str
    api_version: str
    kind: str
    name: str
    path: str  # "spec.resourceGroups[0].flavors[0].name"; "" for the object itself
    message: str

    def render(self) -> str:
        return f"{self.urn}: {self.kind} {self.name!r}: {self.path or '(object)'}: {self.message}"

    def to_json(self) -> dict[str, str]:
        return {"urn": self.urn, "apiVersion": self.api_version, "kind": self.kind, "name": self.name,
                "path": self.path, "message": self.message}


@dataclass
class K8sValidationReport:
    kubernetes_version: str  # the cluster's
    schema_version: str  # the kubernetes-validate schema used for built-in kinds
    crd_dir: Optional[Path]
    problems: list[K8sProblem] = field(default_factory=list)
    validated: list[str] = field(default_factory=list)  # URNs
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (URN, reason)

    @property
    def ok(self) -> bool:
        return not self.problems


# --- where the schemas are -------------------------------------------------------------------


def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]


def default_kueue_crd_dir() -> Path:
    return (repo_root() / ".." / "shared" / "data" / f"kueue-v{KUEUE_CRD_VERSION}").resolve()


def kueue_crd_dir() -> Path:
    """`$MLPLAT_KUEUE_CRDS` if set (relative paths from the working directory), else the default."""
    configured = os.environ.get(KUEUE_CRDS_ENV)
    return Path(configured).resolve() if configured else default_kueue_crd_dir()


def _kubernetes_validate() -> Any:
    try:
        from kubernetes_validate import utils
    except ImportError as exc:  # a test extra today; see the README
        raise ImportError("mlplat.k8s_validation needs the kubernetes-validate package (pip install kubernetes-validate)") from exc
    return utils


def _minor(version: str) -> tuple[int, int]:
    match = re.match(r"^v?(\d+)\.(\d+)", version)
    if not match:
        raise ValueError(f"{version!r} is not a Kubernetes version such as 1.34")
    return int(match.group(1)), int(match.group(2))


def shipped_versions() -> list[str]:
    """Kubernetes versions whose schemas the installed kubernetes-validate ships (ascending)."""
    return sorted(_kubernetes_validate().all_versions(), key=_minor)


def schema_version(kubernetes_version: str) -> str:
    """The newest shipped schema version not newer than `kubernetes_version` (by minor)."""
    wanted = _minor(kubernetes_version)
    candidates = [v for v in shipped_versions() if _minor(v) <= wanted]
    if not candidates:
        raise ValueError(
            f"kubernetes-validate ships no schema for Kubernetes {kubernetes_version} or older "
            f"(it has {', '.join(shipped_versions())})"
        )
    return candidates[-1]


@functools.lru_cache(maxsize=None)
def _schema_file(version: str, filename: str) -> Any:
    return _kubernetes_validate().schema_contents(f"kubernetes-json-schema/v{version}-local-strict/{filename}", version)


@functools.lru_cache(maxsize=None)
def _registry(version: str) -> Registry:
    definitions = _schema_file(version, "_definitions.json")
    return Resource.from_contents(definitions) @ Registry()


def _definitions_id(version: str) -> str:
    return _schema_file(version, "_definitions.json")["$id"]


def _builtin_schema(version: str, api_version: str, kind: str) -> Optional[Any]:
    # rbac.authorization.k8s.io/v1 -> rbac-v1; v1 -> v1 (kubernetes-validate's file naming)
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        return _schema_file(version, f"{kind.lower()}-{group_version}.json")
    except FileNotFoundError:
        return None


# --- CRDs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrdVersion:
    group: str
    version: str
    kind: str
    namespaced: bool
    schema: Mapping[str, Any]  # strict JSON Schema of the object


def strict_crd_schema(schema: Any) -> Any:
    """An openAPIV3Schema as the API server applies it, as JSON Schema (a copy).

    Objects with `properties` and neither `additionalProperties` nor
    `x-kubernetes-preserve-unknown-fields: true` admit no other fields (pruning, or a strict
    field-validation error); `x-kubernetes-int-or-string` admits an integer or a string.
    """
    if isinstance(schema, list):
        return [strict_crd_schema(s) for s in schema]
    if not isinstance(schema, Mapping):
        return schema
    out = {k: strict_crd_schema(v) for k, v in schema.items()}
    if out.get("x-kubernetes-int-or-string") and "anyOf" not in out:
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@functools.lru_cache(maxsize=8)
def load_crds(directory: Path) -> dict[tuple[str, str], CrdVersion]:
    """Served versions of every CRD in `directory` (*.yaml, *.yml, *.json), by (apiVersion, kind)."""
    found: dict[tuple[str, str], CrdVersion] = {}
    files = sorted(p for p in Path(directory).iterdir() if p.suffix in (".yaml", ".yml", ".json"))
    for path in files:
        with path.open() as stream:
            documents = list(yaml.safe_load_all(stream))
        for crd in documents:
            if not isinstance(crd, Mapping) or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            group, kind = spec["group"], spec["names"]["kind"]
            for served in spec.get("versions", []):
                if not served.get("served", True):
                    continue
                schema = (served.get("schema") or {}).get("openAPIV3Schema")
                if schema is None:
                    continue
                strict = strict_crd_schema(schema)
                strict.setdefault("properties", {}).pop("metadata", None)  # checked against ObjectMeta
                found[(f"{group}/{served['name']}", kind)] = CrdVersion(
                    group=group, version=served["name"], kind=kind, namespaced=spec.get("scope") == "Namespaced",
                    schema=strict,
                )
    return found


# --- validation ------------------------------------------------------------------------------


def _strip_unknowns(value: Any, path: tuple[Any, ...], unknown: set[tuple[Any, ...]]) -> Any:
    if is_unknown(value):
        unknown.add(path)
        return None
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            cleaned = _strip_unknowns(v, (*path, k), unknown)
            if cleaned is not None or not is_unknown(v):
                out[k] = cleaned
        return out
    if isinstance(value, list):
        return [_strip_unknowns(v, (*path, i), unknown) for i, v in enumerate(value) if not is_unknown(v)]
    return value


def _render_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _errors(validator: Any, instance: Any, prefix: tuple[Any, ...], unknown: set[tuple[Any, ...]]) -> list[tuple[str, str]]:
    problems = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        where = (*prefix, *error.absolute_path)
        if error.validator == "required":
            missing = re.match(r"^'([^']+)' is a required property", error.message)
            if missing and (*where, missing.group(1)) in unknown:
                continue
            if missing:
                problems.append((_render_path((*where, missing.group(1))), "is required"))
                continue
        if error.validator == "additionalProperties" and error.validator_value is False:
            extras = re.findall(r"'([^']+)'", error.message.split("(")[-1])
            for extra in extras or ["?"]:
                problems.append((_render_path((*where, extra)), "is not a field of this object (unknown fields are rejected)"))
            continue
        problems.append((_render_path(where), error.message))
    return problems


def validate_object(
    obj: Mapping[str, Any], *, kubernetes_version: str, crds: Optional[Mapping[tuple[str, str], CrdVersion]] = None,
) -> Optional[list[tuple[str, str]]]:
    """(path, message) per problem of one object; None when no schema is known for its kind."""
    unknown: set[tuple[Any, ...]] = set()
    cleaned = _strip_unknowns(copy.deepcopy(dict(obj)), (), unknown)
    api_version, kind = cleaned.get("apiVersion", ""), cleaned.get("kind", "")
    version = schema_version(kubernetes_version)
    group = api_version.split("/", 1)[0] if "/" in api_version else ""
    if group in CRD_GROUPS:
        crd = (crds or {}).get((api_version, kind))
        if crd is None:
            return None
        return _validate_custom(cleaned, crd, version, unknown)
    schema = _builtin_schema(version, api_version, kind)
    if schema is None:
        return None
    validator = jsonschema.Draft202012Validator(schema, registry=_registry(version))
    return _errors(validator, cleaned, (), unknown)


def _validate_custom(obj: dict[str, Any], crd: CrdVersion, version: str, unknown: set[tuple[Any, ...]]) -> list[tuple[str, str]]:
    body = {k: v for k, v in obj.items() if k != "metadata"}
    problems = _errors(jsonschema.Draft7Validator(crd.schema), body, (), unknown)
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        if ("metadata",) not in unknown:
            problems.append(("metadata", "is required"))
        return problems
    meta_schema = {"$ref": f"{_definitions_id(version)}#/$defs/{_OBJECT_META}"}
    meta_validator = jsonschema.Draft202012Validator(meta_schema, registry=_registry(version))
    problems += _errors(meta_validator, metadata, ("metadata",), unknown)
    name = metadata.get("name")
    if name is None and ("metadata", "name") not in unknown:
        problems.append(("metadata.name", "is required (the object is not auto-named by the API server)"))
    elif isinstance(name, str) and (len(name) > 253 or not _DNS_SUBDOMAIN.match(name)):
        problems.append(("metadata.name", f"{name!r} is not a DNS subdomain (lowercase letters, digits, '-', '.')"))
    namespace = metadata.get("namespace")
    if crd.namespaced and namespace is None and ("metadata", "namespace") not in unknown:
        problems.append(("metadata.namespace", f"is required: {crd.kind} is namespaced (else it lands in 'default')"))
    if not crd.namespaced and namespace is not None:
        problems.append(("metadata.namespace", f"must not be set: {crd.kind} is cluster-scoped"))
    return problems


def kubernetes_objects(plan: Plan) -> list[PlannedResource]:
    """The plan's resources that are Kubernetes objects (`kubernetes:<group>/<version>:<Kind>`)."""
    return [
        r for r in plan.resources
        if r.custom and r.type.startswith("kubernetes:") and not r.type.startswith(_NOT_OBJECTS)
        and not r.type.endswith(("Patch", "List"))
    ]


def check_plan(plan: Plan, *, kubernetes_version: str, crd_dir: Optional[Path] = None) -> K8sValidationReport:
    """Validate every Kubernetes object of `plan`; Kueue objects need `crd_dir` (default `kueue_crd_dir()`)."""
    directory = crd_dir if crd_dir is not None else kueue_crd_dir()
    crds = load_crds(directory) if directory.is_dir() else {}
    report = K8sValidationReport(kubernetes_version, schema_version(kubernetes_version), directory if crds else None)
    for resource in plan.resources:
        if resource.type.startswith(_RENDERED):
            report.skipped.append((resource.urn, "rendered by the provider (Helm, YAML, Kustomize): not a declared object"))
    for resource in kubernetes_objects(plan):
        obj = _object_of(resource)
        problems = validate_object(obj, kubernetes_version=kubernetes_version, crds=crds)
        if problems is None:
            api_version = obj.get("apiVersion", "")
            reason = (
                f"no CRDs for {api_version} in {directory} (set {KUEUE_CRDS_ENV})"
                if api_version.split("/", 1)[0] in CRD_GROUPS
                else f"no schema for {obj.get('kind')} {api_version} (not built in, and not a CRD group mlplat validates)"
            )
            report.skipped.append((resource.urn, reason))
            continue
        report.validated.append(resource.urn)
        name = str((obj.get("metadata") or {}).get("name", resource.name))
        for path, message in problems:
            report.problems.append(K8sProblem(resource.urn, str(obj.get("apiVersion")), str(obj.get("kind")), name, path, message))
    return report


def _object_of(resource: PlannedResource) -> dict[str, Any]:
    """The object the provider sends: the resource's inputs (apiVersion and kind from its type)."""
    obj = dict(resource.inputs)
    _, group_version, kind = resource.type.split(":", 2)
    api_version = group_version.removeprefix("core/")
    obj.setdefault("apiVersion", api_version)
    obj.setdefault("kind", kind)
    return obj


def render(report: K8sValidationReport) -> str:
    lines = [p.render() for p in report.problems]
    return "\n".join(lines) if lines else "ok"


__all__ = [
    "K8sProblem", "K8sValidationReport", "KUEUE_CRDS_ENV", "check_plan", "default_kueue_crd_dir", "kueue_crd_dir",
    "load_crds", "schema_version", "shipped_versions", "strict_crd_schema", "validate_object",
]
