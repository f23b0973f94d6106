"""A function with third-party packages (attrs, pure Python; orjson, a compiled extension) and a layer of shared
code with its own packages, deployed to moto server by `specc deploy` as users run it.

Checked through Lambda's and S3's APIs: the function's code and the layer version are the zips `specc package`
writes (same sha256), the function runs with the layer's version, and the uploaded objects hold the manylinux
wheels for python3.12 on x86_64.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from specc.cli.app import main
from specc.compiler import compile_spec

pytestmark = pytest.mark.slow

ADMIN = "123456789012"
SPEC = """specc: 1
service: deps
environment: dev
regions: [us-east-1]
code_root: ..
defaults: {runtime: python3.12}
layers:
  common:
    code: handlers/layers/common
functions:
  api:
    handler: handlers/api/app.py:handler
    layers: [common]
"""


def _project(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    (root / "specs").mkdir()
    api = root / "handlers" / "api"
    api.mkdir(parents=True)
    (api / "app.py").write_text("import attrs\nimport orjson\nfrom greeting import greet\n\n\n"
                                "def handler(event, context):\n"
                                "    return orjson.dumps({'message': greet()}).decode()\n")
    (api / "requirements.txt").write_text("attrs==24.2.0\norjson==3.10.7\n")
    layer = root / "handlers" / "layers" / "common"
    layer.mkdir(parents=True)
    (layer / "greeting.py").write_text("from dateutil import tz\n\n\ndef greet():\n    return 'hello'\n")
    (layer / "requirements.txt").write_text("python-dateutil==2.9.0.post0\nsix==1.17.0\n")
    spec = root / "specs" / "deps.yaml"
    spec.write_text(SPEC)
    return spec


def _sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_a_function_with_packages_and_a_layer_deploys(aws: Any, runner: Any, session: Any, deployed: Any,
                                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _project(tmp_path / "project")
    monkeypatch.chdir(tmp_path / "project")
    assert runner.invoke(main, ["bootstrap", "specs/deps.yaml"]).exit_code == 0
    result = runner.invoke(main, ["deploy", "specs/deps.yaml"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"deps-dev in us-east-1 ({ADMIN}): created (CREATE_COMPLETE)\n")
    assert "uploaded 3 new object(s)" in result.stderr  # the function's zip, the layer's zip, the template

    packaged = runner.invoke(main, ["package", "specs/deps.yaml", "--out", str(tmp_path / "zips")])
    assert packaged.exit_code == 0, packaged.output
    compiled = compile_spec(spec)
    code, content = compiled.artifacts["api"], compiled.layer_artifacts["common"]
    function_zip = (tmp_path / "zips" / code.s3_key.split("/")[-1]).read_bytes()
    layer_zip = (tmp_path / "zips" / content.s3_key.split("/")[-1]).read_bytes()

    template = compiled.templates["service.json"]
    physical = deployed(session(), "us-east-1", "deps-dev", template)
    assert template["Resources"]["CommonLayer"]["Type"] == "AWS::Lambda::LayerVersion"

    lambda_ = session().client("lambda", region_name="us-east-1")
    function = lambda_.get_function(FunctionName="deps-api-dev")["Configuration"]
    assert function["Runtime"] == "python3.12" and function["Architectures"] == ["x86_64"]
    assert function["Handler"] == "app.handler"
    assert function["CodeSha256"] == _sha256_b64(function_zip)
    assert [layer["Arn"] for layer in function["Layers"]] == [physical["CommonLayer"]]
    assert physical["CommonLayer"] == f"arn:aws:lambda:us-east-1:{ADMIN}:layer:deps-common-dev:1"
    version = lambda_.get_layer_version(LayerName="deps-common-dev", VersionNumber=1)  # moto has no ...ByArn
    assert version["Content"]["CodeSha256"] == _sha256_b64(layer_zip)
    assert version["CompatibleRuntimes"] == ["python3.12"]

    s3 = session().client("s3", region_name="us-east-1")
    bucket = f"specc-artifacts-{ADMIN}-us-east-1"
    uploaded = s3.get_object(Bucket=bucket, Key=f"deps/{code.s3_key}")["Body"].read()
    assert uploaded == function_zip
    names = zipfile.ZipFile(io.BytesIO(uploaded)).namelist()
    assert {"app.py", "attrs/__init__.py", "orjson/orjson.cpython-312-x86_64-linux-gnu.so"} <= set(names)
    layer_names = zipfile.ZipFile(io.BytesIO(
        s3.get_object(Bucket=bucket, Key=f"deps/{content.s3_key}")["Body"].read())).namelist()
    assert {"python/greeting.py", "python/dateutil/tz/__init__.py", "python/six.py"} <= set(layer_names)

    again = runner.invoke(main, ["deploy", "specs/deps.yaml"])  # nothing changed: nothing rebuilt or uploaded
    assert again.exit_code == 0, again.output
    assert "uploaded 0 new object(s)" in again.stderr


def test_invoke_runs_the_handler_with_its_requirements_and_its_layers(aws: Any, runner: Any, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`specc invoke` puts on sys.path what the zips hold: the function's installed requirements (attrs, pure Python;
    orjson, a compiled extension, built for python3.11 on Linux x86_64 like the Python running it here), then its
    layer's code (greeting.py) and the layer's own requirements (python-dateutil). The handler runs isolated, so a
    package neither ships would fail to import."""
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    (root / "specs").mkdir()
    api = root / "handlers" / "api"
    api.mkdir(parents=True)
    (api / "app.py").write_text(
        "import attrs\nimport orjson\nfrom greeting import greet\n\n\n"
        "@attrs.define\nclass Reply:\n    message: str\n\n\n"
        "def handler(event, context):\n"
        "    return orjson.loads(orjson.dumps(attrs.asdict(Reply(greet(event['name'])))))\n")
    (api / "requirements.txt").write_text("attrs==24.2.0\norjson==3.10.7\n")
    layer = root / "handlers" / "layers" / "common"
    layer.mkdir(parents=True)
    (layer / "greeting.py").write_text(
        "from dateutil import tz\n\n\ndef greet(name):\n    return f'hello {name} from {tz.UTC.tzname(None)}'\n")
    (layer / "requirements.txt").write_text("python-dateutil==2.9.0.post0\nsix==1.17.0\n")
    (root / "specs" / "deps.yaml").write_text(SPEC.replace("runtime: python3.12", "runtime: python3.11"))
    monkeypatch.chdir(root)
    assert runner.invoke(main, ["bootstrap", "specs/deps.yaml"]).exit_code == 0
    deployed = runner.invoke(main, ["deploy", "specs/deps.yaml"])
    assert deployed.exit_code == 0, deployed.output

    event = tmp_path / "event.json"
    event.write_text('{"name": "ada"}')
    result = runner.invoke(main, ["invoke", "specs/deps.yaml", "api", "--event", str(event)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"message": "hello ada from UTC"}
