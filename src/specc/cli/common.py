"""What every command shares: exit codes, turning known errors into diagnostics, and how paths are shown.

Exit codes: 0 clean; 1 the spec has errors; 2 bad command-line usage; 3 lint findings;
4 a file could not be read or written; 70 an internal error (a bug: please report it).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

EXIT_SPEC, EXIT_LINT, EXIT_IO, EXIT_INTERNAL = 1, 3, 4, 70


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from specc.build.dependencies import DependencyError
        from specc.language.diagnostics import SpecError

        try:
            return command(*args, **kwargs)
        except SpecError as exc:
            click.echo(exc.render(), err=True)
            count = len(exc.diagnostics)
            click.echo(f"{count} error{'s' if count != 1 else ''}; nothing was written.", err=True)
            sys.exit(EXIT_SPEC)
        except DependencyError as exc:  # a requirements file pip cannot install for Lambda: the user's to fix
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_SPEC)
        except OSError as exc:
            click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
            sys.exit(EXIT_IO)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug in specc, not in the spec
            if os.environ.get("SPECC_DEBUG"):
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc}\n"
                       "This is a bug in specc; rerun with SPECC_DEBUG=1 for a traceback and report it.", err=True)
            sys.exit(EXIT_INTERNAL)

    return wrapper


spec_argument = click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))


def exit_on_spec_errors(problems: list[Any], fmt: str) -> None:
    """Spec errors go to stderr in text (stdout already holds the machine formats); exit 1 when any."""
    if not problems:
        return
    if fmt == "text":
        from specc.cli import report

        report.output(report.from_diagnostics(problems), fmt, err=True)
        count = len(problems)
        click.echo(f"{count} error{'s' if count != 1 else ''}; nothing was written.", err=True)
    sys.exit(EXIT_SPEC)


def shown(path: Path) -> str:
    """A path as people read it: relative to the working directory when it is below it."""
    return str(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)
