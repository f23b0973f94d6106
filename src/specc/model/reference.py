"""The spec-language reference, generated from the pydantic models so it never drifts from the compiler."""

from __future__ import annotations

import json
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from specc.kinds import BY_SECTION
from specc.language.types import fields_of


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args if a is not type(None)) + (
            " (optional)" if type(None) in args else "")
    if origin is typing.Literal:
        return " \\| ".join(f"`{json.dumps(a)}`" for a in args)
    if origin is dict:
        return f"mapping of {_type_name(args[0])} → {_type_name(args[1])}"
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    if annotation is Any:  # raw CloudFormation values
        return "any value"
    return {str: "text", int: "integer", float: "number", bool: "true/false"}.get(annotation, str(annotation))


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
        if isinstance(value, BaseModel):
            return "see below"
        return f"`{json.dumps(value)}`" if value not in ({}, []) else "none"
    if info.default is PydanticUndefined or info.default is None:
        return "none"
    return f"`{json.dumps(info.default)}`"


def _example(info: FieldInfo) -> str:
    if not info.examples:
        return ""
    return "`" + json.dumps(info.examples[0], separators=(", ", ": ")) + "`"


def _table(model: type[BaseModel]) -> list[str]:
    lines = ["| field | type | default | description | example |", "|---|---|---|---|---|"]
    for name, info in fields_of(model).items():
        description = (info.description or "").replace("|", "\\|").replace("\n", " ")
        spelled = info.alias or name  # the spec spelling (`pass`, not the Python name `pass_`)
        lines.append(f"| `{spelled}` | {_type_name(info.annotation)} | {_default(info)} | {description} "
                     f"| {_example(info)} |")
    return lines


def markdown() -> str:
    from specc.model.spec import Spec

    out = ["# specc spec reference", "",
           "Generated from the compiler's models by `specc docs`; do not edit by hand. "
           "Unknown fields are errors everywhere.", "", "## Top level", ""]
    out += _table(Spec)
    seen: set[type[BaseModel]] = {Spec}
    queue: list[type[BaseModel]] = []
    for info in fields_of(Spec).values():
        queue += _models_in(info.annotation)
    while queue:
        model = queue.pop(0)
        if model in seen:
            continue
        seen.add(model)
        kind = next((k for k in BY_SECTION.values() if k.model is model), None)
        title = f"## {model.__name__}" + (f" (`{kind.section}` entries)" if kind and kind.keyed else
                                          f" (`{kind.section}`)" if kind else "")
        out += ["", title, ""]
        if model.__doc__ and not model.__doc__.startswith("!!!"):
            out += [" ".join(model.__doc__.split()), ""]
        out += _table(model)
        for info in fields_of(model).values():
            queue += [m for m in _models_in(info.annotation) if m not in seen]
    return "\n".join(out) + "\n"
