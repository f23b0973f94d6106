"""Every name a spec entry refers to exists, with an access level the target kind understands."""

from __future__ import annotations

import difflib
from typing import Any

from specc.kinds import BY_SECTION, in_play
from specc.kinds.base import Reference
from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E201"
DESCRIPTION = "references name existing entries (uses, routes, usage plans, keys, alarm metrics and topics)"


def all_references(spec: Any) -> list[Reference]:
    refs: list[Reference] = []
    for kind in in_play(spec):
        if kind.references is None:
            continue
        section = getattr(spec, kind.section)
        if kind.keyed:
            for name, entry in section.items():
                refs += kind.references(name, entry)
        elif section is not None:
            refs += kind.references(kind.section, section)
    return refs


def _suggest(word: str, options: list[str]) -> str:
    guess = difflib.get_close_matches(word, options, n=1)
    return f"; did you mean '{guess[0]}'?" if guess else ""


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    for ref in all_references(spec):
        kind = BY_SECTION.get(ref.section)
        if ref.relation == "uses" and (kind is None or kind.grant is None):
            usable = _usable()
            found.append(source.diagnostic(
                ID, ref.path[:-1],
                f"'{ref.section}' is not something a function can use{_suggest(ref.section, usable)}",
                "usable sections: " + ", ".join(usable), at_key=True))
            continue
        if kind is None:  # only an alarm's metric names its section freely (`widgets.x.Errors`)
            known = _with_metrics() if ref.relation == "watches" else sorted(BY_SECTION)
            found.append(source.diagnostic(
                ID, ref.path, f"unknown section '{ref.section}'{_suggest(ref.section, known)}",
                ("alarm on a metric of: " if ref.relation == "watches" else "sections: ") + ", ".join(known)))
            continue
        entries = getattr(spec, ref.section)
        if not kind.keyed or ref.target not in entries:
            names = sorted(entries) if kind.keyed else []
            found.append(source.diagnostic(
                ID, ref.path, f"unknown {kind.singular.replace('_', ' ')} '{ref.target}'{_suggest(ref.target, names)}",
                f"declared {ref.section}: {', '.join(names) or 'none'}", at_key=ref.relation == "uses"))
            continue
        if ref.relation == "uses" and ref.access not in kind.access:
            found.append(source.diagnostic(
                "E202", ref.path, f"'{ref.access}' is not an access level of {ref.section}"
                f"{_suggest(str(ref.access), sorted(kind.access))}",
                "expected one of: " + ", ".join(f"{k} ({v})" for k, v in kind.access.items())))
        if ref.relation == "watches":
            found += _metric(spec, source, ref)
    for name, function in spec.functions.items():  # an empty `uses: {section: {}}` makes no reference to check
        for section, entries in function.uses.items():
            if not entries and (section not in BY_SECTION or BY_SECTION[section].grant is None):
                usable = _usable()
                found.append(source.diagnostic(
                    ID, ("functions", name, "uses", section), f"'{section}' is not something a function can use"
                    f"{_suggest(section, usable)}", "usable sections: " + ", ".join(usable), at_key=True))
    for name, alarm in spec.alarms.items():
        if alarm.metric and alarm.metric.startswith("api."):
            found += _metric(spec, source, Reference(("alarms", name, "metric"), "api", "api", relation="watches"))
    return found


def _usable() -> list[str]:
    """The sections a function can `use` (imports every kind: only a spec with a mistake asks)."""
    return sorted(section for section, kind in BY_SECTION.items() if kind.grant)


def _with_metrics() -> list[str]:
    """The sections whose entries have metrics an alarm can watch."""
    return sorted(section for section, kind in BY_SECTION.items() if kind.metrics)


def _metric(spec: Any, source: SourceFile, ref: Reference) -> list[Diagnostic]:
    kind = BY_SECTION[ref.section]
    alarm = spec.alarms[ref.path[1]]
    metric = alarm.metric.split(".")[-1]
    if kind.metrics is None:
        return [source.diagnostic("E203", ref.path, f"{ref.section} have no metrics specc can alarm on",
                                  "alarm on a metric of: " + ", ".join(_with_metrics()))]
    if ref.section == "api" and spec.api is None and not spec.routes:
        return [source.diagnostic("E203", ref.path, "the spec has no API to alarm on", "declare `routes`")]
    if metric not in kind.metrics.names:
        return [source.diagnostic(
            "E203", ref.path, f"unknown {kind.metrics.namespace} metric '{metric}'"
            f"{_suggest(metric, list(kind.metrics.names))}", "known: " + ", ".join(kind.metrics.names))]
    return []
