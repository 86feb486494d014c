"""The growth team's own checks of its stack, with the pytest plugin mlplat installs (no cloud credentials)."""

from __future__ import annotations

ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
FEATURE_GROUP = "aws:sagemaker/featureGroup:FeatureGroup"


def test_names_follow_the_team_convention(mlplat_stack):
    plan = mlplat_stack("dev")
    endpoint = plan.named("propensity-endpoint", ENDPOINT)
    assert endpoint.inputs["name"] == "growth-dev-propensity", endpoint.urn
    group = plan.named("features-customer-activity", FEATURE_GROUP)
    assert group.inputs["featureGroupName"] == "growth-dev-customer-activity", group.urn


def test_personal_features_are_encrypted_and_expire(mlplat_stack):
    plan = mlplat_stack("dev")
    group = plan.named("features-customer-activity", FEATURE_GROUP)
    online = group.inputs["onlineStoreConfig"]
    assert online["securityConfig"]["kmsKeyId"], group.urn
    assert online["ttlDuration"] == {"unit": "Days", "value": 30}, group.urn
    assert group.inputs["tags"]["team"] == "growth", group.urn


def test_the_endpoint_captures_a_fifth_of_dev_traffic(mlplat_stack):
    plan = mlplat_stack("dev")
    config = plan.named("propensity-config", ENDPOINT_CONFIG)
    capture = config.inputs["dataCaptureConfig"]
    assert capture["initialSamplingPercentage"] == 20, config.urn
    assert capture["kmsKeyId"] and config.inputs["kmsKeyArn"], config.urn
