"""Test support shared by the handler folders' tests (never shipped: each function's zip is its own folder).

Handlers import their siblings as top-level modules (`import common`), exactly as in the Lambda zip, and several
folders ship modules with the same names, so a test imports one folder's modules fresh and puts back what was there.
"""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest


def function_environment(monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str], unset: tuple[str, ...]) -> None:
    """Exactly the environment the deployed function sees: `env` set, and `unset` (what the spec does not inject
    here, or the developer's own AWS settings) removed."""
    for name in unset:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def lambda_context(function_name: str = "test-function") -> SimpleNamespace:
    """The parts of Lambda's context object the handlers read."""
    return SimpleNamespace(aws_request_id=str(uuid.uuid4()), function_name=function_name)


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
