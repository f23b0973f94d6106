"""What tests/test_iam.py and tests/test_storage_iam.py share: compile a spec whose one function `uses` the given
grants, and read that function's policy statements by Sid."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from specc.compiler import compile_spec


def uses_yaml(uses: dict[str, dict[str, str]]) -> str:
    """`{tables: {orders: read}}` as a flow mapping to format into a spec template."""
    return "{" + ", ".join(f"{s}: {{" + ", ".join(f"{n}: {a}" for n, a in e.items()) + "}" for s, e in uses.items()) + "}"


def compile_uses(write_spec: Callable[[str], Any], base: str, uses: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The service template of `base` (a spec with a `{uses}` placeholder) with `uses` filled in."""
    return compile_spec(write_spec(base.format(uses=uses_yaml(uses)))).templates["service.json"]


def policy_statements(template: dict[str, Any], function: str = "Worker") -> dict[str, dict[str, Any]]:
    """The function's role policy, statement by Sid."""
    policy = template["Resources"][f"{function}Policy"]["Properties"]["PolicyDocument"]
    return {s["Sid"]: s for s in policy["Statement"]}
