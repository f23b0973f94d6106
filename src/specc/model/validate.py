"""Validate loaded data against the spec model; every pydantic error becomes a located diagnostic."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from specc.kinds import SECTIONS
from specc.language.diagnostics import SpecError, dotted
from specc.language.source import SourceFile
from specc.language.types import fields_of
from specc.model import spec as spec_language
from specc.model.spec import IMPLICIT_SECTIONS, spec_model


def validate(source: SourceFile) -> Any:
    data = source.data
    # The model is cached by the sections written, not by every top-level key (tags, defaults...), so specs
    # that differ only in service-wide fields share one.
    written = IMPLICIT_SECTIONS | frozenset(SECTIONS).intersection(data if isinstance(data, dict) else ())
    try:
        return spec_model(written).model_validate(data)
    except ValidationError as exc:
        diagnostics = []
        seen = set()
        for error in exc.errors(include_url=False):
            diagnostic = _diagnostic(source, error)
            key = (diagnostic.position, diagnostic.message)
            if key not in seen:
                seen.add(key)
                diagnostics.append(diagnostic)
        raise SpecError(diagnostics) from None


def _diagnostic(source: SourceFile, error: dict[str, Any]):
    loc = tuple(error["loc"])
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if loc and loc[-1] == "[key]":  # a mapping key that is not a valid name
        path = loc[:-2] + (loc[-2],)
        if loc[:1] == ("tags",):
            return source.diagnostic("E104", path, f"'{loc[-2]}' is not a valid tag key",
                                     "tag keys are 1 to 128 letters, digits, spaces and the characters _ . : / = + - @",
                                     at_key=True)
        hint = ("expected `METHOD /path` with METHOD one of ANY, DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT and "
                "path segments like `payments` or `{payment_id}`" if loc[:1] == ("routes",) else
                "names are lower case letters, digits and underscores, starting with a letter, at most 40 characters")
        return source.diagnostic("E104", path, f"'{loc[-2]}' is not a valid entry name", hint, at_key=True)
    owner, info = field_at(loc)
    hint = (info.description or "") if info else ""
    if kind == "extra_forbidden":
        allowed = sorted(f.alias or n for n, f in fields_of(owner).items()) if owner else []  # spec spelling
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        message = f"unknown field '{loc[-1]}'"
        if guess:
            message += f"; did you mean '{guess[0]}'?"
        return source.diagnostic("E101", loc, message, "allowed here: " + ", ".join(allowed) if allowed else "",
                                 at_key=True)
    if kind == "missing":
        return source.diagnostic("E103", loc[:-1], f"required field '{loc[-1]}' is missing",
                                 f"add `{loc[-1]}:`" + (f" ({hint})" if hint else ""),
                                 field_path=dotted(loc))
    if kind == "value_error":
        message = str(ctx.get("error") or error["msg"]).removeprefix("Value error, ")
        return source.diagnostic("E105", loc, message, "")
    return source.diagnostic("E102", loc, _expected(kind, ctx, value, error["msg"]), hint)


def _expected(kind: str, ctx: dict[str, Any], value: Any, fallback: str) -> str:
    got = f", got {_show(value)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "expected a whole number" + got
    if kind in ("float_type", "float_parsing"):
        return "expected a number" + got
    if kind in ("string_type",):
        return "expected text" + got
    if kind in ("bool_type", "bool_parsing"):
        return "expected true or false" + got
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return "expected a mapping of fields" + got
    if kind in ("list_type", "tuple_type", "set_type"):
        return "expected a list" + got
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}" + got
    if kind == "string_pattern_mismatch":
        return f"{_show(value)} does not have the expected form"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = {"greater_than_equal": "at least", "greater_than": "more than",
                 "less_than_equal": "at most", "less_than": "less than"}[kind]
        limit = next(iter(ctx.values()))
        return f"must be {bound} {limit}" + got
    if kind in ("string_too_long", "string_too_short", "too_long", "too_short"):
        bound = "at most" if kind.endswith("long") else "at least"
        limit = ctx.get("max_length") if kind.endswith("long") else ctx.get("min_length")
        unit = "character" if kind.startswith("string") else "item"
        return f"must have {bound} {limit} {unit}{'' if limit == 1 else 's'}" + got
    return fallback[:1].lower() + fallback[1:] + got


def _show(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def field_at(loc: tuple[Any, ...]) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """The model that owns the last field in `loc`, and that field (walking models, dicts and lists)."""
    current: Any = spec_language.Spec  # every section (built on first use: only bad specs need it)
    owner: type[BaseModel] | None = None
    info: FieldInfo | None = None
    pending_container = False
    for part in loc:
        current = _unwrap(current)
        if pending_container:
            origin = typing.get_origin(current)
            args = typing.get_args(current)
            if origin in (dict,) and args:
                current = args[1]
            elif origin in (list, tuple) and args:
                current = args[0]
            pending_container = False
            current = _unwrap(current)
            if not (isinstance(current, type) and issubclass(current, BaseModel)):
                pending_container = typing.get_origin(current) in (dict, list, tuple)
                continue
            if isinstance(part, int) or part not in fields_of(current):
                continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            owner = current
            info = fields_of(current).get(str(part)) or next(  # a field spelled by its alias (`pass`)
                (f for f in fields_of(current).values() if f.alias == str(part)), None)
            if info is None:
                return owner, None
            current = info.annotation
            pending_container = typing.get_origin(_unwrap(current)) in (dict, list, tuple)
        else:
            break
    return owner, info


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
            annotation = (models or options)[0]
        else:
            return annotation
