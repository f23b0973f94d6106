"""The kinds registry loads kinds lazily: its own facts about each kind must agree with the kind, and a spec
must not import the kinds it does not write (start-up time is what issue 2's benchmark measures)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from specc import kinds
from specc.kinds import BY_SECTION, REGISTRY, SECTIONS, in_play

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda entry: entry.section)
def test_registry_entry_agrees_with_its_kind(entry):
    kind = BY_SECTION[entry.section]
    assert kind.section == entry.section
    assert kind.keyed == entry.keyed
    assert kind.build.__module__ == f"specc.kinds.{entry.module}"


def test_all_kinds_in_build_order():
    assert tuple(kind.section for kind in kinds.KINDS) == SECTIONS
    assert list(BY_SECTION) == list(SECTIONS) and len(BY_SECTION) == len(SECTIONS)
    assert "tables" in BY_SECTION and "tabels" not in BY_SECTION
    assert BY_SECTION.get("tabels") is None


def test_in_play_is_what_the_spec_writes_plus_the_always_kinds(tmp_path):
    from specc.compiler import check

    path = tmp_path / "spec.yaml"
    path.write_text("specc: 1\nservice: shop\nenvironment: dev\nregions: [us-east-1]\n"
                    "tables:\n  orders:\n    partition_key: {name: id, type: S}\n")
    spec, _ = check(path)
    assert [kind.section for kind in in_play(spec)] == ["keys", "tables", "api", "monitoring"]


def test_a_spec_imports_only_the_kinds_it_writes(tmp_path):
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text("specc: 1\nservice: shop\nenvironment: dev\nregions: [us-east-1]\n"
                    "tables:\n  orders:\n    partition_key: {name: id, type: S}\n"
                    "functions:\n  list_orders:\n    handler: handlers/app.py:handler\n"
                    "    uses: {tables: {orders: read}}\n"
                    "routes:\n  GET /orders: list_orders\n")
    probe = ("import json, sys\nfrom specc.compiler import compile_spec\nfrom specc.output.emit import rendered_files\n"
             f"rendered_files(compile_spec({str(spec)!r}))\n"
             "print(json.dumps(sorted(m for m in sys.modules"
             " if m.startswith(('specc.kinds.', 'specc.language.workflow', 'specc.build.asl')))))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True,
                                       cwd=REPO).stdout)
    # api_access, api_auth, api_cors and api_ids hold the API's resource policy, own models (its authorizers, route
    # auth and CORS) and shared IDs, dashboard is the alarms' helper, expressions resolves environment values,
    # existing resolves entries named by `existing:` (the tables kind reads it); http_api, user_pools and workflows
    # stay unimported
    assert loaded == ["specc.kinds.alarms", "specc.kinds.api", "specc.kinds.api_access", "specc.kinds.api_auth",
                      "specc.kinds.api_cors", "specc.kinds.api_ids", "specc.kinds.base", "specc.kinds.dashboard",
                      "specc.kinds.existing", "specc.kinds.expressions", "specc.kinds.functions",
                      "specc.kinds.keys", "specc.kinds.routes", "specc.kinds.tables"]


def test_the_full_spec_model_has_every_section():
    from specc.model.spec import Spec

    assert [name for name in Spec.model_fields if name in BY_SECTION] == list(SECTIONS)
