"""A raw resource's `regions` are regions of the service, each once, and it limits itself either with `regions`
or with `Condition`, not both (kinds/resources.py turns `regions` into a template Condition).

Checked before anything is built: a region the service does not deploy to would make a condition no stack
instance ever meets, and the resource would silently never exist.
"""

from __future__ import annotations

import difflib
from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E320"
DESCRIPTION = "a raw resource's `regions` are some of the service's regions; `regions` or `Condition`, not both"
BOTH = "E321"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    for name, resource in sorted((getattr(spec, "resources", None) or {}).items()):
        at = ("resources", name)
        if resource.regions is not None and resource.condition is not None:
            found.append(source.diagnostic(
                BOTH, at + ("Condition",), f"'{name}' is limited twice, by `regions` and by `Condition`",
                "keep one: `regions` lists where it exists, `Condition` names a region condition the template "
                "has", at_key=True))
        seen: set[str] = set()
        for index, region in enumerate(resource.regions or ()):
            if region in seen:
                found.append(source.diagnostic(ID, at + ("regions", index), f"'{region}' is listed twice",
                                               "list each region once"))
            elif region not in spec.regions:
                guess = difflib.get_close_matches(region, spec.regions, n=1)
                found.append(source.diagnostic(
                    ID, at + ("regions", index), f"'{region}' is not one of the service's regions ("
                    f"{', '.join(spec.regions)})" + (f"; did you mean '{guess[0]}'?" if guess else ""),
                    "a raw resource exists in some of the service's `regions`; add the region there first"))
            seen.add(region)
    return found
