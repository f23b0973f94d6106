"""`security.exceptions` names checks that exist in the chosen profile (checked before anything is built)."""

from __future__ import annotations

import difflib
from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E230"
DESCRIPTION = "security exceptions name checks of the chosen profile"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    from specc.policy import BY_ID, checks_for

    security = spec.security
    in_profile = [check.id for check in checks_for(security.profile)]
    found = []
    for check_id in sorted(security.exceptions):
        found += _entries(spec, source, check_id, security.exceptions[check_id].entries)
        if check_id in in_profile:
            continue
        if check_id in BY_ID:
            message = f"{check_id} is not a check of the '{security.profile}' profile, so there is nothing to excuse"
            hint = "remove the exception"
        else:
            close = difflib.get_close_matches(check_id, list(BY_ID), n=1)
            message = f"there is no check {check_id}" + (f"; did you mean {close[0]}?" if close else "")
            hint = f"checks of the '{security.profile}' profile: {', '.join(in_profile)}"
        found.append(source.diagnostic(ID, ("security", "exceptions", check_id), message, hint, at_key=True))
    return found


def _entries(spec: Any, source: SourceFile, check_id: str, entries: list[str]) -> list[Diagnostic]:
    """Each `entries` item names a section of the spec, or one of its entries: a typo would excuse nothing."""
    from specc.kinds import BY_SECTION

    found = []
    for index, entry in enumerate(entries):
        section, _, name = entry.partition(".")
        kind = BY_SECTION.get(section)
        value = getattr(spec, section, None) if kind is not None else None
        if kind is None or value is None or (name and (not kind.keyed or name not in value)):
            known = sorted(value) if kind is not None and kind.keyed and value else []
            what = f"no {section} entry '{name}'" if kind is not None and name else f"no section '{section}'"
            close = difflib.get_close_matches(name or section, known if name else sorted(BY_SECTION), n=1)
            found.append(source.diagnostic(
                ID, ("security", "exceptions", check_id, "entries", index),
                f"the spec has {what}" + (f"; did you mean '{close[0]}'?" if close else ""),
                "name `section` or `section.name` of this spec"))
    return found
