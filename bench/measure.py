"""How the benchmarks measure: medians of repeated runs, of specc as it runs once installed.

Installed means with its modules' bytecode compiled.

pip compiles a package's bytecode when it installs it. The development install (`pip install -e`) does not, and
with PYTHONDONTWRITEBYTECODE=1 (set on this machine) Python then compiles every specc module again on every
start: about 80 ms of a 0.3 s compile that no installed copy pays. Compiling first (as `make` does) measures
specc, not that setting. A source edited afterwards is still compiled afresh: Python checks each file's mtime.
"""

from __future__ import annotations

import compileall
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SOURCE = Path(__file__).resolve().parent.parent / "src"


def compile_bytecode() -> None:
    if not compileall.compile_dir(str(SOURCE), quiet=1):
        raise SystemExit(f"could not compile the bytecode of {SOURCE}")


def median_seconds(action: Callable[[], Any], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)
