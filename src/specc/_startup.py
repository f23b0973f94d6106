"""Keep process start-up short: a compile of a few hundred resources is dominated by imports, not by compiling.

- pydantic scans every installed package's entry points for plugins on first use; specc uses none, and
  pydantic's documented PYDANTIC_DISABLE_PLUGINS switch skips the scan (about 20 ms here).
- Two modules are imported by our dependencies but never used by a compile: pydantic's plugin loader imports
  `importlib.metadata` (14 ms) even when plugins are off, and troposphere imports `cfn_flip` (its YAML
  converter, 9 ms beyond PyYAML) at the top for `Template.to_yaml`, which specc does not call. Each is
  registered as a module whose code runs when one of its names is first read (a PEP 562 module
  `__getattr__`), so every use still works as before. importlib.util.LazyLoader would load them at once:
  the import statement reads `__spec__`, which LazyLoader treats as a use.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Any

DEFERRED = ("importlib.metadata", "cfn_flip")


def prepare() -> None:
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    for name in DEFERRED:
        defer(name)


def defer(name: str) -> None:
    """Register `name` so that importing it is free and its code runs when one of its names is first read."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:  # not installed: leave the import to fail where it is written
        return
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def load(attribute: str) -> Any:
        del module.__dict__["__getattr__"]
        loader.exec_module(module)
        return getattr(module, attribute)

    module.__getattr__ = load  # type: ignore[method-assign]
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
