"""The offline runner behaves like the engine where the stock mock monitor does not."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import is_unknown


class Inner(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("test:index:Inner", name, None, opts)
        self.bucket = aws.s3.Bucket(f"{name}-bucket", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


class Outer(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("test:index:Outer", name, None, opts)
        self.inner = Inner(f"{name}-inner", pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


def test_urns_carry_the_full_parent_type_chain_like_the_engine():
    plan = run_callable(lambda: Outer("o"), project="proj", stack="dev")
    assert plan.named("o-inner-bucket").urn == (
        "urn:pulumi:dev::proj::test:index:Outer$test:index:Inner$aws:s3/bucket:Bucket::o-inner-bucket"
    )
    # Top-level resources carry no root-stack prefix (the stock mock monitor adds one).
    assert plan.named("o").urn == "urn:pulumi:dev::proj::test:index:Outer::o"
    assert plan.root_urn == "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev"


def test_stack_transforms_are_applied_before_inputs_are_recorded():
    def program():
        def add_tag(args: pulumi.ResourceTransformArgs):
            if args.type_ == "aws:s3/bucket:Bucket":
                return pulumi.ResourceTransformResult({**args.props, "tags": {"from": "stack"}}, args.opts)
            return None

        pulumi.runtime.register_resource_transform(add_tag)
        aws.s3.Bucket("b")

    plan = run_callable(program)
    assert plan.named("b").inputs["tags"] == {"from": "stack"}


def test_transform_order_is_own_then_ancestors_then_stack():
    seen: dict[str, list[str]] = {}

    def recorder(label: str):
        def transform(args: pulumi.ResourceTransformArgs):
            if args.custom:
                seen.setdefault(args.name, []).append(label)
                tags = dict(args.props.get("tags") or {})
                tags["last"] = label
                return pulumi.ResourceTransformResult({**args.props, "tags": tags}, args.opts)
            return None

        return transform

    def program():
        pulumi.runtime.register_resource_transform(recorder("stack"))
        outer = Outer("o", pulumi.ResourceOptions(transforms=[recorder("outer")]))
        aws.s3.Bucket("own", opts=pulumi.ResourceOptions(parent=outer.inner, transforms=[recorder("own")]))

    plan = run_callable(program)
    assert seen["own"] == ["own", "outer", "stack"]
    # The component's transform reaches its grandchild even though only the parent chain names it.
    assert seen["o-inner-bucket"] == ["outer", "stack"]
    assert plan.named("own").inputs["tags"] == {"last": "stack"}
    assert plan.named("o-inner-bucket").inputs["tags"] == {"last": "stack"}


def test_transforms_can_change_options_such_as_protect():
    def program():
        def protect_buckets(args: pulumi.ResourceTransformArgs):
            if args.type_ == "aws:s3/bucket:Bucket":
                return pulumi.ResourceTransformResult(args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(protect=True)))
            return None

        pulumi.runtime.register_resource_transform(protect_buckets)
        aws.s3.Bucket("b")
        aws.sqs.Queue("q")

    plan = run_callable(program)
    assert plan.named("b").protect is True
    assert plan.named("q").protect is False


def test_parent_protect_dependencies_and_property_dependencies_are_captured():
    def program():
        key = aws.kms.Key("k", opts=pulumi.ResourceOptions(protect=True))
        bucket = aws.s3.Bucket("b")
        aws.s3.BucketPolicy(
            "p",
            bucket=bucket.id,
            policy=pulumi.Output.json_dumps({"key": key.arn}),
            opts=pulumi.ResourceOptions(depends_on=[key]),
        )

    plan = run_callable(program)
    key, bucket, policy = plan.named("k"), plan.named("b"), plan.named("p")
    assert key.protect is True
    assert policy.parent == plan.root_urn
    assert policy.property_dependencies["bucket"] == [bucket.urn]
    assert policy.property_dependencies["policy"] == [key.urn]
    assert key.urn in policy.dependencies


def test_outputs_are_realistic_so_documents_built_from_them_are_complete():
    def program():
        key = aws.kms.Key("k")
        bucket = aws.s3.Bucket("b")
        aws.s3.BucketPolicy("p", bucket=bucket.id, policy=pulumi.Output.json_dumps({"bucket": bucket.arn, "key": key.arn}))

    plan = run_callable(program, region="eu-west-1", account="210987654321")
    doc = json.loads(plan.named("p").inputs["policy"])
    bucket_name = plan.named("b").inputs["bucket"]
    assert doc["bucket"] == f"arn:aws:s3:::{bucket_name}"
    assert doc["key"].startswith("arn:aws:kms:eu-west-1:210987654321:key/")
    assert plan.named("p").inputs["bucket"] == bucket_name


def test_auto_naming_matches_the_provider_and_is_stable():
    def program():
        aws.s3.Bucket("Data-Bucket")
        aws.iam.Role("runner", assume_role_policy="{}")
        aws.iam.Role("prefixed", assume_role_policy="{}", name_prefix="ml-")
        aws.kms.Key("k")  # keys take no name

    first, second = run_callable(program), run_callable(program)
    bucket = first.named("Data-Bucket").inputs["bucket"]
    assert bucket.startswith("data-bucket-") and len(bucket) == len("data-bucket-") + 7
    assert first.named("runner").inputs["name"].startswith("runner-")
    assert first.named("prefixed").inputs["name"].startswith("ml-")
    assert "name" not in first.named("k").inputs
    assert first.named("Data-Bucket").inputs == second.named("Data-Bucket").inputs


def test_preview_leaves_computed_outputs_unknown():
    def program():
        bucket = aws.s3.Bucket("b")
        aws.s3.BucketPolicy("p", bucket=bucket.id, policy=pulumi.Output.json_dumps({"arn": bucket.arn}))

    plan = run_callable(program, preview=True)
    policy = plan.named("p")
    assert is_unknown(policy.inputs["bucket"])
    assert is_unknown(policy.inputs["policy"])
    assert plan.named("b").id is None


def test_inputs_unknown_in_preview_stay_unknown_in_the_state_at_any_depth():
    def program():
        key = aws.kms.Key("k")
        aws.s3.BucketPolicy("p", bucket="known", policy=key.arn)
        aws.cloudwatch.LogGroup("g", name="known", tags={"key": key.arn, "team": "ml"})

    plan = run_callable(program, preview=True)
    assert is_unknown(plan.named("p").outputs["policy"]) and plan.named("p").outputs["bucket"] == "known"
    group = plan.named("g")
    assert is_unknown(group.outputs["tags"]["key"]) and group.outputs["tags"]["team"] == "ml"


def test_numbers_come_back_as_providers_deliver_them():
    plan = run_callable(lambda: aws.kms.Key("k", deletion_window_in_days=7))
    value = plan.named("k").inputs["deletionWindowInDays"]
    assert value == 7 and isinstance(value, int)


def test_invoke_results_and_stack_references_are_plain_dictionaries():
    def program():
        ami = aws.ec2.get_ami_output(owners=["amazon"], most_recent=True)
        network = pulumi.StackReference("org/network/prod")
        pulumi.export("ami", ami.id)
        pulumi.export("vpc", network.get_output("vpc_id"))

    plan = run_callable(
        program,
        invoke_results={"aws:ec2/getAmi:getAmi": {"id": "ami-0123456789abcdef0"}},
        stack_references={"org/network/prod": {"vpc_id": "vpc-0abc"}},
    )
    assert plan.outputs == {"ami": "ami-0123456789abcdef0", "vpc": "vpc-0abc"}


def test_an_invoke_without_a_fake_is_answered_from_its_result_type_and_listed():
    def program():
        pulumi.export("ami", aws.ec2.get_ami(owners=["amazon"], most_recent=True).id)

    plan = run_callable(program)
    assert plan.outputs["ami"].startswith("ami-")
    assert plan.generic_invokes == [("aws:ec2/getAmi:getAmi", {"owners": ["amazon"], "mostRecent": True})]


def test_program_exceptions_propagate_unchanged():
    class Boom(Exception):
        pass

    def program():
        raise Boom("stop")

    with pytest.raises(Boom, match="stop"):
        run_callable(program)


def test_runs_are_isolated_from_each_other():
    first = run_callable(lambda: aws.s3.Bucket("a"))
    second = run_callable(lambda: aws.s3.Bucket("b"))
    assert [r.name for r in first.custom_resources] == ["a"]
    assert [r.name for r in second.custom_resources] == ["b"]


def test_preview_json_has_the_shape_of_pulumi_preview():
    plan = run_callable(lambda: Outer("o"), project="proj", stack="dev")
    doc = plan.to_preview_json()
    assert set(doc) >= {"steps", "changeSummary", "diagnostics"}
    by_urn = {s["urn"]: s for s in doc["steps"]}
    bucket = by_urn["urn:pulumi:dev::proj::test:index:Outer$test:index:Inner$aws:s3/bucket:Bucket::o-inner-bucket"]
    assert bucket["op"] == "create"
    state = bucket["newState"]
    assert state["type"] == "aws:s3/bucket:Bucket"
    assert state["parent"] == "urn:pulumi:dev::proj::test:index:Outer$test:index:Inner::o-inner"
    assert state["provider"].startswith("urn:pulumi:dev::proj::pulumi:providers:aws::default_")
    assert state["protect"] is False
    assert {"inputs", "outputs"} <= set(state)
    assert doc["changeSummary"]["create"] == len(doc["steps"])
    provider_urn = state["provider"].rsplit("::", 1)[0]
    assert provider_urn in by_urn


def test_secrets_are_redacted_in_preview_json():
    def program():
        aws.ssm.Parameter("p", type="SecureString", value=pulumi.Output.secret("hunter2"))

    doc = run_callable(program).to_preview_json()
    step = next(s for s in doc["steps"] if s["urn"].endswith("::p"))
    assert step["newState"]["inputs"]["value"] == "[secret]"
    assert "hunter2" not in json.dumps(doc)
