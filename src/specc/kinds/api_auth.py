"""Who may call a route: the API's authorizers (`api.authorizers`), its default (`api.auth`) and each route's `auth`.

One grammar serves both API kinds, so switching `api.kind` is one line; what one kind cannot do is a located
error (checks/http_api.py), never a silent change of meaning:

- `jwt`: any OIDC issuer and audience. HTTP APIs validate the token natively; REST APIs cannot (use a Cognito
  user pool or a Lambda authorizer there).
- `cognito`: a pool of the spec's `user_pools`; its app clients are the audience. HTTP: a JWT authorizer on the
  pool's issuer URL; REST: a COGNITO_USER_POOLS authorizer.
- `lambda`: a function of the spec decides. `token` (REST only: one header, the token alone) or `request`
  (headers, query strings), with the decision cached per identity for `cache_seconds`.
- `iam` and `none` are not declared: every route may name them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, GetJsonSchemaHandler, field_validator, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema
from troposphere import GetAtt, Ref, Sub, apigateway, apigatewayv2, awslambda

from specc.build.context import BuildContext
from specc.build.naming import camel
from specc.language.types import Name, SpecModel

BUILT_IN = ("iam", "none")
IDENTITY_PATTERN = r"^(header\.[A-Za-z0-9-]{1,128}|query\.[A-Za-z0-9_.-]{1,128})$"
SCOPE_PATTERN = r"^[\x21\x23-\x5B\x5D-\x7E]{1,256}$"  # RFC 6749 scope-token characters


class JwtAuthorizer(SpecModel):
    """Tokens from any OpenID Connect issuer (Auth0, Okta, Entra ID, Cognito...): HTTP APIs only."""

    issuer: str = Field(pattern=r"^https://[^\s]+$", max_length=2048, description="The issuer URL (`iss` claim); "
                        "its `/.well-known/openid-configuration` gives the signing keys.",
                        examples=["https://acme.eu.auth0.com/"])
    audience: list[str] = Field(min_length=1, max_length=50, description="Accepted `aud` (or `client_id`) values.",
                                examples=[["https://api.acme.example"]])


class CognitoAuthorizer(SpecModel):
    """Tokens of a user pool declared in `user_pools`."""

    user_pool: Name = Field(description="The pool (from `user_pools`).", examples=["customers"])
    clients: list[Name] = Field(default_factory=list, description="App clients of the pool whose tokens are "
                                "accepted; default: all of them.", examples=[["web"]])


class LambdaAuthorizer(SpecModel):
    """A function of the spec decides (it returns an IAM policy, or `{isAuthorized: ...}` on an HTTP API)."""

    function: Name = Field(description="The authorizer function (from `functions`).", examples=["authorize"])
    type: Literal["token", "request"] = Field(
        "request", description="`request`: the function receives the request's identity sources (both kinds); "
        "`token`: it receives one header's value (REST APIs only).", examples=["token"])
    identity: list[str] = Field(
        default_factory=lambda: ["header.Authorization"], min_length=1, max_length=10,
        description="Where the caller's identity is (`header.Name` or `query.name`); requests without it are "
        "refused before the function runs, and it is the key of the cached decision.",
        examples=[["header.Authorization", "query.tenant"]])
    cache_seconds: int = Field(300, ge=0, le=3600, description="How long a decision is cached per identity "
                               "(0: the function runs on every request).", examples=[300])

    @field_validator("identity")
    @classmethod
    def _identity(cls, value: list[str]) -> list[str]:
        for item in value:
            if not re.fullmatch(IDENTITY_PATTERN, item):
                raise ValueError(f"'{item}' is not an identity source: write `header.Name` or `query.name`")
        return value


class AuthorizerSpec(SpecModel):
    """One authorizer of the API: exactly one of `jwt`, `cognito` or `lambda`."""

    jwt: JwtAuthorizer | None = Field(None, description="Validate JWTs of an OIDC issuer (HTTP APIs).")
    cognito: CognitoAuthorizer | None = Field(None, description="Validate tokens of a Cognito user pool.")
    lambda_: LambdaAuthorizer | None = Field(None, alias="lambda", description="Let a function decide.")

    @model_validator(mode="after")
    def _one(self) -> AuthorizerSpec:
        given = [name for name, value in (("jwt", self.jwt), ("cognito", self.cognito), ("lambda", self.lambda_))
                 if value is not None]
        if len(given) != 1:
            raise ValueError("an authorizer is exactly one of `jwt`, `cognito` or `lambda`"
                             + (f" (this one has {', '.join(given)})" if given else ""))
        return self

    def kind(self) -> str:
        return "jwt" if self.jwt else "cognito" if self.cognito else "lambda"


def with_short_form(handler_schema: JsonSchemaValue, short: dict[str, Any]) -> JsonSchemaValue:
    """A model written either as a mapping or as one string (its short form), for editors and check-jsonschema."""
    return {"anyOf": [short, handler_schema]}


class RouteAuth(SpecModel):
    """Who may call a route: `iam`, `none` or an authorizer's name (the short form), with scopes."""

    authorizer: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40, description="`iam` (SigV4-signed "
                            "requests), `none` (public) or the name of an entry of `api.authorizers`.",
                            examples=["users"])
    scopes: list[str] = Field(default_factory=list, max_length=50, description="OAuth scopes the token must carry "
                              "(any one of them): JWT and Cognito authorizers only.",
                              examples=[["orders/read"]])

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        return {"authorizer": value} if isinstance(value, str) else value

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return with_short_form(handler(schema), {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$", "maxLength": 40,
                                                 "description": "`iam`, `none` or an authorizer's name."})

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        for scope in value:
            if not re.fullmatch(SCOPE_PATTERN, scope):
                raise ValueError(f"'{scope}' is not an OAuth scope (printable characters, no spaces or quotes)")
        return value


@dataclass(frozen=True)
class Resolved:
    """A route's effective authorization."""

    authorizer: str  # iam, none, or an authorizer name
    scopes: tuple[str, ...]


def resolve(spec: Any, route_key: str) -> Resolved:
    """The route's own `auth`, else its legacy `authorization: iam`, else the API's default `auth`, else public."""
    route = spec.routes[route_key]
    if route.auth is not None:
        return Resolved(route.auth.authorizer, tuple(route.auth.scopes))
    if route.authorization == "iam":
        return Resolved("iam", ())
    api = spec.api
    if api is not None and api.auth is not None:
        return Resolved(api.auth.authorizer, tuple(api.auth.scopes))
    return Resolved("none", ())


def authorizer_id(name: str) -> str:
    return f"{camel(name)}Authorizer"


def identity_sources(identity: list[str], http: bool) -> list[str]:
    """`header.Name` / `query.name` in API Gateway's words for the kind."""
    prefix = "$request." if http else "method.request."
    return [prefix + ("header." if where == "header" else "querystring.") + name
            for where, name in (item.split(".", 1) for item in identity)]


def _audience(ctx: BuildContext, spec: CognitoAuthorizer) -> list[Any]:
    from specc.kinds.user_pools import client_id

    pool = ctx.spec.user_pools[spec.user_pool]
    return [Ref(client_id(spec.user_pool, name)) for name in (spec.clients or sorted(pool.clients))]


def build_http(ctx: BuildContext, api_id: str, name: str, spec: AuthorizerSpec) -> None:
    """One API Gateway v2 authorizer (JWT for `jwt` and `cognito`, a payload-2.0 REQUEST one for `lambda`)."""
    from specc.kinds.user_pools import pool_id

    origin = ("api", "authorizers", name)
    resource = apigatewayv2.Authorizer(authorizer_id(name), ApiId=Ref(api_id), Name=name)
    if spec.jwt is not None:
        resource.AuthorizerType = "JWT"
        resource.IdentitySource = ["$request.header.Authorization"]
        resource.JwtConfiguration = apigatewayv2.JWTConfiguration(Issuer=spec.jwt.issuer, Audience=spec.jwt.audience)
    elif spec.cognito is not None:
        resource.AuthorizerType = "JWT"
        resource.IdentitySource = ["$request.header.Authorization"]
        resource.JwtConfiguration = apigatewayv2.JWTConfiguration(
            Issuer=Sub(f"https://cognito-idp.${{AWS::Region}}.amazonaws.com/${{{pool_id(spec.cognito.user_pool)}}}"),
            Audience=_audience(ctx, spec.cognito))
    else:
        assert spec.lambda_ is not None
        resource.AuthorizerType = "REQUEST"
        resource.AuthorizerPayloadFormatVersion = "2.0"
        resource.EnableSimpleResponses = True
        resource.AuthorizerUri = _lambda_uri(ctx, spec.lambda_.function)
        resource.IdentitySource = identity_sources(spec.lambda_.identity, http=True)
        resource.AuthorizerResultTtlInSeconds = spec.lambda_.cache_seconds
        _permission(ctx, api_id, name, spec.lambda_.function)
    ctx.add(resource, origin)


def build_rest(ctx: BuildContext, api_id: str, name: str, spec: AuthorizerSpec) -> None:
    """One API Gateway v1 authorizer (COGNITO_USER_POOLS for `cognito`, TOKEN or REQUEST for `lambda`); a `jwt`
    authorizer on a REST API is refused before building (E291)."""
    from specc.kinds.user_pools import pool_id

    origin = ("api", "authorizers", name)
    resource = apigateway.Authorizer(authorizer_id(name), RestApiId=Ref(api_id), Name=name)
    if spec.cognito is not None:
        resource.Type = "COGNITO_USER_POOLS"
        resource.IdentitySource = "method.request.header.Authorization"
        resource.ProviderARNs = [GetAtt(pool_id(spec.cognito.user_pool), "Arn")]
    else:
        assert spec.lambda_ is not None, "jwt authorizers on REST APIs are refused by checks/http_api.py"
        resource.Type = spec.lambda_.type.upper()
        resource.AuthorizerUri = _lambda_uri(ctx, spec.lambda_.function)
        resource.IdentitySource = ",".join(identity_sources(spec.lambda_.identity, http=False))
        resource.AuthorizerResultTtlInSeconds = spec.lambda_.cache_seconds
        _permission(ctx, api_id, name, spec.lambda_.function)
    ctx.add(resource, origin)


def _lambda_uri(ctx: BuildContext, function: str) -> Any:
    from specc.kinds.functions import invoke_arn

    return Sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Target}/"
               "invocations", Target=invoke_arn(ctx, function))


def _permission(ctx: BuildContext, api_id: str, name: str, function: str) -> None:
    """API Gateway may invoke the authorizer function for this authorizer only."""
    from specc.kinds.functions import invoke_arn

    ctx.add(awslambda.Permission(
        f"{authorizer_id(name)}Permission",
        Action="lambda:InvokeFunction",
        FunctionName=invoke_arn(ctx, function),
        Principal="apigateway.amazonaws.com",
        SourceArn=Sub(f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{api_id}}}/"
                      f"authorizers/${{{authorizer_id(name)}}}"),
    ), ("api", "authorizers", name, "lambda", "function"))


def route_settings(ctx: BuildContext, route_key: str, http: bool) -> dict[str, Any]:
    """The properties of a Method (REST) or Route (HTTP) that carry its authorization."""
    resolved = resolve(ctx.spec, route_key)
    if resolved.authorizer == "none":
        return {"AuthorizationType": "NONE"}
    if resolved.authorizer == "iam":
        return {"AuthorizationType": "AWS_IAM"}
    authorizer = ctx.spec.api.authorizers[resolved.authorizer]
    kind = authorizer.kind()
    if http:
        settings: dict[str, Any] = {"AuthorizationType": "CUSTOM" if kind == "lambda" else "JWT"}
    else:
        settings = {"AuthorizationType": "CUSTOM" if kind == "lambda" else "COGNITO_USER_POOLS"}
    settings["AuthorizerId"] = Ref(authorizer_id(resolved.authorizer))
    if resolved.scopes:
        settings["AuthorizationScopes"] = list(resolved.scopes)
    return settings
