"""Validate the Kubernetes objects a plan declares, as the API server would with strict field
validation (`kubectl apply --validate=strict`): unknown fields are errors, not silently pruned.

- Built-in kinds (Namespace, NetworkPolicy, ...) are checked against the Kubernetes OpenAPI
  schema that the `kubernetes-validate` package ships, for the newest Kubernetes version it has
  that is not newer than the cluster's (`schema_version`), in its strict variant;
- custom resources of the groups mlplat ships CRDs for (Kueue `kueue.x-k8s.io`, Karpenter
  `karpenter.sh` and `karpenter.k8s.aws`: see `mlplat.tooling.crds`) are checked against the
  `openAPIV3Schema` of the served version in their CustomResourceDefinitions, made strict the way
  the API server applies it (objects without `x-kubernetes-preserve-unknown-fields` admit no
  unknown fields; `x-kubernetes-int-or-string` admits both); `metadata` is checked against
  ObjectMeta, and the object's scope (cluster or namespaced) against `metadata.namespace`. A kind
  or version those CRDs do not serve is a problem (the API server has no such resource). CEL rules
  (`x-kubernetes-validations`) are not evaluated by the schema validator: those of Karpenter's CRDs
  that concern what a platform writes are restated in `mlplat.tooling.k8s_rules`, which also ties
  each NodePool to its EC2NodeClass and each Kueue ResourceFlavor to a node that carries its
  labels. Admission webhooks are not evaluated.

Objects of other custom resource groups, Helm releases (rendered inside the provider) and
server-side-apply patches are reported as skipped, never as passed.

Values unknown at plan time (`--preview`) are left out; a required field that is only unknown
is not reported missing.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence

import jsonschema
from referencing import Registry, Resource

from .crds import CRD_GROUPS, CrdVersion, LoadedCrds, crd_sets_for, load_crd_set
from .k8s_rules import cross_object_problems, object_problems
from .plan import Plan, PlannedResource, is_unknown

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
    crd_sources: tuple[str, ...] = ()  # where the CRDs used came from ("Kueue 0.19.2 (shipped with mlplat)")
    problems: list[K8sProblem] = field(default_factory=list)
    validated: list[str] = field(default_factory=list)  # URNs
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (URN, reason)

    @property
    def ok(self) -> bool:
        return not self.problems


# --- where the schemas are -------------------------------------------------------------------


def crds_in_use(groups: Iterable[str] = CRD_GROUPS) -> tuple[LoadedCrds, ...]:
    """The CRD sets that define `groups`, each from its environment variable's folder or shipped
    with mlplat (`mlplat.tooling.crds`); a bad folder raises ConfigError."""
    return tuple(load_crd_set(crd_set) for crd_set in crd_sets_for(groups))


def _merged(loaded: Iterable[LoadedCrds]) -> dict[tuple[str, str], CrdVersion]:
    return {key: crd for crds in loaded for key, crd in crds.versions.items()}


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
    """(path, message) per problem of one object; None when no schema is known for its kind.

    Custom resources of mlplat's CRD groups are checked against `crds` (default: `crds_in_use()`).
    """
    unknown: set[tuple[Any, ...]] = set()
    cleaned = _strip_unknowns(copy.deepcopy(dict(obj)), (), unknown)
    api_version, kind = cleaned.get("apiVersion", ""), cleaned.get("kind", "")
    version = schema_version(kubernetes_version)
    group = api_version.split("/", 1)[0] if "/" in api_version else ""
    if group in CRD_GROUPS:
        known = crds if crds is not None else _merged(crds_in_use([group]))
        crd = known.get((api_version, kind))
        if crd is None:
            return [("", _not_served(group, api_version, kind, known))]
        # CEL rules see the object as written: a field whose value is only unknown is present.
        return _validate_custom(cleaned, crd, version, unknown) + object_problems(obj)
    schema = _builtin_schema(version, api_version, kind)
    if schema is None:
        return None
    validator = jsonschema.Draft202012Validator(schema, registry=_registry(version))
    return _errors(validator, cleaned, (), unknown)


def _not_served(group: str, api_version: str, kind: str, crds: Mapping[tuple[str, str], CrdVersion]) -> str:
    served = sorted(f"{v} {k}" for v, k in crds if v.split("/", 1)[0] == group)
    return f"{api_version} {kind} is not served by the CRDs in use (the API server has no such resource; {group} serves: " \
           f"{', '.join(served) or 'nothing'})"


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


def check_plan(
    plan: Plan, *, kubernetes_version: str, crds: Optional[Sequence[LoadedCrds]] = None,
) -> K8sValidationReport:
    """Validate every Kubernetes object of `plan`. Custom resources of mlplat's CRD groups are
    checked against `crds` (default: `crds_in_use()` for the groups the plan declares)."""
    objects = [(resource, _object_of(resource)) for resource in kubernetes_objects(plan)]
    if crds is None:
        crds = crds_in_use({str(obj.get("apiVersion", "")).split("/", 1)[0] for _, obj in objects})
    known = _merged(crds)
    report = K8sValidationReport(kubernetes_version, schema_version(kubernetes_version), tuple(c.source for c in crds))
    for resource in plan.resources:
        if resource.type.startswith(_RENDERED):
            report.skipped.append((resource.urn, "rendered by the provider (Helm, YAML, Kustomize): not a declared object"))
    for resource, obj in objects:
        problems = validate_object(obj, kubernetes_version=kubernetes_version, crds=known)
        if problems is None:
            reason = f"no schema for {obj.get('kind')} {obj.get('apiVersion', '')} (not built in, and not a CRD group mlplat validates)"
            report.skipped.append((resource.urn, reason))
            continue
        report.validated.append(resource.urn)
        name = str((obj.get("metadata") or {}).get("name", resource.name))
        for path, message in problems:
            report.problems.append(K8sProblem(resource.urn, str(obj.get("apiVersion")), str(obj.get("kind")), name, path, message))
    by_urn = {resource.urn: obj for resource, obj in objects}
    node_group_labels = [r.inputs.get("labels") or {} for r in plan.of_type("aws:eks/nodeGroup:NodeGroup")]
    for urn, path, message in cross_object_problems(by_urn.items(), [g for g in node_group_labels if isinstance(g, Mapping)]):
        obj = by_urn[urn]
        name = str((obj.get("metadata") or {}).get("name", ""))
        report.problems.append(K8sProblem(urn, str(obj.get("apiVersion")), str(obj.get("kind")), name, path, message))
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
    "K8sProblem", "K8sValidationReport", "check_plan", "crds_in_use", "kubernetes_objects", "render", "schema_version",
    "shipped_versions", "validate_object",
]
