"""HTTP routes: `METHOD /path/{param}: function` becomes a method with a Lambda proxy integration.

Path segments become shared `AWS::ApiGateway::Resource`s; each route gets its own invoke
permission, scoped to its method and path with SourceArn. With `api.kind: http` the same route is an
HTTP API route (kinds/http_api.py); who may call it is `auth` (kinds/api_auth.py) on both kinds.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator
from troposphere import GetAtt, Ref, Sub, apigateway, awslambda

from specc.build.context import BuildContext
from specc.build.naming import camel
from specc.kinds.api_auth import RouteAuth
from specc.kinds.api_ids import API_ID
from specc.kinds.base import Kind, Reference
from specc.language.types import Name, SpecModel

METHODS = ("ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
_SEGMENT = r"(?:[A-Za-z0-9._-]+|\{[A-Za-z_][A-Za-z0-9_]*\+?\})"
ROUTE_PATTERN = rf"^(?:{'|'.join(METHODS)}) (?:/|(?:/{_SEGMENT})+)$"


class RouteSpec(SpecModel):
    """One HTTP route; `METHOD /path: function_name` is the short form."""

    function: Name = Field(description="The function (from `functions`) that serves the route.",
                           examples=["create_payment"])
    api_key: bool = Field(False, description="Require an API key (`x-api-key` header) bound to a usage plan.",
                          examples=[True])
    authorization: Literal["none", "iam"] = Field(
        "none",
        description="`iam` requires SigV4-signed requests; `none` leaves authorization to the API key or the function.",
        examples=["iam"])
    auth: RouteAuth | None = Field(
        None, description="Who may call the route: `iam`, `none` or an authorizer of `api.authorizers` (with "
        "`scopes`); default: `api.auth`, else public.", examples=["users", {"authorizer": "users",
                                                                          "scopes": ["orders/write"]}])
    integration: str = Field("proxy", description="Always `proxy`: the function receives the whole request and "
                             "returns the whole response (see docs/http-apis.md for why non-proxy integrations are "
                             "not offered).", examples=["proxy"])

    # Unknown fields people write from other tools, and what to write instead (validate.py shows them).
    unknown_field_hints: ClassVar[dict[str, str]] = {
        "authorizer": "say who may call the route with `auth:` (`iam`, `none`, or the name of an entry of "
                      "`api.authorizers`, e.g. `auth: {authorizer: users, scopes: [orders/read]}`)",
        "authorizers": "declare authorizers under `api.authorizers` and name one with the route's `auth:`",
        "cors": "CORS is API-wide: `api.cors: {origins: [https://app.example.com]}`",
    }

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        return {"function": value} if isinstance(value, str) else value

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> Any:
        from specc.kinds.api_auth import with_short_form

        return with_short_form(handler(schema), {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$", "maxLength": 40,
                                                 "description": "The function that serves the route."})

    @field_validator("integration")
    @classmethod
    def _proxy_only(cls, value: str) -> str:
        if value != "proxy":
            raise ValueError(f"`integration: {value}` (a non-proxy integration with mapping templates) is not "
                             "supported: routes are Lambda proxy integrations, so the function reads the request "
                             "and writes the response itself; drop `integration` and shape the payload in the "
                             "function (see docs/http-apis.md)")
        return value


def split(route_key: str) -> tuple[str, list[str]]:
    method, path = route_key.split(" ", 1)
    return method, [segment for segment in path.split("/") if segment]


def _segment_id(segment: str) -> str:
    if segment.startswith("{"):
        return camel(segment.strip("{}+")) + ("Greedy" if segment.endswith("+}") else "Param")
    return camel(segment) or "Root"


def resource_id(segments: list[str]) -> str:
    return "ApiResource" + "".join(_segment_id(s) for s in segments)



def method_id(route_key: str) -> str:
    method, segments = split(route_key)
    return f"Route{camel(method.lower())}{''.join(_segment_id(s) for s in segments) or 'Root'}"


def build(ctx: BuildContext, route_key: str, spec: RouteSpec) -> None:
    from specc.kinds.api_auth import resolve, route_settings
    from specc.kinds.api_ids import is_http
    from specc.kinds.functions import invoke_arn

    origin = ("routes", route_key)
    target = invoke_arn(ctx, spec.function)
    mid = method_id(route_key)
    if is_http(ctx.spec):
        from specc.kinds.http_api import build_route

        build_route(ctx, route_key, spec, mid)
        permission(ctx, mid, route_key, target, origin)
        return
    method, segments = split(route_key)
    parent: Any = GetAtt(API_ID, "RootResourceId")
    for depth in range(1, len(segments) + 1):
        rid = resource_id(segments[:depth])
        ctx.add_shared(apigateway.Resource(rid, RestApiId=Ref(API_ID), ParentId=parent, PathPart=segments[depth - 1]),
                       origin)
        parent = Ref(rid)
    method_resource = apigateway.Method(
        mid,
        RestApiId=Ref(API_ID),
        ResourceId=parent,
        HttpMethod=method,
        ApiKeyRequired=spec.api_key,
        Integration=apigateway.Integration(
            Type="AWS_PROXY",
            IntegrationHttpMethod="POST",
            Uri=Sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Target}/invocations",
                    Target=target),
        ),
        **route_settings(ctx, route_key, http=False),
    )
    if resolve(ctx.spec, route_key).authorizer == "none" and not spec.api_key:
        from specc.build.scanners import skip

        skip(method_resource, "CKV_AWS_59", "the spec declares this route public (no `api_key`, `authorization: "
             "none`); the pci profile refuses anonymous routes (SEC013)")
    ctx.add(method_resource, origin)
    permission(ctx, mid, route_key, target, origin)


def permission(ctx: BuildContext, mid: str, route_key: str, target: Any, origin: tuple[Any, ...]) -> None:
    """API Gateway may invoke the function for this route (method and path) only, on either kind."""
    from specc.kinds.api_ids import API_ID

    method, segments = split(route_key)
    source_path = "/".join("*" if s.startswith("{") else s for s in segments)
    ctx.add(awslambda.Permission(
        f"{mid}Permission",
        Action="lambda:InvokeFunction",
        FunctionName=target,
        Principal="apigateway.amazonaws.com",
        SourceArn=Sub(f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{API_ID}}}/*/"
                      f"{'*' if method == 'ANY' else method}/{source_path}"),
    ), origin)


def resource_of(segments: list[str]) -> Any:
    """The REST resource of a path (the API's root for `/`)."""
    from specc.kinds.api_ids import API_ID

    return Ref(resource_id(segments)) if segments else GetAtt(API_ID, "RootResourceId")


def references(route_key: str, spec: RouteSpec) -> list[Reference]:
    return [Reference(("routes", route_key, "function"), "functions", spec.function, relation="serves")]


def greedy_last(route_key: str) -> bool:
    _, segments = split(route_key)
    return all(not s.endswith("+}") for s in segments[:-1])


KIND = Kind(
    section="routes",
    singular="route",
    model=RouteSpec,
    description="HTTP routes of the API (REST or HTTP, `api.kind`): `METHOD /path/{param}: function` (or a "
                "mapping with `function`, `auth`, `api_key`, `authorization`).",
    build=build,
    key_pattern=ROUTE_PATTERN,
    references=references,
)
