"""`mlplat plan --baseline`: what a plan creates, deletes and updates against a previous plan, by URN."""

from __future__ import annotations

import pytest

from mlplat.tooling.plan_diff import diff_plans, resources_of


def preview(*resources: tuple[str, str, dict]) -> dict:
    return {"steps": [{"op": "create", "urn": urn, "newState": {"urn": urn, "type": type_, "inputs": inputs}}
                      for urn, type_, inputs in resources]}


BUCKET = "aws:s3/bucketV2:BucketV2"
GROUP = "aws:eks/nodeGroup:NodeGroup"


def test_resources_are_matched_by_urn_and_compared_input_by_input() -> None:
    before = preview(("urn:a", BUCKET, {"bucket": "a", "tags": {"env": "dev"}}),
                     ("urn:gone", GROUP, {"instanceTypes": ["g5.xlarge"]}),
                     ("urn:same", BUCKET, {"bucket": "s", "forceDestroy": False}))
    after = preview(("urn:a", BUCKET, {"bucket": "a", "tags": {"env": "prod"}, "forceDestroy": True}),
                    ("urn:new", BUCKET, {"bucket": "n"}),
                    ("urn:same", BUCKET, {"forceDestroy": False, "bucket": "s"}))
    diff = diff_plans(before, after)
    assert [(c.urn, c.op, c.keys) for c in diff.changes] == [
        ("urn:a", "update", ("forceDestroy", "tags")),
        ("urn:gone", "delete", ()),
        ("urn:new", "create", ()),
        ("urn:same", "same", ()),
    ]
    assert diff.summary() == "1 to create, 1 to delete, 1 to update, 1 unchanged"
    assert diff.to_json()["changes"] == [
        {"urn": "urn:a", "type": BUCKET, "op": "update", "keys": ["forceDestroy", "tags"]},
        {"urn": "urn:gone", "type": GROUP, "op": "delete"},
        {"urn": "urn:new", "type": BUCKET, "op": "create"},
    ]


def test_a_document_that_is_not_a_preview_is_refused() -> None:
    with pytest.raises(ValueError, match="not a preview JSON document"):
        resources_of({"resources": []})
