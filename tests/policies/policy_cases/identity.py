"""IAM rule cases: exact grants pass; wildcards, admin policies, open trust and loose PassRole fail."""

from __future__ import annotations

import json

import pulumi_aws as aws

from . import RuleCase

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
