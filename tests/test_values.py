"""Dangerous and impossible values (issue 14, item 6), through the CLI as a user meets them.

The exact diagnostics of each case are error cases in tests/errors/ (regions, impossible_values, open_networks,
physical_names); these tests show what a diagnostic cannot: the command that used to crash, and the exception
that makes a dangerous value acceptable is written into the template.
"""

from __future__ import annotations

import json

import pytest

from specc.cli import main
from specc.policy.sec016_open_networks import whole_internet


def test_lint_refuses_an_unknown_region_instead_of_crashing(runner, write_spec, minimal_spec, tmp_path,
                                                            monkeypatch) -> None:
    """cfn-lint raised InvalidRegionException on `us-east-9` (exit 70, "internal error"); now it is a spec error."""
    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path / "cache"))
    spec = write_spec(minimal_spec.replace("regions: [eu-west-1]", "regions: [us-east-9]"))
    result = runner.invoke(main, ["lint", str(spec), "--no-cache"])
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output
    assert "E260 regions[0]: there is no AWS region 'us-east-9'; did you mean 'us-east-2'?" in result.output


OPEN_API = """
specc: 1
service: hello
environment: dev
regions: [eu-west-1]
functions:
  greet:
    handler: handlers/app.py:handler
routes:
  GET /hello: greet
api:
  access:
    source_ips: ["0.0.0.0/0", "::/0"]
"""


def test_an_open_source_ip_list_is_refused_without_an_exception(runner, write_spec) -> None:
    result = runner.invoke(main, ["validate", str(write_spec(OPEN_API))])
    assert result.exit_code == 1
    assert ("SEC016 api.access.source_ips: the resource policy of Api admits every IPv4 and IPv6 address"
            in result.output)


def test_an_open_source_ip_list_with_an_exception_compiles_and_the_reason_is_in_the_template(
        runner, write_spec, tmp_path) -> None:
    reason = "a public status API: the whole internet may call it, the WAF rate-limits it"
    spec = write_spec(OPEN_API + f"security:\n  exceptions:\n    SEC016: {{reason: \"{reason}\"}}\n")
    result = runner.invoke(main, ["compile", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    api = json.loads((tmp_path / "out" / "service.json").read_text())["Resources"]["Api"]
    assert api["Metadata"]["specc"]["exceptions"] == [
        {"check": "SEC016", "reason": reason, "spec": "security.exceptions.SEC016"}]
    statement = api["Properties"]["Policy"]["Statement"][0]
    assert statement["Condition"]["IpAddress"]["aws:SourceIp"] == ["0.0.0.0/0", "::/0"]


@pytest.mark.parametrize(("addresses", "covered"), [
    (["0.0.0.0/0"], ["IPv4"]),
    (["0.0.0.0/0.0.0.0"], ["IPv4"]),  # a netmask, as ipaddress reads it
    (["::/0"], ["IPv6"]),
    (["::0/0", "0.0.0.0/0"], ["IPv4", "IPv6"]),
    (["0.0.0.0/1", "128.0.0.0/1"], ["IPv4"]),  # pieces that add up to the whole
    (["::ffff:0:0/96"], ["IPv4"]),  # every IPv4 address, written as IPv4-mapped IPv6
    (["0.0.0.0/1"], []),
    (["10.0.0.0/8", "2001:db8::/32"], []),
])
def test_what_covers_the_whole_internet(addresses: list[str], covered: list[str]) -> None:
    assert whole_internet(addresses) == covered
