"""The contract validator reads botocore's shapes: enums, patterns, lengths, bounds, members."""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from mlplat.tooling.contracts import MappingGap, Request, check_plan, operation_model, to_request, validate
from mlplat.tooling.offline import run_callable
from mlplat.tooling.plan import is_unknown
from mlplat.tooling.plan import UNKNOWN


def endpoint_config(**variant):
    base = {"VariantName": "blue", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": 2}
    return Request("sagemaker", "CreateEndpointConfig", {"EndpointConfigName": "cfg-1", "ProductionVariants": [{**base, **variant}]})


def test_a_valid_request_has_no_problems():
    assert validate(endpoint_config()) == []


def test_enum_pattern_length_and_bounds_come_from_the_model():
    request = endpoint_config(InstanceType="ml.m5.huge", InitialVariantWeight=-1.0)
    request.params["EndpointConfigName"] = "bad_name!"
    request.params["KmsKeyId"] = "k" * 3000
    problems = dict(validate(request))
    assert "'ml.m5.huge' is not one of the API's values" in problems["ProductionVariants[0].InstanceType"]
    assert "does not match the API pattern" in problems["EndpointConfigName"]
    assert problems["KmsKeyId"] == "3000 characters is above the API maximum 2048"
    assert problems["ProductionVariants[0].InitialVariantWeight"] == "-1.0 is below the API minimum 0"


def test_missing_required_and_unknown_members_are_reported():
    request = Request("sagemaker", "CreateEndpointConfig", {"EndpointConfigName": "cfg", "Bogus": 1})
    problems = dict(validate(request))
    assert problems["ProductionVariants"] == "is required"
    assert problems["Bogus"] == "is not a member of CreateEndpointConfigInput"


def test_list_bounds_and_types():
    request = Request("sagemaker", "CreateEndpointConfig", {"EndpointConfigName": "cfg", "ProductionVariants": []})
    assert dict(validate(request))["ProductionVariants"] == "0 items is below the API minimum 1"
    problems = dict(validate(endpoint_config(InitialInstanceCount=1.5)))
    assert problems["ProductionVariants[0].InitialInstanceCount"] == "expected an integer, got 1.5"


def test_unknown_values_are_skipped():
    assert validate(endpoint_config(InstanceType=UNKNOWN)) == []
    assert is_unknown(UNKNOWN)


def test_to_request_maps_camel_case_and_refuses_gaps():
    shape = operation_model("sagemaker", "CreateEndpointConfig").input_shape
    mapped = to_request(
        {"name": "cfg", "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/x", "productionVariants": [{"variantName": "blue", "instanceType": "ml.m5.large"}], "tags": {"a": "b"}},
        shape,
        renames={"name": "EndpointConfigName", "kmsKeyArn": "KmsKeyId"},
        drop={"tags"},
    )
    assert mapped == {
        "EndpointConfigName": "cfg",
        "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/x",
        "ProductionVariants": [{"VariantName": "blue", "InstanceType": "ml.m5.large"}],
    }
    with pytest.raises(MappingGap, match="'productionVariants.newField' has no member"):
        to_request({"productionVariants": [{"newField": 1}]}, shape)


def test_plans_are_checked_per_mapped_resource():
    def program():
        aws.cloudwatch.LogGroup("ok", retention_in_days=30)
        aws.cloudwatch.LogGroup("bad", name="bad name with spaces", retention_in_days=30)

    errors = check_plan(run_callable(program))
    assert [(e.urn.rsplit("::", 1)[-1], e.operation, e.path) for e in errors] == [
        ("bad", "logs:CreateLogGroup", "logGroupName"),
        ("bad", "logs:PutRetentionPolicy", "logGroupName"),
    ]
    assert "does not match the API pattern" in errors[0].message
