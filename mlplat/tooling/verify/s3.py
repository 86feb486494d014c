"""S3: the bucket exists; encryption, public access block, versioning, ownership and policy as the state says."""

from __future__ import annotations

from typing import Iterable

from ._core import Context, Finding, canonical, checks, key_id, read

__all__ = ["bucket", "encryption", "ownership", "policy", "public_access_block", "versioning"]

NO_BUCKET = ("NoSuchBucket", "NotFound")
PUBLIC_ACCESS_SETTINGS = (("blockPublicAcls", "BlockPublicAcls"), ("blockPublicPolicy", "BlockPublicPolicy"),
                          ("ignorePublicAcls", "IgnorePublicAcls"), ("restrictPublicBuckets", "RestrictPublicBuckets"))


def _bucket_name(context: Context) -> str:
    return context.value("bucket") or context.resource.id


def _read(context: Context, operation: str, **unset) -> dict:
    name = _bucket_name(context)
    call = getattr(context.clients.client("s3"), operation)
    return read(context, f"bucket {name}", lambda: call(Bucket=name), missing_codes=NO_BUCKET, **unset)


@checks("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
def bucket(context: Context) -> Iterable[Finding]:
    _read(context, "head_bucket")
    return []


@checks("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
def encryption(context: Context) -> Iterable[Finding]:
    answer = _read(context, "get_bucket_encryption", unset_codes=("ServerSideEncryptionConfigurationNotFoundError",), unset={})
    rules = answer.get("ServerSideEncryptionConfiguration", {}).get("Rules") or [{}]
    live = rules[0].get("ApplyServerSideEncryptionByDefault", {})
    expected = context.value("rules.0.applyServerSideEncryptionByDefault") or {}
    return [
        *context.differs("encryption algorithm", expected.get("sseAlgorithm"), live.get("SSEAlgorithm")),
        *context.differs("encryption key", key_id(expected.get("kmsMasterKeyId")), key_id(live.get("KMSMasterKeyID"))),
    ]


@checks("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
def public_access_block(context: Context) -> Iterable[Finding]:
    answer = _read(context, "get_public_access_block", unset_codes=("NoSuchPublicAccessBlockConfiguration",), unset={})
    live = answer.get("PublicAccessBlockConfiguration", {})
    return [
        finding
        for setting, member in PUBLIC_ACCESS_SETTINGS
        for finding in context.differs(f"public access block {member}", context.value(setting, default=False),
                                       live.get(member, False))
    ]


@checks("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
def versioning(context: Context) -> Iterable[Finding]:
    answer = _read(context, "get_bucket_versioning")
    return context.differs("versioning", context.value("versioningConfiguration.status"), answer.get("Status", "Disabled"))


@checks("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
def ownership(context: Context) -> Iterable[Finding]:
    answer = _read(context, "get_bucket_ownership_controls", unset_codes=("OwnershipControlsNotFoundError",), unset={})
    rules = answer.get("OwnershipControls", {}).get("Rules") or [{}]
    return context.differs("object ownership", context.value("rule.objectOwnership"), rules[0].get("ObjectOwnership"))


@checks("aws:s3/bucketPolicy:BucketPolicy")
def policy(context: Context) -> Iterable[Finding]:
    answer = _read(context, "get_bucket_policy", unset_codes=("NoSuchBucketPolicy",), unset={})
    if "Policy" not in answer:
        return [context.finding("bucket policy", "missing")]
    expected, live = context.value("policy"), answer["Policy"]
    if expected is not None and canonical(expected) != canonical(live):
        return [context.finding("bucket policy", "differs", canonical(expected), canonical(live))]
    return []
