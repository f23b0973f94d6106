"""Dangerous and impossible values (issue 14, item 6), through the CLI as a user meets them.

The exact diagnostics of each case are error cases in tests/errors/ (regions, impossible_values, open_networks,
physical_names); these tests show what a diagnostic cannot: the command that used to crash, and the exception
that makes a dangerous value acceptable is written into the template.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specc.checks.regions import known_regions
from specc.cli.app import main
from specc.policy.sec016_open_networks import whole_internet

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/bad_specs.py (pytest runs with importlib mode)
from bad_specs import BASE, compile_fresh, render


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


# The hostile-input suite's invariant (tests/bad_specs.py: exit 0 with complete output, or exit 1 with located
# diagnostics only and the previous output untouched), over generated dangerous and impossible values.

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                derandomize=True)
NETWORKS = st.one_of(
    st.sampled_from(["0.0.0.0/0", "::/0", "0.0.0.0/0.0.0.0", "::ffff:0:0/96", "0.0.0.0/1", "128.0.0.0/1",
                     "::/1", "8000::/1"]),
    st.builds(lambda a, p: str(ipaddress.ip_network((a, p), strict=False)), st.integers(0, 2**32 - 1),
              st.integers(1, 32)),
)


@settings(FUZZ, max_examples=40)
@given(networks=st.lists(NETWORKS, min_size=1, max_size=4, unique=True))
def test_source_ips_are_refused_exactly_when_they_cover_the_internet(networks: list[str]) -> None:
    data = copy.deepcopy(BASE)
    data["api"] = {"access": {"source_ips": networks}}
    outcome = compile_fresh(render(data))
    canonical = {str(ipaddress.ip_network(n)) for n in networks}
    if whole_internet(canonical):
        assert outcome.codes == ("SEC016",), (networks, outcome)
    else:
        assert outcome.exit_code == 0, (networks, outcome)


@settings(FUZZ, max_examples=40)
@given(region=st.from_regex(r"(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]{4,9}-[0-9]", fullmatch=True))
def test_regions_of_the_right_form_that_do_not_exist_are_refused(region: str) -> None:
    data = copy.deepcopy(BASE)
    data["regions"] = ["eu-west-1", region]
    outcome = compile_fresh(render(data))
    if region in known_regions():
        assert outcome.codes == (("E261",) if region == "eu-west-1" else ()), (region, outcome)
    else:
        assert outcome.codes == ("E260",), (region, outcome)


@settings(FUZZ, max_examples=30)
@given(digits=st.lists(st.characters(categories=["Nd"]), min_size=12, max_size=12))
def test_account_ids_in_unicode_digits_are_refused(digits: list[str]) -> None:
    data = copy.deepcopy(BASE)
    data["accounts"] = ["".join(digits)]
    outcome = compile_fresh(render(data))
    assert outcome.exit_code == (0 if all(d.isascii() for d in digits) else 1), (digits, outcome)


def test_a_reservation_of_zero_is_refused_and_one_compiles() -> None:
    data = copy.deepcopy(BASE)
    data["functions"]["read"]["reserved_concurrency"] = 0
    assert compile_fresh(render(data)).codes == ("E105",)
    data["functions"]["read"]["reserved_concurrency"] = 1
    assert compile_fresh(render(data)).exit_code == 0
