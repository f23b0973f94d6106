"""Every kind accepts every valid entry-name form, and what it builds from one stays clean under cfn-lint.

An entry name is `^[a-z][a-z0-9_]*$` (at most 40 characters): one letter, digits, single, double and trailing
underscores. Names become logical IDs (camel case), physical names (hyphens) and descriptions, and AWS rules
differ per property: an IP set's description admits no underscore, which let a WAF entry named `shop_api` pass
`check` and fail `lint` (E3031). One spec holds an entry of every keyed kind, all named from the same drawn name,
and is compiled and linted; a second property runs the checks alone over the whole length range, where a name
too long for some kind's physical names gets a located E301, never anything else.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from specc.compiler import check, compile_spec
from specc.kinds import REGISTRY
from specc.language.diagnostics import SpecError
from specc.lint.cfn import lint_templates

# One entry of every keyed kind, each named NAME (the queue QUEUE, NAME with `_q`: a queue and a function of one
# name would share a dead-letter queue name, E214), each using or used by the others so that every builder runs.
EVERY_KIND = """\
specc: 1
service: names
environment: test
regions: [us-east-1]
defaults: {key: NAME}
keys:
  NAME: {description: every entry's key}
tables:
  NAME: {partition_key: {name: id, type: S}}
topics:
  NAME: {}
event_buses:
  NAME: {}
queues:
  QUEUE: {}
buckets:
  NAME: {}
secrets:
  NAME: {description: a generated secret}
layers:
  NAME: {code: handlers}
functions:
  NAME:
    handler: handlers/app.py:handler
    layers: [NAME]
    uses:
      tables: {NAME: read_write}
      topics: {NAME: publish}
      queues: {QUEUE: send}
      buckets: {NAME: read_write}
      secrets: {NAME: read}
      keys: {NAME: decrypt}
      workflows: {NAME: start}
      event_buses: {NAME: publish}
workflows:
  NAME:
    start: run
    states:
      run: {task: NAME}
routes:
  GET /NAME: {function: NAME, api_key: true}
usage_plans:
  NAME: {throttle: {rate: 10, burst: 5}}
user_pools:
  NAME: {clients: {NAME: {}}}
api_keys:
  NAME: {usage_plan: NAME}
waf:
  NAME: {ip_sets: {block: [203.0.113.0/24, "2001:db8:bad::/48"], allow: [198.51.100.0/24]}}
domains:
  NAME: {name: api.example.com, hosted_zone_id: Z0123456789ABCDEFGHIJ}
cdn:
  NAME: {bucket: NAME, default_certificate: true, web_acl: none}
events:
  NAME: {schedule: rate(5 minutes), function: NAME}
alarms:
  NAME: {metric: functions.NAME.Errors, threshold: "> 0"}
resources:                  # keyed by logical ID, not by entry name: a raw resource naming the entries instead
  Raw:
    Type: AWS::SSM::Parameter
    Properties: {Type: String, Value: "${tables.NAME.arn} ${functions.NAME.role_arn}"}
overrides:                  # keyed by address: <section>.<entry>.<role>
  tables.NAME.table: {set: {ContributorInsightsSpecification.Enabled: true}}
  functions.NAME.role: {set: {MaxSessionDuration: 7200}}
outputs:
  NAME: {value: "${tables.NAME.arn}"}
"""
# Up to 14 characters every kind's physical names fit with this service and environment (the CDN's log bucket,
# `names-<name>-cdn-logs-test-<account>-<region>`, is the tightest at 63).
SHORT = st.from_regex(r"[a-z][a-z0-9_]{0,13}", fullmatch=True)
ANY_VALID = st.from_regex(r"[a-z][a-z0-9_]{0,39}", fullmatch=True)


def test_the_spec_has_an_entry_of_every_keyed_kind() -> None:
    import yaml

    written = set(yaml.safe_load(EVERY_KIND))
    keyed = {entry.section for entry in REGISTRY if entry.keyed}
    assert keyed - written == set(), "add an entry of the new kind to EVERY_KIND"


def _write(directory: Path, name: str) -> Path:
    (directory / "handlers").mkdir(exist_ok=True)
    (directory / "handlers" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    spec = directory / f"{name}.yaml"
    spec.write_text(EVERY_KIND.replace("QUEUE", f"{name[:38]}_q").replace("NAME", name))
    return spec


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=SHORT)
@example(name="a").via("one letter")
@example(name="shop_api").via("the documented style: cfn-lint E3031 in the IP sets' descriptions")
@example(name="a__b_").via("double and trailing underscores")
@example(name="x9_0").via("digits")
def test_every_kind_builds_every_name_form_lint_clean(tmp_path_factory: pytest.TempPathFactory, name: str) -> None:
    spec = _write(tmp_path_factory.mktemp("names"), name)
    compiled = compile_spec(spec)
    assert lint_templates(compiled.templates, ["us-east-1"]) == [], name


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=ANY_VALID)
@example(name="a" * 40)
def test_a_valid_name_of_any_length_is_accepted_or_too_long_for_a_physical_name(
        tmp_path_factory: pytest.TempPathFactory, name: str) -> None:
    spec = _write(tmp_path_factory.mktemp("names"), name)
    try:
        check(spec)
    except SpecError as refused:
        found = refused.diagnostics
        assert {d.code for d in found} == {"E301"}, refused.render()
        assert all(d.position.line > 1 and "more than the" in d.message for d in found)
        assert len(name) > 14
