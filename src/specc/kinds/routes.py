"""HTTP routes: `METHOD /path/{param}: function` becomes a method with a Lambda proxy integration.

Path segments become shared `AWS::ApiGateway::Resource`s; each route gets its own invoke
permission, scoped to its method and path with SourceArn.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator
from troposphere import GetAtt, Ref, Sub, apigateway, awslambda

from specc.build.context import BuildContext
from specc.build.naming import camel
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
        "none", description="`iam` requires SigV4-signed requests; `none` leaves authorization to the API key or the function.",
        examples=["iam"])

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        return {"function": value} if isinstance(value, str) else value


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
    from specc.kinds.api import API_ID
    from specc.kinds.functions import invoke_arn

    origin = ("routes", route_key)
    method, segments = split(route_key)
    parent: Any = GetAtt(API_ID, "RootResourceId")
    for depth in range(1, len(segments) + 1):
        rid = resource_id(segments[:depth])
        ctx.add_shared(apigateway.Resource(rid, RestApiId=Ref(API_ID), ParentId=parent, PathPart=segments[depth - 1]),
                       origin)
        parent = Ref(rid)
    target = invoke_arn(ctx, spec.function)
    mid = method_id(route_key)
    method_resource = apigateway.Method(
        mid,
        RestApiId=Ref(API_ID),
        ResourceId=parent,
        HttpMethod=method,
        AuthorizationType="AWS_IAM" if spec.authorization == "iam" else "NONE",
        ApiKeyRequired=spec.api_key,
        Integration=apigateway.Integration(
            Type="AWS_PROXY",
            IntegrationHttpMethod="POST",
            Uri=Sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Target}/invocations",
                    Target=target),
        ),
    )
    if spec.authorization == "none" and not spec.api_key:
        from specc.build.scanners import skip

        skip(method_resource, "CKV_AWS_59", "the spec declares this route public (no `api_key`, `authorization: "
             "none`); the pci profile refuses anonymous routes (SEC013)")
    ctx.add(method_resource, origin)
    source_path = "/".join("*" if s.startswith("{") else s for s in segments)
    ctx.add(awslambda.Permission(
        f"{mid}Permission",
        Action="lambda:InvokeFunction",
        FunctionName=target,
        Principal="apigateway.amazonaws.com",
        SourceArn=Sub(f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{API_ID}}}/*/"
                      f"{'*' if method == 'ANY' else method}/{source_path}"),
    ), origin)


def references(route_key: str, spec: RouteSpec) -> list[Reference]:
    return [Reference(("routes", route_key, "function"), "functions", spec.function, relation="serves")]


def greedy_last(route_key: str) -> bool:
    _, segments = split(route_key)
    return all(not s.endswith("+}") for s in segments[:-1])


KIND = Kind(
    section="routes",
    singular="route",
    model=RouteSpec,
    description="HTTP routes of the REST API: `METHOD /path/{param}: function` (or a mapping with `function`, "
                "`api_key`, `authorization`).",
    build=build,
    key_pattern=ROUTE_PATTERN,
    references=references,
)
