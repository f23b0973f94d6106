"""Failures injected in the middle of a compile leave the previous output exactly as it was.

tests/test_cli.py already fails the second file write. These fail the other places a compile can stop: while
building (a bug: exit 70), at the swap itself (the directory rename), and on an interrupt while writing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from specc.build import iam
from specc.cli.app import main
from specc.output import emit

SPEC = """
specc: 1
service: hello
environment: dev
regions: [eu-west-1]
functions:
  first: {handler: handlers/app.py:handler}
  second: {handler: handlers/app.py:handler}
"""


@pytest.fixture
def compiled_once(runner, write_spec, tmp_path):
    spec = write_spec(SPEC)
    out = tmp_path / "out"
    assert runner.invoke(main, ["compile", str(spec), "--out", str(out)]).exit_code == 0
    spec.write_text(spec.read_text().replace("environment: dev", "environment: prod"))  # the next compile differs
    return spec, out, snapshot(out)


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def test_a_crash_while_building_is_an_internal_error_and_writes_nothing(runner, compiled_once, monkeypatch) -> None:
    spec, out, before = compiled_once
    reached = []

    def crash(ctx):  # the IAM pass runs between the kinds and the keys: the template is half built
        reached.append(sorted(ctx.template.resources))
        raise RuntimeError("injected in the middle of the build")

    monkeypatch.setattr(iam, "attach", crash)
    result = runner.invoke(main, ["compile", str(spec), "--out", str(out)])
    assert reached and "FirstFunction" in reached[0] and "MainKey" not in reached[0]
    assert result.exit_code == 70 and "internal error: RuntimeError" in result.output
    assert "Traceback" not in result.output
    assert snapshot(out) == before and leftovers(out) == []


def test_a_failed_swap_puts_the_previous_output_back(runner, compiled_once, monkeypatch) -> None:
    spec, out, before = compiled_once
    real_rename, renames = os.rename, []

    def failing_rename(source, target):
        renames.append((Path(source).name, Path(target).name))
        if len(renames) == 2:  # out -> backup done; staging -> out fails
            raise OSError(5, "Input/output error", str(target))
        return real_rename(source, target)

    monkeypatch.setattr(emit.os, "rename", failing_rename)
    result = runner.invoke(main, ["compile", str(spec), "--out", str(out)])
    assert result.exit_code == 4 and "Input/output error" in result.output
    assert renames[0][0] == "out" and renames[1][1] == "out" and renames[2][0].startswith(".out.old-")
    assert snapshot(out) == before and leftovers(out) == []


def test_an_interrupt_while_writing_removes_the_staging_directory(tmp_path, monkeypatch) -> None:
    out = tmp_path / "out"
    emit.write_atomically({"a.json": b"{}", "b.json": b"{}"}, out)
    before = snapshot(out)
    real_open, opened = open, []

    def interrupted_open(path, mode="r", *args, **kwargs):
        if "w" in mode:
            opened.append(path)
            if len(opened) == 2:
                raise KeyboardInterrupt
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(emit, "open", interrupted_open, raising=False)
    with pytest.raises(KeyboardInterrupt):
        emit.write_atomically({"a.json": b"[1]", "b.json": b"[2]"}, out)
    assert snapshot(out) == before and leftovers(out) == []
