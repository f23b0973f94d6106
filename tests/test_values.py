"""Dangerous and impossible values (issue 14, item 6), through the CLI as a user meets them.

The exact diagnostics of each case are error cases in tests/errors/ (regions, impossible_values, open_networks,
physical_names); these tests show what a diagnostic cannot: the command that used to crash, and the exception
that makes a dangerous value acceptable is written into the template.
"""

from __future__ import annotations

import json

from specc.cli import main


def test_lint_refuses_an_unknown_region_instead_of_crashing(runner, write_spec, minimal_spec, tmp_path,
                                                            monkeypatch) -> None:
    """cfn-lint raised InvalidRegionException on `us-east-9` (exit 70, "internal error"); now it is a spec error."""
    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path / "cache"))
    spec = write_spec(minimal_spec.replace("regions: [eu-west-1]", "regions: [us-east-9]"))
    result = runner.invoke(main, ["lint", str(spec), "--no-cache"])
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output
    assert "E260 regions[0]: there is no AWS region 'us-east-9'; did you mean 'us-east-2'?" in result.output
