"""The `specc` command: `app` holds the group and its shared error handling; each module beside it registers one
group of commands. Only this package prints, reads the terminal or chooses exit codes."""

from specc.cli import graph, local, ship, tools  # noqa: F401  (each registers its commands on `main`)
from specc.cli.app import main

__all__ = ["main"]
