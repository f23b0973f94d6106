"""The API's kind, authorizers, route `auth` and CORS fit together, and ask only what AWS supports.

A spec that asks an HTTP API for what only REST APIs have (API keys and usage plans, a WAF web ACL, a resource
policy) or a REST API for what only HTTP APIs have (JWT authorizers of any issuer) gets a located error that
says what to use instead, rather than a template CloudFormation would refuse, or one that quietly does less.
"""

from __future__ import annotations

import difflib
from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E290"  # the API kind cannot do what the spec asks
AUTHORIZER_KIND = "E291"  # an authorizer the API's kind does not offer
UNKNOWN_AUTHORIZER = "E292"  # `auth` names no authorizer
SCOPES = "E293"  # scopes where the authorizer has none
AUTH_CONFLICT = "E294"  # `auth` and the legacy `authorization` both given
UNKNOWN_CLIENT = "E295"  # a cognito authorizer names a client its pool lacks
DESCRIPTION = "the API kind supports what the spec asks (keys, WAF, resource policy, authorizers); route auth names " \
              "declared authorizers"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    api = spec.api
    if api is None and not spec.routes:
        return []
    found = _kind(spec, source) if api is not None else []
    found += _authorizers(spec, source)
    found += _route_auth(spec, source)
    return found


def _kind(spec: Any, source: SourceFile) -> list[Diagnostic]:
    api = spec.api
    if api.kind != "http":
        return []
    found = []
    for section, what in (("usage_plans", "usage plans"), ("api_keys", "API keys")):
        if getattr(spec, section):
            found.append(source.diagnostic(
                ID, (section,), f"HTTP APIs (`api.kind: http`) have no {what}", "use `api.kind: rest` for API keys "
                "and usage plans, or identify clients with an authorizer (`api.authorizers`) and throttle with "
                "`api.throttle`", at_key=True))
    for route_key, route in spec.routes.items():
        if route.api_key:
            found.append(source.diagnostic(
                ID, ("routes", route_key, "api_key"), "HTTP APIs (`api.kind: http`) have no API keys",
                "use `api.kind: rest`, or an authorizer in the route's `auth`"))
    for name, acl in sorted((getattr(spec, "waf", None) or {}).items()):
        if acl.attached_to_api():
            found.append(source.diagnostic(
                ID, ("waf", name), "AWS WAF cannot be associated with an HTTP API (`api.kind: http`)", "use "
                "`api.kind: rest` to put the web ACL on the API stage, or serve the API through `cdn` with a "
                "CloudFront web ACL (`attach: none` here)", at_key=True))
    if api.access is not None:
        found.append(source.diagnostic(
            ID, ("api", "access"), "HTTP APIs (`api.kind: http`) have no resource policy and no private endpoint",
            "use `api.kind: rest` to limit callers by network or VPC endpoint, or an authorizer (`iam`, `jwt`, "
            "`cognito`, `lambda`) on the routes", at_key=True))
    if "execution_logging" in api.model_fields_set:
        found.append(source.diagnostic(
            ID, ("api", "execution_logging"), "HTTP APIs (`api.kind: http`) write no execution logs; their access "
            "logs (always on) carry integration and authorizer errors", "remove `execution_logging`", at_key=True))
    if "cloudwatch_role" in api.model_fields_set and api.cloudwatch_role:
        found.append(source.diagnostic(
            ID, ("api", "cloudwatch_role"), "HTTP APIs (`api.kind: http`) write their access logs without the "
            "account's API Gateway CloudWatch role, so none is created", "remove `cloudwatch_role`", at_key=True))
    return found


def _authorizers(spec: Any, source: SourceFile) -> list[Diagnostic]:
    api = spec.api
    if api is None:
        return []
    http = api.kind == "http"
    found = []
    for name, authorizer in sorted(api.authorizers.items()):
        path = ("api", "authorizers", name)
        if authorizer.jwt is not None and not http:
            found.append(source.diagnostic(
                AUTHORIZER_KIND, path + ("jwt",), "REST APIs cannot validate JWTs of an arbitrary issuer",
                "use `api.kind: http`, a `cognito` authorizer (for a pool of `user_pools`), or a `lambda` "
                "authorizer that validates the token", at_key=True))
        lam = authorizer.lambda_
        if lam is not None and http and lam.type == "token":
            found.append(source.diagnostic(
                AUTHORIZER_KIND, path + ("lambda", "type"), "HTTP APIs have no token authorizers: the function "
                "receives the request (payload 2.0, simple responses)", "write `type: request` (the token is in "
                "`event['headers']['authorization']`), or use `api.kind: rest`"))
        if lam is not None and lam.type == "token" and (len(lam.identity) != 1
                                                        or not lam.identity[0].startswith("header.")):
            found.append(source.diagnostic(
                AUTHORIZER_KIND, path + ("lambda", "identity"), "a token authorizer reads exactly one header",
                "give one `header.Name`, or use `type: request`"))
        pool = authorizer.cognito
        if pool is not None and pool.user_pool in spec.user_pools:
            clients = spec.user_pools[pool.user_pool].clients
            for index, client in enumerate(pool.clients):
                if client not in clients:
                    close = difflib.get_close_matches(client, sorted(clients), n=1)
                    found.append(source.diagnostic(
                        UNKNOWN_CLIENT, path + ("cognito", "clients", index), f"user pool '{pool.user_pool}' has no "
                        f"app client '{client}'" + (f"; did you mean '{close[0]}'?" if close else ""),
                        f"its clients: {', '.join(sorted(clients))}"))
            if pool.clients and not http:
                found.append(source.diagnostic(
                    AUTHORIZER_KIND, path + ("cognito", "clients"), "REST APIs accept tokens of every app client of "
                    "the pool (a COGNITO_USER_POOLS authorizer has no audience)", "remove `clients`, use "
                    "`api.kind: http`, or give the other clients their own pool", at_key=True))
    return found


def _route_auth(spec: Any, source: SourceFile) -> list[Diagnostic]:
    from specc.kinds.api_auth import BUILT_IN

    api = spec.api
    declared = sorted(api.authorizers) if api is not None else []
    found = []
    given: list[tuple[tuple[str, ...], Any]] = []
    if api is not None and api.auth is not None:
        given.append((("api", "auth"), api.auth))
    for route_key, route in spec.routes.items():
        if route.auth is not None:
            given.append((("routes", route_key, "auth"), route.auth))
            if route.authorization != "none":
                found.append(source.diagnostic(
                    AUTH_CONFLICT, ("routes", route_key, "authorization"), "the route says both `auth` and "
                    "`authorization`", "keep `auth` (`auth: iam` is `authorization: iam`)", at_key=True))
    for path, auth in given:
        name = auth.authorizer
        if name not in BUILT_IN and name not in declared:
            close = difflib.get_close_matches(name, declared + list(BUILT_IN), n=1)
            found.append(source.diagnostic(
                UNKNOWN_AUTHORIZER, path,
                f"no authorizer '{name}'" + (f"; did you mean '{close[0]}'?" if close else ""),
                "name `iam`, `none` or an entry of `api.authorizers`"
                + (f" (declared: {', '.join(declared)})" if declared else " (none are declared)")))
            continue
        kind = "built-in" if name in BUILT_IN else api.authorizers[name].kind()
        if auth.scopes and kind in ("built-in", "lambda"):
            found.append(source.diagnostic(
                SCOPES, path + ("scopes",), f"`{name}` checks no OAuth scopes: scopes apply to `jwt` and `cognito` "
                "authorizers", "remove `scopes`, or name a jwt or cognito authorizer", at_key=True))
    return found
