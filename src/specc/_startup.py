"""Keep process start-up short: a compile is dominated by imports, not by compiling.

pydantic scans every installed package's entry points for plugins on first use; specc uses none,
and pydantic's documented PYDANTIC_DISABLE_PLUGINS switch skips the scan (about 20 ms here).
"""

from __future__ import annotations

import os


def prepare() -> None:
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
