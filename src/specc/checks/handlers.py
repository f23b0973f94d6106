"""Each function's handler file and code directory exist, and its environment does not clash with specc's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from specc.build.naming import env_var_name
from specc.checks import containment
from specc.kinds import BY_SECTION
from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E206"
DESCRIPTION = "handler files exist inside their code directory; environment variables do not shadow injected ones"


def code_root(spec: Any, source: SourceFile) -> Path:
    """Relative to the file that wrote it: a base's `code_root` means the same in every environment."""
    root: Path = (source.written_in(("code_root",)).parent / spec.code_root).resolve()
    return root


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
    project = containment.project_of(source.path)  # code never leaves it (checks/containment.py)
    outside = containment.root_problem(spec, source, project, root) if spec.functions else None
    found += [outside] if outside else []
    scanned: dict[Path, list[str]] = {}
    for name, function in spec.functions.items():
        code_dir, handler_file, _ = locate(spec, source, function, root)
        file_part = function.handler.rsplit(":", 1)[0]
        escapes = [] if outside else containment.function_problems(name, function, source, project, code_dir,
                                                                    handler_file, root, scanned)
        if outside or escapes:
            found += escapes
        elif not handler_file.is_file():
            found.append(source.diagnostic(ID, ("functions", name, "handler"),
                                           f"handler file '{file_part}' does not exist", root_hint))
        elif not code_dir.is_dir():
            found.append(source.diagnostic(ID, ("functions", name, "code"),
                                           f"code directory '{function.code}' does not exist", root_hint))
        elif code_dir not in handler_file.parents:
            found.append(source.diagnostic(ID, ("functions", name, "handler"),
                                           f"handler file '{file_part}' is outside the code directory "
                                           f"'{function.code}'",
                                           "the zip holds only the code directory"))
        injected = {"SERVICE", "ENVIRONMENT"} | {
            env_var_name(BY_SECTION[section].singular, target)
            for section, entries in function.uses.items() if section in BY_SECTION for target in entries}
        for variable in sorted(set(function.environment) & injected):
            found.append(source.diagnostic(ID, ("functions", name, "environment", variable),
                                           f"{variable} is set by specc from `uses` or the service",
                                           "rename the variable", at_key=True))
    return found


# --- the handler function itself (E282) ---------------------------------------------------------------------

FUNCTION_ID = "E282"
FUNCTION_DESCRIPTION = ("the handler function exists in its file and is what Lambda can call: handler(event, "
                        "context), not async, not a class or an application object")
# Constructors of web application objects, which are not Lambda handlers: the wrapper that makes one.
_WSGI = "wrap it with apig-wsgi: `from apig_wsgi import make_lambda_handler; handler = make_lambda_handler({app})`"
_ASGI = "wrap it with Mangum: `from mangum import Mangum; handler = Mangum({app})`"
_APPLICATIONS = {
    "Flask": ("Flask", _WSGI), "Bottle": ("Bottle", _WSGI), "get_wsgi_application": ("Django WSGI", _WSGI),
    "API": ("Falcon", _WSGI), "FastAPI": ("FastAPI", _ASGI), "Starlette": ("Starlette", _ASGI),
    "Quart": ("Quart", _ASGI), "Litestar": ("Litestar", _ASGI), "get_asgi_application": ("Django ASGI", _ASGI),
}
_FALCON_APP = ("Falcon", _WSGI)


def check_functions(spec: Any, source: SourceFile) -> list[Diagnostic]:
    """Read each handler file (ast, never imported: importing runs the user's code) for its handler function."""
    found = []
    root = code_root(spec, source)
    project = containment.project_of(source.path)  # a file outside it is E251's, and never read here
    parsed: dict[Path, Any] = {}  # many functions share a file
    # Services of thousands of functions name a few handlers: each (handler, code) is located and judged once.
    judged: dict[tuple[str, str | None], tuple[str, str] | None] = {}
    for name, function in spec.functions.items():
        key = (function.handler, function.code)
        if key not in judged:
            judged[key] = None
            code_dir, handler_file, function_name = locate(spec, source, function, root)
            if (project.holds(root) and project.holds(handler_file) and handler_file.is_file()
                    and code_dir in handler_file.parents):  # else E250-E253 or E206 say so
                if handler_file not in parsed:
                    parsed[handler_file] = _parse(handler_file)
                judged[key] = _function_problem(parsed[handler_file], function.handler.rsplit(":", 1)[0],
                                                function_name)
        problem = judged[key]
        if problem:
            found.append(source.diagnostic(FUNCTION_ID, ("functions", name, "handler"), *problem))
    return found


def _parse(path: Path) -> Any:
    import ast

    try:
        return ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as exc:
        return exc
    except (OSError, ValueError) as exc:  # unreadable, or NUL bytes
        return SyntaxError(str(exc))


def _function_problem(tree: Any, file_part: str, function_name: str) -> tuple[str, str] | None:
    import ast

    if isinstance(tree, SyntaxError):
        where = f" (line {tree.lineno})" if tree.lineno else ""
        return (f"handler file '{file_part}' is not valid Python{where}: {tree.msg}",
                "Lambda imports the file before each cold start; it must parse")
    bindings: dict[str, Any] = {}
    star_import = False
    for node in _top_level(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bindings[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for named in ast.walk(target):
                    if isinstance(named, ast.Name):
                        bindings[named.id] = node.value
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    star_import = True
                else:
                    bindings[alias.asname or alias.name.split(".")[0]] = node
    if function_name not in bindings:
        if star_import:
            return None  # `from x import *` may define it: nothing to say without importing
        import difflib

        callables = sorted(n for n, v in bindings.items() if isinstance(v, (ast.FunctionDef, ast.AsyncFunctionDef)))
        guess = difflib.get_close_matches(function_name, callables, n=1)
        return (f"'{file_part}' defines no function '{function_name}'"
                + (f"; did you mean '{guess[0]}'?" if guess else ""),
                "top-level functions in the file: " + (", ".join(callables) or "none"))
    return _binding_problem(bindings[function_name], function_name)


def _top_level(body: list[Any]) -> list[Any]:
    """Statements that run at import, through `if`, `try` and `with` blocks (where handlers are often defined)."""
    import ast

    found = []
    for node in body:
        found.append(node)
        if isinstance(node, ast.If):
            found += _top_level(node.body) + _top_level(node.orelse)
        elif isinstance(node, ast.Try):
            found += _top_level(node.body) + _top_level(node.orelse) + _top_level(node.finalbody)
            for handler in node.handlers:
                found += _top_level(handler.body)
        elif isinstance(node, ast.With):
            found += _top_level(node.body)
    return found


def _binding_problem(node: Any, name: str) -> tuple[str, str] | None:
    import ast

    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.decorator_list:
        return None  # a decorator may adapt it (Powertools' event_parser, an async runner): not ours to judge
    if isinstance(node, ast.AsyncFunctionDef):
        return (f"'{name}' is `async def`: Lambda's Python runtime calls the handler and does not await it, so "
                "every invocation would return an un-run coroutine",
                f"write `def {name}(event, context): return asyncio.run(main(event, context))` around the async code")
    if isinstance(node, ast.ClassDef):
        return (f"'{name}' is a class: Lambda would call {name}(event, context) and return the new instance",
                f"name a function: `def {name}(event, context):`")
    if isinstance(node, ast.FunctionDef):
        return _signature_problem(node)
    if isinstance(node, ast.Call):
        callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        application = _APPLICATIONS.get(callee)
        if callee in ("App", "API") and isinstance(node.func, ast.Attribute) \
                and getattr(node.func.value, "id", "") == "falcon":
            application = _FALCON_APP
        if application:
            framework, wrap = application
            return (f"'{name}' is a {framework} application object, not a Lambda handler: Lambda calls "
                    f"handler(event, context) with an API Gateway event, which a web application does not take",
                    f"{wrap.format(app=name)}, and name that: `file.py:handler`")
        return None  # a factory's result (`handler = make_handler()`): callable as far as a reader can tell
    if isinstance(node, ast.Constant):
        return (f"'{name}' is a constant ({type(node.value).__name__}), not a function",
                f"Lambda calls {name}(event, context): define `def {name}(event, context):`")
    if isinstance(node, (ast.List, ast.Dict, ast.Tuple, ast.Set, ast.JoinedStr)):
        return (f"'{name}' is a {type(node).__name__.lower()}, not a function",
                f"Lambda calls {name}(event, context): define `def {name}(event, context):`")
    return None  # imports, names, lambdas, attributes: accepted


def _signature_problem(node: Any) -> tuple[str, str] | None:
    """Lambda passes two positional arguments, (event, context): the function must take exactly those."""
    args = node.args
    positional = len(args.posonlyargs) + len(args.args)
    required = positional - len(args.defaults)
    required_keywords = [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    if (positional >= 2 or args.vararg) and required <= 2 and not required_keywords:
        return None
    taken = ", ".join(a.arg for a in args.posonlyargs + args.args) or "nothing"
    return (f"'{node.name}' takes ({taken}), but Lambda calls it with two arguments, (event, context)",
            f"define `def {node.name}(event, context):`")
