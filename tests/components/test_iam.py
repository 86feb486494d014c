"""IAM documents: `to_json` resolves like `pulumi.Output.json_dumps`, dependencies and secrecy included."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from mlplat.components import _iam
from mlplat.tooling.offline import run_callable


def test_to_json_matches_output_json_dumps_with_dependencies_and_secrets():
    def program():
        key = aws.kms.Key("k")
        bucket = aws.s3.Bucket("b")
        doc = _iam.document([
            _iam.statement(sid="Read", actions=["s3:GetObject"], resources=[pulumi.Output.concat(bucket.arn, "/*")]),
            _iam.statement(sid="Key", actions=["kms:Decrypt"], resources=key.arn,
                           conditions={"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}),
        ])
        aws.ssm.Parameter("ours", type="String", value=_iam.to_json(doc))
        aws.ssm.Parameter("sdk", type="String", value=pulumi.Output.json_dumps(doc))
        aws.ssm.Parameter("secret", type="String", value=_iam.to_json({"token": pulumi.Output.secret("x"), "n": 1}))
        aws.ssm.Parameter("plain", type="String", value=_iam.to_json({"a": [1, "b"]}))

    plan = run_callable(program)
    ours, sdk = plan.named("ours"), plan.named("sdk")
    assert json.loads(ours.inputs["value"]) == json.loads(sdk.inputs["value"])
    assert ours.inputs["value"] == sdk.inputs["value"]
    assert sorted(ours.property_dependencies["value"]) == sorted(sdk.property_dependencies["value"])
    assert len(ours.property_dependencies["value"]) == 2
    assert "value" in plan.named("secret").secret_paths
    assert plan.named("plain").inputs["value"] == '{"a": [1, "b"]}'


def test_to_json_stays_unknown_in_preview_until_its_outputs_are_known():
    def program():
        bucket = aws.s3.Bucket("b")
        aws.ssm.Parameter("p", type="String", value=_iam.to_json({"Resource": bucket.arn}))

    from mlplat.tooling.plan import is_unknown

    assert is_unknown(run_callable(program, preview=True).named("p").inputs["value"])
