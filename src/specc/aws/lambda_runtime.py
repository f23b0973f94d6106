"""The process `specc invoke` runs a handler in: a small stand-in for Lambda's Python runtime.

Run as a script (`python -I lambda_runtime.py ...`), never imported by specc: it imports nothing but the standard
library and the handler, so the handler sees only its code directory (and its built dependencies) on sys.path, as
in Lambda. Like the runtime it logs START, END and REPORT lines, formats the root logger's records as Lambda does,
passes a context object, and reports an exception as errorMessage / errorType / stackTrace. What the handler
prints goes to the logs (stdout is the log stream here as there); the result goes to a file the caller reads.

Arguments: HANDLER (module.function) RESULT_FILE EVENT_FILE READY_FD TIMEOUT_SECONDS FUNCTION_ARN PATH...
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import traceback
import uuid
from typing import Any


class LambdaContext:
    """The attributes and the one method of the context Lambda passes to a Python handler."""

    def __init__(self, request_id: str, timeout: float, function_arn: str) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.invoked_function_arn = function_arn
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _RequestIdFilter(logging.Filter):
    def __init__(self, request_id: str) -> None:
        super().__init__()
        self.request_id = request_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _trace(exc: BaseException) -> list[str]:
    """The frames of the handler's code (and what it called), not this runtime's or the import machinery's."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename != __file__ and not f.filename.startswith("<frozen importlib")]
    return traceback.format_list(frames)


def _error(kind: str, message: str, trace: list[str] | None = None) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": kind, "stackTrace": trace or []}


def _invoke(handler: Any, event: Any, context: LambdaContext) -> dict[str, Any]:
    try:
        result = handler(event, context)
    except Exception as exc:
        return _error(type(exc).__name__, str(exc), _trace(exc))
    try:
        return {"result": json.loads(json.dumps(result))}
    except (TypeError, ValueError) as exc:
        return _error("Runtime.MarshalError", f"Unable to marshal response: {exc}")


def main(argv: list[str]) -> int:
    handler_name, result_file, event_file, ready_fd, timeout_text, function_arn, *paths = argv
    sys.path[:0] = paths  # the code directory first, then its dependencies: Lambda's /var/task, /opt/python
    request_id = str(uuid.uuid4())
    formatter = logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
                                  "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    stream = logging.StreamHandler(sys.stdout)
    stream.setFormatter(formatter)
    stream.addFilter(_RequestIdFilter(request_id))
    logging.getLogger().addHandler(stream)
    with open(event_file, "rb") as source:
        event = json.load(source)
    print(f"START RequestId: {request_id} Version: $LATEST", flush=True)
    started = time.monotonic()
    outcome: dict[str, Any]
    module_name, _, function_name = handler_name.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # what Lambda reports for a module that does not import
        outcome = _error("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}",
                         _trace(exc))
        module = None
    if module is not None:
        handler = getattr(module, function_name, None)
        if not callable(handler):
            outcome = _error("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module "
                             f"'{module_name}'")
        else:
            os.write(int(ready_fd), b"1")  # the invocation starts: its timeout runs from here
            started = time.monotonic()
            outcome = _invoke(handler, event, LambdaContext(request_id, float(timeout_text), function_arn))
    os.close(int(ready_fd))
    duration = (time.monotonic() - started) * 1000
    sys.stdout.flush()
    if "errorType" in outcome:  # as Lambda logs it: the error, then its traceback
        trace = "".join(outcome.get("stackTrace") or []).rstrip()
        print(f"[ERROR] {outcome['errorType']}: {outcome['errorMessage']}"
              + (f"\nTraceback (most recent call last):\n{trace}" if trace else ""), flush=True)
    print(f"END RequestId: {request_id}", flush=True)
    print(f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms\t"
          f"Memory Size: {os.environ.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE', '?')} MB", flush=True)
    with open(result_file, "w", encoding="utf-8") as sink:
        json.dump(outcome, sink)
    return 0


if __name__ == "__main__":
    del sys.path[0]  # the directory of this script: nothing of specc's on the handler's path
    sys.exit(main(sys.argv[1:]))
