"""Reading IAM-style policy documents (identity, resource, key and trust policies) as AWS reads them.

Principals are read in every shape AWS accepts: `"*"`, `{"AWS": "*"}`, `{"AWS": [..., "*"]}`, a
map of several kinds (`AWS`, `Service`, `Federated`, `CanonicalUser`); `"*"` anywhere in it is
everyone. An Allow with `NotPrincipal` allows everyone but the listed principals. A condition
narrows a `"*"` principal only when it names who may act (`RESTRICTING_CONDITION_KEYS`) with an
operator that requires a match (StringEquals, StringLike, ArnEquals, ArnLike, their
case-insensitive and ForAnyValue forms; never a negated, `IfExists` or `ForAllValues` operator,
which a request without the key satisfies) and values that name something specific (no bare
wildcard, an ARN whose account is written out, an organization path that starts with the
organization id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Sequence


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    principals: Any  # "*" or {"AWS": ..., "Service": ..., "Federated": ...}
    conditions: Mapping[str, Mapping[str, Any]]
    sid: str = ""
    index: int = 0

    @property
    def label(self) -> str:
        return self.sid or f"#{self.index + 1}"

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    not_principals: Any = None  # NotPrincipal, in the same shapes

    def principal_values(self, kind: Optional[str] = None) -> list[str]:
        """The principals of `kind` (AWS, Service, Federated, CanonicalUser; None: every kind). A bare
        `"*"` (or a list of bare values) is an AWS principal."""
        return _principal_values(self.principals, kind)

    @property
    def has_star_principal(self) -> bool:
        """`"*"` anywhere in the principal (a bare string, a list, any kind of a map)."""
        return any(str(v).strip() == "*" for v in _principal_values(self.principals, None))

    @property
    def allows_everyone_but(self) -> bool:
        """An Allow with NotPrincipal: everyone except the listed principals."""
        return self.allows and self.not_principals is not None

    def restricting_conditions(self) -> list[str]:
        """`operator:key` of the conditions that narrow who may use the statement."""
        found = []
        for operator, block in self.conditions.items():
            if not isinstance(block, Mapping) or not _restrictive_operator(str(operator)):
                continue
            for key, value in block.items():
                kind = _RESTRICTING_KEYS.get(str(key).lower())
                values = _as_list(value)
                if kind is not None and values and all(_specific(kind, v) for v in values):
                    found.append(f"{operator}:{key}")
        return found

    def condition_value(self, key: str) -> list[Any]:
        """Values of a condition key under any operator (keys compare case-insensitively)."""
        found: list[Any] = []
        for block in self.conditions.values():
            if not isinstance(block, Mapping):
                continue
            for k, v in block.items():
                if k.lower() == key.lower():
                    found.extend(_as_list(v))
        return found


def _principal_values(principals: Any, kind: Optional[str]) -> list[str]:
    if principals is None:
        return []
    if isinstance(principals, Mapping):
        values: list[str] = []
        for key, value in principals.items():
            if kind is None or str(key) == kind:
                values.extend(str(v) for v in _as_list(value))
        return values
    # "*" or a list written without a kind: AWS principals
    return [str(v) for v in _as_list(principals)] if kind in (None, "AWS") else []


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]


def _raw_statements(document: Any) -> list[Any]:
    """The `Statement` entries as written: a single object as a list of one; malformed: none."""
    raw = document.get("Statement", []) if isinstance(document, Mapping) else []
    if isinstance(raw, Mapping):
        return [raw]
    return list(raw) if isinstance(raw, Sequence) and not isinstance(raw, str) else []


def not_principal_allow_labels(document: Any) -> list[str]:
    """Labels (Sid, else `#<position>`) of the Allow statements that use NotPrincipal."""
    return [
        item.get("Sid") or f"#{index + 1}"
        for index, item in enumerate(_raw_statements(document))
        if isinstance(item, Mapping) and item.get("Effect") == "Allow" and "NotPrincipal" in item
    ]


_PARSED: dict[int, tuple[Any, list[Statement]]] = {}
_PARSED_LIMIT = 2048


def statements(document: Any) -> list[Statement]:
    """The statements of a parsed policy document (tolerates a single statement object). Documents
    parsed from JSON text are shared between rules, so their statements are read once too."""
    if isinstance(document, dict):
        cached = _PARSED.get(id(document))
        if cached is not None and cached[0] is document:
            return cached[1]
        found = _statements(document)
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        _PARSED[id(document)] = (document, found)  # the entry keeps the document alive: its id is not reused
        return found
    return _statements(document)


def _statements(document: Any) -> list[Statement]:
    out = []
    for s in _raw_statements(document):
        if not isinstance(s, Mapping):
            continue
        out.append(
            Statement(
                effect=str(s.get("Effect", "")),
                actions=tuple(str(a) for a in _as_list(s.get("Action"))),
                not_actions=tuple(str(a) for a in _as_list(s.get("NotAction"))),
                resources=tuple(str(r) for r in _as_list(s.get("Resource"))),
                principals=s.get("Principal"),
                not_principals=s.get("NotPrincipal"),
                conditions=s.get("Condition") or {},
                sid=str(s.get("Sid", "")),
                index=len(out),
            )
        )
    return out


def allow_statements(document: Any) -> Iterable[Statement]:
    return (s for s in statements(document) if s.allows)


# Condition keys that narrow a "*" principal to something specific, by the kind of value they take.
RESTRICTING_CONDITION_KEYS: dict[str, str] = {
    "aws:PrincipalOrgID": "id", "aws:SourceOrgID": "id", "aws:ResourceOrgID": "id",
    "aws:PrincipalOrgPaths": "org-path", "aws:SourceOrgPaths": "org-path", "aws:ResourceOrgPaths": "org-path",
    "aws:SourceVpc": "id", "aws:SourceVpce": "id",
    "aws:SourceAccount": "id", "aws:PrincipalAccount": "id", "aws:ResourceAccount": "id", "aws:SourceOwner": "id",
    "kms:CallerAccount": "id",
    "aws:userid": "user-id",
    "aws:SourceArn": "arn", "aws:PrincipalArn": "arn",
}
_RESTRICTING_KEYS = {k.lower(): v for k, v in RESTRICTING_CONDITION_KEYS.items()}
# Operators a request must match (a request without the key fails them), before any ForAnyValue: prefix.
RESTRICTIVE_OPERATORS = ("StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike")
_RESTRICTIVE = {o.lower() for o in RESTRICTIVE_OPERATORS}
_WILDCARDS = ("*", "?")


def _restrictive_operator(operator: str) -> bool:
    name = operator.strip()
    if name.lower().startswith("forallvalues:") or name.lower().endswith("ifexists"):
        return False  # satisfied by a request without the key
    if name.lower().startswith("foranyvalue:"):
        name = name.split(":", 1)[1]
    return name.lower() in _RESTRICTIVE


def _literal(text: str) -> bool:
    return bool(text) and not any(w in text for w in _WILDCARDS)


def _specific(kind: str, value: Any) -> bool:
    """True when a condition value names something specific (not a pattern matching anyone)."""
    if isinstance(value, bool) or value is None or isinstance(value, (Mapping, list)):
        return False
    text = str(value).strip()
    if kind == "id":
        return _literal(text)
    if kind == "org-path":  # o-xxxxxxxxxx/r-xxxx/ou-.../ : the organization must be written out
        return _literal(text.split("/", 1)[0])
    if kind == "user-id":  # AROAEXAMPLEID:session or AIDAEXAMPLE: the unique id must be written out
        return _literal(text.split(":", 1)[0])
    if kind == "arn":
        parts = text.split(":", 5)
        if len(parts) < 6 or parts[0] != "arn":
            return False
        account, resource = parts[4], parts[5]
        if account:
            return _literal(account)
        head = resource.split("*", 1)[0].split("?", 1)[0]
        return bool(head.strip("/"))  # an account-less ARN (S3) must name at least a resource prefix
    return False


def is_unconditioned_star_allow(statement: Statement) -> bool:
    """An Allow to "*" (anywhere in Principal) without a condition that narrows who can use it."""
    return statement.allows and statement.has_star_principal and not statement.restricting_conditions()


def is_unconditioned_public_allow(statement: Statement) -> bool:
    """An Allow to everyone ("*" anywhere in Principal, or NotPrincipal) without a condition that
    narrows who can use it."""
    if not statement.allows or not (statement.has_star_principal or statement.allows_everyone_but):
        return False
    return not statement.restricting_conditions()


# Where resources embed policy documents (pulumi-aws 7 props, JSON strings).
# Identity policies: what a principal may do.
IDENTITY_POLICY_PROPS: dict[str, str] = {
    "aws:iam/policy:Policy": "policy",  # customer-managed
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": "inlinePolicy",
}
ROLE_TYPE = "aws:iam/role:Role"  # inline policies: inlinePolicies[].policy; trust: assumeRolePolicy
# Resource policies: who may act on the resource. The rules of S3 (MLP-S3-04), KMS (MLP-KMS-02), ECR
# (MLP-ECR-02) and the model registry (MLP-REG-01) read theirs; these are the others. VPC endpoint
# policies are left out: Principal "*" is their normal form (only the VPC reaches an endpoint).
RESOURCE_POLICY_PROPS: dict[str, str] = {
    "aws:sns/topic:Topic": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sqs/queue:Queue": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:secretsmanager/secret:Secret": "policy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "policyDocument",
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": "policy",
    "aws:glue/resourcePolicy:ResourcePolicy": "policy",
    "aws:efs/fileSystemPolicy:FileSystemPolicy": "policy",
    "aws:backup/vaultPolicy:VaultPolicy": "policy",
    "aws:opensearch/domain:Domain": "accessPolicies",
    "aws:opensearch/domainPolicy:DomainPolicy": "accessPolicies",
    "aws:ecr/registryPolicy:RegistryPolicy": "policy",
    "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate": "repositoryPolicy",
    "aws:ecrpublic/repositoryPolicy:RepositoryPolicy": "policy",
    "aws:s3/accessPoint:AccessPoint": "policy",
    "aws:s3control/accessPointPolicy:AccessPointPolicy": "policy",
    "aws:apigateway/restApi:RestApi": "policy",
    "aws:apigateway/restApiPolicy:RestApiPolicy": "policy",
}


__all__ = [
    "IDENTITY_POLICY_PROPS", "RESOURCE_POLICY_PROPS", "ROLE_TYPE",
    "RESTRICTING_CONDITION_KEYS", "RESTRICTIVE_OPERATORS", "Statement", "allow_statements", "is_unconditioned_public_allow",
    "is_unconditioned_star_allow", "not_principal_allow_labels", "statements",
]
