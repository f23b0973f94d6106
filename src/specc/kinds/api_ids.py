"""What every module of the API shares: the logical IDs of the API and its stage, which kind of API it is, and
the encrypted access-log group both kinds write to.

The api kind builds the API, routes hang from it and http_api builds the HTTP kind's routes; each imports these
names from here, so none of them imports another for a constant (which made an import cycle).
"""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, logs

from specc.build.iam import use_logs_key
from specc.build.naming import logical_id

API_ID = "Api"
STAGE_ID = "ApiStage"


def is_http(spec: Any) -> bool:
    api = getattr(spec, "api", None)
    return api is not None and api.kind == "http"


def execute_api_disabled(ctx: Any, settings: Any) -> bool:
    """The default execute-api endpoint is off when a custom domain serves the API (or the spec says so)."""
    if settings.disable_execute_api_endpoint is not None:
        return bool(settings.disable_execute_api_endpoint)
    return bool(getattr(ctx.spec, "domains", None))


def access_log_group(ctx: Any, settings: Any, origin: tuple[Any, ...]) -> str:
    """The API's access-log group, encrypted with the logs key, which may serve it (and only the service's groups)."""
    logs_key = ctx.logs_key()
    name = f"/aws/apigateway/{ctx.physical('api')}/access"
    ctx.add(logs.LogGroup(
        "ApiAccessLogGroup",
        LogGroupName=name,
        RetentionInDays=settings.access_log_retention_days or ctx.spec.defaults.log_retention_days,
        KmsKeyId=GetAtt(logical_id(logs_key, "Key"), "Arn"),
    ), origin)
    use_logs_key(ctx, logs_key, name)
    return "ApiAccessLogGroup"
