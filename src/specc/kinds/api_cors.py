"""CORS for both API kinds (`api.cors`): which browser origins may call the API.

HTTP APIs answer preflights and add the headers themselves (CorsConfiguration). REST APIs get an OPTIONS method
per path that answers the preflight from API Gateway (a MOCK integration: no function runs, no authorizer applies),
echoing the caller's `Origin` only when it is allowed; the actual response's `Access-Control-Allow-Origin` is the
function's to set (a proxy integration passes its headers through), as it is on any REST API.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator, model_validator
from troposphere import Ref, apigateway

from specc.language.types import SpecModel

if TYPE_CHECKING:
    from specc.build.context import BuildContext

ORIGIN_PATTERN = r"^(\*|https?://(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?)$"
HEADER_PATTERN = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$"
CORS_METHODS = ("*", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


class CorsSpec(SpecModel):
    """Browser origins allowed to call the API, and what they may send and read."""

    origins: list[str] = Field(min_length=1, max_length=100, description="Allowed origins (`https://app.example.com`;"
                               " `*` for any, which cannot be combined with `credentials`).",
                               examples=[["https://app.example.com"]])
    methods: list[str] = Field(default_factory=lambda: ["*"], min_length=1, description="Allowed methods (`*`: "
                               "all).", examples=[["GET", "POST"]])
    headers: list[str] = Field(default_factory=lambda: ["Authorization", "Content-Type"], description="Request "
                               "headers a browser may send.", examples=[["Authorization", "Content-Type"]])
    expose_headers: list[str] = Field(default_factory=list, description="Response headers scripts may read.",
                                      examples=[["X-Request-Id"]])
    credentials: bool = Field(False, description="Allow cookies and HTTP authentication (needs explicit origins).",
                              examples=[True])
    max_age: int = Field(600, ge=0, le=86400, description="Seconds a browser may cache a preflight answer.",
                         examples=[600])

    @field_validator("origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not re.fullmatch(ORIGIN_PATTERN, origin):
                raise ValueError(f"'{origin}' is not an origin: write `https://host[:port]` (lower case, no path) or "
                                 "`*`")
            if origin.startswith("http://") and not re.match(r"^http://(localhost|127\.0\.0\.1)(:|$)", origin):
                raise ValueError(f"'{origin}' is plain http: browsers would send credentials and tokens in clear; "
                                 "use https (http is accepted for localhost only)")
        if "*" in value and len(value) > 1:
            raise ValueError("`*` already allows every origin: list origins, or `*` alone")
        return value

    @field_validator("methods")
    @classmethod
    def _methods(cls, value: list[str]) -> list[str]:
        for method in value:
            if method not in CORS_METHODS:
                raise ValueError(f"'{method}' is not a method: use one of {', '.join(CORS_METHODS)}")
        return value

    @field_validator("headers", "expose_headers")
    @classmethod
    def _headers(cls, value: list[str]) -> list[str]:
        for header in value:
            if not re.fullmatch(HEADER_PATTERN, header):
                raise ValueError(f"'{header}' is not a header name")
        return value

    @model_validator(mode="after")
    def _credentials(self) -> CorsSpec:
        if self.credentials and "*" in self.origins:
            raise ValueError("a wildcard origin with `credentials: true` would let any site call the API with the "
                             "user's cookies (browsers refuse it too): list the allowed origins")
        return self


def http_configuration(spec: CorsSpec) -> Any:
    from troposphere import apigatewayv2

    config = apigatewayv2.Cors(AllowOrigins=spec.origins, AllowMethods=spec.methods, MaxAge=spec.max_age,
                               AllowCredentials=spec.credentials)
    if spec.headers:
        config.AllowHeaders = spec.headers
    if spec.expose_headers:
        config.ExposeHeaders = spec.expose_headers
    return config


def _origin_template(spec: CorsSpec) -> str:
    """The preflight's response template: echo `Origin` when it is allowed (a static header cannot list several)."""
    if spec.origins == ["*"]:
        return ""
    allowed = json.dumps(spec.origins)
    return ("#set($origin = $input.params().header.get('Origin'))\n"
            "#if(\"$!origin\" == \"\")#set($origin = $input.params().header.get('origin'))#end\n"
            f"#if({allowed}.contains($origin))\n"
            "#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n"
            "#end\n")


def rest_preflight(ctx: BuildContext, api_id: str, resource: Any, logical: str, methods: list[str],
                   spec: CorsSpec) -> None:
    """An OPTIONS method answering the preflight of one REST resource (a path)."""
    if "*" not in spec.methods:
        offered = set(spec.methods)
    elif "ANY" in methods:
        offered = {m for m in CORS_METHODS if m != "*"}
    else:
        offered = set(methods)
    allowed_methods = ",".join(sorted(offered | {"OPTIONS"}))
    headers = {
        "method.response.header.Access-Control-Allow-Methods": f"'{allowed_methods}'",
        "method.response.header.Access-Control-Allow-Headers": f"'{','.join(spec.headers) or 'Content-Type'}'",
        "method.response.header.Access-Control-Max-Age": f"'{spec.max_age}'",
        "method.response.header.Access-Control-Allow-Origin": "'*'" if spec.origins == ["*"] else "''",
    }
    if spec.origins != ["*"]:
        headers["method.response.header.Vary"] = "'Origin'"  # caches must not serve one origin's answer to another
    if spec.credentials:
        headers["method.response.header.Access-Control-Allow-Credentials"] = "'true'"
    if spec.expose_headers:
        headers["method.response.header.Access-Control-Expose-Headers"] = f"'{','.join(spec.expose_headers)}'"
    ctx.add(apigateway.Method(
        logical,
        RestApiId=Ref(api_id),
        ResourceId=resource,
        HttpMethod="OPTIONS",
        AuthorizationType="NONE",
        Integration=apigateway.Integration(
            Type="MOCK",
            RequestTemplates={"application/json": '{"statusCode": 200}'},
            IntegrationResponses=[apigateway.IntegrationResponse(
                StatusCode="204", ResponseParameters=headers,
                ResponseTemplates={"application/json": _origin_template(spec)})],
        ),
        MethodResponses=[apigateway.MethodResponse(
            StatusCode="204", ResponseParameters=dict.fromkeys(sorted(headers), False))],
    ), ("api", "cors"))


def rest_error_responses(ctx: BuildContext, api_id: str, spec: CorsSpec) -> list[str]:
    """API Gateway's own 4XX/5XX answers (an authorizer's 401, a throttled 429) carry CORS headers too, or a browser
    reports a CORS failure instead of the status. A static header can name one origin only: with several, those
    answers stay without it (see docs/http-apis.md)."""
    if len(spec.origins) != 1:
        return []
    headers = {"gatewayresponse.header.Access-Control-Allow-Origin": f"'{spec.origins[0]}'"}
    if spec.credentials:
        headers["gatewayresponse.header.Access-Control-Allow-Credentials"] = "'true'"
    made = []
    for response in ("DEFAULT_4XX", "DEFAULT_5XX"):
        made.append(f"ApiGatewayResponse{response.title().replace('_', '')}")
        ctx.add(apigateway.GatewayResponse(made[-1], RestApiId=Ref(api_id), ResponseType=response,
                                           ResponseParameters=headers), ("api", "cors"))
    return made
