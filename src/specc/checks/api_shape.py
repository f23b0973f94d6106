"""The API is one API Gateway accepts: no conflicting path variables, greedy variables last, keys with plans."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from specc.kinds.routes import split
from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E205"
DESCRIPTION = "routes form a valid REST API; API keys and usage plans have routes to protect"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    variables: dict[tuple[str, ...], dict[str, str]] = defaultdict(dict)
    for route_key in spec.routes:
        _, segments = split(route_key)
        for depth, segment in enumerate(segments):
            if segment.endswith("+}") and depth != len(segments) - 1:
                found.append(source.diagnostic(ID, ("routes", route_key), f"greedy path variable {segment} must be "
                                               "the last segment", "move it to the end or make it a plain variable",
                                               at_key=True))
            if segment.startswith("{"):
                parent = tuple(segments[:depth])
                variables[parent].setdefault(segment, route_key)
                others = [s for s in variables[parent] if s != segment]
                if others:
                    found.append(source.diagnostic(
                        ID, ("routes", route_key), f"path variable {segment} conflicts with {others[0]} at "
                        f"/{'/'.join(parent)} (in '{variables[parent][others[0]]}')",
                        "API Gateway allows one variable name per path level: use the same name", at_key=True))
    needs_key = [key for key, route in spec.routes.items() if route.api_key]
    if needs_key and not spec.api_keys:
        found.append(source.diagnostic(ID, ("routes", needs_key[0], "api_key"),
                                       "this route requires an API key but no `api_keys` are declared",
                                       "declare `usage_plans` and `api_keys`, or set `api_key: false`"))
    for section in ("usage_plans", "api_keys"):
        if getattr(spec, section) and not spec.routes:
            found.append(source.diagnostic(ID, (section,), f"`{section}` need an API, but no `routes` are declared",
                                           "declare routes or remove the section", at_key=True))
    if spec.api is not None and not spec.routes:
        found.append(source.diagnostic(ID, ("api",), "`api` settings are given but no `routes` are declared",
                                       "declare routes or remove `api`", at_key=True))
    return found
