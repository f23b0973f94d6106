"""The JSON Schema of the spec language, generated from the pydantic models (never written by hand)."""

from __future__ import annotations

import json
from typing import Any

SCHEMA_ID = "https://specc.dev/schema/specc.schema.json"


def json_schema() -> dict[str, Any]:
    from specc.model.spec import Spec

    schema = Spec.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "specc service spec"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
