"""`api.kind: http`: the same routes served by an API Gateway HTTP API (v2).

Each function gets one Lambda proxy integration (payload format 2.0) shared by its routes; each route its own
invoke permission scoped to its method and path. The stage deploys itself on every change (AutoDeploy), writes
access logs to a log group encrypted with the logs key, and throttles every route by `api.throttle`. What HTTP
APIs lack (resource policies, private endpoints, X-Ray, execution logs, API keys, WAF) is refused or recorded
(checks/http_api.py, and the stage's opt-outs), never silently dropped.
"""

from __future__ import annotations

import json
from typing import Any

from troposphere import GetAtt, Ref, Sub, apigatewayv2

from specc.build.context import BuildContext
from specc.build.naming import logical_id

ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod", "routeKey": "$context.routeKey", "status": "$context.status",
    "protocol": "$context.protocol", "responseLength": "$context.responseLength",
    "integrationLatency": "$context.integrationLatency", "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error", "principal": "$context.authorizer.claims.sub",
}, sort_keys=True, separators=(",", ":"))


def integration_id(function: str) -> str:
    return logical_id(function, "Integration")


def build_route(ctx: BuildContext, route_key: str, spec: Any, mid: str) -> None:
    """One HTTP API route, its function's shared proxy integration, and the route's invoke permission."""
    from specc.kinds.api_auth import route_settings
    from specc.kinds.api_ids import API_ID
    from specc.kinds.functions import invoke_arn

    origin = ("routes", route_key)
    integration = integration_id(spec.function)
    ctx.add_shared(apigatewayv2.Integration(
        integration,
        ApiId=Ref(API_ID),
        IntegrationType="AWS_PROXY",
        IntegrationUri=invoke_arn(ctx, spec.function),
        PayloadFormatVersion="2.0",
    ), ("routes", route_key, "function"))
    route = apigatewayv2.Route(
        mid,
        ApiId=Ref(API_ID),
        RouteKey=route_key,
        Target=Sub(f"integrations/${{{integration}}}"),
        **route_settings(ctx, route_key, http=True),
    )
    if route.AuthorizationType == "NONE":
        from specc.build.scanners import skip

        skip(route, "CKV_AWS_309", "the spec declares this route public (`auth: none`, or no `auth` and no "
             "`api.auth`); the pci profile refuses anonymous routes (SEC013)")
    ctx.add(route, origin)


def build(ctx: BuildContext, settings: Any, origin: tuple[Any, ...]) -> None:
    from specc.kinds.api_auth import build_http
    from specc.kinds.api_cors import http_configuration
    from specc.kinds.api_ids import API_ID, STAGE_ID, access_log_group, execute_api_disabled

    api = apigatewayv2.Api(
        API_ID,
        Name=ctx.physical("api"),
        Description=f"{ctx.spec.service} API ({ctx.spec.environment})",
        ProtocolType="HTTP",
    )
    if settings.cors is not None:
        api.CorsConfiguration = http_configuration(settings.cors)
    if execute_api_disabled(ctx, settings):
        api.DisableExecuteApiEndpoint = True
    ctx.add(api, origin)
    for name, authorizer in sorted(settings.authorizers.items()):
        build_http(ctx, API_ID, name, authorizer)

    access_log_id = access_log_group(ctx, settings, origin)

    stage = apigatewayv2.Stage(
        STAGE_ID,
        ApiId=Ref(API_ID),
        StageName=settings.stage,
        AutoDeploy=True,
        AccessLogSettings=apigatewayv2.AccessLogSettings(DestinationArn=GetAtt(access_log_id, "Arn"),
                                                         Format=ACCESS_LOG_FORMAT),
        DefaultRouteSettings=apigatewayv2.RouteSettings(
            DetailedMetricsEnabled=True, ThrottlingRateLimit=settings.throttle.rate,
            ThrottlingBurstLimit=settings.throttle.burst),
    )
    if settings.tracing:
        ctx.opt_out(stage, "tracing", ("api", "kind"), "HTTP APIs do not support X-Ray tracing: the functions "
                    "trace their own segments (`tracing` on each function)")
    ctx.add(stage, origin)
    if not execute_api_disabled(ctx, settings):
        ctx.output("ApiUrl", Sub(f"https://${{{API_ID}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/"
                                 f"{settings.stage}"), "Base URL of the API stage")
    ctx.output("ApiId", Ref(API_ID), "ID of the HTTP API")

