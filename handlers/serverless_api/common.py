"""The users/orders/products API's and the order workflow steps' plumbing: the shared part (JSON logs, AWS
clients, request parsing, HTTP responses, error mapping) comes from the `common` layer (service_common), and
this module adds this service's logger and its secrets."""

from __future__ import annotations

import json
import time
from typing import Any

from service_common import (
    ApiError,
    Event,
    Response,
    api_handler_for,
    build_logger,
    client,
    header,
    invalid,
    json_body,
    now_ms,
    only_fields,
    path_parameter,
    plain,
    response,
    step_handler_for,
    table,
)

__all__ = ["ApiError", "Event", "Response", "api_handler", "client", "header", "invalid", "json_body", "logger",
           "now_ms", "only_fields", "path_parameter", "plain", "response", "secret", "step_handler", "table"]

logger = build_logger("serverless_api")
api_handler = api_handler_for(logger)
step_handler = step_handler_for(logger, "order_id")  # Retry and Catch match `OutOfStock`, `UserNotFound`

_secrets: dict[str, tuple[float, dict[str, Any]]] = {}
SECRET_TTL_SECONDS = 300  # a rotated secret reaches every warm environment within five minutes


def secret(env_var: str) -> dict[str, Any]:
    """The JSON secret whose ARN specc injected as `env_var` (`SECRET_API_CREDENTIALS`), cached briefly: the value is
    fetched at run time and never sits in the function's configuration."""
    import os

    arn = os.environ[env_var]
    cached = _secrets.get(arn)
    if cached and time.monotonic() - cached[0] < SECRET_TTL_SECONDS:
        return cached[1]
    value = json.loads(client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])
    _secrets[arn] = (time.monotonic(), value)
    return value
