"""The plan's headline counts its resources and components in words a reader expects ("1 resource")."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from mlplat.tooling.offline import run_callable
from mlplat.tooling.report import PlanReport, render_markdown, render_text


class _Pair(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("test:index:Pair", name)
        aws.sns.Topic(f"{name}-a", opts=pulumi.ResourceOptions(parent=self))
        aws.sns.Topic(f"{name}-b", opts=pulumi.ResourceOptions(parent=self))


def one_topic() -> None:
    aws.sns.Topic("only")


def two_pairs() -> None:
    _Pair("first")
    _Pair("second")


@pytest.mark.parametrize("render", [render_text, render_markdown], ids=["text", "markdown"])
def test_one_resource_is_singular(render):
    assert "1 resource in 0 components" in render(PlanReport(run_callable(one_topic)))


@pytest.mark.parametrize("render", [render_text, render_markdown], ids=["text", "markdown"])
def test_several_are_plural(render):
    assert "4 resources in 2 components" in render(PlanReport(run_callable(two_pairs)))
