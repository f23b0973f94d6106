"""Property tests of the storage and messaging kinds: buckets, queues, secrets and events in any order give the same
bytes, and adding an entry that nothing uses changes no resource already there (logical IDs come from names only,
and no kind writes into another entry's resources)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specc.compiler import compile_spec
from specc.output.emit import rendered_files

names = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)
LEVELS = {"buckets": ["read", "write", "read_write"], "queues": ["send", "consume"], "secrets": ["read"]}


@st.composite
def services(draw: Any) -> dict[str, Any]:
    functions = draw(st.lists(names.map(lambda n: f"f{n}"), min_size=1, max_size=3, unique=True))
    buckets = draw(st.lists(names.map(lambda n: f"b{n}"), min_size=0, max_size=3, unique=True))
    queues = draw(st.lists(names.map(lambda n: f"q{n}"), min_size=0, max_size=2, unique=True))
    secrets = draw(st.lists(names.map(lambda n: f"s{n}"), min_size=0, max_size=2, unique=True))
    spec: dict[str, Any] = {
        "specc": 1, "service": "svc", "environment": "dev", "regions": ["us-east-1"],
        "tables": {"log": {"partition_key": {"name": "id", "type": "S"}, "stream": "new_image"}},
        "functions": {f: {"handler": "handlers/app.py:handler"} for f in functions},
        "buckets": {}, "queues": {}, "secrets": {s: {} for s in secrets}, "events": {},
    }
    for bucket in buckets:
        entry: dict[str, Any] = {"versioning": draw(st.booleans())}
        trigger = draw(st.sampled_from([None, *functions]))
        if trigger:
            entry["triggers"] = [{"function": trigger, "prefix": "in/"}]
        spec["buckets"][bucket] = entry
    for queue in queues:
        consumers = draw(st.lists(st.sampled_from(functions), unique=True, max_size=2))
        spec["queues"][queue] = {"consumers": [{"function": f} for f in consumers]}
    for function in functions:
        uses: dict[str, dict[str, str]] = {}
        for section, entries in (("buckets", buckets), ("queues", queues), ("secrets", secrets)):
            for target in draw(st.lists(st.sampled_from(entries), unique=True)) if entries else []:
                uses.setdefault(section, {})[target] = draw(st.sampled_from(LEVELS[section]))
        if uses:
            spec["functions"][function]["uses"] = uses
    if draw(st.booleans()):
        spec["events"]["tick"] = {"schedule": "rate(5 minutes)", "function": functions[0]}
    if draw(st.booleans()):
        spec["events"]["changed"] = {"stream": {"table": "log", "function": functions[-1]}}
    return spec


def _shuffled(value: Any, rng: random.Random) -> Any:
    """Every mapping in another order (lists keep theirs: their order means something)."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


def _compile(root: Path, spec: dict[str, Any], name: str) -> dict[str, bytes]:
    (root / "handlers").mkdir(exist_ok=True)
    (root / "handlers" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return rendered_files(compile_spec(path))


PROFILE = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROFILE
@given(spec=services(), seed=st.integers(0, 2**32 - 1))
def test_any_order_gives_identical_bytes(tmp_path: Path, spec: dict[str, Any], seed: int) -> None:
    first = _compile(tmp_path, spec, "spec")
    again = _compile(tmp_path, _shuffled(spec, random.Random(seed)), "spec")
    assert first == again


@PROFILE
@given(spec=services())
def test_an_unused_entry_changes_nothing_already_there(tmp_path: Path, spec: dict[str, Any]) -> None:
    before = json.loads(_compile(tmp_path, spec, "spec")["service.json"])["Resources"]
    grown = json.loads(json.dumps(spec))
    grown["buckets"]["zzextra"] = {}
    grown["queues"]["zzqueue"] = {}
    grown["secrets"]["zzsecret"] = {}
    after = json.loads(_compile(tmp_path, grown, "spec")["service.json"])["Resources"]
    changed = sorted(name for name in before if before[name] != after.get(name))
    assert changed == []
    assert set(after) - set(before) >= {"ZzextraBucket", "ZzqueueQueue", "ZzsecretSecret"}
