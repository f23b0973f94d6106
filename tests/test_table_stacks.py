"""Tables of a large service live in sixteen fixed `Tables` stacks (limits.table_stacks), chosen by a hash of each
table's name: no number of functions, and no other table, ever moves a table (a table that changes stack is
replaced and loses its data). Past 100 tables this is the default; `true` asks for it from the first table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from specc.compiler import compile_spec
from specc.output.split import hash_bits

NAMES = st.from_regex(r"[a-z][a-z0-9]{1,8}", fullmatch=True)


def write(directory: Path, tables: list[str], functions: list[str], table_stacks: bool | None = None,
          margin: float = 0.5) -> Path:
    (directory / "handlers").mkdir(parents=True, exist_ok=True)
    (directory / "handlers" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    limits: dict[str, Any] = {"margin": margin}
    if table_stacks is not None:
        limits["table_stacks"] = table_stacks
    spec = {"specc": 1, "service": "svc", "environment": "dev", "regions": ["us-east-1"], "limits": limits,
            "tables": {t: {"partition_key": {"name": "id", "type": "S"}} for t in tables},
            "functions": {f: {"handler": "handlers/app.py:handler",
                              "uses": {"tables": {tables[i % len(tables)]: "read_write"}}}
                          for i, f in enumerate(sorted(functions))}}
    path = directory / "spec.yaml"
    path.write_text(json.dumps(spec))
    return path


def table_homes(path: Path) -> dict[str, str]:
    """Table logical ID -> the stack that holds it ("" for the parent)."""
    compiled = compile_spec(path)
    assert compiled.layout is not None
    service = compiled.templates["service.json"]
    homes = {title: "" for title, r in service["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"}
    for info in compiled.layout.stacks.values():
        for title, resource in compiled.templates[info.file]["Resources"].items():
            if resource["Type"] == "AWS::DynamoDB::Table":
                homes[title] = info.logical_id
    return homes


def expected_stack(table: str) -> str:
    return f"Tables{hash_bits(table) >> 60:x}000Stack"  # the first four bits of sha256(name): one of 16


def test_past_a_hundred_tables_each_lives_in_the_table_stack_its_name_chooses(tmp_path) -> None:
    tables = [f"t{i}" for i in range(101)]
    homes = table_homes(write(tmp_path, tables, ["reader"], margin=0.1))
    assert len(homes) == 101
    for table in tables:
        assert homes[f"T{table[1:]}Table"] == expected_stack(table), table
    assert len(set(homes.values())) == 16


def test_up_to_a_hundred_tables_stay_in_the_service_template(tmp_path) -> None:
    compiled = compile_spec(write(tmp_path, [f"t{i}" for i in range(100)], ["reader"], margin=0.1))
    assert not compiled.layout.split
    assert sum(r["Type"] == "AWS::DynamoDB::Table" for r in compiled.templates["service.json"]["Resources"].values()) \
        == 100


def test_false_keeps_every_table_in_the_parent_and_true_moves_them_from_the_first(tmp_path) -> None:
    many = [f"t{i}" for i in range(101)]
    kept = table_homes(write(tmp_path / "kept", many, [f"f{i}" for i in range(24)], table_stacks=False))
    assert set(kept.values()) == {""}
    early = table_homes(write(tmp_path / "early", ["orders", "stock"], ["a"], table_stacks=True, margin=0.1))
    assert early == {"OrdersTable": expected_stack("orders"), "StockTable": expected_stack("stock")}


def test_functions_read_a_table_in_a_table_stack_by_its_name_and_wait_for_that_stack(tmp_path) -> None:
    compiled = compile_spec(write(tmp_path, ["orders"], [f"f{i}" for i in range(24)], table_stacks=True))
    service = compiled.templates["service.json"]["Resources"]
    table_stack = expected_stack("orders")
    readers = [info for info in compiled.layout.stacks.values() if info.logical_id.startswith("Functions")]
    assert readers
    for info in readers:
        assert table_stack in service[info.logical_id]["DependsOn"]
        body = json.dumps(compiled.templates[info.file])
        assert "svc-orders-dev" in body  # the deterministic table name, not a parameter from the table stack
        assert table_stack not in json.dumps(service[info.logical_id]["Properties"].get("Parameters", {}))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(tables=st.lists(NAMES, min_size=2, max_size=6, unique=True),
       functions=st.lists(NAMES, min_size=22, max_size=26, unique=True), extra=st.lists(NAMES, min_size=1,
                                                                                         max_size=4, unique=True))
def test_no_number_of_functions_moves_a_table(tmp_path_factory, tables, functions, extra) -> None:
    before = table_homes(write(tmp_path_factory.mktemp("before"), tables, functions, table_stacks=True))
    grown = functions + [f"x{name}" for name in extra]
    after = table_homes(write(tmp_path_factory.mktemp("after"), tables, grown, table_stacks=True))
    assert before == after and len(before) == len(tables)
