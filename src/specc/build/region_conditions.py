"""Template Conditions that hold in some of the service's regions only: `Fn::Equals` of `AWS::Region` with one
region, `Fn::Or` of those for several.

One template serves every region of the StackSet, so what exists in some regions only (the trail in its home
region, the CDN's log bucket in the home region, CloudFront's resources in us-east-1, a raw resource limited with
`regions:`) carries such a condition. Every kind adds them through `add`, and `regions_of` reads one back (what a
raw resource's `Condition:` may name).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from troposphere import Equals, Or, Ref, Template

from specc.build.naming import camel

MAX_OR = 10  # Fn::Or takes 2 to 10 conditions


def region_test(regions: Sequence[str]) -> Any:
    """True in exactly these regions."""
    tests: list[Any] = [Equals(Ref("AWS::Region"), region) for region in regions]
    while len(tests) > 1:
        tests = [group[0] if len(group) == 1 else Or(*group)
                 for group in (tests[i:i + MAX_OR] for i in range(0, len(tests), MAX_OR))]
    return tests[0]


def add(template: Template, name: str, regions: Sequence[str]) -> str:
    """The condition `name`, true in `regions`, added to the template once."""
    if name not in template.conditions:
        template.add_condition(name, region_test(regions))
    return name


def name_for(regions: Sequence[str]) -> str:
    """`RegionsEuWest1`, `RegionsUsEast1EuWest1`: the condition of a raw resource limited to these regions."""
    return "Regions" + "".join(camel(region) for region in regions)


def regions_of(condition: Any) -> list[str] | None:
    """The regions a condition of the template holds in, in its own order; None for any other test."""
    value = condition.to_dict() if hasattr(condition, "to_dict") else condition
    if not isinstance(value, dict) or len(value) != 1:
        return None
    key, inner = next(iter(value.items()))
    if key == "Fn::Equals" and isinstance(inner, list) and len(inner) == 2:
        pair = [inner[1], inner[0]] if isinstance(inner[1], dict) else inner
        return [pair[1]] if pair[0] == {"Ref": "AWS::Region"} and isinstance(pair[1], str) else None
    if key == "Fn::Or" and isinstance(inner, list):
        found: list[str] = []
        for part in inner:
            regions = regions_of(part)
            if regions is None:
                return None
            found += [region for region in regions if region not in found]
        return found
    return None
