"""Located diagnostics: every problem in a spec is reported with its file, line and column.

Positions are resolved late (as cfn-lint does): a finding carries the spec path it concerns
(`("functions", "create_payment", "memory")`) and the loader's span map turns it into line:col.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    file: str
    position: Position
    field_path: str = ""
    hint: str = ""
    severity: str = "error"

    def render(self) -> str:
        where = f"{self.file}:{self.position.line}:{self.position.column}"
        subject = f"{self.field_path}: " if self.field_path else ""
        text = f"{where} {self.code} {subject}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return printable(text)

    def sort_key(self) -> tuple:
        return (self.file, self.position, self.code, self.field_path, self.message)


@dataclass
class SpecError(Exception):
    """Raised with every diagnostic found in a stage, so users fix them all in one go."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(d.render() for d in sorted(self.diagnostics, key=Diagnostic.sort_key))


def printable(text: str) -> str:
    """One diagnostic, one line: control characters and line separators a spec smuggled into a name or value are
    shown escaped, so they can neither break the line nor forge another diagnostic in a CI log."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii") for ch in text)


def dotted(path: Iterable[object]) -> str:
    """`("functions", "create_payment", "memory")` -> `functions.create_payment.memory`."""
    parts: list[str] = []
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            text = str(part)
            parts.append(("." if parts else "") + (text if _plain(text) else repr(text)))
    return "".join(parts)


def _plain(text: str) -> bool:
    return bool(text) and all(ch.isalnum() or ch in "_-" for ch in text)
