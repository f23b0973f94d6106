"""The states of a workflow as the spec writes them: one key says what a state does, the rest tune it.

A state is a mapping with exactly one *type key* (`task`, `publish`, `choice`, `parallel`, `map`, `wait`,
`pass`, `succeed`, `fail`) and the fields that type accepts (`next`, `retry`, `catch`, `result_path`...).
A state without `next` ends the workflow (or its branch), so the common case needs no `end: true`.
These models check the shape of one state; how states connect (unknown or unreachable states, loops
without an exit, names used twice) is checked over the whole workflow by `checks/workflows.py`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from specc.language.types import Name, SpecModel

# A JSONPath into the state's input (`$.order.total`), or the context object (`$$.Execution.Name`).
Path = Annotated[str, StringConstraints(pattern=r"^\$", min_length=1, max_length=512),
                 Field(description="A JSONPath such as `$.order.total` (or `$$.Execution.Name` for the context "
                                   "object).", examples=["$.order"])]
ErrorName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.]*$", max_length=256),
                      Field(description="An error name: `States.ALL`, `States.TaskFailed`, `States.Timeout`, "
                                        "`Lambda.ServiceException`, or the exception class a function raises.",
                            examples=["States.TaskFailed"])]
StateName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=80),
                      Field(description="A state name from the same `states` mapping.", examples=["charge"])]


class Retrier(SpecModel):
    """Retry the state when it fails with one of `errors`: wait, then multiply the wait after each attempt."""

    errors: list[ErrorName] = Field(min_length=1, description="Errors this retrier handles (`States.ALL`: any, "
                                    "alone and in the last retrier).", examples=[["States.TaskFailed"]])
    interval_seconds: int = Field(1, ge=1, le=99_999_999, description="Seconds before the first retry.",
                                  examples=[2])
    max_attempts: int = Field(3, ge=0, le=99_999_999, description="Retries at most (0: never retry these errors).",
                              examples=[3])
    backoff_rate: float = Field(2.0, ge=1.0, le=99_999_999, description="Multiplier of the wait after each "
                                "attempt.", examples=[2.0])
    max_delay_seconds: int | None = Field(None, ge=1, le=31_622_400, description="Cap on the wait between "
                                          "attempts.", examples=[60])
    jitter: Literal["full", "none"] | None = Field(None, description="`full` randomises each wait (spreads "
                                                   "retries of many executions).", examples=["full"])


class Catcher(SpecModel):
    """When the state fails with one of `errors` (after its retries), go to `next` instead of failing."""

    errors: list[ErrorName] = Field(min_length=1, description="Errors this catcher handles (`States.ALL`: any, "
                                    "alone and in the last catcher).", examples=[["States.ALL"]])
    next: StateName = Field(description="The state to go to.", examples=["handle_error"])
    result_path: Path | None = Field(None, description="Where the error output (`Error`, `Cause`) goes in the "
                                     "state's input; default: it replaces the input.", examples=["$.error"])


class ChoiceCondition(SpecModel):
    """A test on the state's input: one comparison on `variable`, or `and` / `or` / `not` of other tests."""

    variable: Path | None = Field(None, description="The value the comparison reads.",
                                  examples=["$.validation.is_valid"])
    string_equals: str | None = Field(None, description="The value is this string.", examples=["premium"])
    string_matches: str | None = Field(None, description="The value matches this pattern (`*` is a wildcard).",
                                       examples=["*.json"])
    string_less_than: str | None = Field(None, description="The value sorts before this string.", examples=["m"])
    string_greater_than: str | None = Field(None, description="The value sorts after this string.", examples=["m"])
    numeric_equals: float | None = Field(None, description="The value is this number.", examples=[0])
    numeric_less_than: float | None = Field(None, description="The value is below this number.", examples=[100])
    numeric_less_than_equals: float | None = Field(None, description="The value is at most this number.",
                                                   examples=[100])
    numeric_greater_than: float | None = Field(None, description="The value is above this number.",
                                               examples=[1000])
    numeric_greater_than_equals: float | None = Field(None, description="The value is at least this number.",
                                                      examples=[1000])
    boolean_equals: bool | None = Field(None, description="The value is this boolean.", examples=[True])
    timestamp_equals: str | None = Field(None, description="The value is this RFC 3339 timestamp.",
                                         examples=["2026-01-01T00:00:00Z"])
    timestamp_less_than: str | None = Field(None, description="The value is before this timestamp.",
                                            examples=["2026-01-01T00:00:00Z"])
    timestamp_greater_than: str | None = Field(None, description="The value is after this timestamp.",
                                               examples=["2026-01-01T00:00:00Z"])
    is_present: bool | None = Field(None, description="The field exists (`true`) or not (`false`).",
                                    examples=[True])
    is_null: bool | None = Field(None, description="The value is null.", examples=[False])
    is_numeric: bool | None = Field(None, description="The value is a number.", examples=[True])
    is_string: bool | None = Field(None, description="The value is a string.", examples=[True])
    is_boolean: bool | None = Field(None, description="The value is a boolean.", examples=[True])
    is_timestamp: bool | None = Field(None, description="The value is an RFC 3339 timestamp.", examples=[True])
    and_: list[ChoiceCondition] | None = Field(None, alias="and", min_length=1,
                                               description="Every one of these tests holds.",
                                               examples=[[{"variable": "$.paid", "boolean_equals": True},
                                                          {"variable": "$.total", "numeric_less_than": 1000}]])
    or_: list[ChoiceCondition] | None = Field(None, alias="or", min_length=1,
                                              description="At least one of these tests holds.",
                                              examples=[[{"variable": "$.tier", "string_equals": "gold"},
                                                         {"variable": "$.total", "numeric_greater_than": 1000}]])
    not_: ChoiceCondition | None = Field(None, alias="not", description="This test does not hold.")

    @model_validator(mode="after")
    def _one_test(self) -> ChoiceCondition:
        comparisons = comparisons_of(self)
        combinators = [n for n in COMBINATORS if getattr(self, n) is not None]
        if self.variable is not None:
            if len(comparisons) != 1 or combinators:
                raise ValueError("a rule with `variable` needs exactly one comparison (like `string_equals` or "
                                 f"`is_present`), not {_listing(comparisons + combinators) or 'none'}")
        elif comparisons:
            raise ValueError(f"`{comparisons[0]}` compares `variable`, which is missing")
        elif len(combinators) != 1:
            raise ValueError("a rule needs a `variable` and one comparison, or exactly one of `and`, `or`, `not`")
        return self


class ChoiceRule(ChoiceCondition):
    """A test and the state to go to when it holds; the first rule that holds wins."""

    next: StateName = Field(description="The state to go to when the test holds.", examples=["process"])


OPERATORS: tuple[str, ...] = tuple(n for n in ChoiceCondition.model_fields
                                   if n not in ("variable", "and_", "or_", "not_"))
COMBINATORS = ("and_", "or_", "not_")


def comparisons_of(condition: ChoiceCondition) -> list[str]:
    return [name for name in OPERATORS if getattr(condition, name) is not None]


class Branch(SpecModel):
    """States that run on their own (a branch of `parallel`, the iterator of `map`): they reach only each other."""

    start: StateName = Field(description="The first state.", examples=["process_batch"])
    states: dict[StateName, StateSpec] = Field(min_length=1, description="The branch's states by name.")


class MapSpec(SpecModel):
    """Run `iterator` once for every item of the array at `items_path`."""

    items_path: Path = Field("$", description="The array to iterate over.", examples=["$.items"])
    max_concurrency: int = Field(0, ge=0, le=10_000, description="Items processed at once (0: as many as "
                                 "Step Functions allows, up to 40).", examples=[5])
    item: dict[str, Any] | None = Field(None, description="What each iteration receives (ASL `ItemSelector`); "
                                        "keys ending in `.$` take a path (`$$.Map.Item.Value` is the item).",
                                        examples=[{"order_id.$": "$.order_id", "line.$": "$$.Map.Item.Value"}])
    iterator: Branch = Field(description="The states run for each item.")


class WaitSpec(SpecModel):
    """Pause for a number of seconds or until a time: exactly one field."""

    seconds: int | None = Field(None, ge=0, le=99_999_999, description="Seconds to wait.", examples=[30])
    seconds_path: Path | None = Field(None, description="Where the input holds the seconds to wait.",
                                      examples=["$.delay"])
    timestamp: str | None = Field(None, pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$",
                                  description="Wait until this RFC 3339 time.", examples=["2026-12-31T23:59:59Z"])
    timestamp_path: Path | None = Field(None, description="Where the input holds the time to wait for.",
                                        examples=["$.not_before"])

    @model_validator(mode="after")
    def _exactly_one(self) -> WaitSpec:
        if len(self.model_fields_set) != 1:
            raise ValueError("a wait takes exactly one of `seconds`, `seconds_path`, `timestamp`, `timestamp_path`")
        return self


class PassSpec(SpecModel):
    """Pass the input on, optionally with a fixed `result` put at `result_path`."""

    result: Any = Field(None, description="A fixed value to output (at `result_path`, default: instead of the "
                        "input).", examples=[{"status": "accepted"}])


class FailSpec(SpecModel):
    """Stop the workflow as failed, with an error name and a cause (what the failure alarm reports)."""

    error: ErrorName = Field(description="The error name the execution fails with.", examples=["OrderRejected"])
    cause: str = Field("", max_length=32_768, description="A human-readable cause.",
                       examples=["the order failed validation"])


TYPE_KEYS = ("task", "publish", "choice", "parallel", "map", "wait", "pass_", "succeed", "fail")
# What each type of state accepts beside its type key and `comment`.
ALLOWED: dict[str, frozenset[str]] = {
    "task": frozenset({"next", "payload", "input_path", "result_path", "output_path", "timeout_seconds", "retry",
                       "catch"}),
    "publish": frozenset({"next", "message", "input_path", "result_path", "output_path", "timeout_seconds",
                          "retry", "catch"}),
    "choice": frozenset({"default", "input_path", "output_path"}),
    "parallel": frozenset({"next", "input_path", "result_path", "output_path", "retry", "catch"}),
    "map": frozenset({"next", "input_path", "result_path", "output_path", "retry", "catch"}),
    "wait": frozenset({"next", "input_path", "output_path"}),
    "pass_": frozenset({"next", "input_path", "result_path", "output_path"}),
    "succeed": frozenset({"input_path", "output_path"}),
    "fail": frozenset(),
}


def yaml_name(field: str) -> str:
    """The spec spelling of a field (`pass_` is written `pass`)."""
    return field.rstrip("_")


def _listing(names: list[str]) -> str:
    return ", ".join(f"`{yaml_name(n)}`" for n in names)


class StateSpec(SpecModel):
    """One state: exactly one of `task`, `publish`, `choice`, `parallel`, `map`, `wait`, `pass`, `succeed`,
    `fail`, and the fields that type accepts. Without `next`, a state ends the workflow (or its branch)."""

    comment: str = Field("", max_length=1024, description="Shown in the Step Functions console.",
                         examples=["Charge the customer's card"])
    task: Name | None = Field(None, description="Invoke this function (from `functions`) with the state's input "
                              "(or `payload`); its return value is the result.", examples=["validate_order"])
    publish: Name | None = Field(None, description="Publish to this topic (from `topics`): the state's input, or "
                                 "`message`.", examples=["alerts"])
    choice: list[ChoiceRule] | None = Field(None, min_length=1, description="Rules tried in order; the first that "
                                            "holds names the next state, else `default`.",
                                            examples=[[{"variable": "$.valid", "boolean_equals": True,
                                                        "next": "charge"}]])
    parallel: list[Branch] | None = Field(None, min_length=1, description="Branches run at the same time; the "
                                          "result is the list of their outputs.",
                                          examples=[[{"start": "charge", "states": {"charge": {"task": "charge"}}},
                                                     {"start": "reserve", "states": {"reserve": {"task": "reserve"}}}]])
    map: MapSpec | None = Field(None, description="Run an iterator for each item of an array.")
    wait: WaitSpec | None = Field(None, description="Pause.")
    pass_: PassSpec | None = Field(None, alias="pass", description="Pass the input on (optionally with a fixed "
                                   "`result`): `pass: {}`.")
    succeed: Literal[True] | None = Field(None, description="`succeed: true` ends the workflow successfully.",
                                          examples=[True])
    fail: FailSpec | None = Field(None, description="End the workflow as failed.")
    next: StateName | None = Field(None, description="The state that follows; without it the state ends the "
                                   "workflow (or its branch).", examples=["charge"])
    default: StateName | None = Field(None, description="Choice only: the state when no rule holds (without it "
                                      "the execution fails with States.NoChoiceMatched).", examples=["reject"])
    payload: dict[str, Any] | None = Field(None, description="Task only: what the function receives instead of the "
                                           "whole input (ASL `Parameters`); keys ending in `.$` take a path.",
                                           examples=[{"action": "validate", "order.$": "$.order"}])
    message: Any = Field(None, description="Publish only: the message (text, or a mapping sent as JSON; keys "
                         "ending in `.$` take a path); default: the state's input.",
                         examples=[{"status": "FAILED", "execution.$": "$$.Execution.Name"}])
    input_path: Path | None = Field(None, description="The part of the input the state reads.",
                                    examples=["$.order"])
    result_path: Path | None = Field(None, description="Where the result goes in the input (default: it replaces "
                                     "the input).", examples=["$.validation"])
    output_path: Path | None = Field(None, description="The part of the result passed on.",
                                     examples=["$.validation"])
    timeout_seconds: int | None = Field(None, ge=1, le=99_999_999, description="Fail the state with "
                                        "States.Timeout after this many seconds.", examples=[60])
    retry: list[Retrier] = Field(default_factory=list, description="Retriers tried in order.")
    catch: list[Catcher] = Field(default_factory=list, description="Catchers tried in order, after the retries.")

    @model_validator(mode="after")
    def _one_type_and_its_fields(self) -> StateSpec:
        types = [key for key in TYPE_KEYS if getattr(self, key) is not None]
        if len(types) != 1:
            raise ValueError("a state needs exactly one of `task`, `publish`, `choice`, `parallel`, `map`, `wait`, "
                             f"`pass`, `succeed`, `fail`; this one has {_listing(types) or 'none'}")
        kind = types[0]
        extra = sorted(self.model_fields_set - ALLOWED[kind] - {kind, "comment"})
        if extra:
            allowed = sorted(ALLOWED[kind])
            raise ValueError(f"{_listing(extra)} does not apply to a {yaml_name(kind)} state"
                             + (f" (it takes {_listing(allowed)})" if allowed else " (it takes only `comment`)"))
        return self

    def type(self) -> str:
        return next(yaml_name(key) for key in TYPE_KEYS if getattr(self, key) is not None)

    def branches(self) -> list[tuple[tuple[Any, ...], Branch]]:
        """Nested branches, each with its path relative to this state."""
        if self.parallel is not None:
            return [(("parallel", index), branch) for index, branch in enumerate(self.parallel)]
        if self.map is not None:
            return [(("map", "iterator"), self.map.iterator)]
        return []

    def successors(self) -> list[tuple[tuple[Any, ...], str]]:
        """States this one can go to, each with the path of the field that names it."""
        found: list[tuple[tuple[Any, ...], str]] = []
        if self.next is not None:
            found.append((("next",), self.next))
        if self.default is not None:
            found.append((("default",), self.default))
        for index, rule in enumerate(self.choice or []):
            found.append((("choice", index, "next"), rule.next))
        for index, catcher in enumerate(self.catch):
            found.append((("catch", index, "next"), catcher.next))
        return found

    def terminal(self) -> bool:
        """Ends its workflow or branch: succeed, fail, or any state but a choice that names no `next`."""
        return self.type() in ("succeed", "fail") or (self.type() != "choice" and self.next is None)


# Branch, ChoiceCondition and ChoiceRule refer to classes defined after them: SpecModel defers building, and
# pydantic resolves those names at the first validation (an eager model_rebuild() here cost 20 ms per process).
