"""A DNS-validated ACM certificate for a domain and its www name (validation records in a looked-up
Route 53 zone), and a database password from a secret config value stored in Secrets Manager."""

import pulumi
import pulumi_aws as aws

config = pulumi.Config()
domain = config.require("domain")
password = config.require_secret("dbPassword")

zone = aws.route53.get_zone(name="example.org", private_zone=False)
certificate = aws.acm.Certificate("site", domain_name=domain, subject_alternative_names=[f"www.{domain}"],
                                  validation_method="DNS")
records = [
    aws.route53.Record(
        f"validation-{index}", zone_id=zone.zone_id, ttl=60, allow_overwrite=True,
        name=certificate.domain_validation_options[index].resource_record_name,
        type=certificate.domain_validation_options[index].resource_record_type,
        records=[certificate.domain_validation_options[index].resource_record_value],
    )
    for index in range(2)  # the domain and its www name: one record each
]
validation = aws.acm.CertificateValidation("site", certificate_arn=certificate.arn,
                                           validation_record_fqdns=[record.fqdn for record in records])
secret = aws.secretsmanager.Secret("db")
version = aws.secretsmanager.SecretVersion("db", secret_id=secret.id, secret_string=password)

pulumi.export("certificate", validation.certificate_arn)
pulumi.export("expires", certificate.not_after)
pulumi.export("secret_version", version.version_id)
pulumi.export("database_url", pulumi.Output.concat("postgres://app:", password, "@db.internal:5432/app"))
