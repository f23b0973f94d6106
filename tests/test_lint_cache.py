"""The lint cache (src/specc/lint_cache.py): an unchanged template is not linted again, a changed one is, a
corrupt entry is ignored, and linting in parallel processes finds what linting in one process finds.

"Not linted again" is observed by counting calls to the function that runs cfn-lint, never by timing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specc.cli.app import main
from specc.lint import cache as lint_cache
from specc.lint.cache import Job, LintCache, cache_key, lint_jobs
from specc.lint.cfn import lint_templates

GOLDEN = Path(__file__).parent / "golden"


def _template(memory: int = 256, name: str = "Queue") -> dict:
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
        name: {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 0}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "Code": {"ZipFile": "x"}, "Handler": "a.b", "Runtime": "python3.12", "MemorySize": memory,
            "Role": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/r"}}}}}


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every template cfn-lint is run on (in this process: the tests use one worker)."""
    calls: list[str] = []
    real = lint_cache.run_cfn_lint

    def run(body: str, regions: list[str]) -> list:
        calls.append(body)
        return real(body, regions)

    monkeypatch.setattr(lint_cache, "run_cfn_lint", run)
    return calls


def test_unchanged_templates_come_from_the_cache(tmp_path, counted) -> None:
    cache = LintCache(tmp_path / "lint")
    templates = {"a.json": _template(), "b.json": _template(memory=1)}
    first = lint_templates(templates, ["us-east-1"], cache=cache)
    assert len(counted) == 2
    assert any(f.template == "b.json" for f in first)  # MemorySize 1 is a finding: findings are cached too
    again = lint_templates(templates, ["us-east-1"], cache=cache)
    assert len(counted) == 2 and again == first

    changed = {**templates, "a.json": _template(name="Other")}
    lint_templates(changed, ["us-east-1"], cache=cache)
    assert len(counted) == 3 and '"Other"' in counted[-1]  # only the changed template is linted again

    lint_templates(templates, ["us-east-1", "eu-west-1"], cache=cache)
    assert len(counted) == 5  # other regions, other findings: a miss for both


def test_a_new_cfn_lint_version_is_a_miss(tmp_path, counted, monkeypatch) -> None:
    cache = LintCache(tmp_path / "lint")
    lint_templates({"a.json": _template()}, ["us-east-1"], cache=cache)
    monkeypatch.setattr(lint_cache, "cfn_lint_version", lambda: "99.0.0")
    lint_templates({"a.json": _template()}, ["us-east-1"], cache=cache)
    assert len(counted) == 2


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"key": "other", "findings": []}', b'{"findings": "x"}',
                                    b"[1, 2]"])
def test_a_corrupt_entry_is_ignored_and_replaced(tmp_path, counted, damage) -> None:
    from specc.output.emit import render_json

    cache = LintCache(tmp_path / "lint")
    templates = {"b.json": _template(memory=1)}
    expected = lint_templates(templates, ["us-east-1"], cache=cache)
    key = cache_key(render_json(templates["b.json"]), ["us-east-1"])
    entry = tmp_path / "lint" / key[:2] / f"{key}.json"
    entry.write_bytes(damage)
    assert lint_templates(templates, ["us-east-1"], cache=cache) == expected
    assert len(counted) == 2
    assert json.loads(entry.read_bytes())["key"] == key  # rewritten whole
    assert [p.name for p in entry.parent.iterdir()] == [entry.name]  # no temporary files left behind


def test_parallel_processes_find_what_one_process_finds(tmp_path) -> None:
    from specc.output.emit import render_json

    jobs = [Job(f"t{i}", render_json(_template(memory=1 if i % 2 else 256, name=f"Q{i}")), ["us-east-1"])
            for i in range(4)]
    serial = lint_jobs([Job(j.name, j.body, j.regions) for j in jobs], workers=1)
    parallel = lint_jobs(jobs, cache=LintCache(tmp_path / "lint"), workers=2)
    assert parallel.findings == serial.findings and parallel.linted == 4
    assert serial.findings["t1"] and not serial.findings["t0"]
    hits = lint_jobs([Job(j.name, j.body, j.regions) for j in jobs], cache=LintCache(tmp_path / "lint"), workers=2)
    assert hits.hits == 4 and hits.linted == 0 and hits.findings == serial.findings


def test_cli_lint_twice_reads_the_cache(runner, tmp_path, monkeypatch, counted) -> None:
    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path / "cache"))
    spec = str(GOLDEN / "minimal" / "spec.yaml")
    first = runner.invoke(main, ["lint", spec, "--jobs", "1"])
    assert first.exit_code == 0, first.output
    linted = len(counted)
    assert linted >= 3 and f"cfn-lint: {linted} template(s) linted, 0 unchanged" in first.stderr
    second = runner.invoke(main, ["lint", spec, "--jobs", "1"])
    assert second.exit_code == 0 and "clean under cfn-lint" in second.stdout
    assert len(counted) == linted and f"0 template(s) linted, {linted} unchanged from the cache" in second.stderr
    runner.invoke(main, ["lint", spec, "--jobs", "1", "--no-cache"])
    assert len(counted) == 2 * linted


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every spec `specc lint` compiles."""
    from specc import compiler

    calls: list[Path] = []
    real = compiler.compile_spec

    def counted(path):
        calls.append(Path(path))
        return real(path)

    monkeypatch.setattr(compiler, "compile_spec", counted)
    return calls


def test_an_unchanged_spec_is_not_even_compiled(runner, write_spec, tmp_path, monkeypatch, compiles,
        minimal_spec) -> None:
    from specc.lint import inputs as lint_inputs

    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path / "cache"))
    spec = write_spec(minimal_spec)

    def lint() -> str:
        result = runner.invoke(main, ["lint", str(spec), "--jobs", "1"])
        assert result.exit_code == 0, result.output
        assert "clean under cfn-lint in eu-west-1" in result.stdout
        return result.stderr

    lint()
    assert len(compiles) == 1
    assert "unchanged from the cache" in lint() and len(compiles) == 1  # inputs unchanged: no compile

    handler = tmp_path / "handlers" / "app.py"
    handler.write_text(handler.read_text() + "# changed\n")
    lint()
    assert len(compiles) == 2  # the code changed: compiled again (its artifact hash is in the template)
    lint()
    assert len(compiles) == 2

    (tmp_path / "handlers" / "util.py").write_text("X = 1\n")
    lint()
    assert len(compiles) == 3  # a new file in the code directory changes the artifact
    (tmp_path / "handlers" / "test_app.py").write_text("def test(): pass\n")
    lint()
    assert len(compiles) == 3  # tests are not packaged: not an input

    spec.write_text(spec.read_text().replace("environment: dev", "environment: qa"))
    lint()
    assert len(compiles) == 4
    monkeypatch.setattr(lint_inputs, "environment", lambda: "another specc or library version")
    lint()
    assert len(compiles) == 5


def test_identical_templates_are_linted_once_and_each_gets_the_findings(tmp_path, counted) -> None:
    """Two files with the same bytes and regions (a StackSet's copies, equal shards) cost one cfn-lint run, cold."""
    templates = {"a.json": _template(memory=1), "b.json": _template(memory=1), "c.json": _template()}
    found = lint_templates(templates, ["us-east-1"], cache=LintCache(tmp_path / "lint"))
    assert len(counted) == 2
    by_file = {name: {(f.rule, f.line) for f in found if f.template == name} for name in templates}
    assert by_file["a.json"] and by_file["a.json"] == by_file["b.json"]  # MemorySize 1: found in both copies
    assert not by_file["c.json"]


def test_a_change_in_a_base_spec_compiles_its_environment_again(runner, tmp_path, monkeypatch, compiles) -> None:
    """`extends`: the base is an input of the environment spec that extends it, as the spec itself is."""
    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    base = tmp_path / "service.base.yaml"
    base.write_text("specc: 1\nservice: hello\nregions: [eu-west-1]\n"
                    "functions:\n  greet: {handler: handlers/app.py:handler, memory: 256}\n")
    spec = tmp_path / "prod.yaml"
    spec.write_text("extends: service.base.yaml\nenvironment: prod\n")

    def lint() -> None:
        result = runner.invoke(main, ["lint", str(spec), "--jobs", "1"])
        assert result.exit_code == 0, result.output

    lint()
    lint()
    assert len(compiles) == 1  # nothing changed: from the cache
    base.write_text(base.read_text().replace("memory: 256", "memory: 512"))
    lint()
    assert len(compiles) == 2
