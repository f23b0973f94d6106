"""Physical names fit each AWS service's length and character rules, checked before anything is built."""

from __future__ import annotations

import re
from typing import Any

from specc.kinds import in_play
from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E301"
DESCRIPTION = "physical names respect AWS length and character limits"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    for kind in in_play(spec):
        if kind.names is None:
            continue
        section = getattr(spec, kind.section)
        entries = section.items() if kind.keyed else ([(kind.section, section)] if section is not None else [])
        for name, entry in entries:
            if getattr(entry, "existing", None) is not None:  # named elsewhere: specc makes no name for it
                continue
            for rule in kind.names(spec, name, entry):
                path = (kind.section, name) if kind.keyed else (kind.section,)
                if len(rule.value) > rule.max_length:
                    found.append(source.diagnostic(
                        ID, path, f"the {rule.what} '{rule.value}' is {len(rule.value)} characters, more than "
                        f"the {rule.max_length} AWS allows", "shorten the entry, service or environment name",
                        at_key=True))
                elif not re.fullmatch(rule.pattern, rule.value):
                    found.append(source.diagnostic(ID, path, f"the {rule.what} '{rule.value}' has characters AWS "
                                                   "does not allow", "use letters, digits and hyphens", at_key=True))
    return found
