"""Endpoints that do not behave like AWS: a silent one, one that answers an HTML page, one whose answers lack
what AWS documents. Every command that talks to AWS ends in bounded time with one line and exit 6
(`diff --stack` included), never a hang, a traceback or "internal error".

The servers are tiny, on 127.0.0.1, in this process; the SPECC_AWS_* variables keep the timeouts at a second
so each case takes seconds (the defaults, for AWS, are asserted separately).
"""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from specc.aws import session
from specc.cli.app import main
from specc.cli.ship import EXIT_AWS

SPEC = """\
specc: 1
service: shop
environment: dev
regions: [us-east-1]
tables:
  orders:
    partition_key: {name: order_id, type: S}
functions:
  place_order:
    handler: handlers/app.py:handler
    uses: {tables: {orders: read}}
"""
COMMANDS = (["deploy"], ["diff", "--stack", "shop-dev"])


@pytest.fixture
def silent() -> Iterator[str]:
    """Accepts connections and never answers (what a black-holing firewall or a wedged proxy does)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        listener.close()


def _server(status: int, content_type: str, body: bytes) -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_HEAD = answer

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def html() -> Iterator[str]:
    """Answers every request with a 200 HTML page (a captive portal, a web server at the wrong URL)."""
    yield from _server(200, "text/html; charset=utf-8",
                       b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Welcome</body></html>")


@pytest.fixture
def hollow() -> Iterator[str]:
    """Answers every request with well-formed XML that holds none of the fields AWS documents."""
    yield from _server(200, "text/xml", b"<Response><Result></Result></Response>")


@pytest.fixture
def project(write_spec, monkeypatch, tmp_path):
    spec = write_spec(SPEC, name="shop.yaml")
    monkeypatch.chdir(tmp_path)
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("SPECC_AWS_CONNECT_TIMEOUT", "1")
    monkeypatch.setenv("SPECC_AWS_READ_TIMEOUT", "1")
    monkeypatch.setenv("SPECC_AWS_MAX_ATTEMPTS", "2")
    return spec


def run(runner, monkeypatch, endpoint: str, command: list[str], spec) -> tuple[object, float]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    started = time.monotonic()
    result = runner.invoke(main, [command[0], str(spec), *command[1:]])
    return result, time.monotonic() - started


def one_line(result) -> str:
    assert result.exit_code == EXIT_AWS, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=["deploy", "diff --stack"])
def test_a_silent_endpoint_ends_in_bounded_time(runner, monkeypatch, project, silent, command) -> None:
    result, seconds = run(runner, monkeypatch, silent, command, project)
    line = one_line(result)
    assert line.startswith(f"error: no answer from {silent}/ within 1 s (2 tries) while ")
    assert line.endswith(": check the network, the region and AWS_ENDPOINT_URL")
    assert seconds < 15  # two tries of a second each, plus compiling the spec


@pytest.mark.parametrize("command", COMMANDS, ids=["deploy", "diff --stack"])
def test_an_endpoint_answering_html_is_one_line(runner, monkeypatch, project, html, command) -> None:
    result, seconds = run(runner, monkeypatch, html, command, project)
    # deploy's first call looks for a StackSet of the same service (deploy and rollout must not collide)
    operation = "DescribeStackSet" if command[0] == "deploy" else "GetTemplate"
    assert one_line(result) == (f"error: {html} answered an HTML page (HTTP 200, titled 'Sign in'), not an AWS API "
                                f"response, to {operation}: check AWS_ENDPOINT_URL, the region and any proxy")
    assert seconds < 15


@pytest.mark.parametrize("command", COMMANDS, ids=["deploy", "diff --stack"])
def test_an_answer_without_the_documented_fields_is_one_line(runner, monkeypatch, project, hollow, command) -> None:
    result, _ = run(runner, monkeypatch, hollow, command, project)
    doing = ("describing the stack set shop-dev" if command[0] == "deploy"
             else "reading the template of stack shop-dev in us-east-1")
    line = one_line(result)
    assert line.startswith(f"error: unexpected answer while {doing}: it lacks what AWS documents (KeyError: ")


def test_an_unreachable_stack_diff_exits_6_like_every_aws_command(runner, monkeypatch, project) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result, _ = run(runner, monkeypatch, f"http://127.0.0.1:{port}", ["diff", "--stack", "shop-dev"], project)
    assert one_line(result) == (f"error: cannot reach http://127.0.0.1:{port}/ while reading the template of stack "
                                "shop-dev in us-east-1: check the network, the region and AWS_ENDPOINT_URL")


def test_every_client_is_bounded_and_the_defaults_fit_aws(monkeypatch) -> None:
    for name in session.SETTINGS:
        monkeypatch.delenv(name, raising=False)
    aws = session.Aws.connect(region="us-east-1")
    config = aws.client("cloudformation").meta.config
    assert (config.connect_timeout, config.read_timeout) == (5.0, 30.0)
    assert config.retries == {"total_max_attempts": 3, "mode": "standard"}
    monkeypatch.setenv("SPECC_AWS_READ_TIMEOUT", "2.5")
    assert session.Aws.connect(region="us-east-1").client("s3").meta.config.read_timeout == 2.5
    monkeypatch.setenv("SPECC_AWS_MAX_ATTEMPTS", "0")
    with pytest.raises(session.AwsError, match="SPECC_AWS_MAX_ATTEMPTS='0' is not a number of tries"):
        session.client_config()


def test_a_bug_in_specc_is_still_an_internal_error(runner, monkeypatch, project, hollow) -> None:
    """Only answers are excused: a KeyError in specc's own code outside the reading of an answer stays exit 70."""
    from specc.aws import session as module

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(module.Aws, "connect", classmethod(broken))
    result, _ = run(runner, monkeypatch, hollow, ["deploy"], project)
    assert result.exit_code == 70 and "internal error: KeyError" in result.stderr


def test_an_answer_read_by_specc_aws_that_lacks_a_field_is_one_line_too() -> None:
    """Past the first call: a change set described without its Status (read in specc.aws.stacks, outside any
    narrow block) is an unexpected answer, exit 6 through the command-wide block, not an internal error."""
    from specc.aws import stacks

    class Hollow:
        def describe_change_set(self, **kwargs):
            return {"ResponseMetadata": {}}

    with pytest.raises(session.AwsError, match=r"^unexpected answer while talking to AWS: it lacks what AWS "
                                               r"documents \(KeyError: 'Status'\)"), \
            session.explained("talking to AWS", answers=False):
            stacks._wait_for_change_set(Hollow(), "s", "c", "stack s in us-east-1", 0, 1)
