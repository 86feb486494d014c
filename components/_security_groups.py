"""Security group rules shared by components."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

__all__ = ["allow_within_group"]


def allow_within_group(group_id: pulumi.Input[str], *, ingress: tuple[str, str], egress: tuple[str, str],
                       opts: pulumi.ResourceOptions) -> None:
    """All traffic from and to the group itself (matched by group, not address): EFA's OS-bypass traffic, the
    instances of one distributed training job. `ingress`, `egress`: each rule's (resource name, description)."""
    for rule, (name, description) in ((aws.vpc.SecurityGroupIngressRule, ingress), (aws.vpc.SecurityGroupEgressRule, egress)):
        rule(name, security_group_id=group_id, referenced_security_group_id=group_id, ip_protocol="-1",
             description=description, opts=opts)
