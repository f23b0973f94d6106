"""HTTP APIs (`api.kind: http`), authorizers, route `auth` and CORS, for both API kinds: what the compiled template
holds, what the pci profile makes of it, and the errors for what a kind cannot do."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from specc.cli.app import main
from specc.compiler import compile_spec
from specc.kinds.api_cors import CorsSpec
from specc.language.diagnostics import SpecError

BASE = """
specc: 1
service: shop
environment: dev
regions: [eu-west-1]
functions:
  orders:
    handler: handlers/app.py:handler
  authorize:
    handler: handlers/app.py:handler
user_pools:
  customers:
    clients: {web: {}, backend: {secret: true}}
api:
  kind: KIND
  auth: users
  authorizers:
    users: {cognito: {user_pool: customers}}
    gate: {lambda: {function: authorize, cache_seconds: 120}}
routes:
  GET /orders: orders
  POST /orders: {function: orders, auth: {authorizer: users, scopes: [orders/write]}}
  GET /orders/{order_id}: {function: orders, auth: gate}
  DELETE /orders/{order_id}: {function: orders, auth: iam}
  GET /health: {function: orders, auth: none}
"""


def resources(write_spec, text: str) -> dict[str, dict]:
    return compile_spec(write_spec(text)).templates["service.json"]["Resources"]


def of_type(found: dict[str, dict], kind: str) -> dict[str, dict]:
    return {key: value["Properties"] for key, value in found.items() if value["Type"] == kind}


def findings(write_spec, text: str) -> list:
    with pytest.raises(SpecError) as caught:
        compile_spec(write_spec(text))
    return sorted(caught.value.diagnostics, key=lambda d: d.sort_key())


def test_switching_the_kind_is_one_line_and_keeps_every_route_and_its_authorization(write_spec) -> None:
    rest = of_type(resources(write_spec, BASE.replace("KIND", "rest")), "AWS::ApiGateway::Method")
    http = of_type(resources(write_spec, BASE.replace("KIND", "http")), "AWS::ApiGatewayV2::Route")
    assert sorted(rest) == sorted(http)  # the same logical IDs: one per route
    as_rest = {key: (p["AuthorizationType"], p.get("AuthorizationScopes")) for key, p in rest.items()}
    as_http = {key: (p["AuthorizationType"], p.get("AuthorizationScopes")) for key, p in http.items()}
    assert as_rest == {"RouteGetOrders": ("COGNITO_USER_POOLS", None),
                       "RoutePostOrders": ("COGNITO_USER_POOLS", ["orders/write"]),
                       "RouteGetOrdersOrderIdParam": ("CUSTOM", None),
                       "RouteDeleteOrdersOrderIdParam": ("AWS_IAM", None), "RouteGetHealth": ("NONE", None)}
    assert as_http == {"RouteGetOrders": ("JWT", None), "RoutePostOrders": ("JWT", ["orders/write"]),
                       "RouteGetOrdersOrderIdParam": ("CUSTOM", None),
                       "RouteDeleteOrdersOrderIdParam": ("AWS_IAM", None), "RouteGetHealth": ("NONE", None)}
    assert {p["RouteKey"] for p in http.values()} == {"GET /orders", "POST /orders", "GET /orders/{order_id}",
                                                      "DELETE /orders/{order_id}", "GET /health"}


def test_an_http_api_is_lambda_proxy_2_0_with_an_auto_deployed_throttled_stage_and_encrypted_logs(write_spec) -> None:
    found = resources(write_spec, BASE.replace("KIND", "http").replace("  auth: users\n",
                                                                       "  auth: users\n  throttle: {rate: 50, burst: "
                                                                       "20}\n"))
    integrations = of_type(found, "AWS::ApiGatewayV2::Integration")
    assert integrations == {"OrdersIntegration": {
        "ApiId": {"Ref": "Api"}, "IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0",
        "IntegrationUri": {"Fn::GetAtt": ["OrdersFunction", "Arn"]}}}  # one per function, shared by its routes
    stage = found["ApiStage"]["Properties"]
    assert stage["AutoDeploy"] is True and stage["StageName"] == "v1"
    assert stage["DefaultRouteSettings"] == {"DetailedMetricsEnabled": True, "ThrottlingBurstLimit": 20,
                                             "ThrottlingRateLimit": 50.0}
    assert stage["AccessLogSettings"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert "KmsKeyId" in found["ApiAccessLogGroup"]["Properties"]
    assert found["ApiStage"]["Metadata"]["specc"]["opt_outs"][0]["control"] == "tracing"  # HTTP APIs have no X-Ray
    assert not of_type(found, "AWS::ApiGateway::RestApi") and "ApiGatewayAccount" not in found
    # each route may invoke its function for its own method and path only
    permission = found["RouteGetOrdersOrderIdParamPermission"]["Properties"]
    assert permission["SourceArn"]["Fn::Sub"].endswith("${Api}/*/GET/orders/*")


def test_cognito_and_lambda_authorizers_on_an_http_api(write_spec) -> None:
    found = resources(write_spec, BASE.replace("KIND", "http").replace(
        "users: {cognito: {user_pool: customers}}", "users: {cognito: {user_pool: customers, clients: [web]}}"))
    authorizers = of_type(found, "AWS::ApiGatewayV2::Authorizer")
    assert authorizers["UsersAuthorizer"]["JwtConfiguration"] == {
        "Audience": [{"Ref": "CustomersWebUserPoolClient"}],  # only the client named, not `backend`
        "Issuer": {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${CustomersUserPool}"}}
    gate = authorizers["GateAuthorizer"]
    assert (gate["AuthorizerType"], gate["AuthorizerPayloadFormatVersion"], gate["AuthorizerResultTtlInSeconds"],
            gate["IdentitySource"]) == ("REQUEST", "2.0", 120, ["$request.header.Authorization"])
    permission = found["GateAuthorizerPermission"]["Properties"]
    assert permission["FunctionName"] == {"Fn::GetAtt": ["AuthorizeFunction", "Arn"]}
    assert permission["SourceArn"]["Fn::Sub"].endswith("${Api}/authorizers/${GateAuthorizer}")


def test_a_jwt_authorizer_of_any_issuer_on_an_http_api(write_spec) -> None:
    spec = BASE.replace("KIND", "http").replace(
        "    gate:",
        "    partners: {jwt: {issuer: 'https://login.example.com/', audience: [a, b]}}\n    gate:").replace(
        "GET /health: {function: orders, auth: none}", "GET /health: {function: orders, auth: {authorizer: partners, "
        "scopes: [health/read]}}")
    found = resources(write_spec, spec)
    assert of_type(found, "AWS::ApiGatewayV2::Authorizer")["PartnersAuthorizer"]["JwtConfiguration"] == {
        "Audience": ["a", "b"], "Issuer": "https://login.example.com/"}
    route = found["RouteGetHealth"]["Properties"]
    assert (route["AuthorizationType"], route["AuthorizerId"], route["AuthorizationScopes"]) == (
        "JWT", {"Ref": "PartnersAuthorizer"}, ["health/read"])


def test_user_pool_defaults_are_the_secure_ones(write_spec) -> None:
    found = resources(write_spec, BASE.replace("KIND", "http"))
    pool = found["CustomersUserPool"]
    props = pool["Properties"]
    assert (props["MfaConfiguration"], props["EnabledMfas"], props["UserPoolTier"],
            props["UserPoolAddOns"], props["DeletionProtection"], props["AdminCreateUserConfig"]) == (
        "ON", ["SOFTWARE_TOKEN_MFA"], "PLUS", {"AdvancedSecurityMode": "ENFORCED"}, "ACTIVE",
        {"AllowAdminCreateUserOnly": True})
    assert props["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert props["UsernameAttributes"] == ["email"] and props["AutoVerifiedAttributes"] == ["email"]
    assert pool["DeletionPolicy"] == "Retain" and "Metadata" not in pool  # nothing opted out
    clients = of_type(found, "AWS::Cognito::UserPoolClient")
    assert clients["CustomersWebUserPoolClient"]["GenerateSecret"] is False
    assert clients["CustomersBackendUserPoolClient"]["GenerateSecret"] is True
    for client in clients.values():
        assert client["PreventUserExistenceErrors"] == "ENABLED" and client["EnableTokenRevocation"] is True
        assert "ALLOW_USER_PASSWORD_AUTH" not in client["ExplicitAuthFlows"]  # SRP unless the spec says otherwise


def test_the_api_default_auth_applies_only_where_a_route_names_none(write_spec) -> None:
    spec = BASE.replace("KIND", "http").replace("  auth: users\n", "  auth: iam\n")
    routes = of_type(resources(write_spec, spec), "AWS::ApiGatewayV2::Route")
    assert routes["RouteGetOrders"]["AuthorizationType"] == "AWS_IAM"  # the default
    assert routes["RouteGetHealth"]["AuthorizationType"] == "NONE"  # `auth: none` stays public


def test_http_cors_is_native_and_rest_cors_answers_preflights_for_allowed_origins_only(write_spec) -> None:
    cors = "  cors: {origins: ['https://a.example.com', 'https://b.example.com'], methods: [GET, POST]}\n"
    http = resources(write_spec, BASE.replace("KIND", "http").replace("  auth: users\n", "  auth: users\n" + cors))
    assert http["Api"]["Properties"]["CorsConfiguration"] == {
        "AllowCredentials": False, "AllowHeaders": ["Authorization", "Content-Type"], "AllowMethods": ["GET", "POST"],
        "AllowOrigins": ["https://a.example.com", "https://b.example.com"], "MaxAge": 600}
    rest = resources(write_spec, BASE.replace("KIND", "rest").replace("  auth: users\n", "  auth: users\n" + cors))
    options = {key: p for key, p in of_type(rest, "AWS::ApiGateway::Method").items() if p["HttpMethod"] == "OPTIONS"}
    assert sorted(options) == ["RouteOptionsHealth", "RouteOptionsOrders", "RouteOptionsOrdersOrderIdParam"]
    preflight = options["RouteOptionsOrders"]
    assert preflight["AuthorizationType"] == "NONE" and preflight["Integration"]["Type"] == "MOCK"
    response = preflight["Integration"]["IntegrationResponses"][0]
    assert response["ResponseParameters"]["method.response.header.Access-Control-Allow-Methods"] == "'GET,OPTIONS,POST'"
    assert response["ResponseParameters"]["method.response.header.Vary"] == "'Origin'"
    template = response["ResponseTemplates"]["application/json"]
    assert '["https://a.example.com", "https://b.example.com"].contains($origin)' in template
    deployment = next(v for k, v in rest.items() if k.startswith("ApiDeployment"))
    assert set(options) <= set(deployment["DependsOn"])  # deployed with the routes
    assert not [k for k in rest if k.startswith("ApiGatewayResponse")]  # a static header cannot list two origins


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hosts=st.lists(st.from_regex(r"[a-z][a-z0-9]{0,10}\.example\.com", fullmatch=True), min_size=1, max_size=4,
                      unique=True), credentials=st.booleans(), wildcard=st.booleans())
def test_origins_with_credentials_are_explicit(hosts: list[str], credentials: bool, wildcard: bool) -> None:
    origins = ["*"] if wildcard else [f"https://{host}" for host in hosts]
    if wildcard and credentials:
        with pytest.raises(ValidationError, match="wildcard origin with `credentials: true`"):
            CorsSpec.model_validate({"origins": origins, "credentials": credentials})
    else:
        assert CorsSpec.model_validate({"origins": origins, "credentials": credentials}).origins == origins


def test_pci_accepts_every_kind_of_authorization_and_refuses_a_public_http_route(write_spec) -> None:
    spec = BASE.replace("KIND", "http") + "security: {profile: pci}\n"
    found = [d for d in findings(write_spec, spec) if d.code == "SEC013"]
    # JWT (Cognito), CUSTOM (Lambda) and AWS_IAM routes pass; the one public route does not
    assert [(d.field_path, d.position.line) for d in found] == [("routes.'GET /health'", 24)]
    assert "anonymously" in found[0].message and "`auth:`" in found[0].hint


def test_a_public_route_under_pci_needs_a_justified_exception(write_spec) -> None:
    reason = "the load balancer's health probe: returns a constant, reads no data"
    spec = BASE.replace("KIND", "rest") + (
        "security:\n  profile: pci\n  exceptions:\n"
        f"    SEC013: {{reason: \"{reason}\", entries: ['routes.GET /health']}}\n")
    found = findings(write_spec, spec)
    assert "SEC013" not in {d.code for d in found}
    excused = compile_spec(write_spec(spec + "    SEC008: {reason: 'internal API behind the partner VPN only'}\n"
                                      "    SEC014: {reason: 'functions read public data only, no cardholder data'}\n"
                                      "    SEC015: {reason: 'the partner VPN filters web attacks before the API'}\n"))
    assert excused.templates["service.json"]["Resources"]["RouteGetHealth"]["Metadata"]["specc"]["exceptions"] == [
        {"check": "SEC013", "reason": reason, "spec": "security.exceptions.SEC013"}]


def test_pci_says_an_http_api_cannot_have_a_web_acl(write_spec) -> None:
    found = [d for d in findings(write_spec, BASE.replace("KIND", "http") + "security: {profile: pci}\n")
             if d.code == "SEC015"]
    assert len(found) == 1 and "WAF cannot protect" in found[0].message and "kind: rest" in found[0].hint


def test_an_unknown_user_pool_or_authorizer_function_is_a_located_reference_error(write_spec) -> None:
    spec = BASE.replace("KIND", "http").replace("user_pool: customers}", "user_pool: customer}").replace(
        "function: authorize,", "function: authorise,")
    found = findings(write_spec, spec)
    assert [(d.code, d.field_path) for d in found] == [  # in spec order: users is written before gate
        ("E201", "api.authorizers.users.cognito.user_pool"), ("E201", "api.authorizers.gate.lambda.function")]
    assert "did you mean 'customers'" in found[0].message and "did you mean 'authorize'" in found[1].message


def test_the_cli_compiles_and_lints_an_http_api(runner, write_spec) -> None:
    path = write_spec(BASE.replace("KIND", "http"))
    out = path.parent / "out"
    result = runner.invoke(main, ["compile", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    template = json.loads((out / "service.json").read_text())
    assert template["Resources"]["Api"]["Type"] == "AWS::ApiGatewayV2::Api"
    result = runner.invoke(main, ["lint", str(path)])
    assert result.exit_code == 0 and "clean under cfn-lint" in result.output, result.output


def test_the_dashboard_and_alarms_watch_what_an_http_api_publishes(write_spec) -> None:
    spec = BASE.replace("KIND", "http") + "topics: {alerts: {}}\nmonitoring: {notify: alerts, dashboard: true}\n"
    found = resources(write_spec, spec)
    alarms = of_type(found, "AWS::CloudWatch::Alarm")
    assert (alarms["Api5xxAlarm"]["MetricName"], alarms["Api5xxAlarm"]["Dimensions"]) == (
        "5xx", [{"Name": "ApiId", "Value": {"Ref": "Api"}}, {"Name": "Stage", "Value": "v1"}])
    body = json.loads(found["ServiceDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"])
    api_lines = [line for widget in body["widgets"] if widget["properties"]["title"].startswith("api:")
                 for line in widget["properties"]["metrics"]]
    assert sorted(line[1] for line in api_lines) == ["4xx", "5xx", "Count", "Latency"]
    assert all(line[2:6] == ["ApiId", "${Api}", "Stage", "v1"] for line in api_lines)


def test_an_http_api_domain_with_mutual_tls_closes_the_execute_api_url_and_satisfies_sec008(write_spec) -> None:
    domain = ("domains:\n  public:\n    name: api.shop.example.com\n    hosted_zone_id: Z0123456789ABCDEFGHIJ\n"
              "    mutual_tls: {truststore: 's3://shop-truststore/truststore.pem'}\n")
    spec = BASE.replace("KIND", "http") + domain
    found = resources(write_spec, spec)
    assert found["Api"]["Properties"]["DisableExecuteApiEndpoint"] is True
    assert found["PublicDomainName"]["Type"] == "AWS::ApiGatewayV2::DomainName"
    assert found["PublicApiMapping"]["Properties"]["Stage"] == {"Ref": "ApiStage"}
    pci = "security: {profile: pci}\n"
    assert "SEC008" not in {d.code for d in findings(write_spec, spec + pci)}
    without_mtls = spec.replace("    mutual_tls: {truststore: 's3://shop-truststore/truststore.pem'}\n", "")
    sec008 = [d for d in findings(write_spec, without_mtls + pci) if d.code == "SEC008"]
    assert [d.message for d in sec008] == ["PublicDomainName does not require client certificates (mutual TLS)"]


REST_TO_HTTP = {"NONE": "NONE", "AWS_IAM": "AWS_IAM", "COGNITO_USER_POOLS": "JWT", "CUSTOM": "CUSTOM"}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(routes=st.dictionaries(
    st.tuples(st.sampled_from(["GET", "POST", "DELETE"]),
              st.lists(st.sampled_from(["orders", "{order_id}", "items", "health"]), max_size=2).map(tuple)),
    st.sampled_from([None, "none", "iam", "users", "gate"]), min_size=1, max_size=5),
    default=st.sampled_from([None, "iam", "users"]))
def test_every_route_keeps_its_authorization_across_kinds(write_spec, routes, default) -> None:
    keys = {f"{method} /{'/'.join(segments)}": auth for (method, segments), auth in routes.items()}
    lines = "".join(f"  {key}: " + ("orders" if auth is None else f"{{function: orders, auth: {auth}}}") + "\n"
                    for key, auth in keys.items())
    base = BASE.split("routes:\n")[0].replace("  auth: users\n", f"  auth: {default}\n" if default else "")
    rest = of_type(resources(write_spec, base.replace("KIND", "rest") + "routes:\n" + lines), "AWS::ApiGateway::Method")
    http = of_type(resources(write_spec, base.replace("KIND", "http") + "routes:\n" + lines),
                   "AWS::ApiGatewayV2::Route")
    assert {k: REST_TO_HTTP[p["AuthorizationType"]] for k, p in rest.items()} == \
        {k: p["AuthorizationType"] for k, p in http.items()}
    expected = {key: auth or default or "none" for key, auth in keys.items()}
    kinds = {"none": "NONE", "iam": "AWS_IAM", "users": "JWT", "gate": "CUSTOM"}
    assert sorted(kinds[a] for a in expected.values()) == sorted(p["AuthorizationType"] for p in http.values())
