"""Editors get hover and completion from schema/specc.schema.json: every field is described and has an
example, every spec names the schema, and a real schema client (check-jsonschema) agrees with it.

The YAML language server itself (what VS Code and Neovim run) is driven in test_editor_lsp.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO / "schema" / "specc.schema.json"
SPECS = sorted((REPO / "specs").rglob("*.yaml")) + sorted((REPO / "specs").rglob("*.yml"))
GOLDEN_SPECS = sorted((REPO / "tests" / "golden").rglob("*.yaml"))
MODELINE = "# yaml-language-server: $schema="


def template_specs(directory: Path) -> list[Path]:
    """The spec of every `specc init` template, written under `directory` as init writes it."""
    from specc.cli import init_templates

    written = []
    for name in init_templates.NAMES:
        for path, text in init_templates.render(name, f"svc-{name}").items():
            if path.startswith("specs/"):
                target = directory / name / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
                written.append(target)
    return written


def properties(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for model, definition in {"Spec": schema, **schema.get("$defs", {})}.items():
        for name, prop in definition.get("properties", {}).items():
            yield f"{model}.{name}", prop


def is_structure(prop: dict[str, Any]) -> bool:
    """A nested model, or a list or mapping of them: their own fields carry the examples."""
    def model(p: Any) -> bool:
        return isinstance(p, dict) and ("$ref" in p or any("$ref" in a for a in p.get("anyOf", [])))

    def structure(p: dict[str, Any]) -> bool:
        values = [p.get("items", {}), p.get("additionalProperties"), *p.get("patternProperties", {}).values()]
        return model(p) or any(model(v) for v in values)

    return any(structure(p) for p in [prop, *prop.get("anyOf", [])])  # an overlay's field is `anyOf: [it, null]`


def test_every_field_has_a_description() -> None:
    schema = json.loads(SCHEMA.read_text())
    missing = [name for name, prop in properties(schema) if not prop.get("description")]
    assert missing == [], f"add description= to these fields' Field(...): {missing}"


def test_every_field_people_type_has_an_example() -> None:
    schema = json.loads(SCHEMA.read_text())
    missing = [name for name, prop in properties(schema) if not is_structure(prop) and not prop.get("examples")]
    assert missing == [], f"add examples= to these fields' Field(...): {missing}"
    assert sum(1 for _ in properties(schema)) > 80  # the walk really saw the models


def test_every_spec_names_the_schema_on_its_first_line() -> None:
    assert SPECS, "no specs found under specs/"
    for spec in SPECS:
        first = spec.read_text().splitlines()[0]
        assert first.startswith(MODELINE), f"{spec.relative_to(REPO)}: first line must be `{MODELINE}...`"
        target = (spec.parent / first[len(MODELINE):].strip()).resolve()
        assert target == SCHEMA, f"{spec.relative_to(REPO)} points at {target}, not {SCHEMA}"


def check_jsonschema(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--schemafile", str(SCHEMA), *map(str, files)],
                          capture_output=True, text=True, timeout=60)


def test_check_jsonschema_accepts_every_spec(tmp_path: Path) -> None:
    """specs/, the golden specs (the short route form is in seven of them) and every init template."""
    assert len(GOLDEN_SPECS) >= 10
    result = check_jsonschema(*SPECS, *GOLDEN_SPECS, *template_specs(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


VALID = """\
specc: 1
service: hello
environment: dev
regions: [us-east-1]
tables:
  notes: {partition_key: {name: id, type: S}}
functions:
  greet:
    handler: handlers/app.py:handler
"""


def with_handler(directory: Path) -> Path:
    (directory / "handlers").mkdir()
    (directory / "handlers" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    return directory


def test_the_schema_knows_the_short_route_form_and_typed_uses(tmp_path: Path) -> None:
    good = with_handler(tmp_path) / "good.yaml"
    good.write_text(VALID + "    uses: {tables: {notes: read_write}, keys: {main: decrypt}}\n"
                    "routes:\n  GET /greetings/{id}: greet\n  POST /greetings: {function: greet, authorization: iam}\n")
    result = check_jsonschema(good)
    assert result.returncode == 0, result.stdout
    from specc.compiler import check

    check(good)  # and the compiler accepts the same spec


@pytest.mark.parametrize(("tail", "error"), [
    ("    uses: {tabels: {notes: read}}\n",
     "$.functions.greet.uses: Additional properties are not allowed ('tabels' was unexpected)"),
    ("    uses: {tables: {notes: publish}}\n",
     "$.functions.greet.uses.tables.notes: 'publish' is not one of ['read', 'write', 'read_write']"),
    ("    uses: {topics: {Alerts: publish}}\n",
     "$.functions.greet.uses.topics: 'Alerts' does not match '^[a-z][a-z0-9_]*$'"),
    ("  Bad-Name:\n    handler: handlers/app.py:handler\n",
     "$.functions: 'Bad-Name' does not match '^[a-z][a-z0-9_]*$'"),
    ("routes:\n  GET /x: Greet\n", "$.routes['GET /x']: 'Greet' is not valid under any of the given schemas"),
    ("routes:\n  FETCH /x: greet\n", "$.routes: 'FETCH /x' does not match"),
])
def test_the_schema_rejects_what_the_compiler_rejects(tmp_path: Path, tail: str, error: str) -> None:
    """Typos in `uses`, unknown access levels and invalid entry names are errors, not unchecked entries."""
    spec = with_handler(tmp_path) / "bad.yaml"
    spec.write_text(VALID + tail)
    result = check_jsonschema(spec)
    assert result.returncode == 1
    assert error in result.stdout, result.stdout
    from specc.compiler import check
    from specc.language.diagnostics import SpecError

    with pytest.raises(SpecError) as refused:
        check(spec)
    assert len(refused.value.diagnostics) == 1, refused.value  # the compiler refuses it for the same reason


def test_check_jsonschema_rejects_a_broken_spec(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(textwrap.dedent("""\
        specc: 1
        service: hello
        environment: dev
        regions: us-east-1
        functions:
          greet:
            handler: handlers/app.py:handler
            memroy: 512
        """))
    result = check_jsonschema(broken)
    assert result.returncode == 1
    assert "$.regions: 'us-east-1' is not of type 'array'" in result.stdout
    assert "$.functions.greet: Additional properties are not allowed ('memroy' was unexpected)" in result.stdout


@pytest.mark.parametrize("spec", [s for s in SPECS if not s.name.endswith(".base.yaml")],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_the_compiler_agrees_with_the_schema_on_every_spec(spec: Path) -> None:
    """The schema is for editors; the compiler is the authority. A spec both accept is the contract."""
    from specc.compiler import check

    check(spec)


OVERLAY = """\
extends: base.yaml
environment: prod
functions:
  greet:
    memory: 1024
    environment: {FEATURE_X: null}
tables:
  notes: null
"""


def test_an_overlay_need_not_repeat_what_its_base_gives_and_may_remove_with_null(tmp_path: Path) -> None:
    """With `extends`, the schema requires nothing (the base gives it) and admits null (it removes a key); a typo is
    still an error. Without `extends`, a partial entry is still refused."""
    overlay = with_handler(tmp_path) / "prod.yaml"
    overlay.write_text(OVERLAY)
    (tmp_path / "base.yaml").write_text(VALID)
    result = check_jsonschema(overlay)
    assert result.returncode == 0, result.stdout
    from specc.compiler import check

    check(overlay)  # and the compiler accepts the same overlay
    overlay.write_text(OVERLAY.replace("memory: 1024", "memroy: 1024"))
    result = check_jsonschema(overlay)
    assert result.returncode == 1
    assert "$.functions.greet: Additional properties are not allowed ('memroy' was unexpected)" in result.stdout
    overlay.write_text(OVERLAY.replace("extends: base.yaml\n", ""))
    result = check_jsonschema(overlay)
    assert result.returncode == 1
    assert "$.functions.greet: 'handler' is a required property" in result.stdout, result.stdout
