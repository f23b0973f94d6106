"""Each function's handler file and code directory exist, and its environment does not clash with specc's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from specc.diagnostics import Diagnostic
from specc.kinds import BY_SECTION
from specc.naming import env_var_name
from specc.source import SourceFile

ID = "E206"
DESCRIPTION = "handler files exist inside their code directory; environment variables do not shadow injected ones"


def code_root(spec: Any, source: SourceFile) -> Path:
    return (source.path.parent / spec.code_root).resolve()


def locate(spec: Any, source: SourceFile, function: Any) -> tuple[Path, Path, str]:
    """(code directory, handler file, handler function) of a function spec."""
    root = code_root(spec, source)
    file_part, function_name = function.handler.rsplit(":", 1)
    handler_file = (root / file_part).resolve()
    code_dir = (root / function.code).resolve() if function.code else handler_file.parent
    return code_dir, handler_file, function_name


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    for name, function in spec.functions.items():
        code_dir, handler_file, _ = locate(spec, source, function)
        if not handler_file.is_file():
            found.append(source.diagnostic(ID, ("functions", name, "handler"),
                                           f"handler file {handler_file} does not exist",
                                           f"paths are relative to code_root ({code_root(spec, source)})"))
        elif not code_dir.is_dir():
            found.append(source.diagnostic(ID, ("functions", name, "code"), f"code directory {code_dir} does not exist",
                                           "name a directory that contains the handler file"))
        elif code_dir not in handler_file.parents:
            found.append(source.diagnostic(ID, ("functions", name, "handler"),
                                           f"the handler file is outside the code directory {code_dir}",
                                           "the zip holds only the code directory"))
        injected = {"SERVICE", "ENVIRONMENT"} | {
            env_var_name(BY_SECTION[section].singular, target)
            for section, entries in function.uses.items() if section in BY_SECTION for target in entries}
        for variable in sorted(set(function.environment) & injected):
            found.append(source.diagnostic(ID, ("functions", name, "environment", variable),
                                           f"{variable} is set by specc from `uses` or the service",
                                           "rename the variable", at_key=True))
    return found
