"""FeatureStore: SageMaker feature groups with encrypted online and offline stores.

Each group is declared from a typed definition (record identifier, event time feature, features
of type Integral, Fractional or String, optionally List, Set or Vector collections where the API
allows them: InMemory online stores only, vectors of Fractional with a dimension). A group has:

- an online store (unless `online=False`): encrypted with the `data` key of the ArtifactStore's
  datasets bucket, storage type Standard or InMemory, and a TTL (`ttl`) after which records are
  hard-deleted. Groups tagged `pii=true` must have a TTL;
- an offline store (unless `offline=False`) in the platform's datasets bucket under
  `s3://<datasets bucket>/<offline_prefix><group>/`, encrypted with the same key, with a Glue
  table the feature store creates (`disable_glue_table_creation=False`) in a Glue database the
  component owns, in the Glue or Iceberg table format.

One role serves every group's offline store: trusted by `sagemaker.amazonaws.com` only from this
account, allowed exactly what the offline store needs (see `offline_store_role_policy`) and no
managed policy.

Groups carry the tags `data-classification`, `owner` and `pii` ("true"/"false") plus lineage
tags (`mlplat:feature-group`, `mlplat:platform-version`). Deleting a group deletes its online
records; the offline data stays in the datasets bucket. Groups and the Glue database are
protected unless `protect=False`.

    store = FeatureStore("features", FeatureStoreArgs(artifact_store=artifacts, groups=[...]))
    store.group("customers").grant_read_online(serving_role)
    store.grant_write(ingestion_role, group="customers")
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, Optional

import pulumi
import pulumi_aws as aws
from pydantic import Field

from . import _iam
from ._lineage import check_lineage_name, feature_group_tags
from mlplat.core.models import NestedArgs, ParentArgs, Spec, StrictBool, StrictInt
from mlplat.core.validators import check_tag_value
from ._grants import attach_grant, require_role
from ._wiring import lookup, require_args
from mlplat.core.naming import child
from .artifact_store import ArtifactStore
from mlplat.core.vocabulary import MAX_API_INTEGER, DataClassification
from mlplat.core.errors import ConfigError, Problem, WiringError

__all__ = [
    "Access",
    "check_offline_prefix",
    "CollectionType",
    "DATA_CATALOG",
    "EVENT_TIME_TYPES",
    "Feature",
    "FeatureGroupArgs",
    "FeatureGroupHandle",
    "FeatureGroupSpec",
    "FeatureSpec",
    "FeatureStore",
    "FeatureStoreArgs",
    "FeatureStoreSpec",
    "FeatureType",
    "glue_arns",
    "glue_name",
    "GlueArns",
    "grant_document",
    "MAX_DESCRIPTION",
    "MAX_FEATURES",
    "MAX_GROUP_NAME",
    "MAX_VECTOR_DIMENSION",
    "OFFLINE_STORE_BUCKET_ACTIONS",
    "OFFLINE_STORE_GLUE_ACTIONS",
    "OFFLINE_STORE_KEY_ACTIONS",
    "OFFLINE_STORE_OBJECT_ACTIONS",
    "offline_store_role_policy",
    "READ_OFFLINE_ATHENA_ACTIONS",
    "READ_OFFLINE_GLUE_ACTIONS",
    "READ_OFFLINE_OBJECT_ACTIONS",
    "READ_ONLINE_ACTIONS",
    "RESERVED_FEATURE_NAMES",
    "SAGEMAKER_PRINCIPAL",
    "StorageType",
    "TableFormat",
    "Ttl",
    "TtlSpec",
    "TtlUnit",
    "TYPE_TOKEN",
    "WRITE_ACTIONS",
]

TYPE_TOKEN = "mlplat:feature_store:FeatureStore"

FeatureType = Literal["Integral", "Fractional", "String"]
CollectionType = Literal["List", "Set", "Vector"]
StorageType = Literal["Standard", "InMemory"]
TableFormat = Literal["Glue", "Iceberg"]
TtlUnit = Literal["Seconds", "Minutes", "Hours", "Days", "Weeks"]

SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"
DATA_CATALOG = "AwsDataCatalog"
RESERVED_FEATURE_NAMES: tuple[str, ...] = ("is_deleted", "write_time", "api_invocation_time")
EVENT_TIME_TYPES: tuple[str, ...] = ("String", "Fractional")
MAX_FEATURES = 2500
MAX_VECTOR_DIMENSION = 8192
MAX_GROUP_NAME = 64
MAX_DESCRIPTION = 128
_FEATURE_NAME = re.compile(r"^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$")
_NAME_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]*-$")
_WORKGROUP = re.compile(r"^[a-zA-Z0-9._-]{1,128}$")

Access = Literal["read-online", "write", "read-offline"]

# Exact actions (module constants so reviewers and tests read one list).
OFFLINE_STORE_OBJECT_ACTIONS: tuple[str, ...] = ("s3:PutObject", "s3:PutObjectAcl", "s3:GetObject")
OFFLINE_STORE_BUCKET_ACTIONS: tuple[str, ...] = ("s3:GetBucketAcl",)
OFFLINE_STORE_KEY_ACTIONS: tuple[str, ...] = ("kms:GenerateDataKey", "kms:Decrypt")
OFFLINE_STORE_GLUE_ACTIONS: tuple[str, ...] = ("glue:GetTable", "glue:UpdateTable")
READ_ONLINE_ACTIONS: tuple[str, ...] = ("sagemaker:GetRecord", "sagemaker:BatchGetRecord")
WRITE_ACTIONS: tuple[str, ...] = ("sagemaker:PutRecord", "sagemaker:DeleteRecord")
READ_OFFLINE_OBJECT_ACTIONS: tuple[str, ...] = ("s3:GetObject", "s3:GetObjectVersion")
READ_OFFLINE_GLUE_ACTIONS: tuple[str, ...] = (
    "glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition",
)  # fmt: skip
READ_OFFLINE_ATHENA_ACTIONS: tuple[str, ...] = (
    "athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
    "athena:StopQueryExecution", "athena:GetWorkGroup",
)  # fmt: skip


class FeatureSpec(Spec):
    """One feature definition of a group."""

    name: str = Field(description="Feature name: letters, digits, '-' and '_', at most 64 characters.")
    type: FeatureType = Field(description="Integral, Fractional or String (of the elements, for collections).")
    collection: Optional[CollectionType] = Field(
        default=None,
        description="List, Set or Vector (InMemory online stores only; vectors hold Fractional values). "
        "Omitted: a scalar feature.",
    )
    dimension: Optional[StrictInt] = Field(
        default=None, description="Number of elements of a Vector (1 to 8192). Omitted: only allowed for non-vectors."
    )


class Feature(FeatureSpec, NestedArgs):
    """A FeatureSpec built on its own: bad values raise ConfigError naming `Feature.<field>`."""


class TtlSpec(Spec):
    """Online store time to live: records are hard-deleted `value` `unit`s after their event time."""

    unit: TtlUnit = Field(description="Seconds, Minutes, Hours, Days or Weeks.")
    value: StrictInt = Field(description="How many units (at least 1).")


class Ttl(TtlSpec, NestedArgs):
    """A TtlSpec built on its own: bad values raise ConfigError naming `Ttl.<field>`."""


class FeatureGroupSpec(Spec):
    """One feature group: its schema, its stores and its governance tags (each of the stack config's
    `feature_store.groups`)."""

    name: str = Field(
        description="Group name (lowercase letters, digits, '-'): the child `<component>-<name>`, the "
        "`mlplat:feature-group` tag and the physical name `<name_prefix><name>`."
    )
    record_identifier: str = Field(description="The feature whose value identifies a record (must be a scalar feature).")
    event_time: str = Field(description="The feature holding a record's event time (a scalar String or Fractional feature).")
    features: tuple[FeatureSpec, ...] = Field(description="Every feature, including the record identifier and event time.")
    owner: str = Field(min_length=1, description="Team accountable for the group (the `owner` tag).")
    data_classification: DataClassification = Field(description="The `data-classification` tag.")
    pii: StrictBool = Field(description="Whether the group holds personal data (the `pii` tag); pii groups need a `ttl`.")
    description: Optional[str] = Field(default=None, description="At most 128 characters. Omitted: no description.")
    online: StrictBool = Field(default=True, description="Enable the online store. Omitted: enabled.")
    storage_type: StorageType = Field(
        default="Standard", description="Online store tier: Standard or InMemory. Omitted: Standard."
    )
    ttl: Optional[TtlSpec] = Field(
        default=None,
        description="Online store time to live. Omitted: online records never expire (not allowed for pii groups).",
    )
    offline: StrictBool = Field(default=True, description="Enable the offline store. Omitted: enabled.")
    table_format: TableFormat = Field(
        default="Glue", description="Offline store table format: Glue or Iceberg. Omitted: Glue (the AWS default)."
    )

    def problems_at(self, base: str) -> list[Problem]:
        """Every problem of this group, with paths under `base` (pure)."""
        problems = check_lineage_name(f"{base}.name", self.name, "feature group")
        if self.description is not None and len(self.description) > MAX_DESCRIPTION:
            problems.append(
                Problem(f"{base}.description", f"is longer than {MAX_DESCRIPTION} characters (the API maximum)", self.description)
            )
        if not self.online and not self.offline:
            problems.append(Problem(f"{base}.offline", "is false while online is false (a group needs at least one store)", False))
        problems.extend(self._feature_problems(base))
        problems.extend(self._store_problems(base))
        problems.extend(check_tag_value(f"{base}.owner", self.owner))  # the group's `owner` tag
        return problems

    def _feature_problems(self, base: str) -> list[Problem]:
        problems: list[Problem] = []
        features = self.features
        if not features:
            problems.append(Problem(f"{base}.features", "must list at least one feature", features))
        elif len(features) > MAX_FEATURES:
            problems.append(Problem(f"{base}.features", f"lists more than {MAX_FEATURES} features (the API maximum)", len(features)))
        seen: set[str] = set()
        vectors = 0
        for index, feature in enumerate(features):
            path = f"{base}.features.{index}"
            if not _FEATURE_NAME.match(feature.name):
                problems.append(
                    Problem(f"{path}.name", "is not a feature name (letters and digits, '-' or '_' between them, at most 64 characters)", feature.name)
                )
            if feature.name in RESERVED_FEATURE_NAMES:
                problems.append(Problem(f"{path}.name", f"is reserved by Feature Store ({', '.join(RESERVED_FEATURE_NAMES)})", feature.name))
            if feature.name in seen:
                problems.append(Problem(f"{path}.name", "is declared twice", feature.name))
            seen.add(feature.name)
            if feature.collection is not None and not (self.online and self.storage_type == "InMemory"):
                problems.append(
                    Problem(f"{path}.collection", "needs an InMemory online store (set online=true, storage_type='InMemory')", feature.collection)
                )
            if feature.collection == "Vector":
                vectors += 1
                if feature.type != "Fractional":
                    problems.append(Problem(f"{path}.type", "is not allowed for a Vector (vectors hold Fractional values)", feature.type))
                if feature.dimension is None:
                    problems.append(Problem(f"{path}.dimension", f"is required for a Vector (1 to {MAX_VECTOR_DIMENSION})"))
                elif not 1 <= feature.dimension <= MAX_VECTOR_DIMENSION:
                    problems.append(Problem(f"{path}.dimension", f"is out of range (1 to {MAX_VECTOR_DIMENSION})", feature.dimension))
                if vectors == 2:
                    problems.append(Problem(f"{path}.collection", "is a second Vector (a group may have one)", feature.collection))
            elif feature.dimension is not None:
                problems.append(Problem(f"{path}.dimension", "is only allowed with collection='Vector'", feature.dimension))
        by_name = {f.name: f for f in features}
        for field_name, allowed in (("record_identifier", None), ("event_time", EVENT_TIME_TYPES)):
            value = getattr(self, field_name)
            feature = by_name.get(value)
            if feature is None:
                problems.append(
                    Problem(f"{base}.{field_name}", f"is not one of the group's features ({', '.join(by_name) or 'none'})", value)
                )
                continue
            if feature.collection is not None:
                problems.append(Problem(f"{base}.{field_name}", f"names a {feature.collection} feature (it must be a scalar)", value))
            if allowed is not None and feature.type not in allowed:
                problems.append(
                    Problem(f"{base}.{field_name}", f"names a {feature.type} feature (allowed: {', '.join(allowed)})", value)
                )
        return problems

    def _store_problems(self, base: str) -> list[Problem]:
        problems: list[Problem] = []
        if self.ttl is not None:
            if self.ttl.value < 1:
                problems.append(Problem(f"{base}.ttl.value", "must be at least 1", self.ttl.value))
            elif self.ttl.value > MAX_API_INTEGER:
                problems.append(Problem(f"{base}.ttl.value", f"is more than the API takes ({MAX_API_INTEGER})", self.ttl.value))
            if not self.online:
                problems.append(Problem(f"{base}.ttl", "needs the online store (set online=true or drop ttl)", self.ttl.model_dump()))
        if self.pii and self.ttl is None:
            problems.append(
                Problem(
                    f"{base}.ttl",
                    "is required for a pii group (online records of personal data must expire: set ttl, "
                    "e.g. {'unit': 'Days', 'value': 30})",
                )
            )
        # Only a non-default choice is a mistake: a full dump of a config passes the defaults explicitly.
        if not self.online and self.storage_type != "Standard":
            problems.append(Problem(f"{base}.storage_type", "has no effect without the online store", self.storage_type))
        if not self.offline and self.table_format != "Glue":
            problems.append(Problem(f"{base}.table_format", "has no effect without the offline store", self.table_format))
        return problems

    def tags(self) -> dict[str, str]:
        """The group's own tags: governance tags and lineage tags."""
        return {
            "data-classification": self.data_classification,
            "owner": self.owner,
            "pii": "true" if self.pii else "false",
            **feature_group_tags(self.name),
        }


class FeatureGroupArgs(FeatureGroupSpec, NestedArgs):
    """A FeatureGroupSpec built on its own: bad values raise ConfigError naming `FeatureGroupArgs.<field>`."""


class FeatureStoreSpec(Spec):
    """The feature store's settings (data only; the stack config's `feature_store`)."""

    groups: tuple[FeatureGroupSpec, ...] = Field(
        default=(), description="The feature groups (names unique). Omitted: none (FeatureStoreArgs need one at least)."
    )
    offline_prefix: str = Field(
        default="feature-store/",
        description="Key prefix of the offline stores in the datasets bucket (each group writes under "
        "`<offline_prefix><group>/`). Omitted: `feature-store/`.",
    )
    athena_workgroup: str = Field(
        default="primary",
        description="The Athena workgroup `grant_read_offline` lets roles query in. Omitted: `primary`.",
    )

    def problems_at(self, base: str, *, name_prefix: Optional[str] = None) -> list[Problem]:
        """The settings' problems; with `name_prefix`, also the physical group names it makes."""
        problems: list[Problem] = []
        names = [g.name for g in self.groups]
        for index, group in enumerate(self.groups):
            problems.extend(group.problems_at(f"{base}.groups.{index}"))
            if names.index(group.name) != index:
                problems.append(Problem(f"{base}.groups.{index}.name", "is declared twice", group.name))
        prefix = name_prefix
        if prefix is not None and not _NAME_PREFIX.match(prefix):
            problems.append(
                Problem(f"{base}.name_prefix", "is not a name prefix (lowercase letters, digits and '-', ending with '-')", prefix)
            )
        elif prefix is not None:
            problems.extend(_group_name_problems(base, prefix, self.groups))
        problems.extend(check_offline_prefix(f"{base}.offline_prefix", self.offline_prefix))
        if not _WORKGROUP.match(self.athena_workgroup):
            problems.append(
                Problem(f"{base}.athena_workgroup", "is not an Athena workgroup name (letters, digits, '.', '_', '-')", self.athena_workgroup)
            )
        return problems


class FeatureStoreArgs(FeatureStoreSpec, ParentArgs):
    artifact_store: ArtifactStore = Field(
        description="The ArtifactStore whose datasets bucket holds the offline stores; its `data` key "
        "encrypts both stores."
    )
    name_prefix: Optional[str] = Field(
        default=None,
        description="Physical names start with it: groups `<name_prefix><group>`, the Glue database "
        "`<name_prefix>features` with '-' as '_'. Lowercase letters, digits and '-', ending with '-'. "
        "Omitted: `<component name>-`.",
    )
    protect: StrictBool = Field(
        default=True, description="Protect the groups and the Glue database from deletion. Omitted: protected."
    )

    def problems(self) -> list[Problem]:
        base = type(self).__name__
        problems: list[Problem] = []
        if not self.groups:
            problems.append(Problem(f"{base}.groups", "must list at least one feature group", self.groups))
        return problems + self.problems_at(base, name_prefix=self.name_prefix)


def check_offline_prefix(path: str, prefix: str) -> list[Problem]:
    problems = []
    if not prefix or prefix.startswith("/") or not prefix.endswith("/") or "*" in prefix or "?" in prefix or "//" in prefix:
        problems.append(
            Problem(path, "is not a key prefix (no leading '/', no wildcards, ending with '/', e.g. 'feature-store/')", prefix)
        )
    return problems


def glue_name(name: str) -> str:
    """A Glue/Athena-friendly name: lowercase, '-' replaced by '_'."""
    return name.lower().replace("-", "_")


# --- policies (pure) -------------------------------------------------------------------------


@dataclass(frozen=True)
class GlueArns:
    catalog: pulumi.Input[str]
    database: pulumi.Input[str]
    tables: tuple[pulumi.Input[str], ...]

    def all(self) -> list[pulumi.Input[str]]:
        return [self.catalog, self.database, *self.tables]


def glue_arns(*, region: pulumi.Input[str], account_id: pulumi.Input[str], database: str, tables: tuple[str, ...]) -> GlueArns:
    base = pulumi.Output.concat("arn:aws:glue:", region, ":", account_id, ":")
    return GlueArns(
        catalog=pulumi.Output.concat(base, "catalog"),
        database=pulumi.Output.concat(base, "database/", database),
        tables=tuple(pulumi.Output.concat(base, "table/", database, "/", table) for table in tables),
    )


def _via_s3(region: pulumi.Input[str]) -> dict[str, dict[str, Any]]:
    return {"StringEquals": {"kms:ViaService": pulumi.Output.concat("s3.", region, ".amazonaws.com")}}


def offline_store_role_policy(
    *, bucket_arn: pulumi.Input[str], prefix: str, key_arn: pulumi.Input[str], region: pulumi.Input[str], glue: GlueArns,
) -> _iam.Document:
    """What Feature Store does with the role when it writes offline stores (exact actions):

    s3:PutObject, s3:PutObjectAcl, s3:GetObject on `<bucket>/<prefix>*` (records, and Iceberg
    metadata it reads back); s3:GetBucketAcl on the bucket; kms:GenerateDataKey, kms:Decrypt on
    the data key through S3 only; glue:GetTable, glue:UpdateTable on the catalog, the database
    and the groups' tables (the same actions as AmazonSageMakerFeatureStoreAccess, scoped).
    """
    return _iam.document(
        [
            _iam.statement(
                sid="OfflineStoreObjects", actions=list(OFFLINE_STORE_OBJECT_ACTIONS),
                resources=pulumi.Output.concat(bucket_arn, "/", prefix, "*"),
            ),
            _iam.statement(sid="OfflineStoreBucketAcl", actions=list(OFFLINE_STORE_BUCKET_ACTIONS), resources=bucket_arn),
            _iam.statement(
                sid="OfflineStoreKeyThroughS3", actions=list(OFFLINE_STORE_KEY_ACTIONS), resources=key_arn,
                conditions=_via_s3(region),
            ),
            _iam.statement(sid="OfflineStoreGlueTables", actions=list(OFFLINE_STORE_GLUE_ACTIONS), resources=glue.all()),
        ]
    )


def grant_document(
    access: Access,
    *,
    group_arn: pulumi.Input[str],
    key_arn: pulumi.Input[str],
    online: bool,
    region: pulumi.Input[str],
    bucket_arn: Optional[pulumi.Input[str]] = None,
    prefix: Optional[str] = None,
    glue: Optional[GlueArns] = None,
    workgroup_arn: Optional[pulumi.Input[str]] = None,
) -> _iam.Document:
    """The role policy of one feature group grant (pure); the exact actions are in the grant methods."""
    if access == "read-online":
        return _iam.document(
            [
                _iam.statement(sid="ReadOnlineRecords", actions=list(READ_ONLINE_ACTIONS), resources=group_arn),
                _iam.statement(sid="DecryptOnlineStore", actions=["kms:Decrypt"], resources=key_arn),
            ]
        )
    if access == "write":
        statements = [_iam.statement(sid="WriteRecords", actions=list(WRITE_ACTIONS), resources=group_arn)]
        if online:
            statements.append(
                _iam.statement(sid="EncryptOnlineStore", actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=key_arn)
            )
        return _iam.document(statements)
    assert bucket_arn is not None and prefix is not None and glue is not None and workgroup_arn is not None
    return _iam.document(
        [
            _iam.statement(
                sid="ReadOfflineObjects", actions=list(READ_OFFLINE_OBJECT_ACTIONS),
                resources=pulumi.Output.concat(bucket_arn, "/", prefix, "*"),
            ),
            _iam.statement(
                sid="ListOfflineStore", actions=["s3:ListBucket"], resources=bucket_arn,
                conditions={"StringLike": {"s3:prefix": f"{prefix}*"}},
            ),
            _iam.statement(sid="DecryptOfflineStore", actions=["kms:Decrypt"], resources=key_arn, conditions=_via_s3(region)),
            _iam.statement(sid="ReadOfflineTable", actions=list(READ_OFFLINE_GLUE_ACTIONS), resources=glue.all()),
            _iam.statement(sid="QueryWithAthena", actions=list(READ_OFFLINE_ATHENA_ACTIONS), resources=workgroup_arn),
        ]
    )


# --- the component ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class FeatureGroupHandle:
    """A handle on one feature group: its definition, the resource, its ARN and physical name."""

    spec: FeatureGroupSpec
    group: aws.sagemaker.FeatureGroup
    arn: pulumi.Output[str]
    name: str
    store: "FeatureStore" = field(repr=False)

    def grant_read_online(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """sagemaker:GetRecord, sagemaker:BatchGetRecord on the group; kms:Decrypt on the online store key."""
        return self.store.grant_read_online(role, group=self.spec.name)

    def grant_write(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """sagemaker:PutRecord, sagemaker:DeleteRecord on the group; kms:GenerateDataKey, kms:Decrypt on
        the online store key when the group has an online store."""
        return self.store.grant_write(role, group=self.spec.name)

    def grant_read_offline(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Read the offline store: see `FeatureStore.grant_read_offline` for the exact actions."""
        return self.store.grant_read_offline(role, group=self.spec.name)


class FeatureStore(pulumi.ComponentResource):
    """SageMaker feature groups with online and offline stores, their Glue database and role.

    Children (suffixes are stable): `<name>-role` (the offline store role), `<name>-role-policy`
    (when a group has an offline store), `<name>-catalog` (the Glue database, when a group has an
    offline store), `<name>-<group>` per feature group. Grants add
    `<name>-<group>-<read-online|write|read-offline>-<role name>` role policies.
    """

    groups: dict[str, FeatureGroupHandle]

    def __init__(self, name: str, args: FeatureStoreArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        args = require_args("FeatureStore", name, args, FeatureStoreArgs)
        prefix = args.name_prefix if args.name_prefix is not None else f"{name}-"
        _check_default_prefix(name, args, prefix)
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._args = args
        self._grants: set[str] = set()
        self._account_id = _iam.caller_account_id()
        self._region = _iam.current_region()
        datasets = args.artifact_store.datasets
        self._bucket = datasets
        self._key = datasets.key
        offline_groups = [g for g in args.groups if g.offline]
        self.database_name = glue_name(f"{prefix}features")
        self._tables = {g.name: glue_name(f"{prefix}{g.name}") for g in offline_groups}

        self.role = aws.iam.Role(
            child(name, "role"),
            description=f"mlplat {name}: SageMaker Feature Store offline store writes",
            assume_role_policy=_iam.to_json(_iam.assume_role_policy(SAGEMAKER_PRINCIPAL, source_account=self._account_id)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        depends: list[pulumi.Resource] = []
        self.database: Optional[aws.glue.CatalogDatabase] = None
        if offline_groups:
            self.database = aws.glue.CatalogDatabase(
                child(name, "catalog"),
                name=self.database_name,
                description=f"mlplat {name}: feature store offline tables",
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            policy = offline_store_role_policy(
                bucket_arn=datasets.arn, prefix=args.offline_prefix, key_arn=self._key.arn, region=self._region,
                glue=self._glue(tuple(self._tables.values())),
            )
            depends.append(
                aws.iam.RolePolicy(
                    child(name, "role-policy"),
                    role=self.role.name,
                    policy=_iam.to_json(policy),
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )

        self.groups = {}
        for spec in args.groups:
            physical = f"{prefix}{spec.name}"
            group = aws.sagemaker.FeatureGroup(
                child(name, spec.name),
                feature_group_name=physical,
                description=spec.description,
                record_identifier_feature_name=spec.record_identifier,
                event_time_feature_name=spec.event_time,
                feature_definitions=[_feature_definition(f) for f in spec.features],
                online_store_config=self._online_config(spec),
                offline_store_config=self._offline_config(spec, datasets.name),
                role_arn=self.role.arn,
                tags=spec.tags(),
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=depends),
            )
            self.groups[spec.name] = FeatureGroupHandle(spec=spec, group=group, arn=group.arn, name=physical, store=self)

        self.feature_group_arns: pulumi.Output[dict[str, str]] = pulumi.Output.all(
            **{g: h.arn for g, h in self.groups.items()}
        )
        self.feature_group_names: dict[str, str] = {g: h.name for g, h in self.groups.items()}
        self.register_outputs(
            {"feature_group_arns": self.feature_group_arns, "feature_group_names": self.feature_group_names,
             "role_arn": self.role.arn}
        )

    # --- children ----------------------------------------------------------------------------

    def _glue(self, tables: tuple[str, ...]) -> GlueArns:
        return glue_arns(region=self._region, account_id=self._account_id, database=self.database_name, tables=tables)

    def _online_config(self, spec: FeatureGroupSpec) -> Optional[aws.sagemaker.FeatureGroupOnlineStoreConfigArgs]:
        if not spec.online:
            return None
        ttl = spec.ttl
        return aws.sagemaker.FeatureGroupOnlineStoreConfigArgs(
            enable_online_store=True,
            security_config=aws.sagemaker.FeatureGroupOnlineStoreConfigSecurityConfigArgs(kms_key_id=self._key.arn),
            storage_type=spec.storage_type,
            ttl_duration=aws.sagemaker.FeatureGroupOnlineStoreConfigTtlDurationArgs(unit=ttl.unit, value=ttl.value)
            if ttl is not None else None,
        )

    def _offline_config(
        self, spec: FeatureGroupSpec, bucket_name: pulumi.Output[str],
    ) -> Optional[aws.sagemaker.FeatureGroupOfflineStoreConfigArgs]:
        if not spec.offline:
            return None
        assert self.database is not None
        return aws.sagemaker.FeatureGroupOfflineStoreConfigArgs(
            s3_storage_config=aws.sagemaker.FeatureGroupOfflineStoreConfigS3StorageConfigArgs(
                s3_uri=pulumi.Output.concat("s3://", bucket_name, "/", self._args.offline_prefix, spec.name, "/"),
                kms_key_id=self._key.arn,
            ),
            disable_glue_table_creation=False,
            data_catalog_config=aws.sagemaker.FeatureGroupOfflineStoreConfigDataCatalogConfigArgs(
                catalog=DATA_CATALOG, database=self.database.name, table_name=self._tables[spec.name],
            ),
            table_format=spec.table_format,
        )

    # --- handles and grants ------------------------------------------------------------------

    def group(self, group: str) -> FeatureGroupHandle:
        """The handle of a group; WiringError naming the groups otherwise."""
        return self._group_named(group, "group")

    def _group_named(self, group: str, method: str) -> FeatureGroupHandle:
        return lookup(self.groups, group, where=f"FeatureStore {self._name!r}.{method}", argument="group",
                      noun="a feature group of this store")

    def grant_read_online(self, role: aws.iam.Role, *, group: str) -> aws.iam.RolePolicy:
        """Let `role` read `group`'s online records.

        Exact actions: sagemaker:GetRecord, sagemaker:BatchGetRecord on the feature group ARN;
        kms:Decrypt on the online store's key. WiringError when the group has no online store.
        """
        return self._grant("read-online", role, group)

    def grant_write(self, role: aws.iam.Role, *, group: str) -> aws.iam.RolePolicy:
        """Let `role` ingest and delete `group`'s records.

        Exact actions: sagemaker:PutRecord, sagemaker:DeleteRecord on the feature group ARN;
        kms:GenerateDataKey, kms:Decrypt on the online store's key (only when the group has an
        online store). The offline store is written by the store's own role.
        """
        return self._grant("write", role, group)

    def grant_read_offline(self, role: aws.iam.Role, *, group: str) -> aws.iam.RolePolicy:
        """Let `role` read `group`'s offline store directly or through Athena.

        Exact actions: s3:GetObject, s3:GetObjectVersion on `<datasets bucket>/<offline_prefix><group>/*`;
        s3:ListBucket on the bucket with s3:prefix StringLike `<offline_prefix><group>/*`;
        kms:Decrypt on the data key through S3 only; glue:GetDatabase, glue:GetTable,
        glue:GetPartition, glue:GetPartitions, glue:BatchGetPartition on the Glue catalog, the
        database and the group's table; athena:StartQueryExecution, athena:GetQueryExecution,
        athena:GetQueryResults, athena:StopQueryExecution, athena:GetWorkGroup on the
        `athena_workgroup` (the workgroup's query result location is granted separately).
        WiringError when the group has no offline store.
        """
        return self._grant("read-offline", role, group)

    def _grant(self, access: Access, role: aws.iam.Role, group: str) -> aws.iam.RolePolicy:
        method = f"grant_{access.replace('-', '_')}"
        require_role(f"FeatureStore {self._name!r}.{method}", role)
        handle = self._group_named(group, method)
        spec = handle.spec
        if access == "read-online" and not spec.online:
            raise WiringError(f"FeatureStore {self._name!r}.{method}: feature group {group!r} has no online store")
        if access == "read-offline" and not spec.offline:
            raise WiringError(f"FeatureStore {self._name!r}.{method}: feature group {group!r} has no offline store")
        name = child(self._name, f"{group}-{access}-{role._name}")
        extra: dict[str, Any] = {}
        if access == "read-offline":
            extra = {
                "bucket_arn": self._bucket.arn,
                "prefix": f"{self._args.offline_prefix}{group}/",
                "glue": self._glue((self._tables[group],)),
                "workgroup_arn": pulumi.Output.concat(
                    "arn:aws:athena:", self._region, ":", self._account_id, ":workgroup/", self._args.athena_workgroup
                ),
            }
        document = grant_document(
            access, group_arn=handle.arn, key_arn=self._key.arn, online=spec.online, region=self._region, **extra
        )
        return attach_grant(
            self, self._grants, name, role, document,
            duplicate=f"FeatureStore {self._name!r} already has a {access} grant on {group!r} for role {role._name!r} "
            f"({name}); declare one grant per group, access and role",
        )


def _feature_definition(feature: FeatureSpec) -> aws.sagemaker.FeatureGroupFeatureDefinitionArgs:
    config = None
    if feature.collection == "Vector":
        config = aws.sagemaker.FeatureGroupFeatureDefinitionCollectionConfigArgs(
            vector_config=aws.sagemaker.FeatureGroupFeatureDefinitionCollectionConfigVectorConfigArgs(dimension=feature.dimension)
        )
    return aws.sagemaker.FeatureGroupFeatureDefinitionArgs(
        feature_name=feature.name, feature_type=feature.type, collection_type=feature.collection, collection_config=config,
    )


def _check_default_prefix(name: str, args: FeatureStoreArgs, prefix: str) -> None:
    """The omitted name_prefix comes from the component name: it must make valid names too."""
    if args.name_prefix is not None:
        return
    problems = []
    if not _NAME_PREFIX.match(prefix):
        problems.append(
            Problem(
                "FeatureStoreArgs.name_prefix",
                f"is omitted and the component name {name!r} is not a usable prefix (lowercase letters, digits "
                "and '-'); set name_prefix",
            )
        )
    else:
        problems.extend(_group_name_problems("FeatureStoreArgs", prefix, args.groups))
    if problems:
        raise ConfigError(problems)


def _group_name_problems(base: str, prefix: str, groups: Iterable[FeatureGroupSpec]) -> list[Problem]:
    """Each group's physical name (`<prefix><name>`) must fit SageMaker's limit."""
    problems = []
    for index, group in enumerate(groups):
        physical = f"{prefix}{group.name}"
        if len(physical) > MAX_GROUP_NAME:
            problems.append(Problem(f"{base}.groups.{index}.name",
                                    f"makes the feature group name {physical!r} longer than {MAX_GROUP_NAME} characters",
                                    group.name))
    return problems
