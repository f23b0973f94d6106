"""The JSON Schema of the spec language, generated from the pydantic models (never written by hand).

Editors (yaml-language-server) and check-jsonschema read it, so it must accept exactly what the compiler
accepts. Three things pydantic's own schema leaves out are added from what the kinds declare:
- entry names: a mapping of named entries admits only names of the compiler's pattern; pydantic writes
  the pattern as `patternProperties` alone, which lets any other name through unchecked;
- (short forms such as `GET /x: fn` are written by the models themselves: RouteSpec and RouteAuth give pydantic
  their `anyOf` schema)
- `uses`: one property per section a function can use, its entry names, and the kind's access levels.

And one thing the models cannot say, `extends` (language/extends.py): a spec that writes `extends` is an overlay,
checked against a relaxed copy of every definition (`...Overlay`: no required field, since the base gives them,
and `null` allowed everywhere, since null removes a key); any other spec against the full models. Neither requires
the top-level fields: a base (`*.base.yaml`) leaves out what its environments set, and the compiler reports a
missing one at its line (E103) anyway.
"""

from __future__ import annotations

import json
from typing import Any

from specc.language.types import NAME_PATTERN

SCHEMA_ID = "https://specc.dev/schema/specc.schema.json"


def json_schema() -> dict[str, Any]:
    from specc.kinds import KINDS
    from specc.model.spec import Spec

    schema: dict[str, Any] = Spec.model_json_schema(mode="validation")
    _close_entry_names(schema)
    _typed_uses(schema, KINDS)
    schema = _with_overlays(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "specc service spec"
    return schema


OVERLAY = "Overlay"
_DOCS = ("title", "description", "examples", "default", "markdownDescription")
_DATA = ("examples", "default", "enum", "const")  # values, not schemas: copied as they are


def _with_overlays(schema: dict[str, Any]) -> dict[str, Any]:
    """The full spec without extends, the relaxed one with it (JSON Schema's if/then/else on `extends`)."""
    definitions: dict[str, Any] = schema.pop("$defs")
    schema.pop("required", None)
    relaxed = {f"{name}{OVERLAY}": _relaxed(definition) for name, definition in definitions.items()}
    return {
        "description": schema.get("description", ""),
        "type": "object",
        "$defs": {**definitions, "Spec": schema, **relaxed, f"Spec{OVERLAY}": _relaxed(schema)},
        "if": {"required": ["extends"]},
        "then": {"$ref": f"#/$defs/Spec{OVERLAY}"},
        "else": {"$ref": "#/$defs/Spec"},
    }


def _relaxed(node: Any) -> Any:
    """A copy of a schema node that requires nothing, admits null for every field and entry, and refers to the
    relaxed definitions; unknown fields stay errors, so a typo in an overlay is still flagged."""
    if isinstance(node, list):
        return [_relaxed(item) for item in node]
    if not isinstance(node, dict):
        return node
    copy: dict[str, Any] = {}
    for key, value in node.items():
        if key == "required":
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
            copy[key] = value + OVERLAY
        elif key in ("properties", "patternProperties") and isinstance(value, dict):
            copy[key] = {name: _nullable(_relaxed(item)) for name, item in value.items()}
        elif key == "additionalProperties" and isinstance(value, dict):
            copy[key] = _nullable(_relaxed(value))
        elif key in _DATA:
            copy[key] = value
        else:
            copy[key] = _relaxed(value)
    return copy


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    null = {"type": "null"}
    if node.get("type") == "null" or null in node.get("anyOf", []):
        return node
    if "anyOf" in node:
        return {**node, "anyOf": [*node["anyOf"], null]}
    docs = {key: node[key] for key in _DOCS if key in node}
    return {**docs, "anyOf": [{key: value for key, value in node.items() if key not in docs}, null]}


def _close_entry_names(node: Any) -> None:
    """Every mapping whose keys the compiler constrains rejects other keys (and says which pattern they need)."""
    if isinstance(node, list):
        for item in node:
            _close_entry_names(item)
        return
    if not isinstance(node, dict):
        return
    patterns = node.get("patternProperties")
    if isinstance(patterns, dict) and patterns and "additionalProperties" not in node:
        node["additionalProperties"] = False
        if len(patterns) == 1:
            node["propertyNames"] = {**node.get("propertyNames", {}), "pattern": next(iter(patterns))}
    for value in node.values():
        _close_entry_names(value)


def _typed_uses(schema: dict[str, Any], kinds: tuple[Any, ...]) -> None:
    """`uses: {section: {entry: level}}`: the sections a function can use, each with the levels its kind grants."""
    functions = next(kind for kind in kinds if kind.section == "functions")
    uses = schema["$defs"][functions.model.__name__]["properties"]["uses"]
    sections = {}
    for kind in kinds:
        if kind.grant is None or not kind.access:
            continue
        levels = list(kind.access)
        sections[kind.section] = {
            "type": "object",
            "description": f"{kind.section} this function uses: entry name -> access level "
                           f"({', '.join(f'`{level}`: {meaning}' for level, meaning in kind.access.items())}).",
            "propertyNames": {"pattern": kind.key_pattern or NAME_PATTERN},
            "additionalProperties": {
                "enum": levels,
                "markdownEnumDescriptions": [kind.access[level] for level in levels],
                "description": f"Access level on this entry of {kind.section}.",
            },
        }
    uses.pop("additionalProperties", None)
    uses["properties"] = sections
    uses["additionalProperties"] = False


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
