"""An EC2 web server: the AMI and the VPC looked up, a security group, an instance."""

import pulumi
import pulumi_aws as aws

ami = aws.ec2.get_ami(
    most_recent=True, owners=["amazon"], filters=[{"name": "name", "values": ["al2023-ami-*-x86_64"]}],
)
vpc = aws.ec2.get_vpc(default=True)
group = aws.ec2.SecurityGroup(
    "web", vpc_id=vpc.id, description="web",
    ingress=[{"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": ["0.0.0.0/0"]}],
)
server = aws.ec2.Instance(
    "web", ami=ami.id, instance_type="t3.micro", vpc_security_group_ids=[group.id],
    user_data="#!/bin/bash\necho hello > index.html\nnohup python3 -m http.server 80 &\n",
    tags={"Name": "web"},
)

pulumi.export("ami", ami.id)
pulumi.export("ami_architecture", ami.architecture)
pulumi.export("public_ip", server.public_ip)
pulumi.export("url", server.public_dns.apply(lambda host: "http://" + host))
pulumi.export("instance_arn", server.arn)
