"""`specc init`: every template gives a project that compiles, lints clean and whose tests pass, as is."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from specc.cli import init_templates
from specc.cli.app import main
from specc.kinds import BY_SECTION


@pytest.mark.parametrize("template", init_templates.NAMES)
def test_a_new_project_compiles_lints_and_passes_its_tests(runner, tmp_path, monkeypatch, template) -> None:
    project = tmp_path / "Shop Front"
    result = runner.invoke(main, ["init", "--template", template, str(project)])
    assert result.exit_code == 0, result.output
    spec = project / "specs" / "shop-front.yaml"
    assert sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()) == [
        "handlers/shop_front/app.py", "handlers/shop_front/tests/test_app.py", "schema/specc.schema.json",
        "specs/shop-front.yaml"]
    assert spec.read_text().startswith("# yaml-language-server: $schema=../schema/specc.schema.json\n")
    assert (project / "schema" / "specc.schema.json").read_text() == runner.invoke(main, ["schema"]).output

    monkeypatch.chdir(project)
    compiled = runner.invoke(main, ["compile", "specs/shop-front.yaml"])
    assert compiled.exit_code == 0, compiled.output
    template_json = json.loads((project / "templates_out" / "shop-front" / "service.json").read_text())
    assert any(r["Type"] == "AWS::Lambda::Function" for r in template_json["Resources"].values())
    linted = runner.invoke(main, ["lint", "specs/shop-front.yaml"])
    assert linted.exit_code == 0, linted.output
    assert "clean under cfn-lint" in linted.output

    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "handlers"],
                           cwd=project, capture_output=True, text=True, timeout=120)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout and "failed" not in tests.stdout


@pytest.mark.parametrize("template", init_templates.NAMES)
def test_templates_use_only_registered_kinds(template) -> None:
    module = init_templates.load(template)
    assert set(module.SECTIONS) <= set(BY_SECTION), set(module.SECTIONS) - set(BY_SECTION)
    import yaml

    spec = yaml.safe_load(init_templates.render(template, "svc")["specs/svc.yaml"])
    sections = {key for key in spec if key in BY_SECTION}
    assert sections == set(module.SECTIONS)


def test_init_refuses_to_overwrite_without_force(runner, tmp_path) -> None:
    assert runner.invoke(main, ["init", "--service", "shop", str(tmp_path)]).exit_code == 0
    handler = tmp_path / "handlers" / "shop" / "app.py"
    handler.write_text("# mine\n")
    again = runner.invoke(main, ["init", "--service", "shop", str(tmp_path)])
    assert again.exit_code == 4
    assert "already exist" in again.output and "nothing was written" in again.output
    assert handler.read_text() == "# mine\n"
    assert runner.invoke(main, ["init", "--service", "shop", "--force", str(tmp_path)]).exit_code == 0
    assert handler.read_text() != "# mine\n"


@pytest.mark.parametrize(("directory", "service"), [("Shop Front", "shop-front"), ("my_API_v2", "my-api-v2"),
                                                    ("2fast", "fast"), ("---", "my-service")])
def test_service_names_come_from_the_directory(directory, service) -> None:
    assert init_templates.service_name(directory) == service


def test_an_invalid_service_name_is_a_usage_error(runner, tmp_path) -> None:
    result = runner.invoke(main, ["init", "--service", "Bad_Name", str(tmp_path)])
    assert result.exit_code == 2
    assert "--service" in result.output
    assert not any(tmp_path.iterdir())


def test_unknown_template_is_a_usage_error(runner, tmp_path) -> None:
    assert runner.invoke(main, ["init", "--template", "graphql", str(tmp_path)]).exit_code == 2
