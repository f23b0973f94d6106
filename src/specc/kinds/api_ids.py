"""What every module of the API shares: the logical IDs of the API and its stage, and which kind of API it is.

The api kind builds the API, routes hang from it and http_api builds the HTTP kind's routes; each imports these
names from here, so none of them imports another for a constant (which made an import cycle).
"""

from __future__ import annotations

from typing import Any

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
