"""Bad input never gets through: generated malformed and hostile specs each end in located diagnostics and no
output, valid variations compile completely, and nothing ever gives a traceback (tests/bad_specs.py).

2,100 examples in all (slow: CI runs them); `bench/soak.py` runs the same generators for much longer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/bad_specs.py (pytest runs with importlib mode)
from bad_specs import (
    BASE,
    GOLDEN_BASES,
    MALFORMED,
    MAY_FIT,
    MAY_STILL_COMPILE,
    Replacement,
    code_outside,
    compile_fresh,
    golden_wrong_type_case,
    odd_names,
    reference_cycle,
    render,
    secret_in_clear,
    text_level_case,
    unknown_field,
    unknown_reference,
    valid_variation,
    wrong_type_case,
)

pytestmark = pytest.mark.slow
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                database=None)


def test_the_base_spec_compiles() -> None:
    assert compile_fresh(render(BASE)).exit_code == 0


def _refused_when_clearly_wrong(case: Replacement) -> None:
    """compile_fresh checks the invariant (a complete output, or located errors only); a replacement no field
    takes must be refused. Others (a string for a string) may still be valid."""
    outcome = compile_fresh(case.raw)
    if case.clearly_wrong():
        assert outcome.exit_code == 1 and outcome.codes, (case.original, case.value, outcome)


@settings(FUZZ, max_examples=600)
@given(case=wrong_type_case())
def test_wrong_types_are_located_errors(case: Replacement) -> None:
    _refused_when_clearly_wrong(case)


def test_every_golden_spec_compiles_as_a_base_for_mutations() -> None:
    assert len(GOLDEN_BASES) >= 10
    assert [compile_fresh(render(base)).exit_code for base in GOLDEN_BASES] == [0] * len(GOLDEN_BASES)


@settings(FUZZ, max_examples=300)
@given(case=golden_wrong_type_case())
def test_wrong_types_in_every_kind_are_located_errors(case: Replacement) -> None:
    _refused_when_clearly_wrong(case)


@settings(FUZZ, max_examples=250)
@given(raw=unknown_field())
def test_unknown_fields_are_refused(raw: bytes) -> None:
    outcome = compile_fresh(raw)
    assert outcome.exit_code == 1 and "E101" in outcome.codes


@settings(FUZZ, max_examples=150)
@given(raw=unknown_reference())
def test_unknown_references_are_refused(raw: bytes) -> None:
    outcome = compile_fresh(raw)
    assert outcome.exit_code == 1 and set(outcome.codes) & {"E201", "E203", "E102"}


@settings(FUZZ, max_examples=40)
@given(raw=code_outside())
def test_code_outside_the_project_is_refused(raw: bytes) -> None:
    outcome = compile_fresh(raw)
    assert outcome.exit_code == 1 and set(outcome.codes) <= {"E250", "E251", "E252"} and outcome.codes, outcome


@settings(FUZZ, max_examples=60)
@given(case=secret_in_clear())
def test_credentials_in_clear_are_refused_and_never_echoed(case: tuple[str, bytes]) -> None:
    secret, raw = case
    outcome = compile_fresh(raw)
    assert outcome.codes == ("E254",) and secret[4:] not in outcome.output, outcome


@settings(FUZZ, max_examples=30)
@given(raw=reference_cycle())
def test_reference_cycles_are_refused(raw: bytes) -> None:
    assert compile_fresh(raw).codes == ("E232",)


@settings(FUZZ, max_examples=500)
@given(case=text_level_case())
def test_hostile_yaml_is_one_located_error(case: tuple[str, bytes]) -> None:
    kind, raw = case
    outcome = compile_fresh(raw)
    if kind not in MAY_STILL_COMPILE:
        assert outcome.exit_code == 1 and outcome.codes, (kind, outcome)
        if not (kind == "garbage" and _reads_as_mapping(raw)):  # `(:` is a mapping: an unknown field, missing ones
            assert len(outcome.codes) == 1, (kind, outcome)


def _reads_as_mapping(raw: bytes) -> bool:
    try:
        return isinstance(yaml.safe_load(raw), dict)
    except (yaml.YAMLError, ValueError):
        return False


@settings(FUZZ, max_examples=250)
@given(case=odd_names())
def test_long_and_non_ascii_names_are_refused_where_aws_refuses_them(case: tuple[str, bytes]) -> None:
    where, raw = case
    outcome = compile_fresh(raw)
    if where not in MAY_FIT:
        assert outcome.exit_code == 1 and set(outcome.codes) & {"E102", "E104", "E301"}, outcome


@settings(FUZZ, max_examples=120)
@given(raw=valid_variation())
def test_valid_variations_compile_completely(raw: bytes) -> None:
    assert compile_fresh(raw).exit_code == 0


@settings(FUZZ, max_examples=200)
@given(raw=MALFORMED)
def test_any_malformed_spec_never_crashes(raw: bytes) -> None:
    compile_fresh(raw)


@settings(FUZZ, max_examples=150)
@given(service=st.from_regex(r"[a-z][a-z0-9]{0,23}[a-z0-9]", fullmatch=True),
       environment=st.from_regex(r"[a-z][a-z0-9]{0,9}", fullmatch=True),
       function=st.from_regex(r"[a-z][a-z0-9_]{0,39}", fullmatch=True))
def test_physical_names_past_aws_limits_are_refused_at_the_entry(service: str, environment: str,
                                                                  function: str) -> None:
    """Entry, service and environment names are each valid; together they may pass AWS's limits (a function name
    is at most 64 characters, its dead-letter queue's 80): E301 exactly then, at the entry."""
    spec = {"specc": 1, "service": service, "environment": environment, "regions": ["eu-west-1"],
            "functions": {function: {"handler": "handlers/app.py:handler"}},
            "events": {function: {"schedule": "rate(5 minutes)", "function": function}}}  # a rule name: 64 too
    physical = f"{service}-{function}-{environment}".replace("_", "-")
    outcome = compile_fresh(render(spec))
    if len(physical) > 64:
        assert outcome.codes == ("E301",), (physical, outcome)
    else:
        assert outcome.exit_code == 0, (physical, outcome)


def test_entries_that_map_to_one_logical_id_are_located_errors() -> None:
    """Found by the soak: `a` and `a_` both become `AFunction...`; their outputs clashed before E302 was reported."""
    spec = {"specc": 1, "service": "sv", "environment": "dev", "regions": ["eu-west-1"],
            "functions": {"a": {"handler": "handlers/app.py:handler"}, "a_": {"handler": "handlers/app.py:handler"}}}
    assert compile_fresh(render(spec)).codes == ("E302",)
