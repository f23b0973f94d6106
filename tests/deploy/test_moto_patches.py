"""Each patch in scripts/moto_server.py fixes a moto 5.2.5 bug that is still there: every test shows the bug on
moto as released and its absence on the patched server. When a moto release fixes a bug, its test fails here:
drop that patch (and this test).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

pytestmark = pytest.mark.slow

Client = Callable[..., Any]


@pytest.fixture(scope="module")
def unpatched_server(launcher: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    server = launcher.start(patched=False, log=tmp_path_factory.mktemp("moto") / "unpatched.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def servers(aws: Any, unpatched_server: Any) -> dict[str, Client]:
    """A client factory for moto as released and for the patched server (both reset, same credentials)."""
    urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{unpatched_server.port}/moto-api/reset", method="POST"), timeout=10).close()

    def factory(server: Any) -> Client:
        return lambda service, region="us-east-1": boto3.client(service, region_name=region,
                                                                endpoint_url=server.endpoint)

    return {"released": factory(unpatched_server), "patched": factory(aws)}


def _stack(client: Client, template: dict[str, Any], name: str = "s") -> dict[str, Any]:
    cfn = client("cloudformation")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
    return cfn.describe_stacks(StackName=name)["Stacks"][0]


def _server_error(call: Callable[[], Any]) -> str:
    """moto answers a bug with HTTP 500 (an HTML page botocore cannot parse)."""
    with pytest.raises((ClientError, ResponseParserError)) as caught:
        call()
    return str(caught.value)


KEY_WITH_TAGS = {"Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {
    "KeyPolicy": json.dumps({"Version": "2012-10-17", "Statement": []}), "Tags": [{"Key": "team", "Value": "a"}]}}}}


def test_kms_key_tags(servers: dict[str, Client]) -> None:
    assert "500 Internal Server Error" in _server_error(lambda: _stack(servers["released"], KEY_WITH_TAGS))
    assert _stack(servers["patched"], KEY_WITH_TAGS)["StackStatus"] == "CREATE_COMPLETE"
    key = servers["patched"]("cloudformation").describe_stack_resource(
        StackName="s", LogicalResourceId="Key")["StackResourceDetail"]["PhysicalResourceId"]
    assert servers["patched"]("kms").list_resource_tags(KeyId=key)["Tags"] == [{"TagKey": "team", "TagValue": "a"}]


KEY_POLICY_OBJECT = {"Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*",
                                            "Resource": "*"}]}}}}}


def test_kms_key_policy_as_an_object(servers: dict[str, Client]) -> None:
    for name, client in servers.items():
        _stack(client, KEY_POLICY_OBJECT)
        key = client("cloudformation").describe_stack_resource(
            StackName="s", LogicalResourceId="Key")["StackResourceDetail"]["PhysicalResourceId"]
        if name == "released":
            assert "500" in _server_error(lambda: client("kms").describe_key(KeyId=key))
        else:
            assert client("kms").describe_key(KeyId=key)["KeyMetadata"]["Enabled"] is True


def _function_resources(client: Client) -> dict[str, Any]:
    s3 = client("s3")
    s3.create_bucket(Bucket="code")
    s3.put_object(Bucket="code", Key="f.zip", Body=_zip())
    return {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "lambda.amazonaws.com"}}]}}},
        "Function": {"Type": "AWS::Lambda::Function", "Properties": {
            "FunctionName": "f", "Runtime": "python3.12", "Handler": "f.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"S3Bucket": "code", "S3Key": "f.zip"}}},
    }


def _zip() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("f.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


def test_lambda_alias(servers: dict[str, Client]) -> None:
    for name, client in servers.items():
        resources = {**_function_resources(client),
                     "Alias": {"Type": "AWS::Lambda::Alias", "Properties": {
                         "FunctionName": {"Ref": "Function"}, "FunctionVersion": "$LATEST", "Name": "live"}},
                     "Permission": {"Type": "AWS::Lambda::Permission", "Properties": {
                         "Action": "lambda:InvokeFunction", "FunctionName": {"Ref": "Alias"},
                         "Principal": "apigateway.amazonaws.com"}}}
        if name == "released":
            assert "500" in _server_error(lambda: _stack(client, {"Resources": resources}))
        else:
            assert _stack(client, {"Resources": resources})["StackStatus"] == "CREATE_COMPLETE"
            assert client("lambda").get_alias(FunctionName="f", Name="live")["FunctionVersion"] == "$LATEST"


def test_lambda_version_attribute(servers: dict[str, Client]) -> None:
    for name, client in servers.items():
        template = {"Resources": {**_function_resources(client), "Version": {
            "Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Function"}}}},
            "Outputs": {"Version": {"Value": {"Fn::GetAtt": ["Version", "Version"]}}}}
        named = {**template, "Resources": {**template["Resources"], "Queue": {  # a property that reads it
            "Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "q-${Version.Version}"}}}}}
        if name == "released":
            assert _stack(client, template).get("Outputs") is None  # the output silently vanishes
            assert "500" in _server_error(lambda: _stack(client, named, name="named"))
        else:
            assert _stack(client, template)["Outputs"] == [{"OutputKey": "Version", "OutputValue": "1"}]
            assert _stack(client, named, name="named")["StackStatus"] == "CREATE_COMPLETE"
            queues = [url.rsplit("/", 1)[-1] for url in client("sqs").list_queues()["QueueUrls"]]
            assert len(queues) == 1 and queues[0].startswith("q-") and queues[0][2:].isdigit()


QUEUE = {"Parameters": {"Name": {"Type": "String", "Default": "q"}},
         "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "Name"}}}},
         "Outputs": {"QueueName": {"Value": {"Fn::GetAtt": ["Queue", "QueueName"]}}}}


def _change_set(cfn: Any, kind: str) -> dict[str, Any]:
    created = cfn.create_change_set(StackName="s", ChangeSetName=f"c{kind}", ChangeSetType=kind,
                                    TemplateBody=json.dumps(QUEUE),
                                    Parameters=[{"ParameterKey": "Name", "ParameterValue": "q"}])
    return cfn.describe_change_set(ChangeSetName=created["Id"], StackName="s")


def test_change_set_outputs(servers: dict[str, Client]) -> None:
    for name, client in servers.items():
        cfn = client("cloudformation")
        cfn.execute_change_set(ChangeSetName=_change_set(cfn, "CREATE")["ChangeSetId"], StackName="s")
        outputs = cfn.describe_stacks(StackName="s")["Stacks"][0].get("Outputs")
        assert outputs == (None if name == "released" else [{"OutputKey": "QueueName", "OutputValue": "q"}])


def test_unchanged_change_set_with_parameters(servers: dict[str, Client]) -> None:
    for name, client in servers.items():
        cfn = client("cloudformation")
        cfn.execute_change_set(ChangeSetName=_change_set(cfn, "CREATE")["ChangeSetId"], StackName="s")
        if name == "released":
            with pytest.raises(ClientError, match="No updates are to be performed"):
                _change_set(cfn, "UPDATE")
        else:
            empty = _change_set(cfn, "UPDATE")
            assert empty["Status"] == "FAILED"
            assert "didn't contain changes" in empty["StatusReason"]


API = {"Resources": {
    "Deployment": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": ["Method"],
                   "Properties": {"RestApiId": {"Ref": "Api"}}},
    "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "api"}},
    "Method": {"Type": "AWS::ApiGateway::Method", "Properties": {
        "RestApiId": {"Ref": "Api"}, "ResourceId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "HttpMethod": "GET",
        "AuthorizationType": "NONE", "Integration": {"Type": "HTTP", "IntegrationHttpMethod": "GET",
                                                         "Uri": "https://example.com"}}}}}


def test_change_sets_create_resources_after_what_they_depend_on(servers: dict[str, Client]) -> None:
    for name, client in servers.items():
        cfn = client("cloudformation")
        created = cfn.create_change_set(StackName="s", ChangeSetName="c", ChangeSetType="CREATE",
                                        TemplateBody=json.dumps(API))
        execute = lambda: cfn.execute_change_set(ChangeSetName=created["Id"], StackName="s")  # noqa: E731
        if name == "released":
            assert "contain any methods" in _server_error(execute)  # the Deployment came before its Method
        else:
            execute()
            assert cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


TABLE = {"Resources": {"Table": {"Type": "AWS::DynamoDB::Table", "Properties": {
    "TableName": "t", "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": [{"AttributeName": "k",
                                                                                  "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}]}}}}


def test_a_failing_stack_instance_is_recorded(servers: dict[str, Client]) -> None:
    for name, client in servers.items():
        cfn = client("cloudformation")
        cfn.create_stack_set(StackSetName="set", TemplateBody=json.dumps(TABLE))
        _stack(client, TABLE, name="taken")  # the table name is taken in the caller's account, us-east-1
        create = lambda: cfn.create_stack_instances(  # noqa: E731
            StackSetName="set", Accounts=["123456789012"], Regions=["eu-west-1", "us-east-1"])
        if name == "released":  # the whole request fails, with the instance's error and nothing recorded
            assert "Table already exists: t" in _server_error(create)
            assert cfn.list_stack_instances(StackSetName="set")["Summaries"] == []
            continue
        operation = create()["OperationId"]
        described = cfn.describe_stack_set_operation(StackSetName="set", OperationId=operation)
        assert described["StackSetOperation"]["Status"] == "FAILED"
        found = {i["Region"]: i for i in cfn.list_stack_instances(StackSetName="set")["Summaries"]}
        assert found["eu-west-1"]["StackInstanceStatus"]["DetailedStatus"] == "SUCCEEDED"
        assert found["us-east-1"]["StackInstanceStatus"]["DetailedStatus"] == "FAILED"
        assert found["us-east-1"]["StatusReason"] == "Table already exists: t"


def test_update_stack_set_updates_the_instances(servers: dict[str, Client]) -> None:
    queue = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q",
                                                                                "VisibilityTimeout": 30}}}}
    slower = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q",
                                                                                 "VisibilityTimeout": 60}}}}
    for name, client in servers.items():
        cfn = client("cloudformation")
        cfn.create_stack_set(StackSetName="set", TemplateBody=json.dumps(queue))
        cfn.create_stack_instances(StackSetName="set", Accounts=["111111111111"], Regions=["eu-west-1"])
        cfn.update_stack_set(StackSetName="set", TemplateBody=json.dumps(slower))
        credentials = client("sts").assume_role(RoleArn="arn:aws:iam::111111111111:role/r",
                                                RoleSessionName="tests")["Credentials"]
        sqs = boto3.client("sqs", region_name="eu-west-1", endpoint_url=client("sqs").meta.endpoint_url,
                           aws_access_key_id=credentials["AccessKeyId"],
                           aws_secret_access_key=credentials["SecretAccessKey"],
                           aws_session_token=credentials["SessionToken"])
        url = sqs.get_queue_url(QueueName="q")["QueueUrl"]
        timeout = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
        assert timeout == {"VisibilityTimeout": "30" if name == "released" else "60"}


FORWARD = {"Resources": {
    "AQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Join": [
        "-", ["a", {"Fn::GetAtt": ["ZQueue", "QueueName"]}]]}, "KmsMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}}},
    "Key": KEY_WITH_TAGS["Resources"]["Key"],
    "ZQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "z"}}}}


def test_getatt_resolves_in_any_order_an_undefined_resource_is_a_failure_in_disguise(servers) -> None:
    """Not a bug to patch: GetAtt on a resource later in the template works. "references undefined resource"
    appears when creating the referenced resource failed (here the KMS key's tags), and hides the real error."""
    without_tags = json.loads(json.dumps(FORWARD))
    del without_tags["Resources"]["Key"]["Properties"]["Tags"]
    assert _stack(servers["released"], without_tags, name="plain")["StackStatus"] == "CREATE_COMPLETE"
    with pytest.raises(ClientError, match="instance of Fn::GetAtt references undefined resource Key"):
        _stack(servers["released"], json.loads(json.dumps(FORWARD).replace('"z"', '"z2"')))
    assert _stack(servers["patched"], FORWARD)["StackStatus"] == "CREATE_COMPLETE"


def test_nested_stack_outputs(servers: dict[str, Client], aws: Any, unpatched_server: Any) -> None:
    """A parent reads a nested stack's output with GetAtt Outputs.<name> (split services pass values that way)."""
    def nested(queue: str) -> bytes:
        return json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": queue}}},
                           "Outputs": {"QueueName": {"Value": {"Fn::GetAtt": ["Queue", "QueueName"]}}}}).encode()

    for name, client in servers.items():
        url = f"http://localhost:{(unpatched_server if name == 'released' else aws).port}/templates"
        client("s3").create_bucket(Bucket="templates")
        client("s3").put_object(Bucket="templates", Key="a.json", Body=nested("nested-a"))
        client("s3").put_object(Bucket="templates", Key="b.json", Body=nested("nested-b"))
        parent = {"Resources": {"Nested": {"Type": "AWS::CloudFormation::Stack", "Properties": {
            "TemplateURL": f"{url}/a.json"}}},
            "Outputs": {"FromNested": {"Value": {"Fn::GetAtt": ["Nested", "Outputs.QueueName"]}}}}
        reader = {"Resources": {"Nested": {"Type": "AWS::CloudFormation::Stack", "Properties": {
            "TemplateURL": f"{url}/b.json"}}, "Reader": {"Type": "AWS::SQS::Queue", "Properties": {
                "QueueName": {"Fn::Sub": ["${Name}-reader",
                                          {"Name": {"Fn::GetAtt": ["Nested", "Outputs.QueueName"]}}]}}}}}
        if name == "released":
            assert "500" in _server_error(lambda: _stack(client, reader, name="reader"))
        else:
            assert _stack(client, parent)["Outputs"] == [{"OutputKey": "FromNested", "OutputValue": "nested-a"}]
            assert _stack(client, reader, name="reader")["StackStatus"] == "CREATE_COMPLETE"
            assert "nested-b-reader" in "".join(client("sqs").list_queues()["QueueUrls"])


QUEUE_STACK = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q"}}}}


def test_termination_protection_can_be_turned_on_and_is_honoured(servers: dict[str, Client]) -> None:
    """specc creates stacks through change sets, which take no EnableTerminationProtection: it must be set after."""
    for name, client in servers.items():
        cfn = client("cloudformation")
        created = cfn.create_change_set(StackName="s", ChangeSetName="c", ChangeSetType="CREATE",
                                        TemplateBody=json.dumps(QUEUE_STACK))
        cfn.execute_change_set(ChangeSetName=created["Id"], StackName="s")
        protect = lambda: cfn.update_termination_protection(StackName="s", EnableTerminationProtection=True)  # noqa
        if name == "released":
            assert "500 Internal Server Error" in _server_error(protect)  # NotImplementedError in moto
            cfn.delete_stack(StackName="s")  # nothing to stop it
            continue
        protect()
        assert cfn.describe_stacks(StackName="s")["Stacks"][0]["EnableTerminationProtection"] is True
        with pytest.raises(ClientError, match=r"Stack \[s\] cannot be deleted while TerminationProtection is enabled"):
            cfn.delete_stack(StackName="s")
        cfn.update_termination_protection(StackName="s", EnableTerminationProtection=False)
        cfn.delete_stack(StackName="s")


RETAINED = {"Resources": {"Kept": {**TABLE["Resources"]["Table"], "DeletionPolicy": "Retain"},
                          "Queue": QUEUE_STACK["Resources"]["Queue"]}}


def test_an_update_that_removes_a_retained_resource_leaves_it_in_the_account(servers: dict[str, Client]) -> None:
    for name, client in servers.items():
        cfn = client("cloudformation")
        cfn.create_stack(StackName="s", TemplateBody=json.dumps(RETAINED))
        cfn.update_stack(StackName="s", TemplateBody=json.dumps(QUEUE_STACK))
        kept = client("dynamodb").list_tables()["TableNames"]
        assert kept == ([] if name == "released" else ["t"])


HTTP_API_AND_POOL = {"Resources": {
    "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {"UserPoolName": "p", "MfaConfiguration": "OFF"}},
    "Client": {"Type": "AWS::Cognito::UserPoolClient", "Properties": {"UserPoolId": {"Ref": "Pool"},
                                                                      "GenerateSecret": True}},
    "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": "a", "ProtocolType": "HTTP"}},
    "Users": {"Type": "AWS::ApiGatewayV2::Authorizer", "Properties": {
        "ApiId": {"Ref": "Api"}, "Name": "users", "AuthorizerType": "JWT",
        "IdentitySource": ["$request.header.Authorization"], "JwtConfiguration": {
            "Issuer": {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${Pool}"},
            "Audience": [{"Ref": "Client"}]}}},
    "Route": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {
        "ApiId": {"Ref": "Api"}, "RouteKey": "GET /x", "AuthorizationType": "JWT", "AuthorizerId": {"Ref": "Users"},
        "AuthorizationScopes": ["x/read"]}},
    "Stage": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {"ApiId": {"Ref": "Api"}, "StageName": "v1",
                                                                "AutoDeploy": True}}},
    "Outputs": {"PoolArn": {"Value": {"Fn::GetAtt": ["Pool", "Arn"]}}}}


def test_http_apis_and_user_pools(servers: dict[str, Client]) -> None:
    for name, client in servers.items():
        if name == "released":  # no model: the GetAtt on the pool fails the stack, and nothing is created
            assert "500" in _server_error(lambda: _stack(client, HTTP_API_AND_POOL))
            assert client("apigatewayv2").get_apis()["Items"] == []
            assert client("cognito-idp").list_user_pools(MaxResults=5)["UserPools"] == []
            continue
        assert _stack(client, HTTP_API_AND_POOL)["StackStatus"] == "CREATE_COMPLETE"
        (api,) = client("apigatewayv2").get_apis()["Items"]
        (route,) = client("apigatewayv2").get_routes(ApiId=api["ApiId"])["Items"]
        authorizer = client("apigatewayv2").get_authorizer(ApiId=api["ApiId"], AuthorizerId=route["AuthorizerId"])
        (pool,) = client("cognito-idp").list_user_pools(MaxResults=5)["UserPools"]
        (app,) = client("cognito-idp").list_user_pool_clients(UserPoolId=pool["Id"])["UserPoolClients"]
        assert (route["RouteKey"], route["AuthorizationScopes"]) == ("GET /x", ["x/read"])
        assert authorizer["JwtConfiguration"] == {
            "Issuer": f"https://cognito-idp.us-east-1.amazonaws.com/{pool['Id']}", "Audience": [app["ClientId"]]}
        assert "ClientSecret" in client("cognito-idp").describe_user_pool_client(
            UserPoolId=pool["Id"], ClientId=app["ClientId"])["UserPoolClient"]
        assert client("apigatewayv2").get_stage(ApiId=api["ApiId"], StageName="v1")["AutoDeploy"] is True


REST_API_WITH_AUTHORIZER = {"Resources": {
    "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "a"}},
    "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {"UserPoolName": "p"}},
    "Users": {"Type": "AWS::ApiGateway::Authorizer", "Properties": {
        "RestApiId": {"Ref": "Api"}, "Name": "users", "Type": "COGNITO_USER_POOLS",
        "IdentitySource": "method.request.header.Authorization", "ProviderARNs": [{"Fn::GetAtt": ["Pool", "Arn"]}]}},
    "Get": {"Type": "AWS::ApiGateway::Method", "Properties": {
        "RestApiId": {"Ref": "Api"}, "ResourceId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "HttpMethod": "GET",
        "AuthorizationType": "COGNITO_USER_POOLS", "AuthorizerId": {"Ref": "Users"},
        "AuthorizationScopes": ["x/read"], "Integration": {
            "Type": "AWS_PROXY", "IntegrationHttpMethod": "POST",
            "Uri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:"
                   "123456789012:function:f/invocations"}}},
    "Preflight": {"Type": "AWS::ApiGateway::Method", "Properties": {
        "RestApiId": {"Ref": "Api"}, "ResourceId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
        "HttpMethod": "OPTIONS", "AuthorizationType": "NONE", "Integration": {"Type": "MOCK"}}}}}


def test_rest_methods_with_mock_integrations_and_authorizers(servers: dict[str, Client]) -> None:
    for name, client in servers.items():
        if name == "released":  # the MOCK preflight has no IntegrationHttpMethod: KeyError, HTTP 500
            assert "500" in _server_error(lambda: _stack(client, REST_API_WITH_AUTHORIZER))
            only_get = {"Resources": {k: v for k, v in REST_API_WITH_AUTHORIZER["Resources"].items()
                                      if k != "Preflight"}}
            # without the preflight the stack completes, but the authorizer is skipped (the Cognito pool too, so
            # its GetAtt fails: drop both) and the method forgets its authorizer and scopes
            only_get["Resources"].pop("Pool")
            only_get["Resources"]["Users"]["Properties"]["ProviderARNs"] = ["arn:aws:cognito-idp:x"]
            only_get["Resources"]["Api"] = {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "g"}}
            assert _stack(client, only_get, name="g")["StackStatus"] == "CREATE_COMPLETE"
            (api,) = [a for a in client("apigateway").get_rest_apis()["items"] if a["name"] == "g"]
            assert client("apigateway").get_authorizers(restApiId=api["id"])["items"] == []
            root = client("apigateway").get_resources(restApiId=api["id"])["items"][0]["id"]
            method = client("apigateway").get_method(restApiId=api["id"], resourceId=root, httpMethod="GET")
            assert "authorizerId" not in method and "authorizationScopes" not in method
            continue
        assert _stack(client, REST_API_WITH_AUTHORIZER)["StackStatus"] == "CREATE_COMPLETE"
        (api,) = client("apigateway").get_rest_apis()["items"]
        (authorizer,) = client("apigateway").get_authorizers(restApiId=api["id"])["items"]
        assert (authorizer["name"], authorizer["type"]) == ("users", "COGNITO_USER_POOLS")
        root = client("apigateway").get_resources(restApiId=api["id"])["items"][0]["id"]
        method = client("apigateway").get_method(restApiId=api["id"], resourceId=root, httpMethod="GET")
        assert (method["authorizerId"], method["authorizationScopes"]) == (authorizer["id"], ["x/read"])
        preflight = client("apigateway").get_method(restApiId=api["id"], resourceId=root, httpMethod="OPTIONS")
        assert preflight["methodIntegration"]["type"] == "MOCK"


PARAMETER_WITH_TAGS = {"Resources": {"Parameter": {"Type": "AWS::SSM::Parameter", "Properties": {
    "Name": "/shop/flag", "Type": "String", "Value": "on", "Tags": {"team": "a"}}}}}


def test_ssm_parameter_tags_as_a_map(servers: dict[str, Client]) -> None:
    assert "500 Internal Server Error" in _server_error(lambda: _stack(servers["released"], PARAMETER_WITH_TAGS))
    assert _stack(servers["patched"], PARAMETER_WITH_TAGS)["StackStatus"] == "CREATE_COMPLETE"
    tags = servers["patched"]("ssm").list_tags_for_resource(ResourceType="Parameter", ResourceId="/shop/flag")
    assert tags["TagList"] == [{"Key": "team", "Value": "a"}]


def test_lambda_layers(servers: dict[str, Client]) -> None:
    for name, client in servers.items():
        resources = _function_resources(client)
        resources["Layer"] = {"Type": "AWS::Lambda::LayerVersion", "Properties": {
            "LayerName": "shared", "Content": {"S3Bucket": "code", "S3Key": "f.zip"},
            "CompatibleRuntimes": ["python3.12"], "CompatibleArchitectures": ["arm64"]}}
        resources["Function"]["Properties"]["Layers"] = [{"Ref": "Layer"}]
        template = {"Resources": resources, "Outputs": {"Layer": {"Value": {"Ref": "Layer"}}}}
        stack = _stack(client, template)
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        layers = client("lambda").get_function(FunctionName="f")["Configuration"].get("Layers", [])
        if name == "released":
            assert stack["Outputs"][0]["OutputValue"].startswith("<moto.awslambda.models.LayerVersion object")
            assert layers == []
            assert client("lambda").list_layer_versions(LayerName="shared")["LayerVersions"] == []
        else:
            arn = "arn:aws:lambda:us-east-1:123456789012:layer:shared:1"
            assert stack["Outputs"] == [{"OutputKey": "Layer", "OutputValue": arn}]
            assert [layer["Arn"] for layer in layers] == [arn]
            version = client("lambda").get_layer_version(LayerName="shared", VersionNumber=1)  # ByArn: moto has none
            assert version["CompatibleArchitectures"] == ["arm64"]
            assert version["CompatibleRuntimes"] == ["python3.12"]


DISTRIBUTION = {"Resources": {
    "Control": {"Type": "AWS::CloudFront::OriginAccessControl", "Properties": {"OriginAccessControlConfig": {
        "Name": "c", "OriginAccessControlOriginType": "s3", "SigningBehavior": "always", "SigningProtocol": "sigv4"}}},
    "Site": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
        "Enabled": True, "Comment": "site", "PriceClass": "PriceClass_100",
        "Origins": [{"Id": "b", "DomainName": "b-123456789012-us-west-2.s3.us-west-2.amazonaws.com",
                     "S3OriginConfig": {"OriginAccessIdentity": ""},
                     "OriginAccessControlId": {"Fn::GetAtt": ["Control", "Id"]}}],
        "DefaultCacheBehavior": {"TargetOriginId": "b", "ViewerProtocolPolicy": "redirect-to-https",
                                 "AllowedMethods": ["GET", "HEAD"], "CachedMethods": ["GET", "HEAD"]},
        "Restrictions": {"GeoRestriction": {"RestrictionType": "whitelist", "Locations": ["US", "DE"]}},
        "ViewerCertificate": {"CloudFrontDefaultCertificate": True}}}}},
    "Outputs": {"Domain": {"Value": {"Fn::GetAtt": ["Site", "DomainName"]}}}}


def test_cloudfront_distributions(servers: dict[str, Client]) -> None:
    for name, client in servers.items():
        if name == "released":  # no model: the GetAtt on the origin access control fails the stack, nothing made
            assert "500" in _server_error(lambda: _stack(client, DISTRIBUTION))
            assert client("cloudfront").list_distributions()["DistributionList"].get("Items", []) == []
            continue
        stack = _stack(client, DISTRIBUTION)
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        (listed,) = client("cloudfront").list_distributions()["DistributionList"]["Items"]
        config = client("cloudfront").get_distribution(Id=listed["Id"])["Distribution"]["DistributionConfig"]
        (origin,) = config["Origins"]["Items"]
        assert origin["DomainName"] == "b-123456789012-us-west-2.s3.us-west-2.amazonaws.com"
        assert config["Restrictions"]["GeoRestriction"]["Items"] == ["US", "DE"]
        assert stack["Outputs"] == [{"OutputKey": "Domain", "OutputValue": listed["DomainName"]}]
        client("cloudformation").delete_stack(StackName=stack["StackName"])  # the stack's deletion takes them along
        assert client("cloudfront").list_distributions()["DistributionList"].get("Items", []) == []
        assert client("cloudfront").list_origin_access_controls()["OriginAccessControlList"].get("Items", []) == []


def _key_stack(statements: int, queues: int) -> dict[str, Any]:
    """A key whose policy has `statements` statements and `queues` queues encrypted with it (GetAtt Key.Arn)."""
    statement = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}
    return {"Resources": {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"Description": f"{statements} statements",
                                                        "EnableKeyRotation": True, "KeyPolicy": json.dumps(
                                                            {"Version": "2012-10-17",
                                                             "Statement": [statement] * statements})}},
        **{f"Queue{i}": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": f"q{i}", "KmsMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}}} for i in range(queues)}}}


def _physical(client: Client, logical: str) -> str | None:
    listed = client("cloudformation").describe_stack_resources(StackName="s")["StackResources"]
    return next((r.get("PhysicalResourceId") for r in listed if r.get("LogicalResourceId") == logical), None)


def test_an_update_that_changes_a_key_policy_keeps_the_key(servers: dict[str, Client]) -> None:
    """What adding a function does: its role joins the data key's policy, and its queue (table...) uses the key."""
    for name, client in servers.items():
        _stack(client, _key_stack(statements=1, queues=1))
        key = _physical(client, "Key")
        update = lambda: client("cloudformation").update_stack(  # noqa: E731
            StackName="s", TemplateBody=json.dumps(_key_stack(statements=2, queues=2)))
        update()
        policy = json.loads(client("kms").get_key_policy(KeyId=key, PolicyName="default")["Policy"])
        if name == "released":  # the key leaves the stack (a later GetAtt on it fails), its policy unchanged
            assert _physical(client, "Key") is None and len(policy["Statement"]) == 1
            again = lambda: client("cloudformation").update_stack(  # noqa: E731
                StackName="s", TemplateBody=json.dumps(_key_stack(statements=2, queues=3)))
            assert "Fn::GetAtt references undefined resource Key" in _server_error(again)
            continue
        assert _physical(client, "Key") == key
        kms = client("kms")
        policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
        assert len(policy["Statement"]) == 2
        assert kms.describe_key(KeyId=key)["KeyMetadata"]["Description"] == "2 statements"
        queue = client("sqs").get_queue_url(QueueName="q1")["QueueUrl"]
        attributes = client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["KmsMasterKeyId"])
        assert attributes["Attributes"]["KmsMasterKeyId"] == kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"]


def _table_stack(indexes: list[str], stream: str | None, retention: int) -> dict[str, Any]:
    table: dict[str, Any] = {
        "TableName": "t", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [{"IndexName": index, "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                                    "Projection": {"ProjectionType": "ALL"}} for index in indexes]}
    if stream:
        table["StreamSpecification"] = {"StreamViewType": stream}
    return {"Resources": {
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": table},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "g", "RetentionInDays": retention}},
        "Reader": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "${Table}-${Logs}"}}}}}


def test_an_update_that_changes_a_table_and_a_log_group_keeps_them_and_applies_the_change(
        servers: dict[str, Client]) -> None:
    for name, client in servers.items():
        _stack(client, _table_stack(["a"], None, 7))
        client("dynamodb").put_item(TableName="t", Item={"k": {"S": "kept"}})
        client("cloudformation").update_stack(StackName="s", TemplateBody=json.dumps(
            _table_stack(["b"], "NEW_AND_OLD_IMAGES", 30)))
        table = client("dynamodb").describe_table(TableName="t")["Table"]
        group = client("logs").describe_log_groups(logGroupNamePrefix="g")["logGroups"][0]
        if name == "released":  # both leave the stack, unchanged
            assert (_physical(client, "Table"), _physical(client, "Logs")) == (None, None)
            assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["a"]
            assert "StreamSpecification" not in table and group["retentionInDays"] == 7
            continue
        assert (_physical(client, "Table"), _physical(client, "Logs")) == ("t", "g")
        assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["b"]
        assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        assert group["retentionInDays"] == 30
        assert client("dynamodb").get_item(TableName="t", Key={"k": {"S": "kept"}})["Item"]  # the same table


def test_an_update_that_changes_a_nested_stack_updates_it_in_place(servers: dict[str, Client], aws: Any,
                                                                   unpatched_server: Any) -> None:
    """A split service's update changes its nested stacks' templates: their tables must stay (with their data)."""
    def nested(queues: int) -> bytes:
        return json.dumps({"Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {
                "TableName": "nested", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}]}},
            **{f"Queue{i}": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"nested-{i}"}}
               for i in range(queues)}}}).encode()

    for name, client in servers.items():
        url = f"http://localhost:{(unpatched_server if name == 'released' else aws).port}/templates"
        client("s3").create_bucket(Bucket="templates")
        client("s3").put_object(Bucket="templates", Key="a.json", Body=nested(1))
        client("s3").put_object(Bucket="templates", Key="b.json", Body=nested(2))

        def parent(key: str) -> dict[str, Any]:
            return {"Resources": {"Nested": {"Type": "AWS::CloudFormation::Stack", "Properties": {
                "TemplateURL": f"{url}/{key}"}}}}

        _stack(client, parent("a.json"))
        child = _physical(client, "Nested")
        client("dynamodb").put_item(TableName="nested", Item={"k": {"S": "kept"}})
        client("cloudformation").update_stack(StackName="s", TemplateBody=json.dumps(parent("b.json")))
        item = client("dynamodb").get_item(TableName="nested", Key={"k": {"S": "kept"}}).get("Item")
        if name == "released":  # deleted and created again: a new stack, an empty table
            assert _physical(client, "Nested") != child and item is None
            continue
        assert _physical(client, "Nested") == child and item is not None
        assert sorted(u.rsplit("/", 1)[-1] for u in client("sqs").list_queues()["QueueUrls"]) == [
            "nested-0", "nested-1"]


def test_a_stack_instance_reports_the_id_of_its_stack(servers: dict[str, Client]) -> None:
    """`specc status` reads each instance's resources through the stack ID ListStackInstances reports."""
    for name, client in servers.items():
        cfn = client("cloudformation")
        cfn.create_stack_set(StackSetName="set", TemplateBody=json.dumps(QUEUE_STACK))
        cfn.create_stack_instances(StackSetName="set", Accounts=[ADMIN_ACCOUNT], Regions=["us-east-1"])
        reported = cfn.list_stack_instances(StackSetName="set")["Summaries"][0]["StackId"]
        stacks = [s["StackId"] for s in cfn.describe_stacks()["Stacks"]]
        if name == "released":  # a new random ID on every call, naming no stack
            assert reported not in stacks
            assert cfn.list_stack_instances(StackSetName="set")["Summaries"][0]["StackId"] != reported
            continue
        assert [reported] == stacks
        resources = cfn.list_stack_resources(StackName=reported)["StackResourceSummaries"]
        assert [r["LogicalResourceId"] for r in resources] == ["Queue"]


ADMIN_ACCOUNT = "123456789012"


def _topic_stack(display: str) -> dict[str, Any]:
    return {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t",
                                                                                "DisplayName": display}}}}


def test_an_update_that_changes_a_topic_keeps_its_subscriptions(servers: dict[str, Client]) -> None:
    for name, client in servers.items():
        arn = _stack(client, _topic_stack("first")) and client("sns").list_topics()["Topics"][0]["TopicArn"]
        queue = client("sqs").create_queue(QueueName="listener")["QueueUrl"]
        queue_arn = client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"]
        client("sns").subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)  # another team's subscription
        client("cloudformation").update_stack(StackName="s", TemplateBody=json.dumps(_topic_stack("second")))
        attributes = client("sns").get_topic_attributes(TopicArn=arn)["Attributes"]
        subscriptions = client("sns").list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        assert attributes["DisplayName"] == "second"
        assert len(subscriptions) == (0 if name == "released" else 1)  # released: deleted and created again


def _queue_stack(retention: int, dead_letters: bool) -> dict[str, Any]:
    queue: dict[str, Any] = {"QueueName": "work", "MessageRetentionPeriod": retention, "VisibilityTimeout": 60}
    if dead_letters:
        queue["RedrivePolicy"] = {"deadLetterTargetArn": {"Fn::GetAtt": ["Dead", "Arn"]}, "maxReceiveCount": 3}
    return {"Resources": {"Dead": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "dead"}},
                          "Work": {"Type": "AWS::SQS::Queue", "Properties": queue}}}


def test_an_update_that_changes_a_queue_applies_every_attribute(servers: dict[str, Client]) -> None:
    for name, client in servers.items():
        _stack(client, _queue_stack(345600, dead_letters=False))
        client("cloudformation").update_stack(StackName="s", TemplateBody=json.dumps(
            _queue_stack(1209600, dead_letters=True)))
        sqs = client("sqs")
        attributes = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="work")["QueueUrl"],
                                              AttributeNames=["All"])["Attributes"]
        if name == "released":  # UPDATE_COMPLETE, and neither change made
            assert attributes["MessageRetentionPeriod"] == "345600" and "RedrivePolicy" not in attributes
            continue
        assert attributes["MessageRetentionPeriod"] == "1209600"
        assert json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"].endswith(":dead")


BUS_WITH_TAGS = {"Resources": {"Bus": {"Type": "AWS::Events::EventBus", "Properties": {
    "Name": "orders", "Description": "Order events", "Tags": [{"Key": "team", "Value": "a"}]}}}}


def test_event_bus_description_and_tags(servers: dict[str, Client]) -> None:
    for name, client in servers.items():
        assert _stack(client, BUS_WITH_TAGS)["StackStatus"] == "CREATE_COMPLETE"
        bus = client("events").describe_event_bus(Name="orders")
        tags = client("events").list_tags_for_resource(ResourceARN=bus["Arn"])["Tags"]
        [listed] = client("cloudformation").describe_stack_resources(StackName="s")["StackResources"]
        if name == "released":
            assert ("Description" not in bus, tags, listed.get("PhysicalResourceId")) == (True, [], None)
        else:
            assert (bus["Description"], tags) == ("Order events", [{"Key": "team", "Value": "a"}])
            assert listed["PhysicalResourceId"] == "orders"  # AWS's physical ID of a bus: its name
