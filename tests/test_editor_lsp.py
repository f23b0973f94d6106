"""The YAML language server that VS Code and Neovim run, driven over stdio as an editor drives it.

It is installed from the npm registry by the set-up (`npm ci`, pinned in package-lock.json). Each spec
is opened the way an editor opens it, so the `# yaml-language-server: $schema=...` line is what points
the server at schema/specc.schema.json; the test then waits for the diagnostics the editor would show.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SERVER = REPO / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
SPECS = sorted((REPO / "specs").rglob("*.yaml"))
MODELINE = "# yaml-language-server: $schema="
SETTINGS = {"yaml": {"validate": True, "hover": True, "completion": True, "schemaStore": {"enable": False}}}


class LanguageServer:
    """A minimal LSP client: JSON-RPC over the server's stdin and stdout, answering what it asks."""

    def __init__(self, root: Path) -> None:
        node = shutil.which("node")
        if node is None or not SERVER.is_file():
            pytest.fail("yaml-language-server is not installed: run `make test` (or `npm ci`) at the repository root")
        self.process = subprocess.Popen([node, str(SERVER), "--stdio"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(),
                                    "capabilities": {"workspace": {"configuration": True},
                                                     "textDocument": {"publishDiagnostics": {},
                                                                      "hover": {"contentFormat": ["markdown"]}}}})
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": SETTINGS})

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if not line or length is None:
                self.inbox.put(None)
                return
            self.inbox.put(json.loads(stream.read(length)))

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self.next_id += 1
        self._send({"id": self.next_id, "method": method, "params": params})
        for message in self._messages():
            if message.get("id") == self.next_id and "method" not in message:
                return message.get("result")
        raise AssertionError("unreachable")

    def _messages(self, timeout: float = 20) -> Iterator[dict[str, Any]]:
        """Every message from the server; its own requests (workspace/configuration...) are answered here."""
        while True:
            try:
                message = self.inbox.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"the language server said nothing for {timeout} s") from None
            if message is None:
                raise AssertionError("the language server exited")
            if "method" in message and "id" in message:
                items = message.get("params", {}).get("items", [])
                result = [SETTINGS.get(i.get("section", "")) for i in items] if items else None
                self._send({"id": message["id"], "result": result})
                continue
            yield message

    def open(self, path: Path) -> list[dict[str, Any]]:
        """Open a document as an editor does and return the diagnostics published for it."""
        uri = path.as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1,
                                                             "text": path.read_text()}})
        for message in self._messages():
            if message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri:
                return message["params"]["diagnostics"]
        raise AssertionError("unreachable")

    def hover(self, path: Path, line: int, character: int) -> str:
        result = self.request("textDocument/hover", {"textDocument": {"uri": path.as_uri()},
                                                     "position": {"line": line, "character": character}})
        contents = (result or {}).get("contents", "")
        return contents.get("value", "") if isinstance(contents, dict) else str(contents)

    def close(self) -> None:
        try:
            self.request("shutdown", {})
            self.notify("exit", {})
            self.process.wait(timeout=5)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def server() -> Iterator[LanguageServer]:
    client = LanguageServer(REPO)
    yield client
    client.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project laid out like specc's own: specs/ beside schema/, so the relative schema line resolves."""
    (tmp_path / "schema").mkdir()
    shutil.copy(REPO / "schema" / "specc.schema.json", tmp_path / "schema")
    (tmp_path / "specs").mkdir()
    return tmp_path


def by_line(diagnostics: list[dict[str, Any]]) -> dict[int, str]:
    return {d["range"]["start"]["line"] + 1: d["message"] for d in diagnostics}


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_spec_opens_without_diagnostics(server: LanguageServer, spec: Path) -> None:
    assert server.open(spec) == []


def golden_and_template_specs() -> list[tuple[str, str]]:
    """(name, text) of every golden spec and every `specc init` template's spec."""
    from specc.cli import init_templates

    found = [(str(p.relative_to(REPO)), p.read_text()) for p in sorted((REPO / "tests" / "golden").rglob("*.yaml"))]
    for name in init_templates.NAMES:
        found += [(f"init --template {name}", text) for path, text in init_templates.render(name, "svc").items()
                  if path.startswith("specs/")]
    return found


def test_golden_and_template_specs_open_without_diagnostics(server: LanguageServer, project: Path) -> None:
    """The golden specs use the short route form (`GET /x: fn`) and typed `uses`: the editor accepts them as the
    compiler does. Each is opened from a project beside the schema, with the schema line put first if missing."""
    specs = golden_and_template_specs()
    assert len(specs) >= 13
    shown = {}
    for number, (name, text) in enumerate(specs):
        path = project / "specs" / f"spec{number}.yaml"
        path.write_text(text if text.startswith(MODELINE) else f"{MODELINE}../schema/specc.schema.json\n{text}")
        shown[name] = server.open(path)
    assert {name: d for name, d in shown.items() if d} == {}


def test_the_editor_flags_a_typo_in_uses_and_a_bad_entry_name(server: LanguageServer, project: Path) -> None:
    spec = project / "specs" / "uses.yaml"
    spec.write_text(textwrap.dedent("""\
        # yaml-language-server: $schema=../schema/specc.schema.json
        specc: 1
        service: hello
        environment: dev
        regions: [eu-west-1]
        tables:
          notes: {partition_key: {name: id, type: S}}
        functions:
          greet:
            handler: handlers/app.py:handler
            uses:
              tables: {notes: publish}
              tabels: {notes: read}
          Bad-Name:
            handler: handlers/app.py:handler
        routes:
          GET /x: greet
        """))
    lines = by_line(server.open(spec))
    assert sorted(lines) == [12, 13, 14], lines
    assert "read, write, read_write" in lines[12].replace('"', ""), lines[12]
    assert lines[13] == "Property tabels is not allowed."
    assert lines[14] == 'String does not match the pattern of "^[a-z][a-z0-9_]*$".'  # checked, not skipped


def test_a_broken_spec_gets_located_editor_diagnostics(server: LanguageServer, project: Path) -> None:
    spec = project / "specs" / "broken.yaml"
    spec.write_text(textwrap.dedent("""\
        # yaml-language-server: $schema=../schema/specc.schema.json
        specc: 1
        service: hello
        environment: dev
        regions: [eu-west-1]
        functions:
          greet:
            handler: handlers/app.py:handler
            memory: lots
            timout: 10
        """))
    diagnostics = server.open(spec)
    assert by_line(diagnostics) == {9: 'Incorrect type. Expected "integer".', 10: "Property timout is not allowed."}
    unknown = next(d for d in diagnostics if d["range"]["start"]["line"] == 9)
    assert unknown["range"]["start"]["character"] == 4 and unknown["severity"] == 1  # an error, at the key
    assert all(d["data"]["schemaUri"] == [(project / "schema" / "specc.schema.json").as_uri()] for d in diagnostics)


def test_a_spec_without_the_schema_line_gets_nothing(server: LanguageServer, project: Path) -> None:
    """The line is what turns checking on: without it (and no settings) the same mistake goes unseen."""
    spec = project / "specs" / "plain.yaml"
    spec.write_text("specc: 1\nservice: hello\nenvironment: dev\nregions: [eu-west-1]\nnonsense: true\n")
    assert server.open(spec) == []
    spec.write_text("# yaml-language-server: $schema=../schema/specc.schema.json\n" + spec.read_text())
    renamed = spec.with_name("with_line.yaml")
    spec.rename(renamed)
    assert by_line(server.open(renamed)) == {6: "Property nonsense is not allowed."}


def test_hover_shows_the_fields_description_and_example(server: LanguageServer) -> None:
    prod = REPO / "specs" / "prod.yaml"
    lines = prod.read_text().splitlines()
    line = next(i for i, text in enumerate(lines) if text.strip().startswith("memory:"))
    server.open(prod)
    text = server.hover(prod, line, lines[line].index("memory") + 2)
    assert "Memory in MB." in text
    assert "Example:\n\n```yaml\n512\n```" in text


def test_an_overlay_opens_clean_flags_typos_and_hovers(server: LanguageServer, project: Path) -> None:
    """An environment spec (`extends`) gives only its changes: the editor requires nothing the base gives, accepts
    null (it removes a key), still flags an unknown field, and still shows each field's description."""
    spec = project / "specs" / "prod.yaml"
    text = textwrap.dedent("""\
        # yaml-language-server: $schema=../schema/specc.schema.json
        extends: service.base.yaml
        environment: prod
        functions:
          greet:
            memory: 1024
            environment: {FEATURE_X: null}
        tables:
          notes: null
        """)
    spec.write_text(text)
    assert server.open(spec) == []
    typo = project / "specs" / "typo.yaml"
    typo.write_text(text.replace("memory: 1024", "memroy: 1024"))
    assert by_line(server.open(typo)) == {6: "Property memroy is not allowed."}
    assert "Memory in MB." in server.hover(spec, 5, 6)
