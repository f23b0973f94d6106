"""The service's API: REST (v1) with one stage with access logs (encrypted), tracing, throttling and a deployment
per route set; or, with `kind: http`, an HTTP API (v2, kinds/http_api.py). Authorizers and CORS: api_auth.py and
api_cors.py."""

from __future__ import annotations

import json
from typing import Any, Literal

from awacs.aws import Allow, PolicyDocument, Principal, Statement
from awacs.sts import AssumeRole
from pydantic import Field
from troposphere import GetAtt, Ref, Sub, apigateway, iam

from specc.build.context import BuildContext
from specc.build.iam import Grant
from specc.build.naming import short_hash
from specc.build.scanners import skip
from specc.kinds.api_access import ApiAccess, resource_policy
from specc.kinds.api_auth import AuthorizerSpec, RouteAuth, build_rest
from specc.kinds.api_cors import CorsSpec
from specc.kinds.api_ids import API_ID, STAGE_ID, access_log_group, execute_api_disabled
from specc.kinds.base import Attribute, Kind, Metrics, NameRule, Reference
from specc.kinds.routes import method_id, resource_of, split
from specc.language.types import Name, RetentionDays, SpecModel, Throttle

ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "caller": "$context.identity.caller",
    "apiKeyId": "$context.identity.apiKeyId", "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod", "resourcePath": "$context.resourcePath", "status": "$context.status",
    "protocol": "$context.protocol", "responseLength": "$context.responseLength",
    "integrationLatency": "$context.integrationLatency", "xrayTraceId": "$context.xrayTraceId",
}, sort_keys=True, separators=(",", ":"))


class ApiSpec(SpecModel):
    """Settings of the service's API (it exists whenever `routes` are declared)."""

    kind: Literal["rest", "http"] = Field(
        "rest", description="`rest`: API Gateway REST API (v1: API keys, usage plans, WAF, resource policies, "
        "private endpoints); `http`: HTTP API (v2: lower cost and latency, native JWT authorizers and CORS).",
        examples=["http"])
    stage: str = Field("v1", pattern=r"^[A-Za-z0-9_]{1,128}$", description="Stage name, the first URL segment.",
                       examples=["v1"])
    throttle: Throttle = Field(default_factory=lambda: Throttle(rate=1000, burst=500),
                               description="Default throttling of every method of the stage.")
    tracing: bool = Field(True, description="X-Ray tracing of the stage. Turning it off is recorded in the template.",
                          examples=[True])
    access_log_retention_days: RetentionDays | None = Field(
        None, description="Retention of the access log group; default: `defaults.log_retention_days`.", examples=[90])
    execution_logging: Literal["off", "error", "info"] = Field(
        "error", description="Execution log level.", examples=["info"])
    cloudwatch_role: bool = Field(
        True, description="Create the account-level API Gateway CloudWatch role that logging needs. Set false when "
                          "the account already has one (it is one setting per account and region).", examples=[False])
    access: ApiAccess | None = Field(None, description="The API's resource policy: only these source networks, or "
                                     "only these VPC endpoints (a PRIVATE API), may call it at all.")
    disable_execute_api_endpoint: bool | None = Field(
        None, description="Turn off the default `execute-api` URL so clients must use a custom domain (and its mutual "
                          "TLS). Default: true when the spec has `domains`.", examples=[True])
    authorizers: dict[Name, AuthorizerSpec] = Field(
        default_factory=dict, description="Authorizers routes name in `auth`: `jwt` (HTTP APIs), `cognito` (a pool "
        "of `user_pools`) or `lambda` (a function).",
        examples=[{"users": {"cognito": {"user_pool": "customers"}},
                   "partners": {"jwt": {"issuer": "https://acme.eu.auth0.com/", "audience": ["orders-api"]}}}])
    auth: RouteAuth | None = Field(None, description="The default `auth` of every route that names none (`iam`, "
                                   "`none` or an authorizer, with `scopes`); default: public.", examples=["users"])
    cors: CorsSpec | None = Field(None, description="Browser origins allowed to call the API (CORS).")


def effective(ctx: BuildContext) -> ApiSpec | None:
    if ctx.spec.api is None and not ctx.spec.routes:
        return None
    return ctx.spec.api or ApiSpec()


def build(ctx: BuildContext, name: str, spec: ApiSpec | None) -> None:
    settings = effective(ctx)
    if settings is None:
        return
    origin = ("api",) if ctx.spec.api is not None else ("routes",)
    if settings.kind == "http":
        from specc.kinds import http_api

        http_api.build(ctx, settings, origin)
        return
    rest_api = apigateway.RestApi(
        API_ID,
        Name=ctx.physical("api"),
        Description=f"{ctx.spec.service} API ({ctx.spec.environment})",
        EndpointConfiguration=apigateway.EndpointConfiguration(
            Types=["PRIVATE" if settings.access and settings.access.private() else "REGIONAL"]),
    )
    # A new resource policy or endpoint setting takes effect only with a new deployment, so both feed its ID.
    redeploy = []
    if settings.access is not None:
        rest_api.Policy = resource_policy(settings.access)
        redeploy.append(json.dumps(settings.access.model_dump(mode="json"), sort_keys=True))
    if execute_api_disabled(ctx, settings):
        rest_api.DisableExecuteApiEndpoint = True
        redeploy.append("execute-api endpoint disabled")
    ctx.add(rest_api, origin)
    for name, authorizer in sorted(settings.authorizers.items()):
        build_rest(ctx, API_ID, name, authorizer)
    preflights = _preflights(ctx, settings)
    # The API-wide default authorization and CORS change methods too: a new value needs a new deployment.
    if settings.auth is not None or settings.cors is not None or settings.authorizers:
        redeploy.append(json.dumps(settings.model_dump(mode="json", include={"auth", "cors", "authorizers"},
                                                       by_alias=True), sort_keys=True))

    route_fingerprint = short_hash(json.dumps(
        {key: _fingerprinted(route) for key, route in sorted(ctx.spec.routes.items())}, sort_keys=True),
        *redeploy)
    deployment_id = f"ApiDeployment{route_fingerprint}"
    ctx.add(apigateway.Deployment(
        deployment_id,
        RestApiId=Ref(API_ID),
        Description=f"routes {route_fingerprint}",
        DependsOn=sorted([method_id(key) for key in ctx.spec.routes] + preflights),
    ), origin)

    access_log_id = access_log_group(ctx, settings, origin)

    depends = []
    if settings.cloudwatch_role:
        _cloudwatch_role(ctx, origin)
        depends.append("ApiGatewayAccount")
    method_settings = apigateway.MethodSetting(
        HttpMethod="*", ResourcePath="/*", MetricsEnabled=True,
        ThrottlingRateLimit=settings.throttle.rate, ThrottlingBurstLimit=settings.throttle.burst,
        DataTraceEnabled=False,
    )
    if settings.execution_logging != "off":
        method_settings.LoggingLevel = settings.execution_logging.upper()
    stage = apigateway.Stage(
        STAGE_ID,
        RestApiId=Ref(API_ID),
        StageName=settings.stage,
        DeploymentId=Ref(deployment_id),
        TracingEnabled=settings.tracing,
        AccessLogSetting=apigateway.AccessLogSetting(DestinationArn=GetAtt(access_log_id, "Arn"),
                                                     Format=ACCESS_LOG_FORMAT),
        MethodSettings=[method_settings],
    )
    if depends:
        stage.DependsOn = depends
    if not settings.tracing:
        ctx.opt_out(stage, "tracing", ("api", "tracing"))
    skip(stage, "CKV_AWS_120", "responses are per caller (payment data): a stage cache would serve them across "
         "callers and keep them outside the service's KMS keys, so caching stays off")
    ctx.add(stage, origin)
    if not execute_api_disabled(ctx, settings):
        ctx.output("ApiUrl", Sub(f"https://${{{API_ID}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/"
                                 f"{settings.stage}"), "Base URL of the API stage")
    ctx.output("ApiId", Ref(API_ID), "ID of the REST API")


def _fingerprinted(route: Any) -> dict[str, Any]:
    """What of a route its deployment depends on; fields added later count only when set, so a spec that does not
    use them keeps its deployment (a new one per upgrade of specc would be churn)."""
    dumped: dict[str, Any] = route.model_dump(mode="json",
                                              exclude={"integration"} | ({"auth"} if route.auth is None else set()))
    return dumped


def _preflights(ctx: BuildContext, settings: ApiSpec) -> list[str]:
    """With `cors`, an OPTIONS method on every path that has routes (unless the spec routes OPTIONS itself)."""
    from specc.kinds.api_cors import rest_error_responses, rest_preflight

    if settings.cors is None:
        return []
    made = rest_error_responses(ctx, API_ID, settings.cors)  # deployed with the methods, so listed with them
    paths: dict[tuple[str, ...], list[str]] = {}
    for route_key in ctx.spec.routes:
        method, segments = split(route_key)
        paths.setdefault(tuple(segments), []).append(method)
    for path, methods in sorted(paths.items()):
        if "OPTIONS" in methods:
            continue
        logical = method_id("OPTIONS /" + "/".join(path))
        rest_preflight(ctx, API_ID, resource_of(list(path)), logical, methods, settings.cors)
        made.append(logical)
    return made


def _cloudwatch_role(ctx: BuildContext, origin: tuple[Any, ...]) -> None:
    role_id = "ApiGatewayCloudWatchRole"
    ctx.add(iam.Role(
        role_id,
        Description="Lets API Gateway write this account's API logs in this region",
        AssumeRolePolicyDocument=PolicyDocument(Version="2012-10-17", Statement=[Statement(
            Effect=Allow, Principal=Principal("Service", "apigateway.amazonaws.com"), Action=[AssumeRole])]),
    ), origin)
    ctx.grant(role_id, "ApiGatewayCloudWatchPolicy", api_logs_grants())
    ctx.add(apigateway.Account("ApiGatewayAccount", CloudWatchRoleArn=GetAtt(role_id, "Arn"),
                               DependsOn=["ApiGatewayCloudWatchPolicy"]), origin)


API_LOG_GROUPS = ("API-Gateway-Execution-Logs_*", "/aws/apigateway/*")


def api_logs_grants() -> list[Grant]:
    """The account's API Gateway logging role (the actions of AmazonAPIGatewayPushToCloudWatchLogs), on the log
    groups API Gateway writes instead of every log group of the account: execution logs
    (`API-Gateway-Execution-Logs_<api>/<stage>`) and access logs under `/aws/apigateway/` (where specc puts them).
    The role is the account's, one per region, used by every API there: it cannot be narrowed to this service's."""
    logs = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
    return [
        Grant(sid="WriteApiLogs", actions=("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams",
                                           "logs:FilterLogEvents", "logs:GetLogEvents", "logs:PutLogEvents"),
              resources=tuple(Sub(logs + group) for group in API_LOG_GROUPS),
              reason="API Gateway's account logging role serves every API of the account in this region: the log "
                     "groups API Gateway writes (execution logs, access logs under /aws/apigateway/), no others"),
        Grant(sid="ListLogGroups", actions=("logs:DescribeLogGroups",), resources=(Sub(logs + "*"),),
              reason="DescribeLogGroups lists log groups by name prefix: it is authorized on every log group of the "
                     "account and region, and returns their names and settings, never their events"),
    ]


def references(name: str, spec: ApiSpec) -> list[Reference]:
    """Authorizers name functions (`lambda`) and user pools (`cognito`)."""
    found = []
    for key, authorizer in sorted(spec.authorizers.items()):
        if authorizer.lambda_ is not None:
            found.append(Reference(("api", "authorizers", key, "lambda", "function"), "functions",
                                   authorizer.lambda_.function, relation="authorizes"))
        if authorizer.cognito is not None:
            found.append(Reference(("api", "authorizers", key, "cognito", "user_pool"), "user_pools",
                                   authorizer.cognito.user_pool, relation="authenticates"))
    return found


def _dimensions(ctx: BuildContext, name: str) -> list[tuple[str, Any]]:
    settings = effective(ctx)
    assert settings is not None
    if settings.kind == "http":  # HTTP APIs publish by API ID, not name
        return [("ApiId", Ref(API_ID)), ("Stage", settings.stage)]
    return [("ApiName", ctx.physical("api")), ("Stage", settings.stage)]


HTTP_METRIC_NAMES = {"4XXError": "4xx", "5XXError": "5xx"}


def metric_name(ctx: BuildContext, metric: str) -> str:
    """A REST metric's name as the API's kind publishes it (HTTP APIs say `5xx` for `5XXError`)."""
    settings = effective(ctx)
    return HTTP_METRIC_NAMES.get(metric, metric) if settings is not None and settings.kind == "http" else metric


def names(spec: Any, name: str, entry: ApiSpec | None) -> list[NameRule]:
    return [NameRule("API name", spec.physical("api"), 1024)]


KIND = Kind(
    section="api",
    singular="api",
    model=ApiSpec,
    description="Settings of the API that serves `routes`: its kind (REST or HTTP), stage, throttling, logs, "
                "authorizers, default authorization and CORS.",
    build=build,
    keyed=False,
    references=references,
    attributes={  # `${api.gateway.id}`: the API is one object, its gateway the part named
        "gateway.arn": Attribute(
            "execute-api ARN of the API (what IAM and Lambda permissions name)", lambda ctx, _: Sub(
                f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{API_ID}}}")),
        "gateway.id": Attribute("ID of the API", lambda ctx, _: Ref(API_ID)),
        "gateway.url": Attribute("base URL of the API's stage", lambda ctx, _: Sub(
            f"https://${{{API_ID}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/"
            f"{(ctx.spec.api.stage if ctx.spec.api is not None else 'v1')}"))},
    metrics=Metrics(
        namespace="AWS/ApiGateway",
        names=("4XXError", "5XXError", "CacheHitCount", "CacheMissCount", "Count", "IntegrationLatency", "Latency"),
        dimensions=_dimensions,
    ),
    names=names,
)
