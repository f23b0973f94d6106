"""Shared pydantic building blocks of the spec language."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class SpecModel(BaseModel):
    """Every spec object: unknown fields are errors, and values are not silently coerced.

    Validators are built on first use, not at import: a spec that declares no workflows never pays for
    the workflow models (spec.py validates with a model of just the sections a spec writes).
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


def fields_of(model: type[BaseModel]) -> dict[str, Any]:
    """A model's fields with their types resolved: a deferred model that names a later class (the recursive
    workflow states) keeps a forward reference in its annotations until it is first built."""
    if not getattr(model, "__pydantic_fields_complete__", True):
        model.model_rebuild()
    return model.model_fields


NAME_PATTERN = r"^[a-z][a-z0-9_]*$"

Name = Annotated[
    str,
    StringConstraints(pattern=NAME_PATTERN, max_length=40),
    Field(description="An entry name: lower case letters, digits and underscores, starting with a letter."),
]

RetentionDays = Literal[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                        2922, 3288, 3653]


class Throttle(SpecModel):
    """Steady-state requests per second and the burst bucket, as API Gateway defines them."""

    rate: float = Field(gt=0, le=1_000_000, description="Requests per second.", examples=[200])
    burst: int = Field(ge=0, le=1_000_000, description="Burst capacity in requests.", examples=[100])
