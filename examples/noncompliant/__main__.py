"""Deliberately non-compliant: every resource here breaks at least one mlplat governance rule.

`mlplat plan --cwd examples/noncompliant --stack prod --environment prod` must exit non-zero;
tests/policies/test_examples.py asserts exactly which rules block it.
"""

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

# A public bucket: canned public ACL, no public access block, no encryption, no logging.
aws.s3.Bucket("public-datasets", acl="public-read")

# An endpoint configuration without a KMS key, one instance, no data capture.
aws.sagemaker.EndpointConfiguration(
    "unencrypted-config",
    production_variants=[{
        "variant_name": "main",
        "model_name": "churn-model",
        "instance_type": "ml.m5.large",
        "initial_instance_count": 1,
    }],
)

# A wildcard IAM policy on a role anyone can assume.
role = aws.iam.Role(
    "anyone",
    assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}),
)
aws.iam.RolePolicy("everything", role=role.name, policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))

# A privileged pod in the default namespace.
cluster = k8s.Provider("cluster", kubeconfig="{}")
k8s.core.v1.Pod(
    "debug",
    spec={"containers": [{"name": "shell", "image": "ubuntu:latest", "securityContext": {"privileged": True}}]},
    opts=pulumi.ResourceOptions(provider=cluster),
)
