"""Failures injected in the middle of a compile leave the previous output exactly as it was.

tests/test_cli.py already fails the second file write. These fail the other places a compile can stop: while
building (a bug: exit 70), at the swap itself (the directory rename), on an interrupt while writing and while
swapping, on a kill (SIGKILL, in a child process) between the swap's steps; and two compiles overlap.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import threading
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
    """Where the file system cannot exchange two directories, the swap is two renames; the second fails."""
    spec, out, before = compiled_once
    monkeypatch.setattr(emit, "_exchange", lambda first, second: False)
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


OLD = {"a.json": b"old a", "b.json": b"old b"}
NEW = {"a.json": b"new a", "b.json": b"new b", "c.json": b"new c"}


def contents(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


KILLED = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from specc.output import emit

    out, point = Path(sys.argv[1]), sys.argv[2]
    if point == "no_exchange":  # a file system without RENAME_EXCHANGE: two renames
        emit._exchange = lambda first, second: False
    real_rename, real_exchange = os.rename, getattr(emit, "_exchange", None)

    def rename(source, target):  # killed right after the first rename of the output directory
        real_rename(source, target)
        if Path(source) == out:
            os.kill(os.getpid(), signal.SIGKILL)

    def exchange(first, second):  # killed right after the exchange, before the old output is removed
        done = real_exchange(first, second)
        if done:
            os.kill(os.getpid(), signal.SIGKILL)
        return done

    os.rename = rename
    if real_exchange is not None and point != "no_exchange":
        emit._exchange = exchange
    emit.write_atomically({"a.json": b"new a", "b.json": b"new b", "c.json": b"new c"}, out)
""")


@pytest.mark.parametrize("point", ["exchange", "no_exchange"])
def test_a_kill_in_the_middle_of_the_swap_never_loses_the_output(tmp_path, point) -> None:
    out = tmp_path / "out"
    emit.write_atomically(OLD, out)
    child = subprocess.run([sys.executable, "-c", KILLED, str(out), point], capture_output=True, text=True)
    assert child.returncode == -9, child.stderr  # it was killed where it was meant to be
    if point == "exchange":  # one system call: the directory holds the old or the new output, complete
        assert contents(out) == NEW
    else:  # the two-rename fallback: killed between them, the next write puts the backup back first
        assert not out.exists() and sorted(p.name[:9] for p in tmp_path.iterdir()) == [".out.new-", ".out.old-"]
        emit._repair(out)
        assert contents(out) == OLD and leftovers(out) == []
    emit.write_atomically(OLD, out)
    assert contents(out) == OLD and leftovers(out) == []


def _interrupt_after(monkeypatch, target, name: str, calls: int, *, after: bool) -> None:
    """Raise KeyboardInterrupt at the `calls`-th call of target.name, before or after doing the real work."""
    real, seen = getattr(target, name), []

    def interrupted(*args, **kwargs):
        seen.append(args)
        if len(seen) == calls and not after:
            raise KeyboardInterrupt
        result = real(*args, **kwargs)
        if len(seen) == calls:
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(target, name, interrupted)


@pytest.mark.parametrize("exchange, where, holds", [
    (True, "rmtree", "the new output, complete"),  # after the exchange, while the old output is removed
    (False, "rename_done", "the new output, complete"),  # the second rename done: "Directory not empty" before
    (False, "rename_between", "the previous output, unchanged; nothing was written"),  # between the two renames
])
def test_an_interrupt_during_the_swap_says_in_one_line_which_output_is_there(
        runner, compiled_once, monkeypatch, exchange, where, holds) -> None:
    spec, out, before = compiled_once
    if not exchange:
        monkeypatch.setattr(emit, "_exchange", lambda first, second: False)
    if where == "rmtree":
        _interrupt_after(monkeypatch, emit.shutil, "rmtree", 1, after=True)
    else:
        _interrupt_after(monkeypatch, emit.os, "rename", 2, after=where == "rename_done")
    result = runner.invoke(main, ["compile", str(spec), "--out", str(out)])
    monkeypatch.undo()
    assert result.exit_code == 130, (result.exit_code, result.output)
    assert result.output.splitlines() == [f"interrupted: {out} holds {holds}"]
    assert leftovers(out) == []
    if "previous" in holds:
        assert snapshot(out) == before
    else:
        assert snapshot(out) != before and b'"dev"' not in snapshot(out)["manifest.json"]


def test_overlapping_compiles_to_one_directory_take_turns(tmp_path) -> None:
    """Two writers and a reader at once: no writer fails ("Directory not empty" before), the reader never finds
    the directory missing, and the last writer's output is there, whole."""
    out = tmp_path / "out"
    emit.write_atomically(OLD, out)
    errors: list[BaseException] = []
    missing: list[int] = []
    done = threading.Event()
    start = threading.Barrier(3)

    def writer(files: dict[str, bytes]) -> None:
        start.wait()
        try:
            for _ in range(40):
                emit.write_atomically(files, out)
        except BaseException as exc:
            errors.append(exc)

    def reader() -> None:
        start.wait()
        while not done.is_set():
            if not out.is_dir():
                missing.append(1)

    threads = [threading.Thread(target=writer, args=(OLD,)), threading.Thread(target=writer, args=(NEW,))]
    watcher = threading.Thread(target=reader)
    for thread in [*threads, watcher]:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    watcher.join()
    assert errors == [] and missing == []
    assert contents(out) in (OLD, NEW) and leftovers(out) == []


def test_leftover_work_directories_are_removed_and_never_used(runner, compiled_once) -> None:
    spec, out, _ = compiled_once
    for name in (".out.new-abc123", ".out.old-def456"):  # what killed compiles left
        (out.parent / name).mkdir()
        (out.parent / name / "service.json").write_text("stale")
    assert runner.invoke(main, ["compile", str(spec), "--out", str(out)]).exit_code == 0
    assert leftovers(out) == [] and b"stale" not in snapshot(out)["service.json"]


def test_the_output_directory_keeps_its_mode(runner, compiled_once) -> None:
    spec, out, _ = compiled_once
    os.chmod(out, 0o750)
    assert runner.invoke(main, ["compile", str(spec), "--out", str(out)]).exit_code == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o750


def test_a_new_output_directory_gets_the_mode_of_a_plain_mkdir(tmp_path) -> None:
    umask = os.umask(0o022)
    try:
        emit.write_atomically(OLD, tmp_path / "out")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "out").st_mode) == 0o755  # not mkdtemp's 0700
