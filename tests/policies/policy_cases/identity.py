"""IAM rule cases: exact grants pass; wildcards, admin policies, open trust and loose PassRole fail."""

from __future__ import annotations

import json

import pulumi_aws as aws

from . import RuleCase
from .storage import bucket_with

TRUST_SERVICE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                                          "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]}
OIDC = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"


def role(trust=TRUST_SERVICE, **kwargs) -> aws.iam.Role:
    return aws.iam.Role("role", assume_role_policy=json.dumps(trust), **kwargs)


def policy(*statements, name="grant") -> None:
    r = role()
    aws.iam.RolePolicy(name, role=r.name, policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))


EXACT = {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::data/*"}
TOKEN = {"Sid": "Token", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}


def irsa(sub: str | None) -> dict:
    condition = {"StringEquals": {"oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com"}}
    if sub is not None:
        condition["StringEquals"]["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"] = sub
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": OIDC},
                                                     "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition}]}


CASES = [
    # MLP-IAM-01 wildcards
    RuleCase("MLP-IAM-01", "pass", lambda: policy(EXACT, TOKEN), "exact actions; resource-less action on *"),
    RuleCase("MLP-IAM-01", "fail", lambda: policy({**EXACT, "Action": "s3:*"}), "wildcard action", message="wildcard action s3:*"),
    RuleCase("MLP-IAM-01", "fail", lambda: policy({**EXACT, "Resource": "*"}), "wildcard resource", message='s3:GetObject on Resource "*"'),
    RuleCase("MLP-IAM-01", "fail", lambda: policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), "not action", message="NotAction"),
    RuleCase("MLP-IAM-01", "fail", lambda: aws.iam.Policy("managed", policy=json.dumps({"Version": "2012-10-17", "Statement": [{**EXACT, "Action": "*"}]})), "managed policy", message="wildcard action *"),
    RuleCase("MLP-IAM-01", "fail", lambda: role(inline_policies=[{"name": "x", "policy": json.dumps({"Version": "2012-10-17", "Statement": [{**EXACT, "Action": "s3:Get*"}]})}]), "inline role policy", message="inlinePolicies[0]"),
    RuleCase("MLP-IAM-01", "pass", lambda: policy(EXACT), "dev advisory still passes when exact", environment="dev"),
    # MLP-IAM-02 admin managed policies
    RuleCase("MLP-IAM-02", "pass", lambda: aws.iam.RolePolicyAttachment("attach", role=role().name, policy_arn="arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"), "narrow managed policy"),
    RuleCase("MLP-IAM-02", "fail", lambda: aws.iam.RolePolicyAttachment("attach", role=role().name, policy_arn="arn:aws:iam::aws:policy/AmazonS3FullAccess"), "full access", message="AmazonS3FullAccess"),
    RuleCase("MLP-IAM-02", "fail", lambda: role(managed_policy_arns=["arn:aws:iam::aws:policy/AdministratorAccess"]), "admin on role", message="AdministratorAccess"),
    # MLP-IAM-03 trust
    RuleCase("MLP-IAM-03", "pass", role, "service with source account"),
    RuleCase("MLP-IAM-03", "pass", lambda: role(irsa("system:serviceaccount:team-a:trainer")), "irsa exact subject"),
    RuleCase("MLP-IAM-03", "fail", lambda: role({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}), "star principal", environment="dev", message='Principal "*"'),
    RuleCase("MLP-IAM-03", "fail", lambda: role(irsa(None)), "irsa without subject", message="without a condition on the token subject"),
    RuleCase("MLP-IAM-03", "fail", lambda: role(irsa("system:serviceaccount:team-a:*")), "irsa any subject", message="for any subject"),
    # MLP-IAM-04 PassRole
    RuleCase("MLP-IAM-04", "pass", lambda: policy({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/sagemaker-exec"}), "exact role"),
    RuleCase("MLP-IAM-04", "fail", lambda: policy({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/*"}), "any role", message="iam:PassRole on arn:aws:iam::123456789012:role/*"),
    RuleCase("MLP-IAM-04", "fail", lambda: policy({"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::123456789012:role/x"}), "iam star", message="allows iam:*"),
]


# --- policy shapes found in the wild ------------------------------------------------------------

INSTANCE_ARN = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
PERMISSION_SET_ARN = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef"


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements) if len(statements) != 1 else statements[0]})


def sso_inline(*statements: dict) -> None:
    aws.ssoadmin.PermissionSetInlinePolicy("sso", instance_arn=INSTANCE_ARN, permission_set_arn=PERMISSION_SET_ARN,
                                           inline_policy=document(*statements))


def user_policy(*statements: dict) -> None:
    aws.iam.UserPolicy("user-grant", user="ci", policy=document(*statements))


def group_policy(*statements: dict) -> None:
    aws.iam.GroupPolicy("group-grant", group="analysts", policy=document(*statements))


def queue_policy(*statements: dict) -> None:
    queue = aws.sqs.Queue("events")
    aws.sqs.QueuePolicy("events-policy", queue_url=queue.url, policy=document(*statements))


def topic_with_policy(*statements: dict) -> None:
    aws.sns.Topic("alerts", policy=document(*statements))


def key_with(*statements: dict) -> None:
    aws.kms.Key("k", enable_key_rotation=True, policy=document(*statements))


SEND = {"Sid": "Send", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:123456789012:events"}
DECRYPT = {"Sid": "Use", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}


def narrowed(operator: str, key: str, value) -> dict:
    return {**SEND, "Principal": "*", "Condition": {operator: {key: value}}}


# Conditions that name who may act, one per key, each with a restrictive operator and a literal value.
RESTRICTING = [
    ("StringEquals", "aws:PrincipalOrgID", "o-a1b2c3d4e5"),
    ("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"),
    ("StringEquals", "aws:SourceOrgID", "o-a1b2c3d4e5"),
    ("ForAnyValue:StringEquals", "aws:SourceOrgPaths", ["o-a1b2c3d4e5/r-ab12/"]),
    ("StringEquals", "aws:SourceVpce", "vpce-0123456789abcdef0"),
    ("StringEquals", "aws:SourceVpc", "vpc-0123456789abcdef0"),
    ("StringEquals", "aws:SourceAccount", "123456789012"),
    ("StringEquals", "aws:PrincipalAccount", ["123456789012", "210987654321"]),
    ("StringLike", "aws:userid", "AROAEXAMPLEID1234567:*"),
    ("ArnLike", "aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:alerts"),
    ("ArnEquals", "aws:PrincipalArn", "arn:aws:iam::123456789012:role/consumer"),
    ("StringEquals", "aws:ResourceOrgID", "o-a1b2c3d4e5"),
    ("StringEqualsIgnoreCase", "AWS:SourceAccount", "123456789012"),  # keys compare case-insensitively
]
# Conditions that look like restrictions but admit anyone (a request without the key, or any value).
NOT_RESTRICTING = [
    ("StringNotEquals", "aws:PrincipalOrgID", "o-a1b2c3d4e5", "negated operator"),
    ("StringEqualsIfExists", "aws:SourceAccount", "123456789012", "IfExists operator"),
    ("ForAllValues:StringEquals", "aws:PrincipalOrgPaths", ["o-a1b2c3d4e5/"], "ForAllValues operator"),
    ("StringLike", "aws:PrincipalOrgID", "*", "wildcard value"),
    ("StringLike", "aws:SourceAccount", ["123456789012", "*"], "one wildcard value among others"),
    ("ArnLike", "aws:SourceArn", "arn:aws:s3:::*", "wildcard arn"),
    ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/consumer", "arn of any account"),
    ("StringLike", "aws:PrincipalOrgPaths", "*/r-ab12/*", "org path of any organization"),
    ("StringLike", "aws:userid", "*:admin", "user id of anyone"),
    ("Bool", "aws:SecureTransport", "true", "a key that names no one"),
    ("IpAddress", "aws:SourceIp", "10.0.0.0/8", "source ip is not counted"),
]

CASES += [
    # principals as strings, lists and maps, "*" anywhere
    RuleCase("MLP-KMS-02", "fail", lambda: key_with({**DECRYPT, "Principal": "*"}), "principal as a bare string", message='Principal "*"'),
    RuleCase("MLP-KMS-02", "fail", lambda: key_with({**DECRYPT, "Principal": {"AWS": ["arn:aws:iam::123456789012:root", "*"]}}),
             "star inside a principal list", message='Principal "*"'),
    RuleCase("MLP-KMS-02", "fail", lambda: key_with({**DECRYPT, "Principal": {"Service": "logs.amazonaws.com", "AWS": "*"}}),
             "star in one kind of a map", message='Principal "*"'),
    RuleCase("MLP-KMS-02", "fail", lambda: key_with({**DECRYPT, "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"}}),
             "allow with not principal"),
    RuleCase("MLP-KMS-02", "pass", lambda: key_with({**DECRYPT, "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]}}),
             "named principal list"),
    RuleCase("MLP-ECR-02", "fail", lambda: aws.ecr.RepositoryPolicy("p", repository="r", policy=document(
        {"Sid": "Pull", "Effect": "Allow", "Principal": ["*"], "Action": "ecr:BatchGetImage"})), "principal list without a kind",
        message='Principal "*"'),
    RuleCase("MLP-S3-04", "fail", lambda: bucket_with(policy=document(
        {"Sid": "Public", "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::x/*"})),
        "bucket policy star in a list", message='Principal "*"'),
    # every identity document
    RuleCase("MLP-IAM-01", "pass", lambda: sso_inline(EXACT, TOKEN), "sso permission set exact"),
    RuleCase("MLP-IAM-01", "fail", lambda: sso_inline({**EXACT, "Action": "s3:*"}), "sso permission set inline policy",
             message="inlinePolicy statement Read allows wildcard action s3:*"),
    RuleCase("MLP-IAM-01", "fail", lambda: user_policy({**EXACT, "Action": "*"}), "user policy", message="wildcard action *"),
    RuleCase("MLP-IAM-01", "fail", lambda: group_policy({**EXACT, "Resource": "*"}), "group policy single statement object",
             message='on Resource "*"'),
    RuleCase("MLP-IAM-04", "fail", lambda: sso_inline({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}),
             "sso permission set passrole", message="iam:PassRole on *"),
    RuleCase("MLP-IAM-02", "fail", lambda: aws.ssoadmin.ManagedPolicyAttachment(
        "sso-admin", instance_arn=INSTANCE_ARN, permission_set_arn=PERMISSION_SET_ARN,
        managed_policy_arn="arn:aws:iam::aws:policy/AdministratorAccess"), "sso managed policy", message="AdministratorAccess"),
    RuleCase("MLP-IAM-02", "fail", lambda: aws.iam.UserPolicyAttachment("u", user="ci", policy_arn="arn:aws:iam::aws:policy/AmazonS3FullAccess"),
             "user attachment", message="AmazonS3FullAccess"),
    RuleCase("MLP-IAM-02", "fail", lambda: aws.iam.GroupPolicyAttachment("g", group="analysts", policy_arn="arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"),
             "group attachment", message="AmazonSageMakerFullAccess"),
    RuleCase("MLP-IAM-02", "fail", lambda: aws.iam.RolePolicyAttachmentsExclusive("x", role_name="r", policy_arns=[
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy", "arn:aws:iam::aws:policy/AdministratorAccess"]), "exclusive attachments",
        message="AdministratorAccess"),
    # resource policies
    RuleCase("MLP-IAM-03", "pass", lambda: queue_policy({**SEND, "Principal": {"Service": "events.amazonaws.com"},
                                                        "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/x"}}}),
             "queue policy for a service"),
    RuleCase("MLP-IAM-03", "fail", lambda: queue_policy({**SEND, "Principal": "*"}), "queue policy open to everyone",
             environment="dev", message='policy statement Send allows Principal "*"'),
    RuleCase("MLP-IAM-03", "fail", lambda: topic_with_policy({**SEND, "Principal": {"AWS": ["arn:aws:iam::123456789012:root", "*"]}}),
             "topic policy star in a list", message='Principal "*"'),
    RuleCase("MLP-IAM-03", "fail", lambda: aws.secretsmanager.SecretPolicy("s", secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:x",
             policy=document({**SEND, "Principal": {"AWS": "*"}})), "secret policy", message='Principal "*"'),
    RuleCase("MLP-IAM-03", "fail", lambda: aws.cloudwatch.LogResourcePolicy("logs", policy_name="x", policy_document=document(
        {**SEND, "NotPrincipal": {"Service": "logs.amazonaws.com"}})), "log resource policy not principal", message="NotPrincipal"),
    *[RuleCase("MLP-IAM-03", "pass", (lambda o=op, k=key, v=value: queue_policy(narrowed(o, k, v))), f"star narrowed by {key} {op}")
      for op, key, value in RESTRICTING],
    *[RuleCase("MLP-IAM-03", "fail", (lambda o=op, k=key, v=value: queue_policy(narrowed(o, k, v))), f"star not narrowed: {why}",
               message='allows Principal "*" without a condition') for op, key, value, why in NOT_RESTRICTING],
    RuleCase("MLP-KMS-02", "fail", lambda: key_with({**DECRYPT, "Principal": "*", "Condition": {"StringNotEquals": {"kms:CallerAccount": "123456789012"}}}),
             "key policy negated condition", message='Principal "*"'),
    RuleCase("MLP-ECR-02", "pass", lambda: aws.ecr.RepositoryPolicy("p", repository="r", policy=document(
        {"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage",
         "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/r-ab12/*"]}}})), "org paths narrow a pull policy"),
    # MLP-IAM-05 users and their credentials
    RuleCase("MLP-IAM-05", "pass", role, "roles only"),
    RuleCase("MLP-IAM-05", "fail", lambda: aws.iam.User("ci", name="ci-deployer"), "a user", message="IAM user ci-deployer"),
    RuleCase("MLP-IAM-05", "fail", lambda: aws.iam.AccessKey("ci-key", user="ci-deployer"), "an access key", environment="dev",
             message="AccessKey ci-key is a long-lived"),
    RuleCase("MLP-IAM-05", "fail", lambda: aws.iam.UserLoginProfile("console", user="analyst"), "a console password",
             message="UserLoginProfile"),
    RuleCase("MLP-IAM-05", "pass", lambda: aws.iam.User("vendor", name="vendor-sync"), "reviewed waiver",
             waivers=[{"rule": "MLP-IAM-05", "name": "vendor", "reason": "vendor sync has no role support yet",
                       "owner": "platform@example.com", "expires": "2099-01-01"}]),
]
