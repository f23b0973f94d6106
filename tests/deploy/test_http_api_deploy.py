"""specs/examples/http-cognito.yaml deploys to moto server with `specc bootstrap` and `specc deploy`, and the HTTP
API, its Cognito authorizer, its routes and stage, and the user pool with its clients are read back through
their services' own APIs (apigatewayv2, cognito-idp), not through the stack's word. moto models both services
but not their CloudFormation types: scripts/moto_server.py creates them through its backends (a documented
patch, tested in test_moto_patches.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from specc.cli.app import main

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SPEC = "specs/examples/http-cognito.yaml"


def test_http_api_behind_a_cognito_user_pool_deploys(aws, runner, session, deployed, services, template,
                                                     monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    assert runner.invoke(main, ["bootstrap", SPEC, "--region", "us-east-1"]).exit_code == 0
    result = runner.invoke(main, ["deploy", SPEC, "--region", "us-east-1"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("customer-orders-prod in us-east-1 (123456789012): created (CREATE_COMPLETE)\n")
    service = template(spec=REPO / SPEC)
    physical = deployed(session(), "us-east-1", "customer-orders-prod", service)
    assert services(session(), "us-east-1", service, physical) >= {"AWS::DynamoDB::Table", "AWS::Lambda::Function"}

    http = session().client("apigatewayv2", region_name="us-east-1")
    api = http.get_api(ApiId=physical["Api"])
    assert (api["ProtocolType"], api["Name"]) == ("HTTP", "customer-orders-api-prod")
    assert api["CorsConfiguration"]["AllowOrigins"] == ["https://orders.example.com"]
    assert api["CorsConfiguration"]["AllowCredentials"] is True
    routes = {r["RouteKey"]: r for r in http.get_routes(ApiId=physical["Api"])["Items"]}
    assert sorted(routes) == ["GET /health", "GET /orders", "POST /orders"]
    assert routes["GET /health"]["AuthorizationType"] == "NONE"
    for key in ("GET /orders", "POST /orders"):
        assert (routes[key]["AuthorizationType"], routes[key]["AuthorizerId"]) == (
            "JWT", physical["CustomersAuthorizer"])
    assert routes["POST /orders"]["AuthorizationScopes"] == ["aws.cognito.signin.user.admin"]
    integrations = {r["Target"] for r in routes.values()}
    assert len(integrations) == 3 and all(t.startswith("integrations/") for t in integrations)

    authorizer = http.get_authorizer(ApiId=physical["Api"], AuthorizerId=physical["CustomersAuthorizer"])
    pool_id = physical["CustomersUserPool"]
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["JwtConfiguration"]["Issuer"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"
    assert sorted(authorizer["JwtConfiguration"]["Audience"]) == sorted(
        [physical["CustomersWebUserPoolClient"], physical["CustomersSupportDeskUserPoolClient"]])
    stage = http.get_stage(ApiId=physical["Api"], StageName="v1")
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 1000.0
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 500

    cognito = session().client("cognito-idp", region_name="us-east-1")
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["Name"] == "customer-orders-customers-prod"
    assert (pool["MfaConfiguration"], pool["DeletionProtection"], pool["UserPoolTier"]) == ("ON", "ACTIVE", "PLUS")
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert pool["UsernameAttributes"] == ["email"]
    web = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=physical["CustomersWebUserPoolClient"])
    desk = cognito.describe_user_pool_client(UserPoolId=pool_id,
                                             ClientId=physical["CustomersSupportDeskUserPoolClient"])
    assert "ClientSecret" not in web["UserPoolClient"] and "ClientSecret" in desk["UserPoolClient"]


def test_rest_api_with_a_user_pool_authorizer_and_cors_deploys(aws, runner, session, deployed, services, template,
                                                               monkeypatch) -> None:
    """tests/golden/user_pools: a REST API whose routes use a Cognito authorizer and a Lambda token authorizer,
    with CORS preflights, beside two user pools (one with its defaults weakened on purpose)."""
    monkeypatch.chdir(REPO)
    spec = "tests/golden/user_pools/spec.yaml"
    assert runner.invoke(main, ["bootstrap", spec, "--region", "us-east-1"]).exit_code == 0
    result = runner.invoke(main, ["deploy", spec, "--region", "us-east-1"])
    assert result.exit_code == 0, result.output
    service = template(spec=REPO / spec)
    physical = deployed(session(), "us-east-1", "shop-dev", service)
    services(session(), "us-east-1", service, physical)

    rest = session().client("apigateway", region_name="us-east-1")
    api = physical["Api"]
    orders = physical["ApiResourceOrders"]
    assert rest.get_method(restApiId=api, resourceId=orders, httpMethod="GET")["authorizationType"] == \
        "COGNITO_USER_POOLS"
    post = rest.get_method(restApiId=api, resourceId=orders, httpMethod="POST")
    assert post["authorizationScopes"] == ["aws.cognito.signin.user.admin"]
    preflight = rest.get_method(restApiId=api, resourceId=orders, httpMethod="OPTIONS")
    assert (preflight["authorizationType"], preflight["methodIntegration"]["type"]) == ("NONE", "MOCK")
    one = rest.get_method(restApiId=api, resourceId=physical["ApiResourceOrdersOrderIdParam"], httpMethod="GET")
    assert (one["authorizationType"], one["authorizerId"]) == ("CUSTOM", physical["TokensAuthorizer"])
    authorizers = {a["name"]: a for a in rest.get_authorizers(restApiId=api)["items"]}
    assert (authorizers["tokens"]["type"], authorizers["tokens"]["authorizerResultTtlInSeconds"]) == ("TOKEN", 600)
    assert authorizers["users"]["providerARNs"] == [
        session().client("cognito-idp", region_name="us-east-1").describe_user_pool(
            UserPoolId=physical["CustomersUserPool"])["UserPool"]["Arn"]]
    assert post["authorizerId"] == physical["UsersAuthorizer"]

    cognito = session().client("cognito-idp", region_name="us-east-1")
    customers = cognito.describe_user_pool(UserPoolId=physical["CustomersUserPool"])["UserPool"]
    assert (customers["MfaConfiguration"], customers["DeletionProtection"]) == ("OPTIONAL", "INACTIVE")
    assert customers["UserPoolAddOns"] == {"AdvancedSecurityMode": "AUDIT"}
    assert customers["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False
    assert customers["Policies"]["PasswordPolicy"]["MinimumLength"] == 14
    staff = cognito.describe_user_pool(UserPoolId=physical["StaffUserPool"])["UserPool"]
    assert (staff["MfaConfiguration"], staff["DeletionProtection"]) == ("ON", "ACTIVE")
    assert "UsernameAttributes" not in staff  # sign-in by user name
