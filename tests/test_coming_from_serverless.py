"""docs/coming-from-serverless.md puts a serverless.yml beside a specc spec: the spec must compile and lint clean,
both must describe the same service (functions, handlers, triggers, routes), and what the page says specc refuses
(Serverless variables in values) must be refused, with the error the page promises."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from specc.cli.app import main
from specc.kinds.functions import handler_form_problem

DOC = Path(__file__).resolve().parent.parent / "docs" / "coming-from-serverless.md"
HANDLERS = {"src/handler.py": ("submit", "work", "nightly"), "src/skill.py": ("handler",)}


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)


class CloudFormationLoader(yaml.SafeLoader):
    """Reads short tags (!GetAtt...) as plain values: enough to compare shapes."""


CloudFormationLoader.add_multi_constructor("!", lambda loader, suffix, node: loader.construct_scalar(node)
                                           if isinstance(node, yaml.ScalarNode) else None)


def serverless() -> dict:
    (text,) = [b for b in yaml_blocks() if b.startswith("service:")]
    return yaml.load(text, Loader=CloudFormationLoader)


def spec_text() -> str:
    (text,) = [b for b in yaml_blocks() if b.startswith("# yaml-language-server:")]
    return text


def project(tmp_path: Path, text: str) -> Path:
    """The page's service as a user's repository: code under src/, the spec beside it (code_root: ..)."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)  # the project code must stay inside
    for file, functions in HANDLERS.items():
        path = tmp_path / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"def {name}(event, context):\n    return {{}}\n\n\n" for name in functions))
    (tmp_path / "docs").mkdir(exist_ok=True)
    spec = tmp_path / "docs" / "jobs.yaml"
    spec.write_text(text)
    return spec


def test_the_specc_spec_compiles_and_lints_clean(runner, tmp_path, monkeypatch) -> None:
    project(tmp_path, spec_text())
    monkeypatch.chdir(tmp_path)
    compiled = runner.invoke(main, ["compile", "docs/jobs.yaml", "--out", "out"])
    assert compiled.exit_code == 0, compiled.output
    (service,) = [line for line in compiled.output.splitlines() if "/service.json: " in line]
    resources = int(service.split(": ")[1].split()[0])
    assert f"a service template of {resources} resources" in DOC.read_text()
    linted = runner.invoke(main, ["lint", "docs/jobs.yaml"])
    assert linted.exit_code == 0 and "clean under cfn-lint" in linted.output, linted.output


def test_both_describe_the_same_service() -> None:
    sls, spec = serverless(), yaml.safe_load(spec_text())
    assert sls["service"] == spec["service"] and sls["provider"]["stage"] == spec["environment"]
    assert [sls["provider"]["region"]] == spec["regions"]
    assert set(sls["functions"]) == set(spec["functions"])
    for name, function in sls["functions"].items():
        # The page's handlers are what specc's hint for the module.function form says to write (under src/).
        message, _ = handler_form_problem(function["handler"])
        assert f"write '{spec['functions'][name]['handler'].removeprefix('src/')}'" in message
        for event in function["events"]:
            (kind, value), = event.items()
            if kind == "http":
                assert spec["routes"][f"{value['method'].upper()} /{value['path']}"] == name
            elif kind == "sqs":
                assert {"function": name, "batch_size": value["batchSize"]} in spec["queues"]["jobs"]["consumers"]
            elif kind == "schedule":
                assert {"schedule": value, "function": name} in spec["events"].values()
            elif kind == "alexaSkill":
                assert {"alexa_skill": value} in spec["functions"][name]["triggers"]
            else:
                raise AssertionError(f"the page's serverless.yml has an event the test does not compare: {kind}")
    # Every variable the handlers read from provider.environment is set where they run.
    assert sls["provider"]["environment"], "the page's serverless.yml sets variables: the loop below checks each"
    for variable in sls["provider"]["environment"]:
        assert variable in spec["functions"]["submit"]["environment"]


def test_serverless_values_are_refused_as_the_page_says(runner, tmp_path, monkeypatch) -> None:
    sls = serverless()
    spec = yaml.safe_load(spec_text())
    variables = {k: v for k, v in sls["provider"]["environment"].items() if isinstance(v, str)}
    spec["functions"]["submit"]["environment"] = variables  # pasted over as they are
    project(tmp_path, yaml.safe_dump(spec, sort_keys=False))
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["validate", "docs/jobs.yaml"])
    assert result.exit_code == 1
    lines = result.output.splitlines()[:-1]
    assert len(lines) == sum(value.count("${") for value in variables.values()) == 3  # one per variable
    assert all(" E280 functions.submit.environment." in line for line in lines)
    assert "'${self:service}' is a Serverless Framework variable" in result.output
    assert "'${sls:stage}' is a Serverless Framework variable" in result.output
    assert "'${aws:region}' is a Serverless Framework variable" in result.output
    assert "the spec spells them ${aws.region} and ${aws.account_id}" in result.output
