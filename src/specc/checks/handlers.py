"""Each function's handler file and code directory exist, and its environment does not clash with specc's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from specc.build.naming import env_var_name
from specc.kinds import BY_SECTION
from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E206"
DESCRIPTION = "handler files exist inside their code directory; environment variables do not shadow injected ones"


def code_root(spec: Any, source: SourceFile) -> Path:
    return (source.path.parent / spec.code_root).resolve()


def locate(spec: Any, source: SourceFile, function: Any, root: Path | None = None) -> tuple[Path, Path, str]:
    """(code directory, handler file, handler function) of a function spec; `root`: code_root, if resolved."""
    root = root or code_root(spec, source)
    file_part, function_name = function.handler.rsplit(":", 1)
    handler_file = (root / file_part).resolve()
    code_dir = (root / function.code).resolve() if function.code else handler_file.parent
    return code_dir, handler_file, function_name


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    root = code_root(spec, source)  # resolved once: it is a file-system call, and services have thousands of functions
    root_hint = f"paths are relative to code_root '{spec.code_root}', which is relative to the spec file"
    for name, function in spec.functions.items():
        code_dir, handler_file, _ = locate(spec, source, function, root)
        file_part = function.handler.rsplit(":", 1)[0]
        if not handler_file.is_file():
            found.append(source.diagnostic(ID, ("functions", name, "handler"),
                                           f"handler file '{file_part}' does not exist", root_hint))
        elif not code_dir.is_dir():
            found.append(source.diagnostic(ID, ("functions", name, "code"),
                                           f"code directory '{function.code}' does not exist", root_hint))
        elif code_dir not in handler_file.parents:
            found.append(source.diagnostic(ID, ("functions", name, "handler"),
                                           f"handler file '{file_part}' is outside the code directory '{function.code}'",
                                           "the zip holds only the code directory"))
        injected = {"SERVICE", "ENVIRONMENT"} | {
            env_var_name(BY_SECTION[section].singular, target)
            for section, entries in function.uses.items() if section in BY_SECTION for target in entries}
        for variable in sorted(set(function.environment) & injected):
            found.append(source.diagnostic(ID, ("functions", name, "environment", variable),
                                           f"{variable} is set by specc from `uses` or the service",
                                           "rename the variable", at_key=True))
    return found
