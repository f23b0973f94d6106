"""The REST API: one stage with access logs (encrypted), tracing, throttling and a deployment per route set."""

from __future__ import annotations

import json
from typing import Any, Literal

from awacs.aws import Allow, PolicyDocument, Principal, Statement
from awacs.sts import AssumeRole
from pydantic import Field
from troposphere import GetAtt, Ref, Sub, apigateway, iam, logs

from specc.build.context import BuildContext
from specc.build.iam import Grant, use_logs_key
from specc.build.naming import logical_id, short_hash
from specc.build.scanners import skip
from specc.kinds.api_access import ApiAccess, resource_policy
from specc.kinds.base import Kind, Metrics, NameRule
from specc.kinds.routes import method_id
from specc.language.types import RetentionDays, SpecModel, Throttle

API_ID = "Api"
STAGE_ID = "ApiStage"

ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "caller": "$context.identity.caller",
    "apiKeyId": "$context.identity.apiKeyId", "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod", "resourcePath": "$context.resourcePath", "status": "$context.status",
    "protocol": "$context.protocol", "responseLength": "$context.responseLength",
    "integrationLatency": "$context.integrationLatency", "xrayTraceId": "$context.xrayTraceId",
}, sort_keys=True, separators=(",", ":"))


class ApiSpec(SpecModel):
    """Settings of the service's REST API (it exists whenever `routes` are declared)."""

    kind: Literal["rest"] = Field("rest", description="API Gateway REST API (v1).", examples=["rest"])
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


def execute_api_disabled(ctx: BuildContext, settings: ApiSpec) -> bool:
    if settings.disable_execute_api_endpoint is not None:
        return settings.disable_execute_api_endpoint
    return bool(getattr(ctx.spec, "domains", None))


def effective(ctx: BuildContext) -> ApiSpec | None:
    if ctx.spec.api is None and not ctx.spec.routes:
        return None
    return ctx.spec.api or ApiSpec()


def build(ctx: BuildContext, name: str, spec: ApiSpec | None) -> None:
    settings = effective(ctx)
    if settings is None:
        return
    origin = ("api",) if ctx.spec.api is not None else ("routes",)
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

    route_fingerprint = short_hash(json.dumps(
        {key: route.model_dump(mode="json") for key, route in sorted(ctx.spec.routes.items())}, sort_keys=True),
        *redeploy)
    deployment_id = f"ApiDeployment{route_fingerprint}"
    ctx.add(apigateway.Deployment(
        deployment_id,
        RestApiId=Ref(API_ID),
        Description=f"routes {route_fingerprint}",
        DependsOn=sorted(method_id(key) for key in ctx.spec.routes),
    ), origin)

    logs_key = ctx.logs_key()
    access_log_id = "ApiAccessLogGroup"
    ctx.add(logs.LogGroup(
        access_log_id,
        LogGroupName=f"/aws/apigateway/{ctx.physical('api')}/access",
        RetentionInDays=settings.access_log_retention_days or ctx.spec.defaults.log_retention_days,
        KmsKeyId=GetAtt(logical_id(logs_key, "Key"), "Arn"),
    ), origin)
    use_logs_key(ctx, logs_key)

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


def _cloudwatch_role(ctx: BuildContext, origin: tuple[Any, ...]) -> None:
    role_id = "ApiGatewayCloudWatchRole"
    ctx.add(iam.Role(
        role_id,
        Description="Lets API Gateway write this account's API logs in this region",
        AssumeRolePolicyDocument=PolicyDocument(Version="2012-10-17", Statement=[Statement(
            Effect=Allow, Principal=Principal("Service", "apigateway.amazonaws.com"), Action=[AssumeRole])]),
    ), origin)
    ctx.grant(role_id, "ApiGatewayCloudWatchPolicy", [Grant(
        sid="WriteApiLogs",
        actions=("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams",
                 "logs:FilterLogEvents", "logs:GetLogEvents", "logs:PutLogEvents"),
        resources=(Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"),),
    )])
    ctx.add(apigateway.Account("ApiGatewayAccount", CloudWatchRoleArn=GetAtt(role_id, "Arn"),
                               DependsOn=["ApiGatewayCloudWatchPolicy"]), origin)


def names(spec: Any, name: str, entry: ApiSpec | None) -> list[NameRule]:
    return [NameRule("API name", spec.physical("api"), 1024)]


KIND = Kind(
    section="api",
    singular="api",
    model=ApiSpec,
    description="Settings of the REST API that serves `routes`.",
    build=build,
    keyed=False,
    metrics=Metrics(
        namespace="AWS/ApiGateway",
        names=("4XXError", "5XXError", "CacheHitCount", "CacheMissCount", "Count", "IntegrationLatency", "Latency"),
        dimensions=lambda ctx, name: [("ApiName", ctx.physical("api")), ("Stage", effective(ctx).stage)],
    ),
    names=names,
)
