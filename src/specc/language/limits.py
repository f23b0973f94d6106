"""The `limits` section: CloudFormation's per-template quotas as a budget, and how a service past it is split.

Kept apart from `split.py` so the spec model imports nothing heavy.
"""

from __future__ import annotations

from pydantic import Field

from specc.language.types import SpecModel


class Limits(SpecModel):
    """How close a template may come to CloudFormation's quotas, and how a larger service is split into nested stacks."""  # noqa: E501 (one line: the JSON schema's description is this docstring verbatim)

    margin: float = Field(
        0.1, ge=0, le=0.9,
        description="Fraction of each CloudFormation quota (500 resources, 200 outputs, 200 parameters, 1 MB) kept "
                    "free in every template: a template is split, and every nested template kept, under "
                    "`quota x (1 - margin)`.", examples=[0.1])
    shards: int | None = Field(
        None, ge=1, le=1024,
        description="Advanced, and rarely needed: split a large service into at least this many function stacks "
                    "from the start (shared stacks for API paths and table alarms: a quarter of it). Without it the "
                    "split grows by itself: a stack over budget splits in two by the next bit of its entries' "
                    "hashes, moving only about half of that stack's functions.", examples=[64])
