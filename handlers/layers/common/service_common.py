"""Plumbing shared by every service's handlers, shipped once as the `common` layer (specs name it in `layers:`,
functions in their `layers: [common]`): JSON logs tagged with the request ids, AWS clients with short timeouts,
request parsing, HTTP responses and the mapping of failures to JSON errors.

Each handler folder's own `common.py` builds its logger and decorators from these and adds what only that service
needs. Lambda puts the layer's modules on sys.path after the function's own (/opt/python), so a function's module
of the same name would shadow this one: hence a name no handler folder uses.
"""

from __future__ import annotations

import base64
import contextvars
import functools
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NoReturn

import boto3
from botocore.config import Config

Event = dict[str, Any]
Response = dict[str, Any]

# The Lambda and API Gateway request ids of the invocation being served, stamped on every log line.
request_ids: contextvars.ContextVar[dict[str, str | None]] = contextvars.ContextVar("request_ids")
_NO_REQUEST: dict[str, str | None] = {"request_id": None, "api_request_id": None}  # only read, never changed
# Attributes every LogRecord has; anything else on a record was passed as `extra=` and becomes a field.
_RESERVED = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, so CloudWatch Logs Insights filters on fields (and the error metric filter on
    `"level":"ERROR"`) without parsing text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "service": os.environ.get("SERVICE"),
            "environment": os.environ.get("ENVIRONMENT"),
            **request_ids.get(_NO_REQUEST),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, separators=(",", ":"))


def build_logger(name: str, *level_variables: str) -> logging.Logger:
    """Own handler and no propagation: the Lambda runtime's root handler would print each line a second time.
    The level comes from the first of `level_variables` (default LOG_LEVEL) that is set."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    built = logging.getLogger(name)
    built.handlers[:] = [handler]  # idempotent when the module is imported again
    level = (next((os.environ[v] for v in level_variables or ("LOG_LEVEL",) if os.environ.get(v)), None)
             or "INFO").upper()
    built.setLevel(level if level in logging.getLevelNamesMapping() else "INFO")
    built.propagate = False
    return built


# Short timeouts so a stuck call fails inside the function timeout (a JSON 500, not an API Gateway 502).
CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard"})
_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    """One client per service for the life of the execution environment; region and endpoint from the environment."""
    if service not in _clients:
        _clients[service] = boto3.client(service, config=CONFIG)
    return _clients[service]


def table(env_var: str) -> Any:
    """The table whose physical name specc injected as `env_var` (`TABLE_ORDERS`)."""
    if "dynamodb_resource" not in _clients:
        _clients["dynamodb_resource"] = boto3.resource("dynamodb", config=CONFIG)
    return _clients["dynamodb_resource"].Table(os.environ[env_var])


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class ApiError(Exception):
    """An expected failure that maps to one HTTP status and a stable machine-readable code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def invalid(message: str) -> ApiError:
    return ApiError(400, "validation_error", message)


def plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; ours are integers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """An API Gateway Lambda proxy response; `no-store`: API data must not sit in caches."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store", **(headers or {})},
        "body": json.dumps(plain(body), separators=(",", ":")),
    }


def error_response(status: int, code: str, message: str) -> Response:
    return response(status, {"error": {"code": code, "message": message}})


def header(event: Event, name: str) -> str | None:
    """Header names are case-insensitive; API Gateway passes them as the client sent them."""
    wanted = name.lower()
    return next((v for k, v in (event.get("headers") or {}).items() if k.lower() == wanted), None)


def path_parameter(event: Event, name: str) -> str:
    value = (event.get("pathParameters") or {}).get(name)
    if not value:
        raise invalid(f"{name} is required in the path.")
    return str(value)


def reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def json_body(event: Event) -> dict[str, Any]:
    raw = event.get("body")
    if raw is None or raw == "":
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    try:
        text = base64.b64decode(raw, validate=True).decode() if event.get("isBase64Encoded") else raw
        body = json.loads(text, parse_constant=reject_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return body


def only_fields(body: dict[str, Any], allowed: frozenset[str]) -> None:
    """Unknown fields are refused, so a misspelt optional field is never dropped silently."""
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise invalid(f"Unknown field(s): {', '.join(name[:64] for name in unknown[:5])}.")


Handler = Callable[[Event, Any], Any]


def api_handler_for(logger: logging.Logger, request_field: str = "resource") -> Callable[[Handler], Handler]:
    """The decorator of an API handler: tag logs with the request ids and turn every failure into a JSON error
    response, never a stack trace; `request_field` is the event field logged beside the method."""

    def api_handler(func: Handler) -> Handler:
        @functools.wraps(func)
        def wrapper(event: Event, context: Any) -> Response:
            event = event or {}
            token = request_ids.set({"request_id": getattr(context, "aws_request_id", None),
                                     "api_request_id": (event.get("requestContext") or {}).get("requestId")})
            try:
                logger.info("request", extra={"http_method": event.get("httpMethod"),
                                              request_field: event.get(request_field)})
                result: Response = func(event, context)
                logger.info("response", extra={"status": result["statusCode"]})
                return result
            except ApiError as exc:
                logger.info("request rejected", extra={"status": exc.status, "error_code": exc.code})
                return error_response(exc.status, exc.code, exc.message)
            except Exception:
                logger.exception("unhandled error")
                return error_response(500, "internal_error", "An internal error occurred.")
            finally:
                request_ids.reset(token)

        return wrapper

    return api_handler


def step_handler_for(logger: logging.Logger, id_field: str) -> Callable[[Handler], Handler]:
    """The decorator of a workflow step: logs tagged with the execution and the event's `id_field`, and errors left
    to propagate, because Step Functions' Retry and Catch match on the exception's class name."""

    def step_handler(func: Handler) -> Handler:
        @functools.wraps(func)
        def wrapper(event: Event, context: Any) -> Any:
            token = request_ids.set({"request_id": getattr(context, "aws_request_id", None), "api_request_id": None})
            try:
                logger.info("step", extra={"step": func.__name__, id_field: (event or {}).get(id_field)})
                return func(event or {}, context)
            except Exception as exc:
                logger.error("step failed", extra={"step": func.__name__, "error_type": type(exc).__name__,
                                                   "error_message": str(exc)})
                raise
            finally:
                request_ids.reset(token)

        return wrapper

    return step_handler
