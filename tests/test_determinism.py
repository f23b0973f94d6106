"""Property tests: the same spec gives byte-identical output; order and unrelated additions change nothing else."""

from __future__ import annotations

import random
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specc.compiler import compile_spec
from specc.output.emit import rendered_files

names = st.from_regex(r"[a-z][a-z0-9]{0,7}", fullmatch=True)


@st.composite
def services(draw) -> dict:
    tables = draw(st.lists(names, min_size=0, max_size=3, unique=True))
    topics = draw(st.lists(names.map(lambda n: f"t{n}"), min_size=0, max_size=2, unique=True))
    functions = draw(st.lists(names.map(lambda n: f"f{n}"), min_size=1, max_size=4, unique=True))
    spec: dict = {
        "specc": 1, "service": "svc", "environment": draw(st.sampled_from(["dev", "prod"])),
        "regions": ["us-east-1"],
        "tables": {t: {"partition_key": {"name": "id", "type": draw(st.sampled_from(["S", "N"]))},
                       "stream": draw(st.sampled_from([None, "new_image"]))} for t in tables},
        "topics": {t: {} for t in topics},
        "functions": {},
        "routes": {},
    }
    for table in spec["tables"].values():
        if table["stream"] is None:
            del table["stream"]
    for index, function in enumerate(functions):
        uses: dict = {}
        for table in draw(st.lists(st.sampled_from(tables), unique=True)) if tables else []:
            uses.setdefault("tables", {})[table] = draw(st.sampled_from(["read", "write", "read_write"]))
        for topic in draw(st.lists(st.sampled_from(topics), unique=True)) if topics else []:
            uses.setdefault("topics", {})[topic] = "publish"
        spec["functions"][function] = {"handler": "handlers/app.py:handler",
                                       "memory": draw(st.sampled_from([128, 256, 1024])), "uses": uses}
        if draw(st.booleans()):
            spec["routes"][f"{draw(st.sampled_from(['GET', 'POST']))} /r{index}/{{id}}"] = function
    return spec


def _compile(tmp: Path, spec: dict, name: str = "spec.yaml") -> dict[str, bytes]:
    handler = tmp / "handlers" / "app.py"
    handler.parent.mkdir(parents=True, exist_ok=True)
    handler.write_text("def handler(event, context):\n    return {}\n")
    path = tmp / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return rendered_files(compile_spec(path))


def _shuffled(spec: dict, seed: int) -> dict:
    rng = random.Random(seed)
    result = {}
    keys = list(spec)
    rng.shuffle(keys)
    for key in keys:
        value = spec[key]
        if isinstance(value, dict):
            items = list(value.items())
            rng.shuffle(items)
            value = dict(items)
        result[key] = value
    return result


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(spec=services(), seed=st.integers(0, 2**16))
def test_same_spec_any_order_gives_identical_bytes(tmp_path_factory, spec, seed) -> None:
    tmp = tmp_path_factory.mktemp("det")
    first = _compile(tmp, spec)
    assert _compile(tmp, spec) == first
    assert _compile(tmp, _shuffled(spec, seed)) == first


@FAST
@given(spec=services(), extra=names)
def test_adding_a_table_or_function_changes_no_other_resource(tmp_path_factory, spec, extra) -> None:
    import json

    tmp = tmp_path_factory.mktemp("stable")
    before = json.loads(_compile(tmp, spec)["service.json"])["Resources"]
    grown = json.loads(json.dumps(spec))
    grown["tables"][f"x{extra}"] = {"partition_key": {"name": "pk", "type": "S"}}
    grown["functions"][f"x{extra}"] = {"handler": "handlers/app.py:handler"}
    after = json.loads(_compile(tmp, grown)["service.json"])["Resources"]
    assert set(before) <= set(after), "existing logical IDs must survive additions"
    changed = {k for k in before if before[k] != after[k]}
    # Only key policies may change: they name the new function's role.
    assert {after[k]["Type"] for k in changed} <= {"AWS::KMS::Key"}
