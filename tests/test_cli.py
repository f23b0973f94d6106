"""The CLI as users type it, through click's runner: outputs, exit codes, atomic writes."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from specc.cli.app import main
from specc.output import emit

GOLDEN = Path(__file__).parent / "golden"
def test_version_prints_the_package_version(runner) -> None:
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == "specc, version 0.1.0"


def test_compile_writes_template_and_manifest(runner, write_spec, tmp_path, minimal_spec) -> None:
    spec = write_spec(minimal_spec)
    out = tmp_path / "out"
    result = runner.invoke(main, ["compile", str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["bootstrap.json", "manifest.json", "service.json", "stackset.json"]
    template = json.loads((out / "service.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert template["Resources"]["GreetFunction"]["Type"] == "AWS::Lambda::Function"
    assert manifest["templates"]["service.json"]["resources"] == len(template["Resources"])
    assert f"{len(template['Resources'])} resources" in result.output


def test_compile_defaults_to_templates_out_beside_specs(runner, tmp_path, monkeypatch, minimal_spec) -> None:
    (tmp_path / "specs" / "team").mkdir(parents=True)
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "app.py").write_text("def handler(e, c):\n    return {}\n")
    spec = tmp_path / "specs" / "team" / "svc.yaml"
    spec.write_text(minimal_spec.replace("handlers/app.py", "../../handlers/app.py"))
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["compile", "specs/team/svc.yaml"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "templates_out" / "team" / "svc" / "service.json").is_file()


def test_yaml_format_has_the_same_content(runner, write_spec, tmp_path, minimal_spec) -> None:
    import yaml

    spec = write_spec(minimal_spec)
    assert runner.invoke(main, ["compile", str(spec), "--out", str(tmp_path / "j")]).exit_code == 0
    assert runner.invoke(main, ["compile", str(spec), "--out", str(tmp_path / "y"), "--format", "yaml"]).exit_code == 0
    as_json = json.loads((tmp_path / "j" / "service.json").read_text())
    as_yaml = yaml.safe_load((tmp_path / "y" / "service.yaml").read_text())
    assert as_json == as_yaml


def test_compile_twice_is_byte_identical(runner, write_spec, tmp_path, minimal_spec) -> None:
    spec = write_spec(minimal_spec)
    for out in ("a", "b"):
        assert runner.invoke(main, ["compile", str(spec), "--out", str(tmp_path / out)]).exit_code == 0
    for name in ("service.json", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_failed_compile_leaves_previous_output_untouched(runner, write_spec, tmp_path, minimal_spec) -> None:
    spec = write_spec(minimal_spec)
    out = tmp_path / "out"
    assert runner.invoke(main, ["compile", str(spec), "--out", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    spec.write_text(minimal_spec.replace("handler: handlers/app.py:handler", "handler: 42"))
    result = runner.invoke(main, ["compile", str(spec), "--out", str(out)])
    assert result.exit_code == 1
    assert "nothing was written" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_failure_in_the_middle_of_writing_keeps_previous_output(runner, write_spec, tmp_path, monkeypatch,
        minimal_spec) -> None:
    spec = write_spec(minimal_spec)
    out = tmp_path / "out"
    assert runner.invoke(main, ["compile", str(spec), "--out", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    spec.write_text(minimal_spec.replace("environment: dev", "environment: prod"))
    real_open = open
    written = []

    def failing_open(path, mode="r", *args, **kwargs):
        if "w" in mode and Path(path).parent.name.startswith(".out.new-"):
            written.append(path)
            if len(written) == 2:  # the first file is already on disk: fail on the second
                raise OSError(28, "No space left on device", str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(emit, "open", failing_open, raising=False)
    result = runner.invoke(main, ["compile", str(spec), "--out", str(out)])
    assert result.exit_code == 4
    assert "No space left on device" in result.output
    assert len(written) == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")] == []


def test_validate_accepts_several_specs_and_reports_all_errors(runner, write_spec, tmp_path, minimal_spec) -> None:
    good = write_spec(minimal_spec, name="good.yaml")
    bad = write_spec(minimal_spec.replace("regions: [eu-west-1]", "regions: []"), name="bad.yaml")
    result = runner.invoke(main, ["validate", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"{good}: ok" in result.output
    assert f"{bad}:4:10 E102 regions: must have at least 1 item, got a list" in result.output


def test_missing_spec_file_is_one_clear_line(runner, tmp_path) -> None:
    result = runner.invoke(main, ["compile", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"{tmp_path / 'nope.yaml'}:1:1 E000 no such file: {tmp_path / 'nope.yaml'} (check the path)")


def test_lint_is_clean_for_a_golden_case(runner) -> None:
    result = runner.invoke(main, ["lint", str(GOLDEN / "minimal" / "spec.yaml")])
    assert result.exit_code == 0, result.output
    assert "clean under cfn-lint in eu-west-1" in result.output


def test_lint_findings_exit_3(runner, write_spec, monkeypatch, minimal_spec) -> None:
    """A template cfn-lint objects to (memory below Lambda's minimum, injected after compiling) fails lint."""
    from specc import compiler

    spec = write_spec(minimal_spec)
    real = compiler.compile_checked

    def broken(spec_model, source):
        compiled = real(spec_model, source)
        compiled.templates["service.json"]["Resources"]["GreetFunction"]["Properties"]["MemorySize"] = 1
        return compiled

    monkeypatch.setattr(compiler, "compile_checked", broken)
    result = runner.invoke(main, ["lint", str(spec)])
    assert result.exit_code == 3
    assert "E3034" in result.output or "E3012" in result.output
    assert "cfn-lint finding(s)" in result.output


def test_schema_is_valid_json_schema_with_descriptions(runner) -> None:
    result = runner.invoke(main, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["$schema"].startswith("https://json-schema.org/")
    # a spec is checked against Spec, or against SpecOverlay when it writes `extends` (model/schema.py)
    assert (schema["if"], schema["then"], schema["else"]) == (
        {"required": ["extends"]}, {"$ref": "#/$defs/SpecOverlay"}, {"$ref": "#/$defs/Spec"})
    assert schema["$defs"]["Spec"]["additionalProperties"] is False
    assert schema["$defs"]["SpecOverlay"]["additionalProperties"] is False
    function = schema["$defs"]["FunctionSpec"]["properties"]
    assert function["memory"]["maximum"] == 10240
    assert all("description" in prop for prop in function.values())


def test_package_writes_deterministic_zips_without_tests(runner, tmp_path) -> None:
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    spec = GOLDEN / "api" / "spec.yaml"
    assert runner.invoke(main, ["package", str(spec), "--out", str(out_a)]).exit_code == 0
    assert runner.invoke(main, ["package", str(spec), "--out", str(out_b)]).exit_code == 0
    zips = sorted(out_a.iterdir())
    assert len(zips) == 2  # `home` and `items` share the `src` code directory
    for path in zips:
        assert path.read_bytes() == (out_b / path.name).read_bytes()
    names = {name for path in zips for name in zipfile.ZipFile(path).namelist()}
    assert names == {"web/home.py", "web/items.py", "main.py"}


def test_internal_errors_are_one_line_without_traceback(runner, write_spec, monkeypatch, minimal_spec) -> None:
    from specc import compiler

    def explode(spec_model, source):
        raise RuntimeError("boom")

    monkeypatch.setattr(compiler, "compile_checked", explode)
    result = runner.invoke(main, ["compile", str(write_spec(minimal_spec))])
    assert result.exit_code == 70
    assert "internal error: RuntimeError: boom" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [["compile"], ["compile", "a.yaml", "--format", "toml"], ["nonsense"]])
def test_usage_errors_exit_2(runner, args) -> None:
    assert runner.invoke(main, args).exit_code == 2


def test_past_cloudformations_resource_limit_is_split_with_no_setting_or_a_located_error(runner, write_spec, tmp_path,
        minimal_spec) -> None:
    """60 functions (about 800 resources) are split into nested stacks with default settings; asking for a single
    shard still fits (the split grows by itself); a parent that cannot hold what stays in it (60 tables with 50
    resources allowed) is E240."""
    functions = "".join(f"  f{i}:\n    handler: handlers/app.py:handler\n" for i in range(60))
    spec = write_spec(minimal_spec.split("functions:")[0] + "functions:\n" + functions)
    result = runner.invoke(main, ["compile", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert result.output.count("nested/functions-") >= 2
    base = spec.read_text()
    spec.write_text(base + "limits: {shards: 1}\n")
    result = runner.invoke(main, ["compile", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert result.output.count("nested/functions-") >= 2
    tables = "".join(f"  t{i}:\n    partition_key: {{name: id, type: S}}\n" for i in range(60))
    spec.write_text(base + "tables:\n" + tables + "limits: {margin: 0.9}\n")
    result = runner.invoke(main, ["compile", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    first = result.output.splitlines()[0]
    assert " E240 " in first and "service.json needs" in first, first
