"""Shared fixtures: the repository root, click's runner, and small specs written to temp dirs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


MINIMAL_SPEC = """
specc: 1
service: hello
environment: dev
regions: [eu-west-1]
functions:
  greet:
    handler: handlers/app.py:handler
"""


@pytest.fixture
def minimal_spec() -> str:
    """The smallest spec that compiles: one function; write it with `write_spec`, which adds its handler."""
    return MINIMAL_SPEC


@pytest.fixture
def write_spec(tmp_path: Path):
    """Write a spec (and empty handler files for every `handler:` it names) into a temp project."""

    def write(text: str, name: str = "spec.yaml", handlers: tuple[str, ...] = ("handlers/app.py",)) -> Path:
        for handler in handlers:
            path = tmp_path / handler
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("def handler(event, context):\n    return {}\n")
        spec = tmp_path / name
        spec.write_text(textwrap.dedent(text).lstrip())
        return spec

    return write
