"""The `limits` section: CloudFormation's per-template quotas as a budget, and how a service past it is split.

Kept apart from `split.py` so the spec model imports nothing heavy.
"""

from __future__ import annotations

from pydantic import Field

from specc.language.types import SpecModel

TABLES_IN_PARENT = 100  # past this many tables, a service keeps them in table stacks (limits.table_stacks)


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
    table_stacks: bool | None = Field(
        None,
        description=f"Where the service keeps its tables. Default: in service.json (the parent stack of a split "
                    f"service) while the spec declares at most {TABLES_IN_PARENT}, past that in sixteen nested "
                    "`Tables` stacks chosen by a hash of each table's name, so that no number of functions ever "
                    "moves a table (a table that changes stack is replaced: its data is lost). `true`: in those "
                    "stacks from the first table, for a service that will grow past the threshold (crossing it "
                    "moves every table, which `deploy` refuses without --allow-data-loss); `false`: always in "
                    "service.json.", examples=[True])
