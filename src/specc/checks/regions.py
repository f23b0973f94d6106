"""`regions` name regions that exist, each once, in one partition (checked before anything is built).

The spec model only checks a region's form (`us-east-9` has it); the list of regions that exist is the one botocore
ships (its endpoints data, by partition), the same data `specc deploy` and `rollout` reach AWS with. A region that
does not exist would otherwise reach cfn-lint (which ends in an exception) or AWS (which fails after uploading); a
region listed twice would lint and deploy twice; a StackSet cannot span partitions (aws, aws-cn, aws-us-gov...).
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E260"
DESCRIPTION = "regions exist (botocore's partition data), are listed once, and share one partition"
DUPLICATE = "E261"
PARTITIONS = "E262"


@lru_cache(maxsize=1)
def known_regions() -> dict[str, str]:
    """Region code -> partition name, from the endpoints data botocore ships (no network, no credentials).

    The file is read where botocore installed it, without importing botocore: its loader pulls in
    importlib.metadata and the SDK, which a compile never needs (tests/test_startup.py)."""
    import importlib.util
    import json
    from pathlib import Path

    spec = importlib.util.find_spec("botocore")  # finds the package without importing it
    locations = spec.submodule_search_locations if spec else None
    if not locations:  # botocore is a dependency (through boto3): a broken install, not a spec error
        raise RuntimeError("botocore is not installed: its region list is what regions are checked against")
    endpoints = json.loads((Path(next(iter(locations))) / "data" / "endpoints.json").read_text())
    return {region: partition["partition"] for partition in endpoints["partitions"]
            for region in partition.get("regions", {})}


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    known = known_regions()
    found = []
    seen: dict[str, int] = {}
    partitions: dict[str, str] = {}
    for index, region in enumerate(spec.regions):
        path = ("regions", index)
        if region in seen:
            found.append(source.diagnostic(DUPLICATE, path, f"'{region}' is listed twice (first as "
                                           f"regions[{seen[region]}])", "list each region once"))
            continue
        seen[region] = index
        if region not in known:
            close = difflib.get_close_matches(region, sorted(known), n=1)
            found.append(source.diagnostic(
                ID, path, f"there is no AWS region '{region}'" + (f"; did you mean '{close[0]}'?" if close else ""),
                "the regions botocore knows; update botocore for a region announced since"))
            continue
        partitions.setdefault(known[region], region)
    if len(partitions) > 1:
        listed = ", ".join(f"{region} ({partition})" for partition, region in sorted(partitions.items()))
        found.append(source.diagnostic(PARTITIONS, ("regions",), f"the regions are in different AWS partitions: "
                                       f"{listed}", "a StackSet and its accounts live in one partition: write one "
                                       "spec per partition", at_key=True))
    return found
