"""`specc invoke`: one function's handler run locally, with the environment its deployed template gives it.

The function's `Environment.Variables` are read from the compiled template and resolved against the deployed
stack (deployed.py): the names and ARNs the handler would see in Lambda. Beside them, the variables Lambda's
runtime sets (AWS_REGION, AWS_LAMBDA_FUNCTION_NAME, ...), the caller's credentials (as `sam local invoke`
does: not the function's role), and AWS_ENDPOINT_URL* passed through, so a handler runs against AWS or the
local emulator alike. Nothing else of the caller's environment is passed on.

The handler runs in a child process (lambda_runtime.py) under the runtime's Python when one is installed
(`python3.12` on PATH for `Runtime: python3.12`), else under specc's own. Either way it sees what it would see in
Lambda and nothing of specc's environment: the standard library, its code directory, its built dependencies, and
the AWS SDK Lambda's Python runtimes include (boto3 and what it needs, all pure Python: linked from specc's own
installation into a directory of their own). So a handler that imports a package it does not ship fails here as
it would there. Its initialization may take Lambda's 10 seconds, then the function's own timeout runs; past it
the process is killed and that is said.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specc.aws.deployed import StackValues, nested, read, resolve
from specc.aws.session import Aws, AwsError

INIT_SECONDS = 10.0  # Lambda's limit for a function's initialization (imports, module-level code)
PASSED_THROUGH = ("AWS_ENDPOINT_URL", "AWS_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy",
                  "https_proxy", "no_proxy", "SSL_CERT_FILE")
RUNTIME = Path(__file__).with_name("lambda_runtime.py")
# What Lambda's Python runtimes provide beyond the standard library: the AWS SDK and its dependencies.
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
PROBE = "import sys; print(sys.executable); print('python%d.%d' % sys.version_info[:2])"


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: str  # python3.12
    matches: bool  # the function's runtime


def interpreter(runtime: str) -> Interpreter:
    """The runtime's own Python when it is installed and runs, else the one running specc."""
    import shutil

    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if runtime == here or not runtime.startswith("python3."):
        return Interpreter(sys.executable, here, runtime == here)
    found = shutil.which(runtime)
    if found:
        try:
            probe = subprocess.run([found, "-c", PROBE], capture_output=True, text=True, timeout=20,
                                   stdin=subprocess.DEVNULL, check=False)
        except (OSError, subprocess.SubprocessError):
            probe = None
        lines = probe.stdout.split() if probe is not None and probe.returncode == 0 else []
        if len(lines) == 2 and lines[1] == runtime:
            return Interpreter(lines[0], runtime, True)
    return Interpreter(sys.executable, here, False)


def link_runtime_modules(into: Path) -> Path:
    """A directory holding (links to) the runtime's preinstalled modules, from specc's installation."""
    import importlib.util

    into.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_MODULES:
        found = importlib.util.find_spec(name)
        if found is None or found.origin is None:
            continue
        origin = Path(found.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (into / source.name).symlink_to(source, target_is_directory=source.is_dir())
    return into


@dataclass
class Function:
    """Where a function is in the compiled service: its resource, its template file, its nested stack (or "")."""

    name: str  # the spec's entry name
    logical_id: str
    resource: dict[str, Any]
    nested_stack: str  # logical ID of the nested stack that holds it in the parent, "" when in the parent


@dataclass
class Invocation:
    result: Any = None
    error: dict[str, Any] | None = None
    timed_out: str = ""  # what ran out (the init or the function's timeout), when one did
    exit_code: int = 0  # of the child process
    seconds: float = 0.0


@dataclass
class Prepared:
    environment: dict[str, str]
    variables: dict[str, str]  # the template's, resolved
    function_name: str
    function_arn: str
    region: str
    timeout: float
    memory: int
    stack: StackValues = field(repr=False)


def deployed_stack(aws: Aws, name: str, region: str, spec: str) -> StackValues:
    stack = read(aws, name, region)
    if stack is None:
        raise AwsError(f"stack {name} is not deployed in {region} ({aws.account}): deploy it first with "
                       f"`specc deploy {spec} --region {region}`")
    return stack


def prepare(aws: Aws, function: Function, stack_name: str, region: str, spec: str) -> Prepared:
    """The function's resolved variables and the whole environment of its process."""
    stack = deployed_stack(aws, stack_name, region, spec)
    if stack.status.endswith("_FAILED") or stack.status in ("ROLLBACK_COMPLETE", "DELETE_IN_PROGRESS"):
        raise AwsError(f"stack {stack_name} in {region} is {stack.status}: deploy it again before invoking")
    home = nested(aws, stack, function.nested_stack) if function.nested_stack else stack
    if function.logical_id not in home.physical:
        raise AwsError(f"function {function.name} ({function.logical_id}) is not in the deployed stack {stack_name} "
                       f"in {region}: the spec added it since; deploy again with `specc deploy {spec} --region "
                       f"{region}`")
    properties = function.resource.get("Properties", {})
    what = f"function {function.name}'s environment"
    variables = {key: str(resolve(value, home, f"{what} ({key})"))
                 for key, value in sorted((properties.get("Environment") or {}).get("Variables", {}).items())}
    physical = home.physical[function.logical_id]
    arn = f"arn:{home.partition}:lambda:{region}:{home.account}:function:{physical}"
    runtime = str(properties.get("Runtime", "python3"))
    memory, timeout = int(properties.get("MemorySize", 128)), float(properties.get("Timeout", 3))
    log_group = f"/aws/lambda/{physical}"
    if isinstance((properties.get("LoggingConfig") or {}).get("LogGroup"), str):
        log_group = properties["LoggingConfig"]["LogGroup"]
    environment = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "en_US.UTF-8", "TZ": ":UTC",
        "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
        "AWS_LAMBDA_FUNCTION_NAME": physical, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory), "AWS_LAMBDA_LOG_GROUP_NAME": log_group,
        "AWS_LAMBDA_LOG_STREAM_NAME": time.strftime("%Y/%m/%d/", time.gmtime()) + "[$LATEST]specc-invoke",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}", "_HANDLER": str(properties.get("Handler", "")),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
    }
    environment.update({k: v for k, v in os.environ.items() if k.startswith(PASSED_THROUGH)})
    environment.update(_credentials(aws))
    environment.update(variables)  # the template's own win, as in Lambda (it reserves some names; specc sets none)
    return Prepared(environment, variables, physical, arn, region, timeout, memory, stack)


def _credentials(aws: Aws) -> dict[str, str]:
    credentials = aws.session.get_credentials()
    if credentials is None:
        from specc.aws.session import NO_CREDENTIALS

        raise AwsError(NO_CREDENTIALS)
    frozen = credentials.get_frozen_credentials()
    found = {"AWS_ACCESS_KEY_ID": frozen.access_key or "", "AWS_SECRET_ACCESS_KEY": frozen.secret_key or ""}
    if frozen.token:
        found["AWS_SESSION_TOKEN"] = frozen.token
    return found


def run(prepared: Prepared, handler: str, paths: list[Path], event: Any, on_log: Callable[[str], None],
        python: str = sys.executable) -> Invocation:
    """Run `handler` (module.function) with `paths` first on sys.path, then the runtime's modules, under `python`
    (isolated: no site-packages, no PYTHON* variables); its log lines go to `on_log` as they come."""
    with tempfile.TemporaryDirectory(prefix="specc-invoke-") as work:
        event_file, result_file = Path(work) / "event.json", Path(work) / "result.json"
        event_file.write_text(json.dumps(event), encoding="utf-8")
        runtime_modules = link_runtime_modules(Path(work) / "runtime")
        ready_read, ready_write = os.pipe()
        command = [python, "-I", "-S", "-u", str(RUNTIME), handler, str(result_file), str(event_file),
                   str(ready_write), f"{prepared.timeout:g}", prepared.function_arn,
                   *(str(p) for p in [*paths, runtime_modules])]
        started = time.monotonic()
        try:
            process = subprocess.Popen(command, env=prepared.environment, cwd=str(paths[0]), stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(ready_write,))
        finally:
            os.close(ready_write)
        reader = threading.Thread(target=_forward, args=(process.stdout, on_log), daemon=True)
        reader.start()
        invocation = Invocation()
        try:
            with os.fdopen(ready_read, "rb") as ready:
                if not select.select([ready], [], [], INIT_SECONDS)[0]:
                    invocation.timed_out = f"the initialization did not finish within {INIT_SECONDS:g} s (Lambda's " \
                                           "limit for imports and module-level code)"
                elif ready.read(1) and not _waited(process, prepared.timeout):
                    invocation.timed_out = f"Task timed out after {prepared.timeout:.2f} seconds"
            if invocation.timed_out:
                process.kill()
            invocation.exit_code = process.wait()
        except BaseException:  # Ctrl-C: the child goes too
            process.kill()
            process.wait()
            raise
        finally:
            reader.join(timeout=5)
        invocation.seconds = time.monotonic() - started
        if invocation.timed_out:
            return invocation
        if not result_file.exists():
            invocation.error = {"errorType": "Runtime.ExitError",
                                "errorMessage": f"the handler's process exited with {invocation.exit_code} before "
                                                "returning"}
            return invocation
        outcome = json.loads(result_file.read_text(encoding="utf-8"))
        if "errorType" in outcome:
            invocation.error = outcome
        else:
            invocation.result = outcome["result"]
        return invocation


def _waited(process: subprocess.Popen[bytes], timeout: float) -> bool:
    try:
        process.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


def _forward(stream: Any, on_log: Callable[[str], None]) -> None:
    for line in iter(stream.readline, b""):
        on_log(line.decode("utf-8", errors="replace").rstrip("\n"))
    stream.close()
