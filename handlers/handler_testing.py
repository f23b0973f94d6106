"""Test support shared by the handler folders' tests (never shipped: each function's zip is its own folder, and
the shared code is the `common` layer, handlers/layers/common).

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


# The layers' modules (handlers/layers/<name>/), imported fresh with each folder's own: Lambda puts /opt/python
# (the layers) on sys.path after /var/task (the function's zip), so they come after the handler folder here too.
LAYERS = Path(__file__).resolve().parent / "layers"
LAYER_MODULES = ("service_common",)


@contextmanager
def handler_modules(handler_dir: Path, modules: tuple[str, ...]) -> Iterator[SimpleNamespace]:
    fresh = modules + LAYER_MODULES
    saved = {name: sys.modules.pop(name) for name in fresh if name in sys.modules}
    layer_dirs = [str(layer) for layer in sorted(LAYERS.iterdir()) if layer.is_dir()]
    sys.path[0:0] = [str(handler_dir), *layer_dirs]
    importlib.invalidate_caches()
    try:
        yield SimpleNamespace(**{name: importlib.import_module(name) for name in modules})
    finally:
        for name in fresh:
            sys.modules.pop(name, None)
        sys.modules.update(saved)
        for path in (str(handler_dir), *layer_dirs):
            sys.path.remove(path)
