"""A PostgreSQL instance in its own subnet group; the program builds a connection string."""

import pulumi
import pulumi_aws as aws

config = pulumi.Config()
vpc = aws.ec2.Vpc("db", cidr_block="10.1.0.0/16")
subnets = [
    aws.ec2.Subnet(f"db-{zone}", vpc_id=vpc.id, cidr_block=f"10.1.{i}.0/24", availability_zone=f"eu-west-1{zone}")
    for i, zone in enumerate("ab")
]
group = aws.rds.SubnetGroup("db", subnet_ids=[s.id for s in subnets])
database = aws.rds.Instance(
    "db", engine="postgres", engine_version="16", instance_class="db.t4g.micro", allocated_storage=20,
    username="app", manage_master_user_password=True, db_subnet_group_name=group.name, skip_final_snapshot=True,
)

pulumi.export("connection", pulumi.Output.concat("postgresql://app@", database.address, ":", database.port.apply(str), "/postgres"))
pulumi.export("endpoint", database.endpoint)
pulumi.export("arn", database.arn)
pulumi.export("subnet_group_arn", group.arn)
