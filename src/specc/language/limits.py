"""The `limits` section: CloudFormation's per-template quotas as a budget, and how a service past it is split.

Kept apart from `split.py` so the spec model imports nothing heavy.
"""

from __future__ import annotations

from pydantic import Field

from specc.language.types import SpecModel

DEFAULT_SHARDS = 32


class Limits(SpecModel):
    """How close a template may come to CloudFormation's quotas, and how a larger service is split into nested stacks."""

    margin: float = Field(
        0.1, ge=0, le=0.9,
        description="Fraction of each CloudFormation quota (500 resources, 200 outputs, 200 parameters, 1 MB) kept "
                    "free in every template: a template is split, and every nested template kept, under "
                    "`quota x (1 - margin)`.", examples=[0.1])
    shards: int = Field(
        DEFAULT_SHARDS, ge=1, le=1024,
        description="Number of nested-stack shards functions are hashed into when the service is split (shared "
                    "stacks for API paths and table alarms get a quarter of it). Each function's stack depends only "
                    "on its name and this number, so adding or removing functions never moves another one; raise it "
                    "only when a shard is over budget (that moves about half the functions).", examples=[64])
