"""The CustomResourceDefinitions that custom resources are validated against.

mlplat ships the CRDs of the custom resource groups its components declare, as package data in
`mlplat/data/crds/<project>-v<version>/` (unmodified upstream files, with the project's NOTICE and
LICENSE beside them):

- Kueue 0.19.2 (`kueue.x-k8s.io`: ClusterQueue, Cohort, LocalQueue, ResourceFlavor,
  WorkloadPriorityClass), the version the training cluster installs;
- Karpenter 1.14.1 for AWS (`karpenter.sh` NodePool, `karpenter.k8s.aws` EC2NodeClass).

Optional extra data: an environment variable per set (`MLPLAT_KUEUE_CRDS`,
`MLPLAT_KARPENTER_CRDS`) may name a folder of CRD files (*.yaml, *.yml, *.json) to use instead of
the shipped ones, for example to validate against another version. A folder that does not exist,
cannot be read, or holds no CRD of the set's groups is a `ConfigError`, never an empty set.

Each served version's `openAPIV3Schema` becomes a strict JSON Schema the way the API server applies
it (`strict_crd_schema`); `metadata` is left to the caller (checked against ObjectMeta).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

import yaml

from mlplat.core.errors import ConfigError, Problem

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml reads the CRDs ten times faster
_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class CrdSet:
    """One project's CRDs: shipped as `mlplat/data/crds/<folder>`, replaceable through `env`."""

    project: str
    version: str
    groups: tuple[str, ...]
    env: str

    @property
    def folder(self) -> str:
        return f"{self.project.lower()}-v{self.version}"

    @property
    def label(self) -> str:
        return f"{self.project} {self.version}"


KUEUE = CrdSet("Kueue", "0.19.2", ("kueue.x-k8s.io",), "MLPLAT_KUEUE_CRDS")
KARPENTER = CrdSet("Karpenter", "1.14.1", ("karpenter.sh", "karpenter.k8s.aws"), "MLPLAT_KARPENTER_CRDS")
CRD_SETS: tuple[CrdSet, ...] = (KUEUE, KARPENTER)
CRD_GROUPS: tuple[str, ...] = tuple(group for crd_set in CRD_SETS for group in crd_set.groups)


@dataclass(frozen=True)
class CrdVersion:
    """One served version of a CRD, with its strict JSON Schema (without `metadata`)."""

    group: str
    version: str
    kind: str
    namespaced: bool
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class LoadedCrds:
    """The served versions of one set's CRDs, by (apiVersion, kind), and where they were read."""

    crd_set: CrdSet
    source: str  # "Kueue 0.19.2 (shipped with mlplat)" or "/path ($MLPLAT_KUEUE_CRDS)"
    versions: Mapping[tuple[str, str], CrdVersion]


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


def shipped_folder(crd_set: CrdSet) -> Traversable:
    """The package-data folder of a set's shipped CRDs."""
    return resources.files("mlplat").joinpath("data", "crds", crd_set.folder)


def _crd_files(folder: Traversable) -> list[Traversable]:
    return sorted((f for f in folder.iterdir() if f.is_file() and f.name.endswith(_SUFFIXES)), key=lambda f: f.name)


def _served_versions(documents: Iterable[Any]) -> dict[tuple[str, str], CrdVersion]:
    found: dict[tuple[str, str], CrdVersion] = {}
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
                group=group, version=served["name"], kind=kind, namespaced=spec.get("scope") == "Namespaced", schema=strict,
            )
    return found


def _read(files: Iterable[Traversable], where: str) -> dict[tuple[str, str], CrdVersion]:
    found: dict[tuple[str, str], CrdVersion] = {}
    for file in files:
        try:
            documents = list(yaml.load_all(file.read_text(encoding="utf-8"), Loader=_LOADER))
            found.update(_served_versions(documents))
        except (OSError, UnicodeDecodeError, yaml.YAMLError, KeyError, TypeError) as exc:
            raise ConfigError([Problem(where, f"cannot be read as CustomResourceDefinitions ({type(exc).__name__}: {exc})",
                                       value=file.name)]) from exc
    return found


@functools.lru_cache(maxsize=None)
def _load_shipped(crd_set: CrdSet) -> LoadedCrds:
    versions = _read(_crd_files(shipped_folder(crd_set)), f"mlplat/data/crds/{crd_set.folder}")
    return LoadedCrds(crd_set, f"{crd_set.label} (shipped with mlplat)", versions)


@functools.lru_cache(maxsize=8)
def _load_folder(crd_set: CrdSet, folder: Path) -> LoadedCrds:
    where = f"${crd_set.env}"
    if not folder.is_dir():
        raise ConfigError([Problem(where, f"is not a folder (a folder of {crd_set.project} CRD files, or unset it to use "
                                          f"the {crd_set.label} CRDs shipped with mlplat)", value=str(folder))])
    versions = _read(_crd_files(folder), where)
    ours = {key: crd for key, crd in versions.items() if crd.group in crd_set.groups}
    if not ours:
        found = sorted({crd.group for crd in versions.values()})
        raise ConfigError([Problem(where, f"holds no CustomResourceDefinition of {', '.join(crd_set.groups)} "
                                          f"(found: {', '.join(found) or 'none'}; files read: *{', *'.join(_SUFFIXES)})",
                                   value=str(folder))])
    return LoadedCrds(crd_set, f"{folder} (${crd_set.env})", ours)


def load_crd_set(crd_set: CrdSet, environ: Optional[Mapping[str, str]] = None) -> LoadedCrds:
    """A set's CRDs: from the folder its environment variable names, else the shipped copies."""
    configured = (os.environ if environ is None else environ).get(crd_set.env)
    if configured:
        return _load_folder(crd_set, Path(configured).resolve())
    return _load_shipped(crd_set)


def load_crd_folder(folder: Path) -> dict[tuple[str, str], CrdVersion]:
    """Served versions of every CRD in `folder` (*.yaml, *.yml, *.json), by (apiVersion, kind)."""
    if not Path(folder).is_dir():
        raise ConfigError([Problem("crd folder", "is not a folder", value=str(folder))])
    return _read(_crd_files(Path(folder)), str(folder))


def crd_sets_for(groups: Iterable[str]) -> tuple[CrdSet, ...]:
    """The sets that define any of `groups`."""
    wanted = set(groups)
    return tuple(crd_set for crd_set in CRD_SETS if wanted & set(crd_set.groups))


__all__ = [
    "CRD_GROUPS", "CRD_SETS", "CrdSet", "CrdVersion", "KARPENTER", "KUEUE", "LoadedCrds", "crd_sets_for", "load_crd_folder",
    "load_crd_set", "shipped_folder", "strict_crd_schema",
]
