"""`mlplat prices refresh` against recorded-shape GetProducts answers (botocore's Stubber).

The AWS Price List API is not in moto, so these tests stub the client: each answer has the shape the API
returns (FormatVersion aws_v1, PriceList entries as JSON strings of product, terms and version).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import boto3
import jsonschema
import pytest
from botocore.stub import ANY, Stubber

from mlplat.core.prices import parse_price_table
from mlplat.tooling.cli import main, write_refreshed_prices
from mlplat.tooling.price_refresh import refresh_prices, vendored_document

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2027, 1, 15)


def _entry(offer: str, version: str, attributes: dict, usd: str, unit: str = "Hrs") -> str:
    return json.dumps({
        "product": {"productFamily": "Compute Instance", "attributes": attributes, "sku": "SKU1"},
        "serviceCode": offer,
        "terms": {"OnDemand": {"SKU1.JRTCKXETXF": {
            "priceDimensions": {"SKU1.JRTCKXETXF.6YS6EN2CT7": {
                "unit": unit, "endRange": "Inf", "description": "On Demand", "appliesTo": [], "rateCode": "r",
                "beginRange": "0", "pricePerUnit": {"USD": usd}}},
            "sku": "SKU1", "effectiveDate": "2026-11-01T00:00:00Z", "offerTermCode": "JRTCKXETXF", "termAttributes": {}}}},
        "version": version, "publicationDate": "2026-11-20T18:00:00Z",
    })


def _small_vendored() -> dict:
    """The vendored table with one EC2 type and one hosting type to refresh (fewer stubbed calls)."""
    document = vendored_document()
    for region in document["regions"].values():
        region["ec2"] = {k: v for k, v in region["ec2"].items() if k == "m5.large"}
        region["sagemaker_hosting"] = {k: v for k, v in region["sagemaker_hosting"].items() if k == "ml.m5.large"}
        region["sagemaker_training"] = {}
        region["sagemaker_processing"] = {}
    return document


def _stub_all(stubber: Stubber, region: str, answers: dict) -> None:
    """One GetProducts answer per query refresh_prices makes, in its order (EC2, hosting, the services)."""
    for service, entries in answers:
        stubber.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": entries},
                             {"ServiceCode": service, "Filters": ANY, "FormatVersion": "aws_v1", "MaxResults": 100})


def test_refresh_takes_each_rate_and_names_its_offer_and_version():
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    with Stubber(client) as stubber:
        _stub_all(stubber, "eu-west-1", [
            ("AmazonEC2", [_entry("AmazonEC2", "20261120180000", {"instanceType": "m5.large", "regionCode": "eu-west-1"}, "0.1070000000")]),
            ("AmazonSageMaker", [_entry("AmazonSageMaker", "20261118000000", {"instanceName": "ml.m5.large", "component": "Hosting"}, "0.1280000000")]),
            ("AmazonEKS", [_entry("AmazonEKS", "20261001000000", {"usagetype": "EU-AmazonEKS-Hours:perCluster"}, "0.1000000000")]),
            ("awskms", []),  # no answer: the vendored rate stays, and the report says so
            ("AmazonVPC", [_entry("AmazonVPC", "20261110000000", {"usagetype": "EU-VpcEndpoint-Hours"}, "0.0110000000")]),
        ])
        result = refresh_prices(client, "eu-west-1", _small_vendored(), TODAY)
        stubber.assert_no_pending_responses()
    jsonschema.validate(result.table, json.loads((ROOT / "schemas" / "prices.schema.json").read_text()))
    table = parse_price_table(result.table)
    assert table.published == TODAY
    ec2 = table.ec2_hourly("eu-west-1", "m5.large")
    assert ec2.usd == 0.107 and table.sources[ec2.source].note.startswith("AWS Price List API GetProducts, offer AmazonEC2 version 20261120180000")
    assert table.sagemaker_hourly("eu-west-1", "hosting", "ml.m5.large").usd == 0.128
    assert table.service("eu-west-1", "interface_endpoint_az_hour").usd == 0.011
    assert table.service("eu-west-1", "kms_key_month").source == "kms-page"  # kept from the vendored table
    assert result.refreshed == 4 and result.kept == ["services/kms_key_month"]  # no endpoint GB rate in the vendored eu-west-1
    # Other regions are untouched.
    assert table.ec2_hourly("us-east-1", "m5.large") == parse_price_table(vendored_document()).ec2_hourly("us-east-1", "m5.large")


def test_refresh_follows_next_tokens():
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    document = _small_vendored()
    with Stubber(client) as stubber:
        # The first page holds only a non-hourly dimension; the rate is on the second page.
        stubber.add_response("get_products", {"FormatVersion": "aws_v1", "NextToken": "t2", "PriceList": [
            _entry("AmazonEC2", "1", {"instanceType": "m5.large"}, "5.0", unit="Quantity")]},
            {"ServiceCode": "AmazonEC2", "Filters": ANY, "FormatVersion": "aws_v1", "MaxResults": 100})
        stubber.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [
            _entry("AmazonEC2", "2", {"instanceType": "m5.large"}, "0.096")]},
            {"ServiceCode": "AmazonEC2", "Filters": ANY, "FormatVersion": "aws_v1", "MaxResults": 100, "NextToken": "t2"})
        for service in ("AmazonSageMaker", "AmazonEKS", "awskms", "AmazonVPC"):
            stubber.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": []},
                                 {"ServiceCode": service, "Filters": ANY, "FormatVersion": "aws_v1", "MaxResults": 100})
        result = refresh_prices(client, "us-east-1", document, TODAY)
    assert result.table["regions"]["us-east-1"]["ec2"]["m5.large"] == [0.096, "price-list:AmazonEC2:2"]


def test_an_api_refusal_exits_2_with_one_message(tmp_path, capsys):
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    with Stubber(client) as stubber:
        stubber.add_client_error("get_products", "AccessDeniedException", "not authorized to perform pricing:GetProducts")
        status = write_refreshed_prices(client, "eu-west-1", tmp_path / "prices.json", _small_vendored())
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "pricing:GetProducts" in err
    assert not (tmp_path / "prices.json").exists()


def test_the_command_refuses_a_bad_region_and_missing_credentials(monkeypatch, tmp_path, capsys):
    assert main(["prices", "refresh", "--region", "mars-1", "--out", str(tmp_path / "p.json")]) == 2
    assert "'mars-1' is not an AWS region" in capsys.readouterr().err
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main(["prices", "refresh", "--region", "eu-west-1", "--out", str(tmp_path / "p.json")]) == 2
    assert "no AWS credentials" in capsys.readouterr().err


def test_the_written_table_is_what_plan_reads(tmp_path):
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    with Stubber(client) as stubber:
        for service in ("AmazonEC2", "AmazonSageMaker", "AmazonEKS", "awskms", "AmazonVPC"):
            stubber.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": []},
                                 {"ServiceCode": service, "Filters": ANY, "FormatVersion": "aws_v1", "MaxResults": 100})
        assert write_refreshed_prices(client, "us-west-2", tmp_path / "prices.json", _small_vendored()) == 0
    assert parse_price_table(json.loads((tmp_path / "prices.json").read_text())).published == date.today()


@pytest.mark.parametrize("argv", [["prices"], ["prices", "refresh"]])
def test_the_command_needs_its_arguments(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2


def _product(offer: str, sku: str, attributes: dict, dimensions: list[tuple[str, str, str]], family: str) -> str:
    """A PriceList entry as GetProducts returns it: product (family, attributes as the offer records them), OnDemand
    terms with one dimension per (unit, USD, beginRange), version and publication date."""
    return json.dumps({
        "product": {"productFamily": family, "attributes": {"servicecode": offer, **attributes}, "sku": sku},
        "serviceCode": offer,
        "terms": {"OnDemand": {f"{sku}.JRTCKXETXF": {
            "priceDimensions": {f"{sku}.JRTCKXETXF.{i}": {
                "unit": unit, "beginRange": begin, "endRange": "Inf", "description": "", "appliesTo": [],
                "rateCode": f"{sku}.{i}", "pricePerUnit": {"USD": usd}} for i, (unit, usd, begin) in enumerate(dimensions)},
            "sku": sku, "effectiveDate": "2026-11-01T00:00:00Z", "offerTermCode": "JRTCKXETXF", "termAttributes": {}}}},
        "version": "20261120000000", "publicationDate": "2026-11-20T00:00:00Z",
    })


def _filters(region: str, family: str) -> list[dict]:
    return [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
            {"Type": "TERM_MATCH", "Field": "productFamily", "Value": family}]


def test_service_rates_are_queried_by_the_offers_attribute_names_and_picked_by_usage_type():
    """EKS, KMS and interface endpoints: one query per offer and product family (regionCode, productFamily), then
    the product whose usage type ends with the rate's (region prefixes differ: USE1-, EU-, us-east-1-)."""
    region = "eu-west-1"
    eks = [  # extended support first, Outposts second: neither is the standard per-cluster hour
        _product("AmazonEKS", "EXT", {"usagetype": "EU-AmazonEKS-Hours:extendedSupport", "operation": "ExtendedSupport",
                                      "locationType": "AWS Region", "regionCode": region}, [("Hrs", "0.6000000000", "0")],
                 "Compute"),
        _product("AmazonEKS", "OUT", {"usagetype": "EU-AmazonEKS-Local-Outposts-Hours:perCluster",
                                      "operation": "CreateOperation", "locationType": "AWS Outposts",
                                      "regionCode": region}, [("Hrs", "0.0300000000", "0")], "Compute"),
        _product("AmazonEKS", "STD", {"usagetype": "EU-AmazonEKS-Hours:perCluster", "operation": "CreateOperation",
                                      "locationType": "AWS Region", "regionCode": region}, [("Hrs", "0.1000000000", "0")],
                 "Compute"),
    ]
    kms = [
        _product("awskms", "REQ", {"usagetype": "eu-west-1-KMS-Requests", "regionCode": region},
                 [("Requests", "0.0000030000", "0")], "Encryption Key"),
        _product("awskms", "KEY", {"usagetype": "eu-west-1-KMS-Keys", "regionCode": region},
                 [("Keys", "1.0000000000", "0")], "Encryption Key"),
    ]
    vpc = [
        _product("AmazonVPC", "GWLBE", {"usagetype": "EU-VpcEndpoint-GWLBE-Hours", "operation": "VpcEndpoint",
                                        "regionCode": region}, [("Hrs", "0.0040000000", "0")], "VpcEndpoint"),
        _product("AmazonVPC", "BYTES", {"usagetype": "EU-VpcEndpoint-Bytes", "operation": "VpcEndpoint",
                                        "group": "VPCE:VpcEndpoint", "regionCode": region},
                 [("GB", "0.0040000000", "5242880"), ("GB", "0.0060000000", "1048576"), ("GB", "0.0100000000", "0")],
                 "VpcEndpoint"),
        _product("AmazonVPC", "HOURS", {"usagetype": "EU-VpcEndpoint-Hours", "operation": "VpcEndpoint",
                                        "group": "VPCE:VpcEndpoint", "endpointType": "PrivateLink",
                                        "regionCode": region}, [("Hrs", "0.0110000000", "0")], "VpcEndpoint"),
    ]
    document = _small_vendored()
    document["regions"][region]["ec2"] = {}
    document["regions"][region]["sagemaker_hosting"] = {}
    for other in document["regions"].values():  # nothing to ask but the services
        other["ec2"], other["sagemaker_hosting"] = {}, {}
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    with Stubber(client) as stubber:
        for offer, family, answer in (("AmazonEKS", "Compute", eks), ("awskms", "Encryption Key", kms),
                                      ("AmazonVPC", "VpcEndpoint", vpc)):
            stubber.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": answer},
                                 {"ServiceCode": offer, "Filters": _filters(region, family), "FormatVersion": "aws_v1",
                                  "MaxResults": 100})
        result = refresh_prices(client, region, document, TODAY)
        stubber.assert_no_pending_responses()
    services = result.table["regions"][region]["services"]
    assert services["eks_cluster_hour"][0] == 0.1
    assert services["kms_key_month"][0] == 1.0
    assert services["interface_endpoint_az_hour"][0] == 0.011
    assert services["interface_endpoint_gb"][0] == 0.01  # the first tier (up to 1 PB), not a later, cheaper one
    assert all(value[1].startswith("price-list:") for value in services.values())
    assert result.kept == []


def test_a_usage_type_filter_is_never_sent():
    """An exact `usagetype` filter matches no region (the prefix differs by region): the query never sends one."""
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    sent: list[dict] = []
    client.meta.events.register("before-parameter-build.pricing.GetProducts", lambda params, **_: sent.append(params))
    with Stubber(client) as stubber:
        for service in ("AmazonEC2", "AmazonSageMaker", "AmazonEKS", "awskms", "AmazonVPC"):
            stubber.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": []},
                                 {"ServiceCode": service, "Filters": ANY, "FormatVersion": "aws_v1", "MaxResults": 100})
        refresh_prices(client, "us-west-2", _small_vendored(), TODAY)
    fields = {f["Field"] for params in sent for f in params["Filters"]}
    assert "usagetype" not in fields and {"regionCode", "productFamily", "instanceType", "instanceName"} <= fields
