"""Interactive ML environments (MLP-NB-01): notebook instances and SageMaker Studio domains and
user profiles stay in the VPC, without direct internet access, encrypted, and without root.

Props (pulumi-aws 7): `aws:sagemaker/notebookInstance:NotebookInstance` has `subnetId`,
`directInternetAccess` (Enabled or Disabled; AWS's default is Enabled), `kmsKeyId` and `rootAccess`
(AWS's default is Enabled); `aws:sagemaker/domain:Domain` has `appNetworkAccessType`
(PublicInternetOnly, AWS's default, or VpcOnly), `subnetIds`, `vpcId`, `kmsKeyId` and
`defaultUserSettings.customPosixUserConfig.uid`; `aws:sagemaker/userProfile:UserProfile` has
`userSettings.customPosixUserConfig.uid` (0 is root in Studio apps). A key or subnet computed from
another resource (unknown in preview) is set.
"""

from __future__ import annotations

from typing import Any, Iterable

from ._framework import MISSING, UNKNOWN, Finding, ResourceView, RuleContext, resource_rule, state, strings

__all__ = ["DOMAIN_TYPE", "NOTEBOOK_TYPE", "USER_PROFILE_TYPE", "notebooks_isolated"]

NOTEBOOK_TYPE = "aws:sagemaker/notebookInstance:NotebookInstance"
DOMAIN_TYPE = "aws:sagemaker/domain:Domain"
USER_PROFILE_TYPE = "aws:sagemaker/userProfile:UserProfile"


def _is_set(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if value is MISSING:
        return False
    return bool(strings(value)) if not isinstance(value, (int, float)) else True


def _root_uid(r: ResourceView, path: str) -> Iterable[Finding]:
    uid = state(r, path)
    if isinstance(uid, (int, float)) and not isinstance(uid, bool) and uid == 0:
        yield Finding(f"{r.name}: {path} is 0: Studio apps run as root", key="root")


@resource_rule(
    id="MLP-NB-01", name="mlplat-sagemaker-notebook-isolate-encrypt-no-root", severity="high",
    description=(
        "Notebook instances run in a VPC subnet (subnetId) with direct internet access Disabled, a KMS key and root "
        "access Disabled; Studio domains are VpcOnly with subnets and a KMS key; no Studio user settings run apps as "
        "root (customPosixUserConfig.uid 0)"
    ),
    remediation=(
        "Notebook instances: set subnet_id and security_groups (the platform's private subnets), direct_internet_access="
        "'Disabled', kms_key_id (a customer-managed key) and root_access='Disabled'.",
        "Studio domains: set app_network_access_type='VpcOnly' with subnet_ids and vpc_id of the platform VPC (reach the "
        "internet through its endpoints or egress), and kms_key_id.",
        "Remove custom_posix_user_config with uid 0 from domain and user profile settings.",
    ),
    frameworks=("AwsSolutions-SM1", "AwsSolutions-SM2", "AwsSolutions-SM3", "CKV_AWS_122", "NIST-800-53:SC-7",
                "NIST-800-53:SC-28", "NIST-800-53:AC-6"),
    levels=("advisory", "mandatory"), types=(NOTEBOOK_TYPE, DOMAIN_TYPE, USER_PROFILE_TYPE),
)
def notebooks_isolated(r: ResourceView, cfg: Any, ctx: RuleContext) -> Iterable[Finding]:
    if r.type == NOTEBOOK_TYPE:
        if not _is_set(state(r, "subnetId")):
            yield Finding(f"notebook instance {r.name} names no subnetId: it runs outside the platform VPC", key="vpc")
        internet = state(r, "directInternetAccess")
        if internet is not UNKNOWN and internet != "Disabled":
            shown = "not set (AWS's default is Enabled)" if internet is MISSING else repr(internet)
            yield Finding(f"notebook instance {r.name} has direct internet access (directInternetAccess is {shown})", key="internet")
        if not _is_set(state(r, "kmsKeyId")):
            yield Finding(f"notebook instance {r.name} has no kmsKeyId: its storage volume uses an AWS-owned key", key="kms")
        root = state(r, "rootAccess")
        if root is not UNKNOWN and root != "Disabled":
            shown = "not set (AWS's default is Enabled)" if root is MISSING else repr(root)
            yield Finding(f"notebook instance {r.name} gives users root (rootAccess is {shown})", key="root")
    elif r.type == DOMAIN_TYPE:
        access = state(r, "appNetworkAccessType")
        if access is not UNKNOWN and access != "VpcOnly":
            shown = "not set (AWS's default is PublicInternetOnly)" if access is MISSING else repr(access)
            yield Finding(f"Studio domain {r.name} reaches the internet outside the VPC (appNetworkAccessType is {shown})", key="internet")
        if not _is_set(state(r, "subnetIds")):
            yield Finding(f"Studio domain {r.name} names no subnetIds", key="vpc")
        if not _is_set(state(r, "kmsKeyId")):
            yield Finding(f"Studio domain {r.name} has no kmsKeyId: its EFS home directories use an AWS-managed key", key="kms")
        yield from _root_uid(r, "defaultUserSettings.customPosixUserConfig.uid")
        yield from _root_uid(r, "defaultSpaceSettings.customPosixUserConfig.uid")
    else:
        yield from _root_uid(r, "userSettings.customPosixUserConfig.uid")
