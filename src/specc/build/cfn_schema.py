"""CloudFormation's resource schemas, as cfn-lint ships them, to check what a spec writes in raw CloudFormation.

Raw resources (`resources:`) and overrides (`overrides:`) are the spec's only free-form CloudFormation. They are
checked at compile time against the registry schema of their type, so a typo is a located error rather than a
failed deployment: an unknown type, an unknown property, a missing required property, a value of the wrong type,
a value outside the schema's enum. cfn-lint (specc lint) still checks the whole template afterwards; what the
schema's `oneOf`/`anyOf`/patterns say is left to it.

The schemas are read from cfn-lint's bundled data (`cfnlint/data/schemas`: one type -> hash map per region, one
file per schema) without importing cfn-lint, on first use only, and cached: a spec without raw CloudFormation
never opens them. Values CloudFormation resolves at deploy time (`Ref`, `Fn::*`, a spec reference `${...}`) are
not checked; scalars are compared the way CloudFormation converts them ("5" is a number, 5 a string).
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

UNKNOWN_PROPERTY, MISSING_PROPERTY, WRONG_TYPE, NOT_IN_ENUM = "unknown", "missing", "type", "enum"
FALLBACK_REGION = "us-east-1"


@dataclass(frozen=True)
class SchemaProblem:
    """What is wrong at `path` (a path inside the resource's Properties); `kind` is one of the constants above."""

    kind: str
    path: tuple[Any, ...]
    message: str
    hint: str = ""


@functools.lru_cache(maxsize=1)
def _data_dir() -> Path:
    spec = importlib.util.find_spec("cfnlint")  # its location only: importing cfn-lint costs 0.4 s
    assert spec is not None and spec.submodule_search_locations, "cfn-lint is a dependency of specc"
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas"


@functools.lru_cache(maxsize=64)
def resource_types(region: str) -> dict[str, str]:
    """Resource type -> schema file hash, for one region (cfn-lint's own fallback: us-east-1)."""
    providers = _data_dir() / "providers"
    path = providers / f"{region}.json"
    if not path.exists():
        path = providers / f"{FALLBACK_REGION}.json"
    found: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return found


@functools.lru_cache(maxsize=512)
def resource_schema(resource_type: str, region: str = FALLBACK_REGION) -> dict[str, Any] | None:
    digest = resource_types(region).get(resource_type)
    if digest is None:
        return None
    loaded: dict[str, Any] = json.loads((_data_dir() / "resources" / f"{digest}.json").read_text(encoding="utf-8"))
    return loaded


def suggest_type(resource_type: str) -> str:
    """"; did you mean 'AWS::S3::Bucket'?" or ""."""
    known = resource_types(FALLBACK_REGION)
    guess = difflib.get_close_matches(resource_type, list(known), n=1, cutoff=0.75)
    if not guess:
        lowered = {name.lower(): name for name in known}
        exact = lowered.get(resource_type.lower())
        guess = [exact] if exact else []
    return f"; did you mean '{guess[0]}'?" if guess else ""


def writable_properties(resource_type: str, region: str = FALLBACK_REGION) -> list[str]:
    schema = resource_schema(resource_type, region) or {}
    read_only = {p.rsplit("/", 1)[-1] for p in schema.get("readOnlyProperties", ())
                 if p.count("/") == 2}
    return sorted(p for p in schema.get("properties", {}) if p not in read_only)


def is_deferred(value: Any) -> bool:
    """A value CloudFormation computes at deploy time: an intrinsic function, or a spec reference `${...}`."""
    if isinstance(value, dict) and len(value) == 1:
        key = str(next(iter(value)))
        return key == "Ref" or key.startswith("Fn::") or key == "Condition"
    return isinstance(value, str) and "${" in value


def _is_number(value: Any, integral: bool) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int) or (isinstance(value, float) and not integral):
        return True
    if isinstance(value, str):
        try:
            float(value) if not integral else int(value)
        except ValueError:
            return False
        return True
    return False


_TYPES = {  # as CloudFormation converts scalars
    "string": lambda v: isinstance(v, (str, int, float, bool)),
    "integer": lambda v: _is_number(v, True),
    "number": lambda v: _is_number(v, False),
    "boolean": lambda v: isinstance(v, bool) or (isinstance(v, str) and v.lower() in ("true", "false")),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}
_TYPE_WORDS = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "null": "nothing"}


@functools.lru_cache(maxsize=1)
def _validator_class() -> Any:
    """Draft 7 as cfn-lint's schemas are written, where a deferred value satisfies every keyword."""
    import jsonschema
    from jsonschema import validators

    base = jsonschema.Draft7Validator

    def lenient(keyword_check: Any) -> Any:
        def check(validator: Any, expected: Any, instance: Any, schema: Any) -> Any:
            if is_deferred(instance):
                return
            try:
                yield from keyword_check(validator, expected, instance, schema) or ()
            except re.error:  # a pattern in ECMA-262 syntax Python's re cannot read (`\p{L}`): cfn-lint's to judge
                return
        return check

    def converted_type(validator: Any, expected: Any, instance: Any, schema: Any) -> Any:
        """`type` as CloudFormation converts scalars; other keywords keep JSON's strict types (a number is no
        string for `maxLength`)."""
        names = expected if isinstance(expected, list) else [expected]
        if not any(_TYPES.get(name, lambda _v: True)(instance) for name in names):
            yield jsonschema.ValidationError(f"{instance!r} is not of type {expected!r}")

    keywords = {k: lenient(v) for k, v in base.VALIDATORS.items()}
    keywords["type"] = lenient(converted_type)
    return validators.extend(base, keywords)


@functools.lru_cache(maxsize=512)
def _validator(resource_type: str, region: str) -> Any:
    schema = resource_schema(resource_type, region)
    assert schema is not None, resource_type
    properties_schema = {
        "type": "object",
        # read-only properties (Arn, DomainName...) are outputs: writing one is as unknown as a typo
        "properties": {name: value for name, value in schema.get("properties", {}).items()
                       if name in writable_properties(resource_type, region)},
        "additionalProperties": schema.get("additionalProperties", False),
        "required": schema.get("required", []),
        "definitions": schema.get("definitions", {}),
    }
    if "patternProperties" in schema:
        properties_schema["patternProperties"] = schema["patternProperties"]
    return _validator_class()(properties_schema)


def check_properties(resource_type: str, properties: Any, region: str = FALLBACK_REGION) -> list[SchemaProblem]:
    """What the schema of `resource_type` (which must exist) finds wrong in `properties`, in document order."""
    found = list(_problems(_validator(resource_type, region), properties))
    return sorted(found, key=lambda p: [str(part) for part in p.path])


def check_properties_in(resource_type: str, properties: Any, regions: list[str]) -> list[SchemaProblem]:
    """What the schemas of `resource_type` in `regions` find wrong in `properties`: each distinct schema once (the
    providers name a schema by its content's hash, and most types have one for every region), and a problem that
    not every region's schema finds says where it holds (`(in eu-west-1)`). Regions without the type are skipped:
    their absence is the caller's error."""
    by_schema: dict[str, list[str]] = {}
    for region in regions:
        digest = resource_types(region).get(resource_type)
        if digest is not None:
            by_schema.setdefault(digest, []).append(region)
    if not by_schema:
        return []
    if len(by_schema) == 1:
        return check_properties(resource_type, properties, next(iter(by_schema.values()))[0])
    found: dict[tuple[str, tuple[Any, ...], str], tuple[SchemaProblem, list[str]]] = {}
    for schema_regions in by_schema.values():
        for problem in check_properties(resource_type, properties, schema_regions[0]):
            key = (problem.kind, problem.path, problem.message)
            found.setdefault(key, (problem, []))[1].extend(schema_regions)
    every = sum(len(r) for r in by_schema.values())
    problems = [problem if len(where) == every else replace(
        problem, message=f"{problem.message} (in {', '.join(r for r in regions if r in where)})")
        for problem, where in found.values()]
    return sorted(problems, key=lambda p: [str(part) for part in p.path])


def _problems(validator: Any, properties: Any) -> Iterator[SchemaProblem]:
    seen: set[tuple[str, tuple[Any, ...]]] = set()
    for error in validator.iter_errors(properties):
        for problem in _explain(error):
            if (problem.kind, problem.path) not in seen:
                seen.add((problem.kind, problem.path))
                yield problem


def _explain(error: Any) -> Iterator[SchemaProblem]:
    path = tuple(error.absolute_path)
    keyword = error.validator
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        known = list(error.schema.get("properties") or {})
        patterns = list(error.schema.get("patternProperties") or {})
        for key in error.instance:
            if key in known or any(_matches(p, key) for p in patterns):
                continue
            guess = difflib.get_close_matches(key, known, n=1)
            yield SchemaProblem(UNKNOWN_PROPERTY, path + (key,),
                                f"unknown property '{key}'" + (f"; did you mean '{guess[0]}'?" if guess else ""),
                                "properties here: " + (", ".join(sorted(known)) or "none"))
    elif keyword == "required" and isinstance(error.instance, dict):
        for key in error.validator_value:
            if key not in error.instance:
                yield SchemaProblem(MISSING_PROPERTY, path, f"missing required property '{key}'",
                                    f"add `{key}`")
    elif keyword == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        words = " or ".join(_TYPE_WORDS.get(str(t), str(t)) for t in expected)
        yield SchemaProblem(WRONG_TYPE, path, f"expected {words}, got {_described(error.instance)}",
                            "see the resource type's documentation for this property")
    elif keyword in ("oneOf", "anyOf") and error.context:
        yield from _explain_branch(error)
    elif keyword == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        yield SchemaProblem(NOT_IN_ENUM, path, f"'{error.instance}' is not one of the allowed values",
                            f"allowed: {allowed}")


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True  # unreadable here: not reported as unknown


def _explain_branch(error: Any) -> Iterator[SchemaProblem]:
    """The problems of the one alternative whose type the value has (a list of key schemas, not the JSON text
    form of the same property); none when several or no alternatives fit (cfn-lint explains those)."""
    branches: dict[Any, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.schema_path[0], []).append(sub)
    fitting = [subs for subs in branches.values()
               if not any(s.validator == "type" and not s.relative_path for s in subs)]
    if len(fitting) == 1:
        for sub in fitting[0]:
            yield from _explain(sub)


def _described(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "nothing"
