"""Service-wide defaults are complete: with several keys, `defaults.key` says which one data uses."""

from __future__ import annotations

import difflib
from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E204"
DESCRIPTION = "defaults name declared keys, and a default key is chosen when there are several"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    keys = sorted(spec.keys)
    for field in ("key", "logs_key"):
        value = getattr(spec.defaults, field)
        if value is not None and value not in spec.keys:
            guess = difflib.get_close_matches(value, keys, n=1)
            found.append(source.diagnostic(
                ID, ("defaults", field), f"unknown key '{value}'" + (f"; did you mean '{guess[0]}'?" if guess else ""),
                "declared keys: " + ", ".join(keys)))
    if spec.defaults.key is None and len(spec.keys) > 1:
        found.append(source.diagnostic(
            ID, ("keys",), f"{len(spec.keys)} keys are declared but `defaults.key` does not say which one "
            "encrypts entries that name none", "add `defaults: {key: " + keys[0] + "}`", at_key=True))
    return found
