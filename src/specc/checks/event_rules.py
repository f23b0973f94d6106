"""An event rule's `pattern` is one EventBridge accepts: a non-empty mapping of fields, each a list of values or
content filters (or a mapping of nested fields), never a bare value. EventBridge refuses anything else only when
the stack deploys (InvalidEventPatternException); here the mistake is located at its line.
"""

from __future__ import annotations

import difflib
from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E380"
DESCRIPTION = "event rule patterns are non-empty mappings of fields to lists of values or content filters"
FILTER = "E381"

# EventBridge's content filters: `{prefix: "ord-"}` in a field's list.
CONTENT_FILTERS = ("anything-but", "cidr", "equals-ignore-case", "exists", "numeric", "prefix", "suffix", "wildcard")
EXAMPLE = "like `source: [shop.orders]` or `detail: {status: [placed]}`"
NUMERIC = 5.0e9  # EventBridge's numeric filter compares numbers between -5.0e9 and +5.0e9
NUMERIC_OPERATORS = ("<", "<=", "=", ">", ">=")
FILTER_EXAMPLES = {
    "numeric": 'write `numeric: [">", 0, "<=", 5]`',
    "exists": "write `exists: true`",
    "prefix": "write `prefix: ord-`",
    "suffix": "write `suffix: .png`",
    "equals-ignore-case": "write `equals-ignore-case: Placed`",
    "wildcard": 'write `wildcard: "orders/*"`',
    "cidr": "write `cidr: 10.0.0.0/24`",
    "anything-but": "write `anything-but: [test, staging]`",
}


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for name, event in sorted(getattr(spec, "events", {}).items()):
        if event.pattern is not None:
            found += _fields(source, ("events", name, "pattern"), event.pattern)
    return found


def _fields(source: SourceFile, path: tuple[Any, ...], fields: dict[str, Any]) -> list[Diagnostic]:
    if not fields:
        what = "the event pattern" if path[-1] == "pattern" else f"field '{path[-1]}'"
        return [source.diagnostic(ID, path, f"{what} is an empty mapping, which EventBridge refuses: it matches on "
                                  "no field", f"name the fields an event must have, {EXAMPLE}")]
    found: list[Diagnostic] = []
    for field, value in fields.items():
        here = path + (field,)
        if field == "$or":
            found += _alternatives(source, here, value)
        elif isinstance(value, dict):
            found += _fields(source, here, value)
        elif isinstance(value, list):
            found += _values(source, here, value)
        else:
            found.append(source.diagnostic(
                ID, here, f"field '{field}' is a single value: EventBridge matches a field against a list of "
                "values (or a mapping of nested fields)", f"write `{field}: [{_text(value)}]`"))
    return found


def _alternatives(source: SourceFile, path: tuple[Any, ...], value: Any) -> list[Diagnostic]:
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        return [source.diagnostic(ID, path, "`$or` is a list of patterns, one of which an event must match",
                                  "write `$or: [{source: [a]}, {detail-type: [b]}]`")]
    found: list[Diagnostic] = []
    for index, alternative in enumerate(value):
        found += _fields(source, path + (index,), alternative)
    return found


def _values(source: SourceFile, path: tuple[Any, ...], values: list[Any]) -> list[Diagnostic]:
    if not values:
        return [source.diagnostic(ID, path, f"field '{path[-1]}' lists no value, so it matches no event",
                                  "list the values it may have, or remove the field to match any value")]
    found: list[Diagnostic] = []
    for index, value in enumerate(values):
        if isinstance(value, list):
            found.append(source.diagnostic(ID, path + (index,), "a list inside a field's list of values",
                                           "list the values themselves, one level deep"))
        elif isinstance(value, dict):
            found += _filter(source, path + (index,), value)
    return found


def _numeric_bounds(source: SourceFile, path: tuple[Any, ...], bounds: list[Any]) -> list[Diagnostic]:
    """The numbers of a `numeric` filter (its shape already checked) within what EventBridge compares. Numbers a
    template cannot hold at all are refused at load (E007)."""
    return [source.diagnostic(ID, path + (index,), f"{bound} is outside the numbers a `numeric` filter compares "
                              "(-5.0e9 to 5.0e9)", "compare with a bound in that range")
            for index, bound in enumerate(bounds) if index % 2 and not -NUMERIC <= bound <= NUMERIC]


def _filter(source: SourceFile, path: tuple[Any, ...], value: dict[str, Any]) -> list[Diagnostic]:
    """A content filter: one mapping of one known filter name."""
    if len(value) != 1:
        return [source.diagnostic(FILTER, path, f"a content filter names one filter, not {len(value)}",
                                  "write each filter as its own list item, like `[{prefix: ord-}, {suffix: -x}]`")]
    (name,) = value
    if name in CONTENT_FILTERS:
        expected = _filter_shape(name, value[name])
        if expected is not None:
            return [source.diagnostic(FILTER, path + (name,), f"`{name}` takes {expected}", FILTER_EXAMPLES[name])]
        return _numeric_bounds(source, path + (name,), value[name]) if name == "numeric" else []
    guess = difflib.get_close_matches(str(name), CONTENT_FILTERS, n=1)
    return [source.diagnostic(FILTER, path + (name,), f"unknown content filter '{name}'"
                              f"{f'; did you mean {guess[0]!r}?' if guess else ''}",
                              "EventBridge's filters: " + ", ".join(CONTENT_FILTERS), at_key=True)]


def _filter_shape(name: str, value: Any) -> str | None:
    """What EventBridge expects of a content filter's value, when `value` is not that; None when it is."""
    if name == "numeric":
        if (isinstance(value, list) and len(value) in (2, 4) and all(op in NUMERIC_OPERATORS for op in value[0::2])
                and all(_is_number(n) for n in value[1::2]) and not (len(value) == 4 and "=" in value[0::2])):
            return None
        return "one or two [operator, number] pairs (operators " + ", ".join(NUMERIC_OPERATORS) + "; `=` alone)"
    if name == "exists":
        return None if isinstance(value, bool) else "true or false"
    if name in ("prefix", "suffix"):
        if isinstance(value, str) or (isinstance(value, dict) and list(value) == ["equals-ignore-case"]
                                      and isinstance(value["equals-ignore-case"], str)):
            return None
        return "a text, or `{equals-ignore-case: <text>}`"
    if name in ("equals-ignore-case", "wildcard", "cidr"):
        return None if isinstance(value, str) else "a text"
    # anything-but: a value, a non-empty list of values, or one of the filters it may negate
    if _is_scalar(value) or (isinstance(value, list) and value and all(_is_scalar(v) for v in value)):
        return None
    if isinstance(value, dict) and len(value) == 1:
        (inner,) = value
        inner_value = value[inner]
        if inner in ("prefix", "suffix") and isinstance(inner_value, str):
            return None
        if inner in ("equals-ignore-case", "wildcard") and (
                isinstance(inner_value, str) or (isinstance(inner_value, list) and inner_value
                                                 and all(isinstance(v, str) for v in inner_value))):
            return None
    return ("a value, a non-empty list of values, or one of `{prefix: <text>}`, `{suffix: <text>}`, "
            "`{equals-ignore-case: <text or texts>}`, `{wildcard: <text or texts>}`")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str) or _is_number(value)


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
