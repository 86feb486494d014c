"""The stack-wide tag transform reaches every taggable AWS resource, ours or the user's."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from mlplat.components._tags import platform_tags, register_stack_tags
from mlplat.core.vocabulary import REQUIRED_TAG_KEYS
from mlplat.core.errors import ConfigError
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


def test_bad_platform_tags_are_config_errors_naming_every_argument():
    with pytest.raises(ConfigError) as info:
        platform_tags(owner="", cost_center="cc#1", project="mlplat", environment="production",
                      data_classification="secret", extra={"aws:team": "core", "team": "a|b", "n": 5})
    assert str(info.value).splitlines() == [
        "invalid configuration (7 problems):",
        "  platform_tags.environment: 'production' is not an environment (allowed: dev, staging, prod)",
        "  platform_tags.data_classification: 'secret' is not a data classification (allowed: public, internal, "
        "confidential, restricted)",
        "  platform_tags.owner: '' is not an AWS tag value (1 to 256 letters, digits, spaces and _ . : / = + - @, not blank)",
        "  platform_tags.cost_center: 'cc#1' is not an AWS tag value (1 to 256 letters, digits, spaces and "
        "_ . : / = + - @, not blank)",
        "  platform_tags.extra: 'aws:team' is not an AWS tag key (1 to 128 letters, digits, spaces and "
        "_ . : / = + - @; not starting with 'aws:')",
        "  platform_tags.extra.team: 'a|b' is not an AWS tag value (0 to 256 letters, digits, spaces and _ . : / = + - @)",
        "  platform_tags.extra.n: 5 is not an AWS tag value (0 to 256 letters, digits, spaces and _ . : / = + - @)",
    ]


def test_tag_values_aws_accepts_pass_unicode_included():
    tags = platform_tags(owner="ml-platform@example.com", cost_center="Forschung + Entwicklung",
                         project="mlplat", environment="staging", data_classification="restricted",
                         extra={"équipe": "données", "path": "a/b:c=d", "empty": ""})
    assert tags["équipe"] == "données" and tags["empty"] == ""
