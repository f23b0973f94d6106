"""Shared pydantic building blocks of the spec language."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class SpecModel(BaseModel):
    """Every spec object: unknown fields are errors, and values are not silently coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


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
