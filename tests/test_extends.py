"""`extends:`: an environment spec is its base plus its own changes (language/extends.py, docs/environments.md).

The merge rules as properties (hypothesis), the spans that follow each value to the file that wrote it, and the
commands users run on an environment spec (CliRunner)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specc.cli.app import main
from specc.language.diagnostics import SpecError
from specc.language.extends import is_base, load_spec, merge

KEYS = st.sampled_from(["a", "b", "c", "memory", "tags"])
SCALARS = st.one_of(st.integers(-5, 5), st.text("xyz", max_size=3), st.booleans())
VALUES = st.recursive(SCALARS | st.lists(SCALARS, max_size=3), lambda inner: st.dictionaries(KEYS, inner, max_size=4),
                      max_leaves=12)
MAPPINGS = st.dictionaries(KEYS, VALUES, max_size=5)
# An overlay may also write null, anywhere in a mapping, to remove that key.
PATCHES = st.recursive(SCALARS | st.lists(SCALARS, max_size=3) | st.none(),
                       lambda inner: st.dictionaries(KEYS, inner, max_size=4), max_leaves=12)
PATCH_MAPPINGS = st.dictionaries(KEYS, PATCHES, max_size=5)


def same_shape(*values: Any) -> bool:
    """Where a key holds a mapping in one value it holds one in every value that has it (or is absent)."""
    mappings = [v for v in values if isinstance(v, dict)]
    if not mappings:
        return True
    if len(mappings) != len(values):
        return False
    keys = set().union(*mappings)
    return all(same_shape(*[m[k] for m in mappings if k in m]) for k in keys)


@given(MAPPINGS)
def test_extending_with_an_empty_overlay_changes_nothing(base: dict[str, Any]) -> None:
    assert merge(base, {}) == base
    assert merge(merge(base, {}), {}) == base


@given(MAPPINGS, PATCH_MAPPINGS)
def test_applying_the_same_overlay_twice_is_applying_it_once(base: dict[str, Any], patch: dict[str, Any]) -> None:
    once = merge(base, patch)
    assert merge(once, patch) == once


@given(MAPPINGS, MAPPINGS, MAPPINGS)
def test_a_chain_merges_the_same_whichever_pair_goes_first(common: dict[str, Any], base: dict[str, Any],
                                                          prod: dict[str, Any]) -> None:
    """Associative where no key changes from a mapping to something else along the chain (a list or a scalar
    replacing a mapping wins outright, so order matters there: chains fold from the root, docs/environments.md)."""
    if same_shape(common, base, prod):
        assert merge(merge(common, base), prod) == merge(common, merge(base, prod))


@given(MAPPINGS, PATCH_MAPPINGS)
def test_null_removes_lists_replace_mappings_merge(base: dict[str, Any], patch: dict[str, Any]) -> None:
    merged = merge(base, patch)
    for key, value in patch.items():
        if value is None:
            assert key not in merged
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            assert merged[key] == merge(base[key], value)
        elif isinstance(value, dict):
            assert merged[key] == merge({}, value)  # written anew: its own nulls remove nothing and vanish
        else:
            assert merged[key] == value  # a list or a scalar replaces
    for key in base.keys() - patch.keys():
        assert merged[key] == base[key]
    assert base == merge(base, {})  # and the base itself is left as it was


@settings(max_examples=40, deadline=None)
@given(MAPPINGS.filter(bool), PATCH_MAPPINGS)
def test_the_loader_merges_as_the_rule_says_and_every_value_has_a_span(tmp_path_factory: Any, base: dict[str, Any],
                                                                       patch: dict[str, Any]) -> None:
    """The merge with spans (what compiles) gives the plain rule's data, and every merged value is located in the
    file that wrote it: its line there holds that value's key."""
    directory = tmp_path_factory.mktemp("chain")
    (directory / ".git").mkdir()
    (directory / "svc.base.yaml").write_text(_yaml(base))
    (directory / "env.yaml").write_text("extends: svc.base.yaml\n" + _yaml(patch))
    source = load_spec(directory / "env.yaml", "env.yaml")
    assert source.data == merge(base, patch)
    written = {"env.yaml": patch, "svc.base.yaml": base}
    texts = {name: (directory / name).read_text().splitlines() for name in written}
    for path in _paths(source.data):
        file, position = source.where(path, prefer_key=True)
        line = texts[file][position.line - 1]
        assert line[position.column - 1:].startswith(f"{json.dumps(path[-1])}:"), (path, file, line)
        assert _has(written[file], path), (path, file)


def _yaml(value: dict[str, Any]) -> str:
    """Block YAML, one key per line, keys quoted (so a line's key is easy to find)."""
    lines: list[str] = []

    def write(mapping: dict[str, Any], indent: int) -> None:
        for key, item in mapping.items():
            if isinstance(item, dict) and item:
                lines.append(" " * indent + f"{json.dumps(key)}:")
                write(item, indent + 2)
            else:
                lines.append(" " * indent + f"{json.dumps(key)}: {json.dumps(item)}")

    write(value, 0)
    return "\n".join(lines) + "\n"


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    return found


def _has(value: Any, path: tuple[Any, ...]) -> bool:
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


# --- an environment spec, as users run it ------------------------------------------------------------------------

BASE = """\
specc: 1
service: hello
regions: [eu-west-1]
code_root: ..
tags: {Team: web, Tier: gold}
tables:
  notes: {partition_key: {name: id, type: S}}
functions:
  greet:
    handler: handlers/app.py:handler
    memory: 512
    environment: {LOG_LEVEL: INFO, FEATURE_X: "on"}
    uses: {tables: {notes: read}}
"""
PROD = """\
extends: ../service.base.yaml
environment: prod
regions: [us-east-1, eu-west-1]
tags: {Tier: null}
functions:
  greet:
    memory: 1024
    environment: {FEATURE_X: null}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git project: handlers/ at its root, the base in specs/, the environment in specs/envs/."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    (tmp_path / "specs" / "envs").mkdir(parents=True)
    (tmp_path / "specs" / "service.base.yaml").write_text(BASE)
    (tmp_path / "specs" / "envs" / "prod.yaml").write_text(PROD)
    return tmp_path


def function_of(out: Path) -> dict[str, Any]:
    service = json.loads((out / "service.json").read_text())
    return next(r["Properties"] for r in service["Resources"].values() if r["Type"] == "AWS::Lambda::Function")


def test_compile_an_environment_spec(runner, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Values from the base, changes from prod, nulls removed; code_root `..` is the base's (specs/..), not
    specs/envs/..: relative paths are relative to the file that wrote them."""
    monkeypatch.chdir(project)
    result = runner.invoke(main, ["compile", "specs/envs/prod.yaml"])
    assert result.exit_code == 0, result.output
    out = project / "templates_out" / "envs" / "prod"
    function = function_of(out)
    assert function["MemorySize"] == 1024 and function["FunctionName"] == "hello-greet-prod"
    assert function["Environment"]["Variables"]["LOG_LEVEL"] == "INFO"
    assert "FEATURE_X" not in function["Environment"]["Variables"]
    tags = {t["Key"]: t["Value"] for t in function["Tags"]}
    assert tags["Team"] == "web" and "Tier" not in tags
    assert json.loads((out / "manifest.json").read_text())["regions"] == ["us-east-1", "eu-west-1"]
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert runner.invoke(main, ["compile", "specs/envs/prod.yaml"]).exit_code == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first  # byte-identical, run after run


def test_validate_and_check_an_environment_spec(runner, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    assert runner.invoke(main, ["validate", "specs/envs/prod.yaml"]).exit_code == 0
    result = runner.invoke(main, ["check", "specs/envs/prod.yaml"])
    assert result.exit_code == 0, result.output


def test_a_change_in_the_base_is_reported_in_the_base_and_one_in_the_overlay_in_the_overlay(
        runner, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    base = project / "specs" / "service.base.yaml"
    base.write_text(base.read_text().replace("uses: {tables: {notes: read}}", "uses: {tables: {notes: publish}}"))
    prod = project / "specs" / "envs" / "prod.yaml"
    prod.write_text(prod.read_text()
                    + "  extra:\n    handler: handlers/app.py:handler\n    uses: {topics: {x: publish}}\n")
    result = runner.invoke(main, ["check", "specs/envs/prod.yaml"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith("specs/service.base.yaml:13:") and "functions.greet.uses.tables.notes" in line
               for line in lines), result.output
    assert any(line.startswith("specs/envs/prod.yaml:11:") and "functions.extra.uses.topics.x" in line
               for line in lines), result.output


def test_a_base_is_not_compiled_on_its_own(runner, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    result = runner.invoke(main, ["compile", "specs/service.base.yaml"])
    assert result.exit_code == 1
    assert result.output.startswith("specs/service.base.yaml:1:1 E014 service.base.yaml is a base spec")
    assert not (project / "templates_out").exists()
    assert is_base("a/b/service.base.yaml") and is_base("x.base.yml") and not is_base("base.yaml")


def test_a_chain_of_three(project: Path) -> None:
    """prod extends service.base extends common.base: the nearest file wins, and each value keeps its file."""
    (project / "specs" / "common.base.yaml").write_text("specc: 1\nservice: hello\ntags: {Owner: platform}\n"
                                                      "defaults: {log_retention_days: 30}\n")
    base = project / "specs" / "service.base.yaml"
    base.write_text("extends: common.base.yaml\n" + base.read_text().replace("specc: 1\nservice: hello\n", ""))
    source = load_spec(project / "specs" / "envs" / "prod.yaml", "specs/envs/prod.yaml")
    assert source.data["tags"] == {"Owner": "platform", "Team": "web"}
    assert source.where(("defaults", "log_retention_days")) == ("specs/common.base.yaml",
                                                               source.spans.values[("defaults", "log_retention_days")])
    assert source.where(("functions", "greet", "memory"))[0] == "specs/envs/prod.yaml"
    assert source.where(("functions", "greet", "handler"))[0] == "specs/service.base.yaml"
    assert [shown for shown, _ in source.bases] == ["specs/service.base.yaml", "specs/common.base.yaml"]


def test_a_base_outside_the_project_is_refused_even_through_a_symlink(project: Path, tmp_path_factory: Any) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "shared.base.yaml"
    outside.write_text(BASE)
    (project / "specs" / "linked.base.yaml").symlink_to(outside)
    prod = project / "specs" / "envs" / "prod.yaml"
    prod.write_text(prod.read_text().replace("../service.base.yaml", "../linked.base.yaml"))
    with pytest.raises(SpecError) as refused:
        load_spec(prod, "prod.yaml")
    assert refused.value.render() == (
        "prod.yaml:1:10 E012 extends: base '../linked.base.yaml' resolves outside the project (the git work tree "
        "that holds the spec); specc reads specs only from inside it (keep base specs in the repository, like "
        "specs/service.base.yaml)")


def test_an_unreadable_base_is_reported_where_extends_names_it(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """(The suite may run as root, who reads any file: the loader's `open` refuses the base instead of chmod.)"""
    import builtins

    from specc.language import source as loader

    def refusing_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        if str(path).endswith("service.base.yaml"):
            raise PermissionError(13, "Permission denied")
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr(loader, "open", refusing_open, raising=False)
    with pytest.raises(SpecError) as refused:
        load_spec(project / "specs" / "envs" / "prod.yaml", "specs/envs/prod.yaml")
    assert refused.value.render() == ("specs/envs/prod.yaml:1:10 E013 extends: base spec '../service.base.yaml': "
                                      "cannot read specs/service.base.yaml: Permission denied")


def test_each_file_is_read_under_the_loaders_limits(project: Path) -> None:
    base = project / "specs" / "service.base.yaml"
    base.write_text(base.read_text() + "deep: " + "[" * 70 + "]" * 70 + "\n")
    with pytest.raises(SpecError) as refused:
        load_spec(project / "specs" / "envs" / "prod.yaml", "specs/envs/prod.yaml")
    assert refused.value.diagnostics[0].code == "E005"
    assert refused.value.diagnostics[0].file == "specs/service.base.yaml"


def test_extends_must_name_a_file(project: Path) -> None:
    prod = project / "specs" / "envs" / "prod.yaml"
    prod.write_text(textwrap.dedent("""\
        extends: [a, b]
        environment: prod
        """))
    with pytest.raises(SpecError) as refused:
        load_spec(prod, "prod.yaml")
    assert refused.value.render() == ("prod.yaml:1:10 E010 extends: expected the path of a base spec, relative to "
                                      "this file (like `extends: service.base.yaml`)")


def test_lint_findings_point_at_the_file_that_wrote_the_entry(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """cfn-lint reports at the spec line that made a resource: for an entry of the base, the base's line."""
    from specc.cli import report
    from specc.compiler import compile_spec
    from specc.lint.cfn import Finding

    monkeypatch.chdir(project)
    compiled = compile_spec("specs/envs/prod.yaml")
    table = next(logical for logical, path in compiled.origins.items() if path == ("tables", "notes"))
    place = compiled.place(table)
    assert place == (7, 3, "tables.notes", "specs/service.base.yaml")
    finding = Finding("service.json", 40, 5, "W1234", "warning", "a finding", resource=table)
    (result,) = report.from_lint_findings([finding], "templates_out/envs/prod", spec="specs/envs/prod.yaml",
                                          places={table: place})
    assert (result.file, result.line, result.column) == ("specs/service.base.yaml", 7, 3)


def doc_blocks() -> dict[str, str]:
    """The base and the environment spec docs/environments.md opens with, by the file its first line names."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "environments.md").read_text()
    blocks = [block.split("```", 1)[0] for block in text.split("```yaml\n")[1:3]]
    return {block.splitlines()[0].split()[1].rstrip(":"): block for block in blocks}


def test_the_documented_example_compiles_as_documented(runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = doc_blocks()
    assert sorted(blocks) == ["specs/prod.yaml", "specs/service.base.yaml"]
    (tmp_path / ".git").mkdir()
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "checkout.py").write_text("def handler(event, context):\n    return {}\n")
    (tmp_path / "specs").mkdir()
    for name, text in blocks.items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["compile", "specs/prod.yaml"])
    assert result.exit_code == 0, result.output
    service = json.loads((tmp_path / "templates_out" / "prod" / "service.json").read_text())
    functions = [r["Properties"] for r in service["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert [(f["FunctionName"], f["MemorySize"]) for f in functions] == [("orders-checkout-prod", 1024)]
    variables = functions[0]["Environment"]["Variables"]
    assert variables["LOG_LEVEL"] == "INFO" and "FEATURE_X" not in variables
    # The documented errors: a type error in the base, one in prod, each at its own file's line.
    (tmp_path / "specs" / "service.base.yaml").write_text(blocks["specs/service.base.yaml"].replace(
        "type: S", "type: string"))
    (tmp_path / "specs" / "prod.yaml").write_text(blocks["specs/prod.yaml"].replace(
        "    provisioned_concurrency: 5\n", "    provisioned_concurrency: 5\n    timeout: 9000\n"))
    result = runner.invoke(main, ["validate", "specs/prod.yaml"])
    documented = (Path(__file__).resolve().parent.parent / "docs" / "environments.md").read_text()
    for line in result.output.splitlines()[:-1]:
        assert line in documented, line
    assert len(result.output.splitlines()) == 3


def test_the_security_profile_can_differ_per_environment_and_its_findings_point_at_the_base(
        runner, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """prod asks for the pci profile, which wants functions in a VPC: the finding is on the function, which the base
    defines, so it is reported at the base's line; the same base with the default profile compiles."""
    monkeypatch.chdir(project)
    prod = project / "specs" / "envs" / "prod.yaml"
    prod.write_text(prod.read_text() + "security: {profile: pci}\n")
    result = runner.invoke(main, ["validate", "specs/envs/prod.yaml"])
    assert result.exit_code == 1
    assert "specs/service.base.yaml:9:3 SEC014 functions.greet: GreetFunction does not run in the VPC" in result.output
    (project / "specs" / "envs" / "dev.yaml").write_text("extends: ../service.base.yaml\nenvironment: dev\n")
    assert runner.invoke(main, ["validate", "specs/envs/dev.yaml"]).exit_code == 0


def test_a_chain_longer_than_eight_bases_is_refused(project: Path) -> None:
    specs = project / "specs"
    for number in range(9):
        (specs / f"b{number}.base.yaml").write_text(f"extends: b{number + 1}.base.yaml\n")
    (specs / "b9.base.yaml").write_text(BASE)
    (specs / "deep.yaml").write_text("extends: b0.base.yaml\nenvironment: dev\n")
    with pytest.raises(SpecError) as refused:
        load_spec(specs / "deep.yaml", "specs/deep.yaml")
    assert refused.value.render() == ("specs/b7.base.yaml:1:10 E015 extends: the chain of bases is longer than 8 "
                                      "(extend a base that holds what the chain holds)")
    (specs / "b7.base.yaml").write_text(BASE)  # 8 bases: read
    assert load_spec(specs / "deep.yaml", "specs/deep.yaml").bases[-1][0] == "specs/b7.base.yaml"
