"""Workflows hold together as Step Functions requires, before anything is deployed: every state named exists
in its scope, every state is reachable, every reachable state can still end, state names are unique across
the whole state machine, `States.ALL` comes alone and last, and `.$` fields hold paths.

Codes: E220 unknown state, E221 unreachable state, E222 a state from which the workflow can never end,
E223 `States.ALL` misplaced, E224 a state name used twice, E225 a `.$` field that is not a path.
(A state naming a function or topic that does not exist is E201, as every unknown reference.)
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

if TYPE_CHECKING:  # the state models load with the workflows kind, for a spec that has workflows
    from specc.language.workflow_states import StateSpec

ID = "E220"
DESCRIPTION = ("workflow states name existing states of their own branch, are reachable and can end, have unique "
               "names, place States.ALL alone and last, and give paths to `.$` fields")


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for name, workflow in sorted(getattr(spec, "workflows", {}).items()):
        base = ("workflows", name)
        found += _scope(source, base, workflow.start, workflow.states, in_branch=False)
        found += _unique(source, base, workflow.states)
    return found


def _scope(source: SourceFile, base: tuple[Any, ...], start: str, states: dict[str, StateSpec],
           in_branch: bool = True) -> list[Diagnostic]:
    """One workflow or branch: its transitions stay inside it (Step Functions' rule), then recurse."""
    found: list[Diagnostic] = []
    known = sorted(states)
    if start not in states:
        found.append(_unknown(source, base + ("start",), start, known, in_branch))
    edges: dict[str, list[str]] = {}
    dangling: set[str] = set()  # states naming an unknown state: reported once, as E220
    for name, state in states.items():
        here = base + ("states", name)
        edges[name] = []
        for path, target in state.successors():
            if target in states:
                edges[name].append(target)
            else:
                dangling.add(name)
                found.append(_unknown(source, here + path, target, known, in_branch))
        found += _errors_last(source, here, state)
        found += _paths(source, here, state)
        for branch_path, branch in state.branches():
            found += _scope(source, here + branch_path, branch.start, branch.states)
    if start not in states:
        return found
    reachable = _closure([start], edges)
    for name in states:
        if name not in reachable:
            found.append(source.diagnostic(
                "E221", base + ("states", name), f"state '{name}' is never reached from '{start}'",
                "name it in a `next`, `default`, choice rule or `catch` of a reachable state, or remove it",
                at_key=True))
    # A choice without `default` ends the execution (States.NoChoiceMatched) when no rule holds: a way out.
    no_default = {name for name, state in states.items() if state.choice is not None and state.default is None}
    can_end = {name for name, state in states.items() if state.terminal()} | dangling | no_default
    reverse: dict[str, list[str]] = {name: [] for name in states}
    for name, targets in edges.items():
        for target in targets:
            reverse[target].append(name)
    ending = _closure(sorted(can_end), reverse)
    stuck = [name for name in states if name in reachable and name not in ending]
    if stuck:  # one finding per loop region, at its first state
        listed = ", ".join(f"'{n}'" for n in stuck)
        found.append(source.diagnostic(
            "E222", base + ("states", stuck[0]), f"the workflow can never end once it reaches {listed}: every path "
            "from there loops back", "give a state on the loop a way out (a choice rule, a `default`, a `catch`, or "
            "a state without `next`)", at_key=True))
    return found


def _closure(seeds: list[str], edges: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    pending = list(seeds)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending += edges.get(name, [])
    return seen


def _unknown(source: SourceFile, path: tuple[Any, ...], target: str, known: list[str], in_branch: bool) -> Diagnostic:
    guess = difflib.get_close_matches(target, known, n=1)
    return source.diagnostic(
        "E220", path, f"unknown state '{target}'" + (f"; did you mean '{guess[0]}'?" if guess else ""),
        f"states here: {', '.join(known)}" + (" (a branch reaches only its own states)" if in_branch else ""))


def _errors_last(source: SourceFile, here: tuple[Any, ...], state: StateSpec) -> list[Diagnostic]:
    found = []
    for field, handlers in (("retry", state.retry), ("catch", state.catch)):
        for index, handler in enumerate(handlers):
            if "States.ALL" not in handler.errors:
                continue
            if len(handler.errors) > 1:
                found.append(source.diagnostic(
                    "E223", here + (field, index, "errors"), "`States.ALL` must be the only error in its list",
                    "it already matches every error: remove the others"))
            elif index != len(handlers) - 1:
                found.append(source.diagnostic(
                    "E223", here + (field, index, "errors"), f"`States.ALL` must be in the last {field} entry",
                    "move this entry to the end: entries after it are never used"))
    return found


def _paths(source: SourceFile, here: tuple[Any, ...], state: StateSpec) -> list[Diagnostic]:
    """Keys ending in `.$` take a JSONPath (`$...`, `$$...`) or an intrinsic function (`States.Format(...)`)."""
    found: list[Diagnostic] = []
    fields: list[tuple[tuple[Any, ...], Any]] = [(("payload",), state.payload), (("message",), state.message)]
    if state.map is not None:
        fields.append((("map", "item"), state.map.item))
    for path, value in fields:
        found += _dollar_keys(source, here + path, value)
    return found


def _dollar_keys(source: SourceFile, path: tuple[Any, ...], value: Any) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).endswith(".$") and not (isinstance(item, str) and item.startswith(("$", "States."))):
                found.append(source.diagnostic(
                    "E225", path + (key,), f"'{key}' ends in `.$`, so its value must be a path like `$.order` or "
                    "an intrinsic function like `States.Format(...)`",
                    "drop `.$` from the key to pass the value as it is"))
            else:
                found += _dollar_keys(source, path + (key,), item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _dollar_keys(source, path + (index,), item)
    return found


def _unique(source: SourceFile, base: tuple[Any, ...], states: dict[str, StateSpec]) -> list[Diagnostic]:
    """Step Functions requires state names to be unique across the state machine, branches included."""
    from specc.kinds.workflows import walk

    first: dict[str, tuple[Any, ...]] = {}
    found = []
    for path, name, _ in walk(states):
        if name in first:
            found.append(source.diagnostic(
                "E224", base + path, f"state name '{name}' is already used at "
                f"{'.'.join(str(p) for p in base + first[name])}",
                "Step Functions needs state names unique across the workflow, its branches included: rename one",
                at_key=True))
        else:
            first[name] = path
    return found
