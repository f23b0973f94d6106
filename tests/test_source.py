"""The loader: spans, and hostile or broken input always gives a located SpecError, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specc.language import source as source_module
from specc.language.diagnostics import Position, SpecError
from specc.language.source import MAX_BYTES, MAX_DEPTH, MAX_VALUES, loads
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


SPECC = Path(sys.executable).parent / "specc"


def _run_specc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process: a crash in the C YAML code shows as exit 139, not as a dead pytest."""
    return subprocess.run([str(SPECC), *args], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("text, where", [
    ("specc: 1\ntags: " + "[" * 30_000 + "]" * 30_000 + "\n", "spec.yaml:2:"),  # 60 KB: segfaulted the composer
    ("specc: 1\ntags: " + "{a: " * 30_000 + "}" * 30_000 + "\n", "spec.yaml:2:"),
    ("- " * 1_000_000 + "x\n", "spec.yaml:1:"),  # block sequences, all on one line
    ("".join(" " * i + f"k{i}:\n" for i in range(2_500)), "spec.yaml:65:65 "),  # block mappings, one per line
], ids=["flow_sequences", "flow_mappings", "block_sequences", "block_mappings"])
def test_deep_nesting_is_a_located_error_not_a_crash(tmp_path: Path, text: str, where: str) -> None:
    (tmp_path / "spec.yaml").write_text(text)
    for command in ("validate", "compile"):
        result = _run_specc(command, "spec.yaml", cwd=tmp_path)
        assert result.returncode == 1, (result.returncode, result.stderr[-300:])
        assert result.stderr.startswith(where) and " E005 " in result.stderr, result.stderr[:300]
        assert f"nests deeper than {MAX_DEPTH} levels" in result.stderr


def test_nesting_within_the_safe_bound_skips_the_event_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ordinary specs never pay for the walk; deep ones are found by it (at the first level past MAX_DEPTH)."""
    walked: list[str] = []
    monkeypatch.setattr(source_module, "_refuse_deep_nesting", lambda text, shown: walked.append(shown))
    loads(b"a: {b: [1, 2]}\n", display="plain.yaml")
    assert walked == []
    with pytest.raises(SpecError):
        loads(("a: " + "[" * 6_000 + "]" * 6_000).encode(), display="deep.yaml")  # the builder's check, after
    assert walked == ["deep.yaml"]


def test_dev_zero_and_huge_files_are_refused_before_being_read_whole(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as stream:  # sparse: 64 GiB that would take the machine's memory if read whole
        stream.truncate(64 * 1024**3)
    for path in ("/dev/zero", str(huge)):
        result = _run_specc("validate", path, cwd=tmp_path)
        assert result.returncode == 1, (result.returncode, result.stderr[-300:])
        assert result.stderr.splitlines()[0] == (f"{path}:1:1 E005 the spec is more than the {MAX_BYTES} bytes "
                                                 "allowed (split the service into several specs)")
