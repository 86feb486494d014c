"""A Lambda behind API Gateway: a REST API (v1) and an HTTP API (v2)."""

import json

import pulumi
import pulumi_aws as aws

role = aws.iam.Role("handler", assume_role_policy=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}))
handler = aws.lambda_.Function(
    "handler", role=role.arn, runtime="python3.12", handler="app.handler",
    code=pulumi.AssetArchive({"app.py": pulumi.StringAsset("def handler(event, context):\n    return {}\n")}),
)

rest = aws.apigateway.RestApi("rest")
proxy = aws.apigateway.Resource("proxy", rest_api=rest.id, parent_id=rest.root_resource_id, path_part="{proxy+}")
method = aws.apigateway.Method("any", rest_api=rest.id, resource_id=proxy.id, http_method="ANY", authorization="NONE")
integration = aws.apigateway.Integration(
    "lambda", rest_api=rest.id, resource_id=proxy.id, http_method=method.http_method,
    integration_http_method="POST", type="AWS_PROXY", uri=handler.invoke_arn,
)
deployment = aws.apigateway.Deployment("v1", rest_api=rest.id, opts=pulumi.ResourceOptions(depends_on=[integration]))
stage = aws.apigateway.Stage("prod", rest_api=rest.id, deployment=deployment.id, stage_name="prod")
aws.lambda_.Permission(
    "rest-invoke", action="lambda:InvokeFunction", function=handler.name, principal="apigateway.amazonaws.com",
    source_arn=rest.execution_arn.apply(lambda arn: arn + "/*/*"),
)

http = aws.apigatewayv2.Api("http", protocol_type="HTTP")
http_integration = aws.apigatewayv2.Integration(
    "http-lambda", api_id=http.id, integration_type="AWS_PROXY", integration_uri=handler.invoke_arn,
)
aws.apigatewayv2.Route("default", api_id=http.id, route_key="$default",
                       target=http_integration.id.apply(lambda id_: "integrations/" + id_))
aws.apigatewayv2.Stage("http-default", api_id=http.id, name="$default", auto_deploy=True)

pulumi.export("function_arn", handler.arn)
pulumi.export("rest_url", stage.invoke_url.apply(lambda url: url + "/hello"))
pulumi.export("http_url", http.api_endpoint.apply(lambda url: url + "/hello"))
pulumi.export("last_modified", handler.last_modified)
