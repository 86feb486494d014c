"""A Step Functions state machine that calls a Lambda function."""

import json

import pulumi
import pulumi_aws as aws

assume = lambda service: json.dumps({  # noqa: E731
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
})
worker_role = aws.iam.Role("worker", assume_role_policy=assume("lambda.amazonaws.com"))
worker = aws.lambda_.Function(
    "worker", role=worker_role.arn, runtime="python3.12", handler="app.handler",
    code=pulumi.AssetArchive({"app.py": pulumi.StringAsset("def handler(event, context):\n    return event\n")}),
)
machine_role = aws.iam.Role("machine", assume_role_policy=assume("states.amazonaws.com"))
machine = aws.sfn.StateMachine(
    "flow", role_arn=machine_role.arn,
    definition=worker.arn.apply(lambda arn: json.dumps({
        "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": arn, "End": True}},
    })),
)

pulumi.export("state_machine_arn", machine.arn)
pulumi.export("console", machine.name.apply(lambda name: f"https://console.aws.amazon.com/states/home#/statemachines/view/{name}"))
pulumi.export("created", machine.creation_date)
