"""The stack-wide tag transform reaches every taggable AWS resource, ours or the user's."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from mlplat.components._tags import REQUIRED_TAG_KEYS, platform_tags, register_stack_tags
from mlplat.core.sdk_types import takes_tag_map
from mlplat.tooling.offline import run_callable

TAGS = platform_tags(
    owner="ml@example.com", cost_center="cc-1", project="mlplat", environment="dev",
    data_classification="internal", extra={"team": "core"},
)


def test_platform_tags_hold_every_required_key():
    assert set(REQUIRED_TAG_KEYS) <= set(TAGS)
    assert TAGS["managed-by"] == "mlplat"
    assert TAGS["team"] == "core"


def test_required_keys_cannot_be_overridden_by_extra_tags():
    tags = platform_tags(owner="o", cost_center="c", project="p", environment="prod", data_classification="internal",
                         extra={"env": "dev"})
    assert tags["env"] == "prod"


def test_every_taggable_aws_resource_is_tagged_and_others_are_left_alone():
    class Component(pulumi.ComponentResource):
        def __init__(self, name):
            super().__init__("test:index:Component", name, None, None)
            aws.s3.Bucket(f"{name}-bucket", opts=pulumi.ResourceOptions(parent=self))
            self.register_outputs({})

    def program():
        register_stack_tags(TAGS)
        Component("c")
        aws.sqs.Queue("users-queue", tags={"owner": "someone-else", "purpose": "jobs"})
        bucket = aws.s3.Bucket("b")
        aws.s3.BucketVersioning("v", bucket=bucket.id, versioning_configuration={"status": "Enabled"})
        aws.autoscaling.Group("asg", max_size=1, min_size=0, availability_zones=["us-east-1a"],
                              launch_template={"id": "lt-0123", "version": "$Latest"})
        k8s.core.v1.Namespace("ns", opts=pulumi.ResourceOptions(provider=k8s.Provider("k", kubeconfig="{}")))

    plan = run_callable(program)
    assert plan.named("c-bucket").tags == TAGS
    assert plan.named("b").tags == TAGS
    # A resource's own tags win: an explicit value is a decision, the platform's a default.
    assert plan.named("users-queue").tags == {**TAGS, "owner": "someone-else", "purpose": "jobs"}
    assert "tags" not in plan.named("v").inputs  # BucketVersioning takes no tags
    assert "tags" not in plan.named("asg").inputs  # ASG tags are a list of blocks, not a map
    assert "tags" not in plan.named("ns").inputs
    assert "tags" not in plan.named("c").inputs  # components are not tagged


def test_taggability_comes_from_the_provider_sdk():
    assert takes_tag_map("aws:s3/bucket:Bucket")
    assert takes_tag_map("aws:kms/key:Key")
    assert not takes_tag_map("aws:kms/alias:Alias")
    assert not takes_tag_map("aws:autoscaling/group:Group")
    assert not takes_tag_map("aws:nosuch/thing:Thing")
