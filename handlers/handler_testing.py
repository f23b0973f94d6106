"""Test support shared by the handler folders' tests (never shipped: each function's zip is its own folder).

Handlers import their siblings as top-level modules (`import common`), exactly as in the Lambda zip, and several
folders ship modules with the same names, so a test imports one folder's modules fresh and puts back what was there.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace


@contextmanager
def handler_modules(handler_dir: Path, modules: tuple[str, ...]) -> Iterator[SimpleNamespace]:
    saved = {name: sys.modules.pop(name) for name in modules if name in sys.modules}
    sys.path.insert(0, str(handler_dir))
    importlib.invalidate_caches()
    try:
        yield SimpleNamespace(**{name: importlib.import_module(name) for name in modules})
    finally:
        for name in modules:
            sys.modules.pop(name, None)
        sys.modules.update(saved)
        sys.path.remove(str(handler_dir))
