"""Events: an SNS topic fanned out to an SQS queue, a DynamoDB table's stream and the queue feeding
a Lambda function through event source mappings; exports what the wiring reads back."""

import json

import pulumi
import pulumi_aws as aws

topic = aws.sns.Topic("orders")
queue = aws.sqs.Queue("orders", visibility_timeout_seconds=60)
subscription = aws.sns.TopicSubscription("orders-to-queue", topic=topic.arn, protocol="sqs", endpoint=queue.arn,
                                         raw_message_delivery=True)
table = aws.dynamodb.Table(
    "orders", billing_mode="PAY_PER_REQUEST", hash_key="pk", attributes=[{"name": "pk", "type": "S"}],
    stream_enabled=True, stream_view_type="NEW_AND_OLD_IMAGES",
)
role = aws.iam.Role("worker", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
worker = aws.lambda_.Function(
    "worker", runtime="python3.12", handler="index.handler", role=role.arn,
    code=pulumi.AssetArchive({"index.py": pulumi.StringAsset("def handler(event, context):\n    return None\n")}),
)
from_stream = aws.lambda_.EventSourceMapping("stream", event_source_arn=table.stream_arn, function_name=worker.arn,
                                             starting_position="LATEST")
from_queue = aws.lambda_.EventSourceMapping("queue", event_source_arn=queue.arn, function_name=worker.name)

pulumi.export("subscription", subscription.arn)
pulumi.export("stream_label", table.stream_arn.apply(lambda arn: arn.split("/stream/")[1]))
pulumi.export("stream_mapping", pulumi.Output.concat(from_stream.uuid, " ", from_stream.state))
pulumi.export("queue_mapping_function", from_queue.function_arn)
