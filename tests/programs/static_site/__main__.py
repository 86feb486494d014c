"""A static website: a bucket served by CloudFront, named in an existing Route 53 zone."""

import pulumi
import pulumi_aws as aws

zone = aws.route53.get_zone(name="example.com.")
site = aws.s3.Bucket("site")
origin_access = aws.cloudfront.OriginAccessControl(
    "site", origin_access_control_origin_type="s3", signing_behavior="always", signing_protocol="sigv4",
)
cdn = aws.cloudfront.Distribution(
    "site", enabled=True, default_root_object="index.html",
    origins=[{"domain_name": site.bucket_regional_domain_name, "origin_id": "site",
              "origin_access_control_id": origin_access.id}],
    default_cache_behavior={
        "target_origin_id": "site", "viewer_protocol_policy": "redirect-to-https",
        "allowed_methods": ["GET", "HEAD"], "cached_methods": ["GET", "HEAD"],
        "cache_policy_id": "658327ea-f89d-4fab-a63d-7e88639e58f6",
    },
    restrictions={"geo_restriction": {"restriction_type": "none"}},
    viewer_certificate={"cloudfront_default_certificate": True},
)
record = aws.route53.Record(
    "www", zone_id=zone.zone_id, name="www." + zone.name.rstrip("."), type="A",
    aliases=[{"name": cdn.domain_name, "zone_id": cdn.hosted_zone_id, "evaluate_target_health": False}],
)

pulumi.export("cdn_url", cdn.domain_name.apply(lambda host: "https://" + host))
pulumi.export("distribution_arn", cdn.arn)
pulumi.export("zone_id", zone.zone_id)
pulumi.export("record", record.fqdn)
