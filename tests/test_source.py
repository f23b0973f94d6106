"""The loader: spans, and hostile or broken input always gives a located SpecError, never a traceback."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specc.language.diagnostics import Position, SpecError
from specc.language.source import MAX_VALUES, loads
from specc.model.validate import validate


def _codes(raw: bytes | str) -> list[str]:
    with pytest.raises(SpecError) as info:
        validate(loads(raw, display="s.yaml"))
    return [d.code for d in info.value.diagnostics]


def test_spans_point_at_keys_and_values() -> None:
    source = loads(b"a:\n  bb: [1, 2]\n", display="s.yaml")
    assert source.spans.keys[("a", "bb")] == Position(2, 3)
    assert source.spans.values[("a", "bb", 1)] == Position(2, 11)
    assert source.spans.locate(("a", "bb", "missing", "deeper")) == Position(2, 7)


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
              f"*a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    assert _codes("\n".join(lines)) == ["E005"]
    assert MAX_VALUES < 10**8


def test_recursive_alias_is_refused() -> None:
    assert _codes(b"a: &x [*x]\n") == ["E005"]


@pytest.mark.parametrize("raw, code", [
    (b"", "E006"),
    (b"# only a comment\n", "E006"),
    (b"\xff\xfe\x00garbage", "E001"),
    (b"a: b: c\n", "E002"),
    (b"- a\n- b\n", "E102"),
    (b"x: !Ref Something\n", "E004"),
    (b"? [a, b]\n: c\n", "E002"),
    (b"a: 1\n---\nb: 2\n", "E002"),
])
def test_broken_input_is_one_located_error(raw: bytes, code: str) -> None:
    assert _codes(raw)[0] == code


def test_merge_keys_are_supported() -> None:
    source = loads(b"base: &b {memory: 512}\nf:\n  <<: *b\n  timeout: 3\n")
    assert source.data["f"] == {"memory": 512, "timeout": 3}


def test_timestamps_and_yes_no_stay_what_users_typed() -> None:
    source = loads(b"d: 2024-01-01\nkey_yes: yes\n")
    assert source.data == {"d": "2024-01-01", "key_yes": True}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_arbitrary_bytes_never_crash(raw: bytes) -> None:
    try:
        validate(loads(raw, display="fuzz.yaml"))
    except SpecError as exc:
        assert exc.diagnostics
        assert all(d.position.line >= 1 and d.position.column >= 1 for d in exc.diagnostics)
