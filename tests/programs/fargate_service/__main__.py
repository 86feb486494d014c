"""An ECS service on Fargate behind an application load balancer, in the default VPC."""

import json

import pulumi
import pulumi_aws as aws

vpc = aws.ec2.get_vpc(default=True)
subnets = aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [vpc.id]}])

cluster = aws.ecs.Cluster("cluster")
balancer = aws.lb.LoadBalancer("web", load_balancer_type="application", subnets=subnets.ids)
targets = aws.lb.TargetGroup("web", port=80, protocol="HTTP", target_type="ip", vpc_id=vpc.id)
listener = aws.lb.Listener(
    "http", load_balancer_arn=balancer.arn, port=80,
    default_actions=[{"type": "forward", "target_group_arn": targets.arn}],
)
execution = aws.iam.Role("execution", assume_role_policy=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}))
task = aws.ecs.TaskDefinition(
    "app", family="app", cpu="256", memory="512", network_mode="awsvpc", requires_compatibilities=["FARGATE"],
    execution_role_arn=execution.arn,
    container_definitions=json.dumps([{"name": "app", "image": "nginx", "portMappings": [{"containerPort": 80}]}]),
)
service = aws.ecs.Service(
    "app", cluster=cluster.arn, task_definition=task.arn, desired_count=2, launch_type="FARGATE",
    network_configuration={"subnets": subnets.ids, "assign_public_ip": True},
    load_balancers=[{"target_group_arn": targets.arn, "container_name": "app", "container_port": 80}],
    opts=pulumi.ResourceOptions(depends_on=[listener]),
)

pulumi.export("url", balancer.dns_name.apply(lambda host: "http://" + host))
pulumi.export("first_subnet", subnets.ids[0])
pulumi.export("task_definition", task.arn)
pulumi.export("cluster", cluster.arn)
pulumi.export("service", service.id)
